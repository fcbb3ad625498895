package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/inventory"
	"github.com/storeops/storeops/internal/order"
)

const testPassword = "s3cret-password"

// testHash is testPassword hashed once per test binary: argon2 is slow on
// purpose (and slower under -race), so operators are inserted with it
// rather than created one hash each.
var testHash = sync.OnceValue(func() string {
	h, err := auth.HashPassword(testPassword)
	if err != nil {
		panic(err)
	}
	return h
})

type fixture struct {
	t       *testing.T
	d       *db.DB
	console *Console
	h       http.Handler
}

func newFixture(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	c := &Console{
		DB:        d,
		Auth:      &auth.Service{DB: d},
		Catalog:   &catalog.Service{DB: d},
		Customers: &customer.Service{DB: d},
		Inventory: &inventory.Service{DB: d},
		Orders:    &order.Service{DB: d},
		Log:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	return &fixture{t: t, d: d, console: c, h: c.Handler()}
}

// addOperator inserts an operator with testPassword and returns its id.
func (f *fixture) addOperator(username string, role auth.Role) int64 {
	f.t.Helper()
	now := time.Now().UnixMilli()
	f.exec(`INSERT INTO operators (username, display_name, role, password_hash, lang, disabled, created_at, updated_at)
		VALUES ($1, $2, $3, $4, '', $5, $6, $6)`, username, strings.ToUpper(username), string(role), testHash(), false, now)
	var id int64
	if err := f.d.QueryRow(context.Background(), `SELECT id FROM operators WHERE username = $1`, username).Scan(&id); err != nil {
		f.t.Fatalf("add operator %s: %v", username, err)
	}
	return id
}

// stockedSKU creates an on-sale product of one SKU at a list price and a
// cost (分) with 50 units received, and returns the SKU's id.
func (f *fixture) stockedSKU(title, code, spec string, list, cost int64) int64 {
	f.t.Helper()
	ctx := context.Background()
	p, err := f.console.Catalog.CreateProduct(ctx, catalog.ProductInput{Title: title, Status: catalog.StatusOnSale,
		SKUs: []catalog.SKUInput{{Code: code, Spec: spec, ListPrice: list, CostPrice: cost}}})
	if err != nil {
		f.t.Fatal(err)
	}
	sku := p.SKUs[0].ID
	if _, err := f.console.Inventory.Adjust(ctx, sku, 50, inventory.ReasonReceipt, "PO-1", ""); err != nil {
		f.t.Fatal(err)
	}
	return sku
}

// exec runs a statement on the writer.
func (f *fixture) exec(q string, args ...any) {
	f.t.Helper()
	if _, err := f.d.Exec(context.Background(), q, args...); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
}

// request is one request through the console's handler.
type request struct {
	method, path string
	form         url.Values
	cookies      []*http.Cookie
	header       map[string]string
}

func (f *fixture) do(r request) *httptest.ResponseRecorder {
	f.t.Helper()
	var body io.Reader
	if r.form != nil {
		body = strings.NewReader(r.form.Encode())
	}
	method := r.method
	if method == "" {
		method = http.MethodGet
	}
	req := httptest.NewRequest(method, r.path, body)
	if r.form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, c := range r.cookies {
		req.AddCookie(c)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	// The lead's middleware sets the request id before the console runs.
	w.Header().Set("X-Request-Id", "test-request-id")
	f.h.ServeHTTP(w, req)
	return w
}

func (f *fixture) get(path string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	f.t.Helper()
	return f.do(request{path: path, cookies: cookies})
}

func (f *fixture) post(path string, form url.Values, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	f.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	return f.do(request{method: http.MethodPost, path: path, form: form, cookies: cookies})
}

// login logs in through the form and returns the session cookie.
func (f *fixture) login(username string) *http.Cookie {
	f.t.Helper()
	w := f.post("/login", url.Values{"username": {username}, "password": {testPassword}})
	if w.Code != http.StatusSeeOther {
		f.t.Fatalf("login %s: status %d, body %s", username, w.Code, w.Body.String())
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == sessionCookie && c.Value != "" {
			return c
		}
	}
	f.t.Fatalf("login %s: no session cookie", username)
	return nil
}

func cookieNamed(w *httptest.ResponseRecorder, name string) *http.Cookie {
	for _, c := range w.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func mustContain(t *testing.T, body string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(body, want) {
			t.Errorf("response lacks %q", want)
		}
	}
}
