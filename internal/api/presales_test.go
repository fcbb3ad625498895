package api_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/api"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/presale"
)

// An operator creates a presale (deposit ¥10 counts as ¥20, tail ¥29);
// a buyer sees it with its forfeit rule, puts down a deposit (a retry with
// the same key gets the same order, a second deposit is refused), pays it;
// in the tail window they place the tail order and pay it; the operator
// sees the deposit completed and the stock sold.
func TestPresalesAPI_DepositThenTail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newStoreFixture(t, d)
		var mu sync.Mutex
		now := time.Now().UTC().Truncate(time.Second)
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		svc := &presale.Service{DB: d, Orders: f.a.Orders, Now: clock}
		f.a.Presales = svc
		f.a.Orders.Now = clock
		f.a.Orders.Pricer = presale.Pricer{Presales: svc, Next: price.ListPricer{DB: d}}
		f.a.Orders.Hooks = []order.Hook{presale.Hook{Presales: svc}}
		in := map[string]any{"name": "双11 预售 T恤", "sku_id": f.sku, "presale_price": 4900, "deposit": 1000, "deposit_value": 2000,
			"stock": 5, "per_customer_limit": 2,
			"deposit_starts_at": now.Add(-time.Minute), "deposit_ends_at": now.Add(time.Hour),
			"tail_starts_at": now.Add(2 * time.Hour), "tail_ends_at": now.Add(3 * time.Hour)}
		if st, b := f.call("viewer", "POST", "/api/v1/presales", in); st != http.StatusForbidden {
			t.Errorf("viewer creates a presale: %d %s", st, b)
		}
		bad := map[string]any{}
		for k, v := range in {
			bad[k] = v
		}
		bad["deposit_value"] = 500
		if st, b := f.call("operator", "POST", "/api/v1/presales", bad); st != 422 || !strings.Contains(string(b), `"field":"deposit_value"`) {
			t.Errorf("deposit value below the deposit: %d %s", st, b)
		}
		st, b := f.call("operator", "POST", "/api/v1/presales", in)
		if st != http.StatusCreated {
			t.Fatalf("create: %d %s", st, b)
		}
		p := decodeAs[presale.Presale](t, b)
		if p.Tail != 2900 || p.PaidInAll != 3900 || p.Phase != presale.DepositOpen || p.Left != 5 {
			t.Fatalf("created: %+v", p)
		}
		st, b = f.storeCall("", nil, "GET", "/api/v1/store/presales", nil)
		list := decodeAs[api.StorePresales](t, b)
		if st != 200 || len(list.Presales) != 1 || list.Presales[0].Deposit != 1000 || list.Presales[0].DepositValue != 2000 ||
			!strings.Contains(list.Presales[0].ForfeitRule, "forfeited") {
			t.Fatalf("storefront list: %d %s", st, b)
		}
		buyer := f.shopper("预售买家", "13800138021", nil)
		key := map[string]string{api.HeaderIdempotencyKey: "ps-deposit-1"}
		body := map[string]any{"quantity": 2, "ship_to": shipTo}
		st, b = f.storeCall(buyer.Token, key, "POST", "/api/v1/store/presales/"+itoa(p.ID)+"/deposit", body)
		dep := decodeAs[api.StorePresaleOrder](t, b)
		if st != 201 || dep.Order.Total != 2000 || dep.Deposit.Status != presale.DepositPending || dep.Deposit.TailAmount != 5800 {
			t.Fatalf("deposit: %d %s", st, b)
		}
		st, b = f.storeCall(buyer.Token, key, "POST", "/api/v1/store/presales/"+itoa(p.ID)+"/deposit", body)
		if again := decodeAs[api.StorePresaleOrder](t, b); st != 201 || again.Order.ID != dep.Order.ID {
			t.Errorf("retried deposit: %d %s", st, b)
		}
		if st, b := f.storeCall(buyer.Token, nil, "POST", "/api/v1/store/presales/"+itoa(p.ID)+"/deposit", body); st != http.StatusConflict {
			t.Errorf("a second deposit: %d %s", st, b)
		}
		if st, b := f.storeCall(buyer.Token, nil, "POST", "/api/v1/store/orders/"+itoa(dep.Order.ID)+"/pay", map[string]any{}); st != 200 {
			t.Fatalf("pay the deposit: %d %s", st, b)
		}
		if st, b := f.storeCall(buyer.Token, nil, "POST", "/api/v1/store/orders/"+itoa(dep.Order.ID)+"/pay", map[string]any{}); st != http.StatusConflict {
			t.Errorf("paying the deposit twice: %d %s", st, b)
		}
		// The order API states the deposit: paid, the tail due in its
		// window; shipping it is refused.
		st, b = f.call("viewer", "GET", "/api/v1/orders/"+itoa(dep.Order.ID), nil)
		if got := decodeAs[order.Order](t, b); st != 200 || got.Status != order.Paid || got.PresaleRole != order.PresaleDeposit ||
			got.Deposit == nil || got.Deposit.Status != "paid" || !got.Deposit.TailEndsAt.Equal(now.Add(3*time.Hour)) || got.Deposit.Presale != "双11 预售 T恤" {
			t.Errorf("deposit order: %d %s", st, b)
		}
		if st, b := f.call("operator", "POST", "/api/v1/orders/"+itoa(dep.Order.ID)+"/ship", map[string]any{"carrier": "SF", "tracking_no": "SF1"}); st != http.StatusConflict {
			t.Errorf("shipping a deposit order: %d %s", st, b)
		}
		tailPath := "/api/v1/store/presale-deposits/" + itoa(dep.Deposit.ID) + "/tail"
		if st, b := f.storeCall(buyer.Token, nil, "POST", tailPath, map[string]any{}); st != http.StatusConflict || !strings.Contains(string(b), "tail") {
			t.Errorf("the tail before its window: %d %s", st, b)
		}
		mu.Lock()
		now = now.Add(2*time.Hour + time.Minute)
		mu.Unlock()
		other := f.shopper("别人", "13800138022", nil)
		if st, b := f.storeCall(other.Token, nil, "POST", tailPath, map[string]any{}); st != http.StatusNotFound {
			t.Errorf("someone else's tail: %d %s", st, b)
		}
		st, b = f.storeCall(buyer.Token, nil, "POST", tailPath, map[string]any{})
		tail := decodeAs[api.StorePresaleOrder](t, b)
		if st != 201 || tail.Order.ItemsTotal-tail.Order.DiscountTotal != 5800 {
			t.Fatalf("tail: %d %s", st, b)
		}
		if st, b := f.storeCall(buyer.Token, nil, "POST", "/api/v1/store/orders/"+itoa(tail.Order.ID)+"/pay", map[string]any{}); st != 200 {
			t.Fatalf("pay the tail: %d %s", st, b)
		}
		st, b = f.storeCall(buyer.Token, nil, "GET", "/api/v1/store/presale-deposits", nil)
		if mine := decodeAs[api.PresaleDeposits](t, b); st != 200 || len(mine.Deposits) != 1 || mine.Deposits[0].Status != presale.DepositCompleted {
			t.Errorf("my deposits: %d %s", st, b)
		}
		st, b = f.call("viewer", "GET", "/api/v1/presales/"+itoa(p.ID)+"/deposits?status=completed", nil)
		if ds := decodeAs[api.PresaleDeposits](t, b); st != 200 || len(ds.Deposits) != 1 || ds.Deposits[0].TailOrderID != tail.Order.ID {
			t.Errorf("the presale's deposits: %d %s", st, b)
		}
		if st, b := f.call("viewer", "GET", "/api/v1/presales/"+itoa(p.ID)+"/deposits?status=nope", nil); st != 422 {
			t.Errorf("a bad status: %d %s", st, b)
		}
		st, b = f.call("viewer", "GET", "/api/v1/orders/"+itoa(dep.Order.ID)+"/presale", nil)
		if got := decodeAs[presale.Deposit](t, b); st != 200 || got.ID != dep.Deposit.ID || got.TailOrderID != tail.Order.ID {
			t.Errorf("the deposit order's presale: %d %s", st, b)
		}
		st, b = f.call("operator", "GET", "/api/v1/presales/"+itoa(p.ID), nil)
		if got := decodeAs[presale.Presale](t, b); st != 200 || got.Sold != 2 || got.Counts.Completed != 1 || got.Counts.DepositsPaid != 2000 {
			t.Errorf("the presale: %d %s", st, b)
		}
		st, b = f.call("operator", "PATCH", "/api/v1/presales/"+itoa(p.ID), map[string]any{"tail_ends_at": now})
		if st != 422 || !strings.Contains(string(b), `"field":"tail_ends_at"`) {
			t.Errorf("moving the tail's end earlier: %d %s", st, b)
		}
		st, b = f.call("operator", "POST", "/api/v1/presales/"+itoa(p.ID)+"/end", nil)
		if got := decodeAs[presale.Presale](t, b); st != 200 || got.EndedAt == nil || got.Stock != 2 {
			t.Errorf("end: %d %s", st, b)
		}
	})
}
