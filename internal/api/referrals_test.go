package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/storeops/storeops/internal/api"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/referral"
)

// A buyer shares their code; a friend signs up with it (a bad code refuses
// the sign-up and makes no account); the operator sees the invitation.
func TestReferralsAPI_CodeSignUpAndConsole(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	f.loadSpec()
	alice := f.customerToken()
	st, body := f.storeCall(alice, nil, "GET", "/api/v1/store/referral?device_id=dev-a", nil)
	mine := decodeAs[referral.Mine](t, body)
	if st != http.StatusOK || len(mine.Code) != referral.CodeLen || mine.Enabled {
		t.Fatalf("my referral: %d %s", st, body)
	}
	programme := map[string]any{"enabled": true, "inviter_points": 500, "invitee_points": 300, "holding_days": 7,
		"new_customers_only": true, "review_threshold": 2}
	if st, body = f.call("viewer", "PUT", "/api/v1/referrals/programme", programme); st != http.StatusForbidden {
		t.Fatalf("viewer saves the programme: %d %s", st, body)
	}
	programme["holding_days"] = 365
	if st, body = f.call("operator", "PUT", "/api/v1/referrals/programme", programme); st != http.StatusUnprocessableEntity || !strings.Contains(string(body), `"holding_days"`) {
		t.Fatalf("a year's holding: %d %s", st, body)
	}
	programme["holding_days"] = 7
	if st, body = f.call("operator", "PUT", "/api/v1/referrals/programme", programme); st != http.StatusOK {
		t.Fatalf("save programme: %d %s", st, body)
	}
	signUp := map[string]any{"name": "李明", "phone": "13700137000", "password": "friend-password-1", "invite_code": "NOTACODE"}
	if st, body = f.storeCall("", nil, "POST", "/api/v1/store/register", signUp); st != http.StatusUnprocessableEntity || !strings.Contains(string(body), `"invite_code"`) {
		t.Fatalf("sign up with a bad code: %d %s", st, body)
	}
	signUp["invite_code"] = strings.ToLower(mine.Code)
	signUp["device_id"] = "dev-b"
	st, body = f.storeCall("", nil, "POST", "/api/v1/store/register", signUp)
	if st != http.StatusCreated {
		t.Fatalf("sign up with the code (the bad try made no account): %d %s", st, body)
	}
	bob := decodeAs[api.StoreSession](t, body)
	st, body = f.storeCall(bob.Token, nil, "GET", "/api/v1/store/referral", nil)
	if m := decodeAs[referral.Mine](t, body); st != http.StatusOK || m.InvitedBy == nil || m.InvitedBy.Status != referral.Linked || m.InvitedBy.Friend != "顾*" {
		t.Fatalf("bob's referral: %d %s", st, body)
	}
	if st, body = f.storeCall(alice, nil, "POST", "/api/v1/store/referral/link", map[string]any{"invite_code": mine.Code}); st != http.StatusUnprocessableEntity {
		t.Fatalf("my own code: %d %s", st, body)
	}
	// Checking out with a bad code is refused before any order is placed.
	checkout := map[string]any{"lines": []map[string]any{{"sku_id": 1, "quantity": 1}}, "invite_code": "NOTACODE"}
	if st, body = f.storeCall(bob.Token, nil, "POST", "/api/v1/store/checkout", checkout); st != http.StatusUnprocessableEntity || !strings.Contains(string(body), `"invite_code"`) {
		t.Fatalf("checkout with a bad code: %d %s", st, body)
	}
	if st, body = f.storeCall(bob.Token, nil, "GET", "/api/v1/store/orders", nil); st != http.StatusOK || !strings.Contains(string(body), `"items":[]`) {
		t.Fatalf("orders after the refused checkout: %d %s", st, body)
	}
	st, body = f.storeCall(alice, nil, "GET", "/api/v1/store/referral", nil)
	if m := decodeAs[referral.Mine](t, body); st != http.StatusOK || len(m.Invitations) != 1 || m.Counts[referral.Linked] != 1 {
		t.Fatalf("alice sees her invitation: %d %s", st, body)
	}
	st, body = f.call("viewer", "GET", "/api/v1/referrals/invitations?status=linked", nil)
	list := decodeAs[api.Invitations](t, body)
	if st != http.StatusOK || len(list.Invitations) != 1 || list.Invitations[0].InviteeID != bob.CustomerID {
		t.Fatalf("invitations: %d %s", st, body)
	}
	id := itoa(list.Invitations[0].ID)
	if st, body = f.call("operator", "POST", "/api/v1/referrals/invitations/"+id+"/approve", map[string]any{}); st != http.StatusConflict {
		t.Fatalf("approve an invitation not held: %d %s", st, body)
	}
	if st, body = f.call("viewer", "GET", "/api/v1/referrals/invitations?status=nope", nil); st != http.StatusUnprocessableEntity {
		t.Fatalf("bad status: %d %s", st, body)
	}
	st, body = f.call("finance", "GET", "/api/v1/referrals/results", nil)
	if r := decodeAs[referral.Results](t, body); st != http.StatusOK || r.Invitations != 1 || r.ByStatus[referral.Linked] != 1 {
		t.Fatalf("results: %d %s", st, body)
	}
	if st, body = f.call("finance", "GET", "/api/v1/referrals/results?from=20261201&to=20261101", nil); st != http.StatusBadRequest {
		t.Fatalf("reversed period: %d %s", st, body)
	}
}
