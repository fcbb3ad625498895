package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/storeops/storeops/internal/api"
	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/inventory"
)

type fixture struct {
	t      *testing.T
	srv    *httptest.Server
	a      *api.API
	tokens map[auth.Role]string
	router routers.Router
}

func TestMain(m *testing.M) {
	auth.UseCheapHashesForTests()
	os.Exit(m.Run())
}

func newFixture(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	a := &api.API{DB: d, Auth: &auth.Service{DB: d}, Catalog: &catalog.Service{DB: d}, Customers: &customer.Service{DB: d},
		Inventory: &inventory.Service{DB: d}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test"}
	f := &fixture{t: t, a: a, tokens: map[auth.Role]string{}}
	for _, role := range auth.Roles() {
		op, err := a.Auth.CreateOperator(ctx, auth.NewOperator{Username: "op-" + string(role), Role: role, Password: "test-password-1"})
		if err != nil {
			t.Fatal(err)
		}
		_, secret, err := a.Auth.CreateToken(ctx, op.ID, "test", []string{"*"}, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[role] = secret
	}
	f.srv = httptest.NewServer(a.Handler())
	t.Cleanup(f.srv.Close)
	return f
}

// call makes a request as role ("" for no token) and returns status and body.
func (f *fixture) call(role auth.Role, method, path string, body any) (int, []byte) {
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
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+f.tokens[role])
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
	return resp.StatusCode, out
}

// checkAgainstSpec validates a real response against the OpenAPI document.
func (f *fixture) checkAgainstSpec(req *http.Request, resp *http.Response, body []byte) {
	f.t.Helper()
	route, params, err := f.router.FindRoute(req)
	if err != nil {
		f.t.Errorf("%s %s is served but not in openapi.json: %v", req.Method, req.URL.Path, err)
		return
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true}})
	if err != nil {
		f.t.Errorf("%s %s → %d does not match openapi.json: %v", req.Method, req.URL.Path, resp.StatusCode, err)
	}
}

func (f *fixture) loadSpec() {
	f.t.Helper()
	resp, err := http.Get(f.srv.URL + api.Prefix + "/openapi.json")
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		f.t.Fatalf("openapi.json does not load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		f.t.Fatalf("openapi.json is not a valid OpenAPI 3 document: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: f.srv.URL}}
	r, err := legacy.NewRouter(doc)
	if err != nil {
		f.t.Fatal(err)
	}
	f.router = r
}

func decodeAs[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

func TestOpenAPI_CoversEveryRouteAndMatchesResponses(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	f.loadSpec()
	doc := decodeAs[map[string]any](t, mustGet(t, f.srv.URL+api.Prefix+"/openapi.json"))
	paths := doc["paths"].(map[string]any)
	for _, rt := range f.a.Routes() {
		ops, ok := paths[api.Prefix+rt.Path].(map[string]any)
		if !ok || ops[strings.ToLower(rt.Method)] == nil {
			t.Errorf("route %s %s is missing from openapi.json", rt.Method, rt.Path)
		}
	}
	// A scenario through the catalog, customers and inventory; every
	// response is checked against the document by call.
	st, body := f.call("admin", "POST", "/api/v1/products", map[string]any{
		"title": "夏季碎花连衣裙", "title_en": "Floral Summer Dress", "role": "profit", "status": "on_sale",
		"images": []string{"https://img.example.com/dress.jpg"},
		"skus":   []map[string]any{{"code": "DRESS-RED-M", "spec": "红色 / M", "list_price": 29900, "cost_price": 11000}},
	})
	if st != http.StatusCreated {
		t.Fatalf("create product: %d %s", st, body)
	}
	p := decodeAs[catalog.Product](t, body)
	skuID := p.SKUs[0].ID
	for _, q := range []string{"连衣裙", "dress", "DRESS-RED"} {
		st, body = f.call("viewer", "GET", "/api/v1/products?q="+q, nil)
		list := decodeAs[api.List[catalog.Product]](t, body)
		if st != 200 || len(list.Items) != 1 || list.Items[0].ID != p.ID {
			t.Errorf("search %q: %d %s", q, st, body)
		}
	}
	st, body = f.call("supply", "POST", "/api/v1/inventory/"+itoa(skuID)+"/adjustments", map[string]any{"reason": "receipt", "delta": 40, "ref": "PO-1"})
	if st != http.StatusCreated || decodeAs[inventory.Level](t, body).Available != 40 {
		t.Fatalf("receipt: %d %s", st, body)
	}
	st, body = f.call("supply", "POST", "/api/v1/inventory/"+itoa(skuID)+"/adjustments", map[string]any{"reason": "damage", "delta": -50})
	if st != http.StatusConflict {
		t.Fatalf("damage below zero: %d %s, want 409", st, body)
	}
	st, body = f.call("supply", "GET", "/api/v1/inventory/"+itoa(skuID)+"/movements", nil)
	if st != 200 || len(decodeAs[api.List[inventory.Movement]](t, body).Items) != 1 {
		t.Fatalf("movements: %d %s", st, body)
	}
	st, body = f.call("operator", "POST", "/api/v1/customers", map[string]any{"name": "张三", "phone": "13800138000"})
	if st != http.StatusCreated {
		t.Fatalf("create customer: %d %s", st, body)
	}
	c := decodeAs[customer.Customer](t, body)
	st, body = f.call("operator", "PUT", "/api/v1/customers/"+itoa(c.ID)+"/tags", map[string]any{"tags": []string{"宝妈", "高消费"}})
	if st != 200 || len(decodeAs[customer.Customer](t, body).Tags) != 2 {
		t.Fatalf("tags: %d %s", st, body)
	}
	st, body = f.call("service", "GET", "/api/v1/customers?q=13800", nil)
	if st != 200 || len(decodeAs[api.List[customer.Customer]](t, body).Items) != 1 {
		t.Fatalf("customer search: %d %s", st, body)
	}
	for _, path := range []string{"/api/v1/metrics/overview?days=7", "/api/v1/audit?limit=5", "/api/v1/operators", "/api/v1/tokens", "/api/v1/settings", "/api/v1/categories", "/api/v1/inventory?low=0"} {
		if st, body = f.call("admin", "GET", path, nil); st != 200 {
			t.Errorf("GET %s: %d %s", path, st, body)
		}
	}
}

func mustGet(t *testing.T, url string) []byte {
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestBadInput_ClearErrors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		cases := []struct {
			name, method, path string
			role               auth.Role
			body               any
			status             int
			code, field        string
		}{
			{"no token", "GET", "/api/v1/products", "", nil, 401, "unauthorized", ""},
			{"wrong permission", "POST", "/api/v1/products", "viewer", map[string]any{"title": "x"}, 403, "forbidden", ""},
			{"malformed json", "POST", "/api/v1/products", "admin", `{"title": `, 400, "bad_request", ""},
			{"wrong type", "POST", "/api/v1/products", "admin", `{"title": 5}`, 400, "bad_request", "title"},
			{"unknown field", "POST", "/api/v1/products", "admin", `{"titel": "x"}`, 400, "bad_request", "titel"},
			{"client-sent price check", "POST", "/api/v1/products", "admin", map[string]any{"title": "T恤", "skus": []map[string]any{{"code": "T1", "list_price": -1}}}, 422, "invalid", "skus[0].list_price"},
			{"no skus", "POST", "/api/v1/products", "admin", map[string]any{"title": "T恤"}, 422, "invalid", "skus"},
			{"bad id", "GET", "/api/v1/products/abc", "admin", nil, 400, "bad_request", "id"},
			{"missing", "GET", "/api/v1/products/999999", "admin", nil, 404, "not_found", ""},
			{"bad limit", "GET", "/api/v1/products?limit=0", "admin", nil, 400, "bad_request", "limit"},
			{"bad cursor", "GET", "/api/v1/products?cursor=zzz", "admin", nil, 400, "bad_request", "cursor"},
			{"bad phone", "POST", "/api/v1/customers", "admin", map[string]any{"name": "李四", "phone": "12345"}, 422, "invalid", "phone"},
			{"unknown endpoint", "GET", "/api/v1/nothing", "admin", nil, 404, "not_found", ""},
			{"bad days", "GET", "/api/v1/metrics/overview?days=0", "admin", nil, 400, "bad_request", "days"},
		}
		for _, c := range cases {
			st, body := f.call(c.role, c.method, c.path, c.body)
			e := decodeAs[api.ErrorBody](t, body)
			if st != c.status || e.Error.Code != c.code || e.Error.Field != c.field || e.Error.Message == "" {
				t.Errorf("%s: %d %s; want %d code=%s field=%s", c.name, st, body, c.status, c.code, c.field)
			}
		}
		// Nothing of the refused writes was stored.
		st, body := f.call("admin", "GET", "/api/v1/products", nil)
		if st != 200 || len(decodeAs[api.List[catalog.Product]](t, body).Items) != 0 {
			t.Fatalf("refused writes left products behind: %s", body)
		}
	})
}

// TestEveryRouteForEveryRole walks the route table as each role: a route
// whose permission the role lacks answers 403; one it holds never does.
func TestEveryRouteForEveryRole(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	for _, rt := range f.a.Routes() {
		path := strings.NewReplacer("{id}", "999999", "{sku_id}", "999999", "{address_id}", "999999").Replace(api.Prefix + rt.Path)
		if rt.Store || rt.Public {
			f.walkStoreRoute(rt, path)
			continue
		}
		for _, role := range auth.Roles() {
			body := any(nil)
			if rt.Body != nil {
				body = "{}"
			}
			st, out := f.call(role, rt.Method, path, body)
			allowed := rt.Perm == "" || auth.Can(role, rt.Perm)
			if !allowed && st != http.StatusForbidden {
				t.Errorf("%s %s as %s: %d, want 403 (lacks %s)", rt.Method, rt.Path, role, st, rt.Perm)
			}
			if allowed && (st == http.StatusForbidden || st == http.StatusUnauthorized) && rt.Perm != "" {
				t.Errorf("%s %s as %s: %d %s, want it allowed", rt.Method, rt.Path, role, st, out)
			}
		}
		if st, _ := f.call("", rt.Method, path, nil); st != http.StatusUnauthorized {
			t.Errorf("%s %s without a token: %d, want 401", rt.Method, rt.Path, st)
		}
	}
}

func TestTokenScopesNarrowAccess(t *testing.T) {
	d := dbtest.SQLite(t)
	f := newFixture(t, d)
	ctx := context.Background()
	op, _ := f.a.Auth.GetOperatorByUsername(ctx, "op-admin")
	_, secret, err := f.a.Auth.CreateToken(ctx, op.ID, "read only", []string{"products:read"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.tokens["ro"] = secret
	if st, _ := f.call("ro", "GET", "/api/v1/products", nil); st != 200 {
		t.Errorf("products:read token cannot read products: %d", st)
	}
	if st, _ := f.call("ro", "GET", "/api/v1/customers", nil); st != 403 {
		t.Errorf("products:read token reads customers: %d", st)
	}
}
