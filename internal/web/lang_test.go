package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/db/dbtest"
)

func TestLanguageSwitch_RendersEnglishAndFollowsTheOperator(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	f.addOperator("erin", auth.RoleOperator)
	s := f.login("erin")

	if body := f.get("/products", s).Body.String(); !strings.Contains(body, "商品") || !strings.Contains(body, `lang="zh-CN"`) {
		t.Fatal("default language is not zh-CN")
	}
	w := f.post("/lang", url.Values{"lang": {"en"}, "next": {"/products"}}, s)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/products" {
		t.Fatalf("status %d location %q", w.Code, w.Header().Get("Location"))
	}
	lc := cookieNamed(w, langCookie)
	if lc == nil || lc.Value != "en" {
		t.Fatalf("lang cookie %v, want en", lc)
	}
	body := f.get("/products", s, lc).Body.String()
	mustContain(t, body, `lang="en"`, "<h1>Products</h1>", "New product", "Sign out")
	if strings.Contains(body, "新建商品") {
		t.Error("English page still shows Chinese labels")
	}

	// The choice was saved for the operator: another browser (no cookie)
	// gets English too, even when it asks for Chinese.
	w = f.do(request{path: "/products", cookies: []*http.Cookie{s}, header: map[string]string{"Accept-Language": "zh-CN,zh;q=0.9"}})
	mustContain(t, w.Body.String(), "<h1>Products</h1>")

	// The cookie beats the operator's setting.
	w = f.do(request{path: "/products", cookies: []*http.Cookie{s, {Name: langCookie, Value: "zh-CN"}}})
	mustContain(t, w.Body.String(), "<h1>商品</h1>")
}

func TestLanguage_AcceptLanguageBeforeLogin(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	w := f.do(request{path: "/login", header: map[string]string{"Accept-Language": "en-US,en;q=0.9"}})
	mustContain(t, w.Body.String(), "Sign in", `lang="en"`)
	w = f.do(request{path: "/login", header: map[string]string{"Accept-Language": "zh-CN"}})
	mustContain(t, w.Body.String(), "登录")
}

func TestLanguageSwitch_RefusesUnknownLanguageAndForeignNext(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	if w := f.post("/lang", url.Values{"lang": {"fr"}}); w.Code != http.StatusBadRequest {
		t.Errorf("lang=fr: status %d, want 400", w.Code)
	}
	w := f.post("/lang", url.Values{"lang": {"en"}, "next": {"//evil.com"}})
	if loc := w.Header().Get("Location"); loc != "/" {
		t.Errorf("next=//evil.com redirected to %q", loc)
	}
}
