package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/storeops/storeops/internal/api"
	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/order"
)

// callKey is call with an Idempotency-Key.
func (f *fixture) callKey(role auth.Role, key, method, path string, body any) (int, http.Header, []byte) {
	f.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, f.srv.URL+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+f.tokens[role])
	req.Header.Set(api.HeaderIdempotencyKey, key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if f.router != nil && resp.StatusCode < 500 {
		f.checkAgainstSpec(req, resp, out)
	}
	return resp.StatusCode, resp.Header, out
}

// A buyer asks to return a unit of a shipped order, the shop approves,
// receives and refunds it once whatever the retries; another buyer sees
// nothing of it.
func TestAfterSales_ReturnAndRefundOverHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newStoreFixture(t, d)
		s := f.shopper("张三", "13800138000", nil)
		other := f.shopper("李四", "13900139000", nil)
		st, body := f.storeCall(s.Token, nil, "POST", "/api/v1/store/checkout", map[string]any{"lines": []map[string]any{{"sku_id": f.sku, "quantity": 2}}, "ship_to": shipTo})
		o := decodeAs[api.StoreOrder](t, body)
		if st != http.StatusCreated {
			t.Fatalf("checkout: %d %s", st, body)
		}
		if st, body = f.storeCall(s.Token, nil, "POST", "/api/v1/store/orders/"+itoa(o.ID)+"/pay", map[string]any{}); st != 200 {
			t.Fatalf("pay: %d %s", st, body)
		}
		if st, body = f.call("service", "POST", "/api/v1/orders/"+itoa(o.ID)+"/ship", map[string]any{"carrier": "顺丰速运", "tracking_no": "SF1"}); st != 200 {
			t.Fatalf("ship: %d %s", st, body)
		}
		var lineID int64
		{
			full, err := f.a.Orders.Get(t.Context(), o.ID)
			if err != nil {
				t.Fatal(err)
			}
			lineID = full.Lines[0].ID
		}
		in := map[string]any{"order_id": o.ID, "kind": "return_refund", "reason": "quality", "description": "开线了",
			"lines": []map[string]any{{"order_line_id": lineID, "quantity": 1}}}
		if st, body = f.storeCall(other.Token, nil, "POST", "/api/v1/store/aftersales", in); st != 404 {
			t.Errorf("another buyer opens a case on the order: %d %s, want 404", st, body)
		}
		if st, body = f.storeCall(s.Token, nil, "POST", "/api/v1/store/aftersales", map[string]any{"order_id": o.ID, "kind": "refund", "reason": "quality",
			"lines": []map[string]any{{"order_line_id": lineID, "quantity": 1}}}); st != 422 || decodeAs[api.ErrorBody](t, body).Error.Field != "kind" {
			t.Errorf("kind refund: %d %s, want 422 on kind", st, body)
		}
		st, body = f.storeCall(s.Token, nil, "POST", "/api/v1/store/aftersales", in)
		c := decodeAs[api.StoreAfterSale](t, body)
		if st != http.StatusCreated || c.Amount != 5900 || c.Status != order.CaseRequested || c.DueAt.Sub(c.CreatedAt).Hours() != 48 {
			t.Fatalf("open: %d %s", st, body)
		}
		if strings.Contains(string(body), "actor_name") {
			t.Errorf("the buyer sees staff names: %s", body)
		}
		path := "/api/v1/aftersales/" + itoa(c.ID)
		if st, body = f.storeCall(other.Token, nil, "GET", "/api/v1/store/aftersales/"+itoa(c.ID), nil); st != 404 {
			t.Errorf("another buyer reads the case: %d %s, want 404", st, body)
		}
		if st, body = f.storeCall(other.Token, nil, "GET", "/api/v1/store/aftersales", nil); st != 200 || strings.Contains(string(body), `"order_no"`) {
			t.Errorf("another buyer's list: %d %s, want empty", st, body)
		}
		if st, body = f.storeCall(s.Token, nil, "GET", "/api/v1/store/aftersales?order_id="+itoa(o.ID), nil); st != 200 || len(decodeAs[api.List[api.StoreAfterSale]](t, body).Items) != 1 {
			t.Errorf("my cases: %d %s", st, body)
		}
		if st, body = f.call("viewer", "POST", path+"/approve", map[string]any{}); st != 403 {
			t.Errorf("viewer approves: %d", st)
		}
		if st, body = f.call("service", "GET", "/api/v1/aftersales?status=requested&kind=return_refund&overdue=false", nil); st != 200 || len(decodeAs[api.List[order.AfterSale]](t, body).Items) != 1 {
			t.Errorf("list: %d %s", st, body)
		}
		if st, body = f.call("service", "GET", "/api/v1/aftersales?overdue=maybe", nil); st != 400 {
			t.Errorf("overdue=maybe: %d %s, want 400", st, body)
		}
		if st, _, body = f.callKey("service", "r-0", "POST", path+"/refund", map[string]any{}); st != 409 {
			t.Errorf("refund before approval: %d %s, want 409", st, body)
		}
		if st, body = f.call("service", "POST", path+"/approve", map[string]any{"note": "同意退货"}); st != 200 {
			t.Fatalf("approve: %d %s", st, body)
		}
		if st, body = f.storeCall(s.Token, nil, "POST", "/api/v1/store/aftersales/"+itoa(c.ID)+"/return", map[string]any{"carrier": "中通快递", "tracking_no": "ZT9"}); st != 200 {
			t.Fatalf("return sent: %d %s", st, body)
		}
		before := f.stock().OnHand
		if st, body = f.call("service", "POST", path+"/receive", map[string]any{}); st != 200 {
			t.Fatalf("receive: %d %s", st, body)
		}
		if got := f.stock().OnHand; got != before+1 {
			t.Errorf("on hand %d after receiving, want %d", got, before+1)
		}
		st, _, first := f.callKey("service", "r-1", "POST", path+"/refund", map[string]any{})
		if st != 200 || decodeAs[order.AfterSale](t, first).Status != order.CaseRefunded {
			t.Fatalf("refund: %d %s", st, first)
		}
		st, h, again := f.callKey("service", "r-1", "POST", path+"/refund", map[string]any{})
		if st != 200 || h.Get("Idempotent-Replayed") != "true" || !bytes.Equal(first, again) {
			t.Errorf("retried refund: %d %q, want the first answer replayed", st, h.Get("Idempotent-Replayed"))
		}
		if st, _, body = f.callKey("service", "r-2", "POST", path+"/refund", map[string]any{}); st != 409 {
			t.Errorf("refund twice with a new key: %d %s, want 409", st, body)
		}
		var refunded, rows int64
		f.a.DB.QueryRow(t.Context(), `SELECT refunded_total FROM orders WHERE id = $1`, o.ID).Scan(&refunded)
		f.a.DB.QueryRow(t.Context(), `SELECT COUNT(*) FROM refunds WHERE order_id = $1`, o.ID).Scan(&rows)
		if refunded != 5900 || rows != 1 {
			t.Errorf("order refunded %d in %d refunds, want 5900 in 1", refunded, rows)
		}
		st, body = f.storeCall(s.Token, nil, "GET", "/api/v1/store/aftersales/"+itoa(c.ID), nil)
		if got := decodeAs[api.StoreAfterSale](t, body); st != 200 || got.Status != order.CaseRefunded || len(got.Events) != 5 {
			t.Errorf("my case after the refund: %d %s", st, body)
		}
	})
}
