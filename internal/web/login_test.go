package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
)

func TestLogin_WrongPasswordShowsMessageAndSetsNoCookie(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	f.addOperator("alice", auth.RoleOperator)
	w := f.post("/login", url.Values{"username": {"alice"}, "password": {"not-the-password"}})
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", w.Code)
	}
	mustContain(t, w.Body.String(), "用户名或密码错误", `value="alice"`)
	if c := cookieNamed(w, sessionCookie); c != nil {
		t.Errorf("wrong password set a session cookie %v", c)
	}
}

func TestLogin_RateLimitedAfterRepeatedFailures(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.addOperator("bob", auth.RoleViewer)
		for i := range auth.LoginMaxFailures {
			w := f.post("/login", url.Values{"username": {"bob"}, "password": {"guess-" + strconv.Itoa(i)}})
			if w.Code != http.StatusUnauthorized {
				t.Fatalf("failure %d: status %d, want 401", i+1, w.Code)
			}
		}
		// Locked now, even with the right password.
		w := f.post("/login", url.Values{"username": {"bob"}, "password": {testPassword}})
		if w.Code != http.StatusTooManyRequests {
			t.Fatalf("status %d, want 429; body %s", w.Code, w.Body.String())
		}
		m := regexp.MustCompile(`请 (\d+) 秒后再试`).FindStringSubmatch(w.Body.String())
		if m == nil {
			t.Fatalf("no wait in seconds in the message: %s", w.Body.String())
		}
		secs, _ := strconv.Atoi(m[1])
		if max := int(auth.LoginLockout.Seconds()); secs < max-60 || secs > max {
			t.Errorf("wait %d s, want about %d", secs, max)
		}
		if got := w.Header().Get("Retry-After"); got != m[1] {
			t.Errorf("Retry-After %q, want %q", got, m[1])
		}
		if c := cookieNamed(w, sessionCookie); c != nil {
			t.Error("a locked login set a session cookie")
		}
	})
}

func TestLogin_SessionCookieFlags(t *testing.T) {
	for _, secure := range []bool{false, true} {
		f := newFixture(t, dbtest.SQLite(t))
		f.console.SecureCookies = secure
		f.h = f.console.Handler()
		f.addOperator("carol", auth.RoleAdmin)
		w := f.post("/login", url.Values{"username": {"carol"}, "password": {testPassword}})
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/" {
			t.Fatalf("status %d location %q, want 303 to /", w.Code, w.Header().Get("Location"))
		}
		c := cookieNamed(w, sessionCookie)
		if c == nil || c.Value == "" {
			t.Fatal("no session cookie")
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure != secure {
			t.Errorf("cookie HttpOnly=%v SameSite=%v Path=%q Secure=%v, want HttpOnly, Lax, /, Secure=%v",
				c.HttpOnly, c.SameSite, c.Path, c.Secure, secure)
		}
		if c.Expires.IsZero() {
			t.Error("session cookie has no expiry: it would outlive the session in the browser")
		}
		// The cookie opens the console; logging out closes it again.
		if w := f.get("/", c); w.Code != http.StatusOK {
			t.Fatalf("with the cookie: status %d", w.Code)
		}
		f.post("/logout", nil, c)
		if w := f.get("/", c); w.Code != http.StatusSeeOther {
			t.Errorf("after logout: status %d, want 303 to login", w.Code)
		}
	}
}

func TestLogin_NextRedirectsOnlyToLocalPaths(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	f.addOperator("dave", auth.RoleOperator)
	cases := []struct{ next, want string }{
		{"/products?status=on_sale", "/products?status=on_sale"},
		{"//evil.com", "/"},
		{"//evil.com/products", "/"},
		{`/\evil.com`, "/"},
		{"https://evil.com/", "/"},
		{"javascript:alert(1)", "/"},
		{"/%0d%0aSet-Cookie:x=1", "/%0d%0aSet-Cookie:x=1"}, // stays escaped: a local path
	}
	for _, c := range cases {
		w := f.post("/login", url.Values{"username": {"dave"}, "password": {testPassword}, "next": {c.next}})
		if got := w.Header().Get("Location"); got != c.want {
			t.Errorf("next=%q: redirected to %q, want %q", c.next, got, c.want)
		}
	}
	// The form carries next through, but drops a foreign one.
	w := f.get("/login?next=//evil.com")
	if !strings.Contains(w.Body.String(), `<form class="form" method="post" action="/login">
    <input type="hidden" name="next" value="">`) {
		t.Errorf("login form kept a foreign next:\n%s", w.Body.String())
	}
	// Pages send the visitor to the login page with next.
	w = f.get("/products?q=%E8%BF%9E%E8%A1%A3%E8%A3%99")
	if loc := w.Header().Get("Location"); loc != "/login?next="+url.QueryEscape("/products?q=%E8%BF%9E%E8%A1%A3%E8%A3%99") {
		t.Errorf("redirect to login: %q", loc)
	}
}

func TestLogin_HomeIsTheFirstReadableArea(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	f.addOperator("kefu", auth.RoleService)
	w := f.post("/login", url.Values{"username": {"kefu"}, "password": {testPassword}})
	// Customer service cannot read the overview: land on products instead.
	if got := w.Header().Get("Location"); got != "/products" {
		t.Errorf("customer service lands on %q, want /products", got)
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                       "",
		"/":                      "/",
		"/a/b?c=d#e":             "/a/b?c=d#e",
		"//x.com":                "",
		"/\\x.com":               "",
		"\\\\x.com":              "",
		"http://x.com":           "",
		"x.com":                  "",
		"/a\nb":                  "",
		"/a\\b":                  "",
		"/" + string(rune(0x7f)): "",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
