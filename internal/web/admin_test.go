package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/settings"
)

func TestOperators_CreateRoleDisableReset(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	adminID := f.addOperator("root", auth.RoleAdmin)
	s := f.login("root")
	ctx := context.Background()

	// A short password is refused at the password field.
	w := f.post("/operators", url.Values{"username": {"xiaomei"}, "display_name": {"小美"}, "role": {"designer"}, "password": {"short"}}, s)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `value="xiaomei"`) {
		t.Fatalf("short password: %d", w.Code)
	}
	pw := w.Body.String()[strings.Index(w.Body.String(), `id="new-password"`):]
	if !strings.Contains(pw[:strings.Index(pw, "</div>")], "field-error") {
		t.Error("password error not at the password field")
	}
	w = f.post("/operators", url.Values{"username": {"xiaomei"}, "display_name": {"小美"}, "role": {"designer"}, "password": {"long enough pw"}}, s)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("create: %d %s", w.Code, w.Body.String())
	}
	op, err := f.console.Auth.GetOperatorByUsername(ctx, "xiaomei")
	if err != nil || op.Role != auth.RoleDesigner || op.DisplayName != "小美" {
		t.Fatalf("created %+v, %v", op, err)
	}
	id := itoa(op.ID)
	f.post("/operators/"+id+"/role", url.Values{"role": {"operator"}}, s)
	f.post("/operators/"+id+"/disabled", url.Values{"disabled": {"true"}}, s)
	op, _ = f.console.Auth.GetOperator(ctx, op.ID)
	if op.Role != auth.RoleOperator || !op.Disabled {
		t.Errorf("after role and disable: %+v", op)
	}
	f.post("/operators/"+id+"/disabled", url.Values{"disabled": {"false"}}, s)
	if w := f.post("/operators/"+id+"/password", url.Values{"password": {"brand new password"}}, s); w.Code != http.StatusSeeOther {
		t.Fatalf("reset password: %d", w.Code)
	}
	if w := f.post("/login", url.Values{"username": {"xiaomei"}, "password": {"brand new password"}}); w.Code != http.StatusSeeOther {
		t.Errorf("login with the reset password: %d", w.Code)
	}

	// The last admin cannot demote themselves: the message is on their row.
	w = f.post("/operators/"+itoa(adminID)+"/role", url.Values{"role": {"viewer"}}, s)
	if w.Code != http.StatusConflict {
		t.Fatalf("demote last admin: %d", w.Code)
	}
	row := w.Body.String()[strings.Index(w.Body.String(), `id="operator-`+itoa(adminID)+`"`):]
	if !strings.Contains(row[:strings.Index(row, "</tr>")], "至少要保留一个启用的管理员") {
		t.Error("last-admin message not on the admin's row")
	}
}

func TestTokens_SecretShownOnceOwnTokensOnly(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	f.addOperator("root", auth.RoleAdmin)
	f.addOperator("kefu", auth.RoleService)
	f.addOperator("kefu2", auth.RoleService)
	root, kefu, kefu2 := f.login("root"), f.login("kefu"), f.login("kefu2")

	// A scope beyond the role is refused.
	w := f.post("/tokens", url.Values{"name": {"ERP"}, "scopes": {"products:write"}, "days": {"30"}}, kefu)
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("scope beyond role: %d", w.Code)
	}
	w = f.post("/tokens", url.Values{"name": {"工单同步"}, "scopes": {"customers:read", "orders:write"}, "days": {"30"}}, kefu)
	if w.Code != http.StatusOK {
		t.Fatalf("create token: %d %s", w.Code, w.Body.String())
	}
	secret := regexp.MustCompile(`id="token-secret">(so_[A-Za-z0-9_-]+)<`).FindStringSubmatch(w.Body.String())
	if secret == nil {
		t.Fatal("secret not shown after creating")
	}
	if _, tok, err := f.console.Auth.AuthenticateToken(context.Background(), secret[1]); err != nil || tok.Name != "工单同步" {
		t.Fatalf("shown secret does not authenticate: %v", err)
	}
	// Shown once: the list never shows it again.
	if strings.Contains(f.get("/tokens", kefu).Body.String(), secret[1]) {
		t.Error("secret shown again on the list")
	}
	// Other operators don't see it, admins do; nobody but its owner and an
	// admin may revoke it.
	if strings.Contains(f.get("/tokens", kefu2).Body.String(), "工单同步") {
		t.Error("another operator sees the token")
	}
	if !strings.Contains(f.get("/tokens", root).Body.String(), "工单同步") {
		t.Error("admin does not see every token")
	}
	toks, _ := f.console.Auth.ListTokens(context.Background(), 0)
	revoke := "/tokens/" + itoa(toks[0].ID) + "/revoke"
	if w := f.post(revoke, nil, kefu2); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "tokens:write") {
		t.Errorf("another operator revoking: %d", w.Code)
	}
	if w := f.post(revoke, nil, kefu); w.Code != http.StatusSeeOther {
		t.Errorf("owner revoking: %d", w.Code)
	}
	if _, _, err := f.console.Auth.AuthenticateToken(context.Background(), secret[1]); err == nil {
		t.Error("revoked token still authenticates")
	}
}

func TestSettings_SaveAndFieldError(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	f.addOperator("root", auth.RoleAdmin)
	s := f.login("root")
	w := f.post("/settings", url.Values{"name": {"小店"}, "time_zone": {"Mars/Base"}, "currency": {"CNY"}}, s)
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad zone: %d", w.Code)
	}
	tz := w.Body.String()[strings.Index(w.Body.String(), `id="time-zone"`):]
	if !strings.Contains(tz[:strings.Index(tz, "</div>")], "Mars/Base") || !strings.Contains(tz[:strings.Index(tz, "</div>")], "field-error") {
		t.Error("zone error not at the zone field")
	}
	if w := f.post("/settings", url.Values{"name": {"小店"}, "time_zone": {"Asia/Hong_Kong"}, "currency": {"hkd"}}, s); w.Code != http.StatusSeeOther {
		t.Fatalf("save: %d", w.Code)
	}
	st, _ := settings.Load(context.Background(), f.d)
	if st != (settings.Store{Name: "小店", TimeZone: "Asia/Hong_Kong", Currency: "HKD"}) {
		t.Errorf("saved %+v", st)
	}
	// The shop's name and currency show at once.
	mustContain(t, f.get("/products", s).Body.String(), "<title>商品 · 小店</title>")
}

func TestErrorPages(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	f.addOperator("root", auth.RoleAdmin)
	f.addOperator("guest", auth.RoleViewer)
	root, guest := f.login("root"), f.login("guest")

	w := f.get("/no-such-page", root)
	if w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "页面不存在") {
		t.Errorf("unknown page: %d", w.Code)
	}
	if w := f.get("/products/999", root); w.Code != http.StatusNotFound {
		t.Errorf("unknown product: %d", w.Code)
	}
	w = f.get("/settings", guest)
	if w.Code != http.StatusForbidden {
		t.Fatalf("viewer on settings: %d", w.Code)
	}
	mustContain(t, w.Body.String(), "settings:read", "只读")

	// A failing database: a 500 page with the request id and nothing of the error.
	f.d.Close()
	w = f.get("/products", root)
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("closed database: %d", w.Code)
	}
	body := w.Body.String()
	mustContain(t, body, "test-request-id")
	for _, leak := range []string{"sql", "database is closed", "goroutine", ".go:"} {
		if strings.Contains(body, leak) {
			t.Errorf("500 page leaks %q", leak)
		}
	}
}

func TestStatic_VersionedAndCached(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	w := f.get(staticURL("app.css"))
	if w.Code != http.StatusOK || !strings.Contains(w.Header().Get("Cache-Control"), "immutable") || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/css") {
		t.Errorf("versioned css: %d %v", w.Code, w.Header())
	}
	if w := f.get("/static/console.js"); w.Code != http.StatusOK || strings.Contains(w.Header().Get("Cache-Control"), "immutable") {
		t.Errorf("unversioned js: %d %v", w.Code, w.Header())
	}
	if w := f.get("/static/"); w.Code != http.StatusNotFound {
		t.Errorf("directory listing: %d", w.Code)
	}
	if w := f.get("/static/vendor/nope.js"); w.Code != http.StatusNotFound {
		t.Errorf("missing file: %d", w.Code)
	}
}
