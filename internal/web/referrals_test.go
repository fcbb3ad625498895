package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/referral"
)

func TestReferralPages_ProgrammeFormAndReviewQueue(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		f.addOperator("yunying", auth.RoleOperator)
		f.addOperator("kanban", auth.RoleViewer)
		op, viewer := f.login("yunying"), f.login("kanban")

		w := f.get("/referrals", op)
		mustContain(t, w.Body.String(), "<h1>邀请有礼", `data-programme="off"`, `id="programme-form"`, `name="holding_days" type="number" value="7"`)
		on := url.Values{"enabled": {"1"}, "holding_days": {"7"}, "review_threshold": {"2"}, "new_customers_only": {"1"}, "min_order_amount": {"50"}}
		if w = f.post("/referrals/programme", on, op); w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("on without a reward: %d", w.Code)
		}
		mustContain(t, w.Body.String(), "保存失败", `aria-invalid="true"`)
		on.Set("inviter_points", "500")
		on.Set("invitee_points", "300")
		if w = f.post("/referrals/programme", on, viewer); w.Code != http.StatusForbidden {
			t.Fatalf("viewer saves: %d", w.Code)
		}
		if w = f.post("/referrals/programme", on, op); w.Code != http.StatusSeeOther {
			t.Fatalf("save: %d %s", w.Code, w.Body)
		}
		p, err := referral.LoadProgramme(ctx, d)
		if err != nil || !p.Enabled || p.InviterPoints != 500 || p.MinOrderAmount != 5000 || !p.NewCustomersOnly {
			t.Fatalf("saved %+v %v", p, err)
		}

		// A held invitation: the queue shows it with its flags, and the
		// decision buttons to operators who may write.
		cs := &customer.Service{DB: d}
		alice, _ := cs.Create(ctx, customer.Profile{Name: "王丽"})
		bob, _ := cs.Create(ctx, customer.Profile{Name: "李明"})
		f.exec(`INSERT INTO referral_codes (customer_id, code, created_at, updated_at) VALUES ($1, 'ABCD2345', 1, 1)`, alice.ID)
		f.exec(`INSERT INTO referral_invitations (inviter_id, invitee_id, code, status, review, flags, linked_at, paid_at, qualifies_at, updated_at)
			VALUES ($1, $2, 'ABCD2345', 'paid', 'pending', 'shared_device', 1, 2, 3, 2)`, alice.ID, bob.ID)
		var id int64
		if err := d.QueryRow(ctx, `SELECT id FROM referral_invitations`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		sid := strconv.FormatInt(id, 10)
		w = f.get("/referrals/invitations?review=pending", op)
		mustContain(t, w.Body.String(), `data-review="pending"`, "王丽", "李明", `data-flag="shared_device"`, `data-approve="`+sid+`"`, "待审核 1")
		if w = f.get("/referrals/invitations?review=pending", viewer); w.Code != http.StatusOK || strings.Contains(w.Body.String(), `data-approve=`) {
			t.Fatalf("viewer sees the decision buttons: %d", w.Code)
		}
		if w = f.post("/referrals/invitations/"+sid+"/reject", url.Values{"note": {""}}, op); w.Code != http.StatusSeeOther {
			t.Fatalf("reject without a note: %d", w.Code)
		}
		if v, _ := (&referral.Service{DB: d}).Get(ctx, id); v.Status != referral.Paid || v.Review != referral.ReviewPending {
			t.Fatalf("a reject without a note changed it: %+v", v)
		}
		if w = f.post("/referrals/invitations/"+sid+"/reject", url.Values{"note": {"同一设备批量注册"}}, viewer); w.Code != http.StatusForbidden {
			t.Fatalf("viewer rejects: %d", w.Code)
		}
		if w = f.post("/referrals/invitations/"+sid+"/reject", url.Values{"note": {"同一设备批量注册"}, "back": {"/referrals/invitations?status=void"}}, op); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/referrals/invitations?status=void" {
			t.Fatalf("reject: %d %s", w.Code, w.Header().Get("Location"))
		}
		w = f.get("/referrals/invitations?status=void", op)
		mustContain(t, w.Body.String(), "审核驳回", "同一设备批量注册")
		w = f.get("/referrals", op)
		mustContain(t, w.Body.String(), `data-programme="on"`, `data-by-status="void"`)
		// The customer pages: the inviter's code and invitations, the
		// invitee's inviter; hidden from those who may not read promotions.
		w = f.get("/customers/"+strconv.FormatInt(alice.ID, 10), op)
		mustContain(t, w.Body.String(), `id="referral"`, `data-invite-code>ABCD2345`, `data-invited="1"`, `/referrals/invitations?inviter=`)
		w = f.get("/customers/"+strconv.FormatInt(bob.ID, 10), op)
		mustContain(t, w.Body.String(), `id="referral"`, "邀请人", "王丽", `data-status="void"`)
		f.addOperator("kefu", auth.RoleService)
		if w = f.get("/customers/"+strconv.FormatInt(bob.ID, 10), f.login("kefu")); w.Code != http.StatusOK || strings.Contains(w.Body.String(), `id="referral"`) {
			t.Fatalf("customer service sees the referral card: %d", w.Code)
		}
	})
}
