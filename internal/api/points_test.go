package api_test

import (
	"net/http"
	"testing"

	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/points"
)

func TestPointsAPI_AdjustThenBothSidesSeeIt(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	f.loadSpec()
	token := f.customerToken()
	st, body := f.storeCall(token, nil, "GET", "/api/v1/store/points", nil)
	mine := decodeAs[points.Account](t, body)
	if st != http.StatusOK || mine.Balance != 0 || mine.CustomerID == 0 {
		t.Fatalf("store points: %d %s", st, body)
	}
	path := "/api/v1/customers/" + itoa(mine.CustomerID) + "/points"
	if st, body = f.call("operator", "POST", path+"/adjustments", map[string]any{"points": 300}); st != http.StatusUnprocessableEntity {
		t.Fatalf("no reason: %d %s", st, body)
	}
	if st, body = f.call("operator", "POST", path+"/adjustments", map[string]any{"points": 300, "reason": "物流延误补偿"}); st != http.StatusCreated {
		t.Fatalf("adjust: %d %s", st, body)
	}
	if st, body = f.call("operator", "POST", path+"/adjustments", map[string]any{"points": -301, "reason": "误发"}); st != http.StatusUnprocessableEntity {
		t.Fatalf("take more than the balance: %d %s", st, body)
	}
	st, body = f.call("operator", "GET", path, nil)
	if a := decodeAs[points.Account](t, body); st != http.StatusOK || a.Balance != 300 || len(a.Movements) != 1 || a.Movements[0].Reason != "物流延误补偿" {
		t.Fatalf("operator view: %d %s", st, body)
	}
	st, body = f.storeCall(token, nil, "GET", "/api/v1/store/points", nil)
	if a := decodeAs[points.Account](t, body); st != http.StatusOK || a.Balance != 300 {
		t.Fatalf("store view: %d %s", st, body)
	}
	if st, _ = f.call("operator", "GET", "/api/v1/customers/999999/points", nil); st != http.StatusNotFound {
		t.Fatalf("unknown customer: %d", st)
	}
	st, body = f.call("operator", "GET", "/api/v1/points/rules", nil)
	if r := decodeAs[points.Rules](t, body); st != http.StatusOK || r.RedeemPerYuan != 100 || len(r.Ladder) != 2 {
		t.Fatalf("rules: %d %s", st, body)
	}
}
