package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/i18n"
)

//go:embed templates
var templateFiles embed.FS

// pages maps a page's file name (without .html) to its template set: the
// layout, the shared partials and the page itself. Sets are never executed
// directly, only clones with the request's functions (t, money, can …), so
// that concurrent requests in different languages never share a FuncMap.
var pages = mustParsePages()

// baseFuncs declares every function the templates use; the language- and
// operator-bound ones are replaced per request in render.
var baseFuncs = template.FuncMap{
	"t":        func(key string, args ...any) string { return key },
	"money":    func(fen int64) string { return "" },
	"int":      func(n any) string { return "" },
	"pct":      func(bp int64) string { return "" },
	"datetime": func(t any) string { return "" },
	"date":     func(t any) string { return "" },
	"can":      func(p string) bool { return false },
	"static":   staticURL,
	"yuan":     formatYuan,
	"join":     strings.Join,
	"dict":     dict,
	"lines":    func(s []string) string { return strings.Join(s, "\n") },
	"add":      func(a, b int) int { return a + b },
	"hasScope": hasScope,
	"indent":   func(depth int) string { return strings.Repeat("　", depth) },
	"lang":     func() string { return "" },
}

func mustParsePages() map[string]*template.Template {
	out := map[string]*template.Template{}
	files, err := fs.Glob(templateFiles, "templates/pages/*.html")
	if err != nil {
		panic(err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		t := template.New(name).Funcs(baseFuncs)
		t = template.Must(t.ParseFS(templateFiles, "templates/layout.html", "templates/partials/*.html", f))
		out[name] = t
	}
	return out
}

// dict builds a map from key, value pairs, for passing several values to a
// partial template.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// funcsFor binds the formatting functions to the viewer's language, the
// store's currency and time zone, and the operator's permissions.
func funcsFor(v *viewer) template.FuncMap {
	loc := v.Store.Location()
	toTime := func(x any) (time.Time, bool) {
		switch t := x.(type) {
		case time.Time:
			return t, !t.IsZero()
		case *time.Time:
			if t == nil {
				return time.Time{}, false
			}
			return *t, !t.IsZero()
		case int64:
			return time.UnixMilli(t), t != 0
		}
		return time.Time{}, false
	}
	return template.FuncMap{
		"t":     func(key string, args ...any) string { return i18n.T(v.Lang, key, args...) },
		"money": func(fen int64) string { return i18n.FormatMoney(v.Lang, fen, v.Store.Currency) },
		"int": func(n any) string {
			switch x := n.(type) {
			case int:
				return i18n.FormatInt(v.Lang, int64(x))
			case int64:
				return i18n.FormatInt(v.Lang, x)
			}
			return fmt.Sprint(n)
		},
		"pct": func(bp int64) string { return i18n.FormatPercent(v.Lang, bp) },
		"datetime": func(x any) string {
			if t, ok := toTime(x); ok {
				return i18n.FormatDateTime(v.Lang, t, loc)
			}
			return "—"
		},
		"date": func(x any) string {
			if t, ok := toTime(x); ok {
				return i18n.FormatDate(v.Lang, t, loc)
			}
			return "—"
		},
		"can":  func(p string) bool { return v.Can(auth.Permission(p)) },
		"lang": func() string { return v.Lang },
	}
}

// base is what the layout needs on every page.
type base struct {
	Title     string
	Active    string // nav key of the current area
	V         *viewer
	Nav       []navItem
	Home      string
	Flash     string
	FlashErr  bool
	Path      string // for the language switch to come back to
	Langs     []string
	RequestID string
	// Charts loads ECharts, which only the pages with charts need.
	Charts bool
}

// view is what a page template gets: the layout's fields and the page's own.
type view struct {
	base
	Data any
}

// render writes page name with data and the layout around it, or just the
// named block when block is not "" (an htmx partial update).
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name, title, active string, data any) {
	c.renderBlock(w, r, status, name, "", title, active, data)
}

func (c *Console) renderBlock(w http.ResponseWriter, r *http.Request, status int, name, block, title, active string, data any) {
	v := viewerFrom(r.Context())
	set, ok := pages[name]
	if !ok {
		c.serverError(w, r, fmt.Errorf("no page template %q", name))
		return
	}
	t, err := set.Clone()
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	t.Funcs(funcsFor(v))
	vw := view{base: base{
		Title:     title,
		Active:    active,
		V:         v,
		Nav:       navFor(v),
		Home:      homeFor(v),
		Path:      r.URL.RequestURI(),
		Langs:     i18n.Supported,
		RequestID: w.Header().Get("X-Request-Id"),
		Charts:    name == "overview" || name == "segments" || name == "customer_value" || name == "analytics" || name == "alert" || name == "tiers",
	}, Data: data}
	vw.Flash, vw.FlashErr = takeFlash(w, r)
	if block == "" {
		block = "layout"
		if name == "login" {
			block = "login"
		}
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, vw); err != nil {
		// Rendered into a buffer, so a template failing half-way still
		// gets a clean error page rather than half a page.
		c.serverError(w, r, fmt.Errorf("render %s/%s: %w", name, block, err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Add("Vary", "HX-Request, HX-Target, Cookie, Accept-Language")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// flash messages live in a short-lived cookie between a POST and the page it
// redirects to; the value is a catalog key, never text from the request.
const flashCookie = "flash"

func (c *Console) setFlash(w http.ResponseWriter, key string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: key, Path: "/", MaxAge: 60,
		HttpOnly: true, Secure: c.SecureCookies, SameSite: http.SameSiteLaxMode})
}

func takeFlash(w http.ResponseWriter, r *http.Request) (string, bool) {
	ck, err := r.Cookie(flashCookie)
	if err != nil || ck.Value == "" {
		return "", false
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1})
	key := ck.Value
	isErr := strings.HasPrefix(key, "flash.error.")
	if !strings.HasPrefix(key, "flash.") || !i18n.Has(i18n.ZhCN, key) {
		return "", false
	}
	return i18n.T(viewerFrom(r.Context()).Lang, key), isErr
}

// redirect answers a form POST with 303 to path, with a flash message.
func (c *Console) redirect(w http.ResponseWriter, r *http.Request, to, flash string) {
	if flash != "" {
		c.setFlash(w, flash)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}
