package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/api"
	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/inventory"
	"github.com/storeops/storeops/internal/payment"
)

// walkStoreRoute checks a storefront route's authentication: a customer
// token is required unless the route serves guests, an operator's API
// token is no customer token, and a customer is never refused for lack of
// permission.
func (f *fixture) walkStoreRoute(rt api.Route, path string) {
	f.t.Helper()
	body := any(nil)
	if rt.Body != nil {
		body = "{}"
	}
	// Refusals by the authentication layer carry WWW-Authenticate; a
	// handler's own 401 (a wrong password) does not.
	st, h, out := f.storeDo("", nil, rt.Method, path, body)
	authRefused := h.Get("WWW-Authenticate") != ""
	switch {
	case rt.Public && (authRefused || st == http.StatusOK):
		f.t.Errorf("%s %s (public) without credentials: %d %s, want it refused by its own check", rt.Method, rt.Path, st, out)
	case rt.Store && !rt.Guest && (st != http.StatusUnauthorized || !authRefused):
		f.t.Errorf("%s %s without a customer token: %d, want 401", rt.Method, rt.Path, st)
	case rt.Store && rt.Guest && (authRefused || st == http.StatusForbidden):
		f.t.Errorf("%s %s as a guest: %d %s, want it served", rt.Method, rt.Path, st, out)
	}
	if rt.Public {
		return
	}
	if st, _ := f.call("admin", rt.Method, path, body); st != http.StatusUnauthorized {
		f.t.Errorf("%s %s with an operator's API token: %d, want 401 (not a customer token)", rt.Method, rt.Path, st)
	}
	if st, h, out := f.storeDo(f.customerToken(), nil, rt.Method, path, body); h.Get("WWW-Authenticate") != "" || st == http.StatusForbidden {
		f.t.Errorf("%s %s as a customer: %d %s", rt.Method, rt.Path, st, out)
	}
}

var storeCustomers sync.Map // fixture → true once its customer exists

// customerToken signs in (again: a route may sign out) the fixture's
// storefront customer.
func (f *fixture) customerToken() string {
	ctx := context.Background()
	f.a.Handler() // builds the commerce services
	if _, done := storeCustomers.Load(f); !done {
		c, err := f.a.Customers.Create(ctx, customer.Profile{Name: "顾客", Phone: "13900139000"})
		if err != nil {
			f.t.Fatal(err)
		}
		if err := f.a.Shoppers.SetPassword(ctx, c.ID, "buyer-password-1"); err != nil {
			f.t.Fatal(err)
		}
		storeCustomers.Store(f, true)
	}
	_, token, err := f.a.Shoppers.SignIn(ctx, "13900139000", "buyer-password-1")
	if err != nil {
		f.t.Fatal(err)
	}
	return token
}

// storeCall calls the storefront with a customer token ("" for a guest)
// and extra headers.
func (f *fixture) storeCall(token string, headers map[string]string, method, path string, body any) (int, []byte) {
	f.t.Helper()
	st, _, out := f.storeDo(token, headers, method, path, body)
	return st, out
}

func (f *fixture) storeDo(token string, headers map[string]string, method, path string, body any) (int, http.Header, []byte) {
	f.t.Helper()
	var rd io.Reader
	if body != nil {
		if s, ok := body.(string); ok {
			rd = strings.NewReader(s)
		} else {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
	}
	req, _ := http.NewRequest(method, f.srv.URL+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
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

type storeFixture struct {
	*fixture
	sku int64
}

func newStoreFixture(t *testing.T, d *db.DB) *storeFixture {
	f := newFixture(t, d)
	f.loadSpec()
	st, body := f.call("admin", "POST", "/api/v1/products", map[string]any{
		"title": "纯棉T恤", "status": "on_sale",
		"skus": []map[string]any{{"code": "TEE-M", "spec": "白色 / M", "list_price": 5900, "cost_price": 2000}},
	})
	if st != http.StatusCreated {
		t.Fatalf("create product: %d %s", st, body)
	}
	sku := decodeAs[catalog.Product](t, body).SKUs[0].ID
	if st, body := f.call("supply", "POST", "/api/v1/inventory/"+itoa(sku)+"/adjustments", map[string]any{"reason": "receipt", "delta": 20}); st != http.StatusCreated {
		t.Fatalf("receipt: %d %s", st, body)
	}
	return &storeFixture{fixture: f, sku: sku}
}

// shopper creates a customer with a storefront password and signs in.
func (f *storeFixture) shopper(name, phone string, headers map[string]string) api.StoreSession {
	f.t.Helper()
	st, body := f.call("operator", "POST", "/api/v1/customers", map[string]any{"name": name, "phone": phone})
	if st != http.StatusCreated {
		f.t.Fatalf("create customer: %d %s", st, body)
	}
	c := decodeAs[customer.Customer](f.t, body)
	if st, body := f.call("operator", "PUT", "/api/v1/customers/"+itoa(c.ID)+"/password", map[string]any{"password": "buyer-pass-1"}); st != http.StatusNoContent {
		f.t.Fatalf("set password: %d %s", st, body)
	}
	st, body = f.storeCall("", headers, "POST", "/api/v1/store/sessions", map[string]any{"phone": phone, "password": "buyer-pass-1"})
	if st != http.StatusCreated {
		f.t.Fatalf("sign in: %d %s", st, body)
	}
	return decodeAs[api.StoreSession](f.t, body)
}

func (f *storeFixture) stock() inventory.Level {
	l, err := f.a.Inventory.Get(context.Background(), f.sku)
	if err != nil {
		f.t.Fatal(err)
	}
	return l
}

func (f *storeFixture) orders() int64 {
	var n int64
	f.a.DB.QueryRow(context.Background(), `SELECT COUNT(*) FROM orders`).Scan(&n)
	return n
}

var shipTo = map[string]any{"recipient": "张三", "phone": "13800138000", "province": "上海", "city": "上海", "detail": "世纪大道 100 号"}

func TestStorefront_GuestCartSignInCheckoutPay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newStoreFixture(t, d)
		st, body := f.storeCall("", nil, "POST", "/api/v1/store/cart/items", map[string]any{"sku_id": f.sku, "quantity": 2})
		guest := decodeAs[api.StoreSession](t, []byte(`{"cart":`+string(body)+`}`)).Cart
		if st != 200 || guest.Token == "" || len(guest.Items) != 1 || guest.Total != 11800 {
			t.Fatalf("guest add: %d %s", st, body)
		}
		cartHdr := map[string]string{api.HeaderCartToken: guest.Token}
		if st, body = f.storeCall("", cartHdr, "POST", "/api/v1/store/cart/items", map[string]any{"sku_id": f.sku, "quantity": 1}); st != 200 {
			t.Fatalf("guest add again: %d %s", st, body)
		}
		if st, body = f.storeCall("", cartHdr, "POST", "/api/v1/store/cart/items", map[string]any{"sku_id": f.sku, "quantity": 0}); st != 422 {
			t.Errorf("quantity 0: %d %s", st, body)
		}
		s := f.shopper("张三", "13800138000", cartHdr)
		if len(s.Cart.Items) != 1 || s.Cart.Items[0].Quantity != 3 {
			t.Fatalf("merged cart: %+v", s.Cart)
		}
		if st, body = f.storeCall("", cartHdr, "GET", "/api/v1/store/cart", nil); st != 200 || len(decodeAs[api.StoreSession](t, []byte(`{"cart":`+string(body)+`}`)).Cart.Items) != 0 {
			t.Errorf("guest cart after merge: %s", body)
		}
		st, body = f.storeCall(s.Token, nil, "POST", "/api/v1/store/quote", map[string]any{})
		if q := decodeAs[api.Quote](t, body); st != 200 || q.Total != 17700 || q.ShippingFee != 0 || q.PayTotal != 17700 || len(q.Lines) != 1 {
			t.Errorf("quote of the cart: %d %s", st, body)
		}
		st, body = f.storeCall("", nil, "POST", "/api/v1/store/quote", map[string]any{"lines": []map[string]any{{"sku_id": f.sku, "quantity": 1}}})
		if q := decodeAs[api.Quote](t, body); st != 200 || q.ShippingFee != 1000 || q.PayTotal != 6900 || strings.Contains(string(body), "cost") {
			t.Errorf("guest quote of one: %d %s", st, body)
		}
		// The client never sends a price or a total.
		for _, bad := range []string{
			`{"lines":[{"sku_id":` + itoa(f.sku) + `,"quantity":1,"unit_price":1}],"ship_to":{"recipient":"x","phone":"13800138000","detail":"y"}}`,
			`{"total":1,"ship_to":{"recipient":"x","phone":"13800138000","detail":"y"}}`,
		} {
			st, body := f.storeCall(s.Token, nil, "POST", "/api/v1/store/checkout", bad)
			if e := decodeAs[api.ErrorBody](t, body); st != 400 || !strings.Contains(e.Error.Message, "unknown field") {
				t.Errorf("client-sent price %s: %d %s", bad, st, body)
			}
		}
		if st, body = f.storeCall(s.Token, nil, "POST", "/api/v1/store/checkout", map[string]any{"lines": []map[string]any{{"sku_id": f.sku, "quantity": 1000}}, "ship_to": shipTo}); st != 422 || decodeAs[api.ErrorBody](t, body).Error.Field != "lines[0].quantity" {
			t.Errorf("1000 units: %d %s", st, body)
		}
		st, body = f.storeCall(s.Token, nil, "POST", "/api/v1/store/checkout", map[string]any{"ship_to": shipTo})
		o := decodeAs[api.StoreOrder](t, body)
		if st != http.StatusCreated || o.Status != "pending_payment" || o.Total != 17700 || len(o.Lines) != 1 || o.Lines[0].Quantity != 3 {
			t.Fatalf("checkout: %d %s", st, body)
		}
		if strings.Contains(string(body), "cost") {
			t.Errorf("the buyer sees costs: %s", body)
		}
		if l := f.stock(); l.Reserved != 3 {
			t.Errorf("reserved %d", l.Reserved)
		}
		if _, body = f.storeCall(s.Token, nil, "GET", "/api/v1/store/cart", nil); strings.Contains(string(body), `"sku_id"`) {
			t.Errorf("cart after checkout: %s", body)
		}
		st, body = f.storeCall(s.Token, map[string]string{api.HeaderIdempotencyKey: "pay-1"}, "POST", "/api/v1/store/orders/"+itoa(o.ID)+"/pay", map[string]any{})
		if st != 200 || decodeAs[payment.Payment](t, body).Status != "succeeded" {
			t.Fatalf("pay: %d %s", st, body)
		}
		st, body = f.storeCall(s.Token, map[string]string{api.HeaderIdempotencyKey: "pay-2"}, "POST", "/api/v1/store/orders/"+itoa(o.ID)+"/pay", map[string]any{})
		if st != http.StatusConflict {
			t.Errorf("paying twice: %d %s", st, body)
		}
		if l := f.stock(); l.OnHand != 17 || l.Reserved != 0 {
			t.Errorf("stock after pay: %+v", l)
		}
		// The operator ships, delivers and completes it.
		if st, body = f.call("service", "GET", "/api/v1/orders?status=paid&min_total=17700&max_total=17700&from=2000-01-01", nil); st != 200 || len(decodeAs[api.List[map[string]any]](t, body).Items) != 1 {
			t.Fatalf("list paid orders: %d %s", st, body)
		}
		if st, body = f.call("viewer", "POST", "/api/v1/orders/"+itoa(o.ID)+"/ship", map[string]any{"carrier": "顺丰速运", "tracking_no": "SF1"}); st != 403 {
			t.Errorf("viewer ships: %d", st)
		}
		if st, body = f.call("service", "POST", "/api/v1/orders/"+itoa(o.ID)+"/ship", map[string]any{"carrier": "顺丰速运", "tracking_no": "SF1"}); st != 200 {
			t.Fatalf("ship: %d %s", st, body)
		}
		st, body = f.call("service", "POST", "/api/v1/orders/"+itoa(o.ID)+"/cancel", map[string]any{"reason": "x"})
		if e := decodeAs[api.ErrorBody](t, body); st != 409 || !strings.Contains(e.Error.Message, "is shipped") {
			t.Errorf("cancel shipped: %d %s", st, body)
		}
		for _, step := range []string{"deliver", "complete"} {
			if st, body = f.call("operator", "POST", "/api/v1/orders/"+itoa(o.ID)+"/"+step, map[string]any{}); st != 200 {
				t.Fatalf("%s: %d %s", step, st, body)
			}
		}
		st, body = f.storeCall(s.Token, nil, "GET", "/api/v1/store/orders/"+itoa(o.ID), nil)
		if mine := decodeAs[api.StoreOrder](t, body); st != 200 || mine.Status != "completed" || mine.TrackingNo != "SF1" || len(mine.Events) != 5 {
			t.Errorf("my order: %d %s", st, body)
		}
	})
}

func TestStorefront_IdempotencyKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newStoreFixture(t, d)
		s := f.shopper("张三", "13800138000", nil)
		body := map[string]any{"lines": []map[string]any{{"sku_id": f.sku, "quantity": 1}}, "ship_to": shipTo}
		key := map[string]string{api.HeaderIdempotencyKey: "checkout-1"}
		st1, h1, b1 := f.storeDo(s.Token, key, "POST", "/api/v1/store/checkout", body)
		st2, h2, b2 := f.storeDo(s.Token, key, "POST", "/api/v1/store/checkout", body)
		if st1 != 201 || st2 != 201 || !bytes.Equal(b1, b2) || h1.Get("Idempotent-Replayed") != "" || h2.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay: %d %s / %d %s", st1, b1, st2, b2)
		}
		if n := f.orders(); n != 1 {
			t.Fatalf("%d orders after a replay, want 1", n)
		}
		// The process stopped after the order's commit, before its answer
		// was kept: a retry is answered from the order the key names.
		if _, err := d.Exec(context.Background(), `UPDATE idempotency_keys SET response_status = 0, response = '' WHERE key = 'checkout-1'`); err != nil {
			t.Fatal(err)
		}
		st3, h3, b3 := f.storeDo(s.Token, key, "POST", "/api/v1/store/checkout", body)
		if st3 != 201 || h3.Get("Idempotent-Replayed") != "true" || decodeAs[api.StoreOrder](t, b3).ID != decodeAs[api.StoreOrder](t, b1).ID || f.orders() != 1 {
			t.Fatalf("retry after a lost answer: %d %s", st3, b3)
		}
		other := map[string]any{"lines": []map[string]any{{"sku_id": f.sku, "quantity": 2}}, "ship_to": shipTo}
		st, b := f.storeCall(s.Token, key, "POST", "/api/v1/store/checkout", other)
		if e := decodeAs[api.ErrorBody](t, b); st != 422 || e.Error.Field != "Idempotency-Key" {
			t.Errorf("same key, other body: %d %s", st, b)
		}
		// Another customer's identical key is theirs alone.
		s2 := f.shopper("李四", "13800138001", nil)
		if st, b := f.storeCall(s2.Token, key, "POST", "/api/v1/store/checkout", body); st != 201 || bytes.Equal(b, b1) {
			t.Errorf("another customer's key: %d %s", st, b)
		}
		// Ten concurrent calls with one key place one order.
		before := f.orders()
		var wg sync.WaitGroup
		results := make([][]byte, 10)
		codes := make([]int, 10)
		for i := range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i], _, results[i] = f.storeDo(s.Token, map[string]string{api.HeaderIdempotencyKey: "burst"}, "POST", "/api/v1/store/checkout", body)
			}()
		}
		wg.Wait()
		for i := range 10 {
			if codes[i] != 201 || !bytes.Equal(results[i], results[0]) {
				t.Errorf("call %d: %d %s", i, codes[i], results[i])
			}
		}
		if n := f.orders() - before; n != 1 {
			t.Errorf("10 concurrent calls with one key placed %d orders", n)
		}
		if l := f.stock(); l.Reserved != 3 {
			t.Errorf("reserved %d, want 3 (three orders of one)", l.Reserved)
		}
		// An operator's retried cancel replays instead of answering 409.
		o := decodeAs[api.StoreOrder](t, results[0])
		req := map[string]any{"reason": "缺货"}
		for i := range 2 {
			st, h, b := f.opDo("service", map[string]string{api.HeaderIdempotencyKey: "cancel-1"}, "POST", "/api/v1/orders/"+itoa(o.ID)+"/cancel", req)
			if st != 200 || !strings.Contains(string(b), `"status":"cancelled"`) || (i == 1) != (h.Get("Idempotent-Replayed") == "true") {
				t.Errorf("operator cancel #%d: %d %s", i+1, st, b)
			}
		}
		if l := f.stock(); l.Reserved != 2 {
			t.Errorf("reserved %d after one cancel", l.Reserved)
		}
	})
}

func TestStorefront_CustomersSeeOnlyTheirOwnOrders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newStoreFixture(t, d)
		alice := f.shopper("Alice", "13800138001", nil)
		bob := f.shopper("Bob", "13800138002", nil)
		st, body := f.storeCall(alice.Token, nil, "POST", "/api/v1/store/checkout", map[string]any{"lines": []map[string]any{{"sku_id": f.sku, "quantity": 1}}, "ship_to": shipTo})
		if st != 201 {
			t.Fatalf("checkout: %d %s", st, body)
		}
		o := decodeAs[api.StoreOrder](t, body)
		for _, c := range []struct{ method, path string }{
			{"GET", "/api/v1/store/orders/" + itoa(o.ID)},
			{"POST", "/api/v1/store/orders/" + itoa(o.ID) + "/pay"},
			{"POST", "/api/v1/store/orders/" + itoa(o.ID) + "/cancel"},
		} {
			if st, body := f.storeCall(bob.Token, nil, c.method, c.path, map[string]any{}); st != 404 {
				t.Errorf("bob %s %s: %d %s, want 404", c.method, c.path, st, body)
			}
		}
		if _, body := f.storeCall(bob.Token, nil, "GET", "/api/v1/store/orders", nil); len(decodeAs[api.List[api.StoreOrder]](t, body).Items) != 0 {
			t.Errorf("bob's list shows: %s", body)
		}
		if st, body := f.storeCall(alice.Token, nil, "POST", "/api/v1/store/orders/"+itoa(o.ID)+"/cancel", map[string]any{"reason": "拍错了"}); st != 200 || decodeAs[api.StoreOrder](t, body).Status != "cancelled" {
			t.Errorf("alice cancels: %d %s", st, body)
		}
		if l := f.stock(); l.Reserved != 0 {
			t.Errorf("reserved %d after cancel", l.Reserved)
		}
		if st, _ := f.storeCall("cs_forged", nil, "GET", "/api/v1/store/orders", nil); st != 401 {
			t.Errorf("forged token: %d", st)
		}
	})
}

func TestSandboxCallback_OverHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newStoreFixture(t, d)
		s := f.shopper("张三", "13800138000", nil)
		_, body := f.storeCall(s.Token, nil, "POST", "/api/v1/store/checkout", map[string]any{"lines": []map[string]any{{"sku_id": f.sku, "quantity": 1}}, "ship_to": shipTo})
		o := decodeAs[api.StoreOrder](t, body)
		st, body := f.storeCall(s.Token, nil, "POST", "/api/v1/store/orders/"+itoa(o.ID)+"/pay", map[string]any{"outcome": "pending"})
		p := decodeAs[payment.Payment](t, body)
		if st != 200 || p.Status != "pending" {
			t.Fatalf("pending pay: %d %s", st, body)
		}
		secret, err := (&payment.Sandbox{DB: d}).Secret(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		cb := []byte(fmt.Sprintf(`{"ref":%q,"status":"succeeded","nonce":"abc"}`, p.ProviderRef))
		send := func(ts int64, sig string) (int, []byte) {
			return f.storeCall("", map[string]string{payment.HeaderTimestamp: fmt.Sprint(ts), payment.HeaderSignature: sig},
				"POST", "/api/v1/payments/sandbox/callback", string(cb))
		}
		now := time.Now().Unix()
		if st, body := send(now, payment.Sign("not the secret", now, cb)); st != 403 {
			t.Errorf("bad signature: %d %s", st, body)
		}
		if st, body := send(now-301, payment.Sign(secret, now-301, cb)); st != 403 {
			t.Errorf("stale: %d %s", st, body)
		}
		if st, body := send(now, payment.Sign(secret, now, cb)); st != 200 || decodeAs[payment.Payment](t, body).Status != "succeeded" {
			t.Fatalf("good callback: %d %s", st, body)
		}
		if st, body := send(now, payment.Sign(secret, now, cb)); st != 403 || !strings.Contains(string(body), "replayed") {
			t.Errorf("replay: %d %s", st, body)
		}
		if _, body := f.storeCall(s.Token, nil, "GET", "/api/v1/store/orders/"+itoa(o.ID), nil); decodeAs[api.StoreOrder](t, body).Status != "paid" {
			t.Errorf("order after callback: %s", body)
		}
	})
}

// opDo calls the operator API as role with extra headers.
func (f *fixture) opDo(role string, headers map[string]string, method, path string, body any) (int, http.Header, []byte) {
	f.t.Helper()
	h := map[string]string{"Authorization": "Bearer " + f.tokens[auth.Role(role)]}
	for k, v := range headers {
		h[k] = v
	}
	return f.storeDo("", h, method, path, body)
}
