package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
)

// pathFor fills a route pattern with plausible values: id 1 for every id
// (the fixture seeds a product, SKU and customer with id 1), a real file for
// static paths.
func pathFor(pattern string) string {
	r := strings.NewReplacer("{$}", "", "{id}", "1", "{skuID}", "1", "{path...}", "app.css")
	return r.Replace(pattern)
}

// seedOneOfEach gives the routes with an id something to show.
func (f *fixture) seedOneOfEach() {
	f.exec(`INSERT INTO products (title, role, status, created_at, updated_at) VALUES ('测试商品', 'profit', 'on_sale', 1, 1)`)
	f.exec(`INSERT INTO skus (product_id, code, spec, list_price, cost_price, created_at, updated_at) VALUES (1, 'TEST-1', '红色 / M', 9900, 4000, 1, 1)`)
	f.exec(`INSERT INTO stock (sku_id, on_hand, reserved, updated_at) VALUES (1, 0, 0, 1)`)
	f.exec(`INSERT INTO customers (name, phone, created_at, updated_at) VALUES ('王小明', '13800138000', 1, 1)`)
}

// TestPermissionMatrix walks every route of Routes for every role: a route
// whose permission the role lacks answers 403 naming the permission; one it
// holds answers anything but 403, 401 or the login page; without a session
// every non-public route sends the browser to the login page.
func TestPermissionMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		routes := f.console.Routes()
		// admin first, so that id 1 is the admin: the operator routes then
		// act on an account that must stay an enabled admin.
		sessions := map[auth.Role]*http.Cookie{}
		for _, role := range auth.Roles() {
			f.addOperator("op-"+string(role), role)
		}
		f.seedOneOfEach()
		for _, role := range auth.Roles() {
			sessions[role] = f.login("op-" + string(role))
		}

		for _, role := range auth.Roles() {
			for _, rt := range routes {
				if rt.Public {
					continue // public routes are for everyone; logout would end the session
				}
				path := pathFor(rt.Pattern)
				var form url.Values
				if rt.Method == http.MethodPost {
					form = url.Values{}
				}
				w := f.do(request{method: rt.Method, path: path, form: form, cookies: []*http.Cookie{sessions[role]}})
				name := string(role) + " " + rt.Method + " " + path
				loc := w.Header().Get("Location")
				if rt.Perm != "" && !auth.Can(role, rt.Perm) {
					if w.Code != http.StatusForbidden {
						t.Errorf("%s: status %d, want 403 (lacks %s)", name, w.Code, rt.Perm)
					} else if !strings.Contains(w.Body.String(), string(rt.Perm)) {
						t.Errorf("%s: 403 page does not name the permission %s", name, rt.Perm)
					}
					continue
				}
				switch {
				case w.Code == http.StatusForbidden || w.Code == http.StatusUnauthorized:
					t.Errorf("%s: status %d, want access (holds %q)", name, w.Code, rt.Perm)
				case strings.HasPrefix(loc, "/login"):
					t.Errorf("%s: redirected to %s, want access", name, loc)
				case w.Code >= 500:
					t.Errorf("%s: status %d: %s", name, w.Code, w.Body.String())
				}
			}
		}

		// Without a session: pages and actions go to the login page.
		for _, rt := range routes {
			if rt.Public {
				continue
			}
			var form url.Values
			if rt.Method == http.MethodPost {
				form = url.Values{}
			}
			path := pathFor(rt.Pattern)
			w := f.do(request{method: rt.Method, path: path, form: form})
			if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/login") {
				t.Errorf("no session %s %s: status %d location %q, want 303 to /login", rt.Method, path, w.Code, w.Header().Get("Location"))
			}
		}

		// Public routes answer without a session.
		for _, rt := range routes {
			if !rt.Public {
				continue
			}
			var form url.Values
			if rt.Method == http.MethodPost {
				form = url.Values{}
			}
			w := f.do(request{method: rt.Method, path: pathFor(rt.Pattern), form: form})
			if w.Code == http.StatusForbidden || w.Code >= 500 {
				t.Errorf("public %s %s: status %d", rt.Method, rt.Pattern, w.Code)
			}
		}
	})
}

// TestSidebarShowsOnlyReadableAreas: customer service sees customers but
// neither the overview nor the admin areas.
func TestSidebarShowsOnlyReadableAreas(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	f.addOperator("kefu", auth.RoleService)
	s := f.login("kefu")
	w := f.get("/customers", s)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	body := w.Body.String()
	mustContain(t, body, `href="/customers"`, `href="/products"`, `href="/tokens"`)
	for _, hidden := range []string{`href="/inventory"`, `href="/audit"`, `href="/operators"`, `href="/settings"`, `<a href="/" `} {
		if strings.Contains(body, hidden) {
			t.Errorf("customer service sidebar shows %s", hidden)
		}
	}
}
