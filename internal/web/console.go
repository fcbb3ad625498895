// Package web is the operator console: server-rendered pages over the
// capability packages, embedded templates and static files, htmx for partial
// updates and ECharts for charts. Every page reads without JavaScript.
//
// A handler decodes the request, calls one service, renders. The route table
// (routes.go) is the whole surface of the console in one place; Handler wraps
// each route with the session check, the permission check and, for unsafe
// methods, cross-origin protection.
package web

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/cart"
	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/flash"
	"github.com/storeops/storeops/internal/groupbuy"
	"github.com/storeops/storeops/internal/i18n"
	"github.com/storeops/storeops/internal/inventory"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/presale"
	"github.com/storeops/storeops/internal/promotion"
	"github.com/storeops/storeops/internal/settings"
	"github.com/storeops/storeops/internal/tier"
	"github.com/storeops/storeops/internal/webhook"
)

// Console serves the operator console.
type Console struct {
	DB        *db.DB
	Auth      *auth.Service
	Catalog   *catalog.Service
	Customers *customer.Service
	Inventory *inventory.Service
	Orders    *order.Service // the same instance the API uses
	// RefreshWait: how long a dashboard read waits for the rollup refresh
	// it starts (app.Options.RefreshWait).
	RefreshWait time.Duration
	// Promotions is the same instance the API uses (its changes drop the
	// storefront pricer's cache); nil: one over DB.
	Promotions *promotion.Service
	// Flash is the flash-sale service the API and the pricer use; nil: one over DB.
	Flash *flash.Service
	// GroupBuys runs group buys (拼团); nil: one over DB.
	GroupBuys *groupbuy.Service
	Presales  *presale.Service
	// Tiers keeps the member tiers (会员等级); nil: one over DB.
	Tiers *tier.Service
	// Carts is the storefront's carts, priced as the buyer sees them (the
	// customer page shows a customer's cart and what their points would
	// take off it); nil: no cart card.
	Carts *cart.Service
	Log   *slog.Logger
	// Webhooks is the instance the API and the worker use; nil: one over DB.
	Webhooks *webhook.Service
	// SecureCookies sets the Secure flag on cookies; set it behind HTTPS.
	SecureCookies bool
}

// Route is one entry of the console's route table.
type Route struct {
	Method  string
	Pattern string
	// Perm is the permission the route needs; "" lets any logged-in operator in.
	Perm auth.Permission
	// Public routes need no session (login, the language switch, static files).
	Public  bool
	Handler http.HandlerFunc
}

// langCookie holds the language an operator picked with the switch.
const langCookie = "lang"

// viewer is who is asking and how to show them the page.
type viewer struct {
	Op       auth.Operator
	Session  auth.Session
	LoggedIn bool
	Lang     string
	Store    settings.Store
}

// Can reports whether the operator holds p.
func (v *viewer) Can(p auth.Permission) bool { return v.LoggedIn && v.Op.Can(p) }

type viewerKey struct{}

func viewerFrom(ctx context.Context) *viewer {
	if v, ok := ctx.Value(viewerKey{}).(*viewer); ok {
		return v
	}
	return &viewer{Lang: i18n.ZhCN, Store: settings.Defaults}
}

func (c *Console) log() *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.Default()
}

// Handler is a ServeMux with every route of Routes, each wrapped with the
// session check, the permission check and cross-origin protection, and a
// 404 page for everything else.
func (c *Console) Handler() http.Handler {
	mux := http.NewServeMux()
	csrf := http.NewCrossOriginProtection()
	for _, rt := range c.Routes() {
		mux.Handle(rt.Method+" "+rt.Pattern, c.wrap(rt, csrf))
	}
	mux.Handle("/", c.wrap(Route{Public: true, Handler: c.notFound}, csrf))
	return mux
}

// wrap applies to one route what every route needs, in this order: the
// viewer (session, language, store settings), cross-origin protection for
// unsafe methods, the login requirement, the permission.
func (c *Console) wrap(rt Route, csrf *http.CrossOriginProtection) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := c.resolveViewer(r)
		if err != nil {
			c.serverError(w, r, err)
			return
		}
		ctx := context.WithValue(r.Context(), viewerKey{}, v)
		if v.LoggedIn {
			ctx = audit.WithActor(ctx, audit.Actor{Kind: "operator", ID: v.Op.ID, Name: v.Op.Username, IP: clientIP(r)})
		}
		r = r.WithContext(ctx)
		w.Header().Set("Content-Security-Policy", contentSecurityPolicy)
		if err := csrf.Check(r); err != nil {
			c.renderError(w, r, http.StatusForbidden, "err.cross_origin")
			return
		}
		if !rt.Public && !v.LoggedIn {
			c.redirectToLogin(w, r)
			return
		}
		if !rt.Public && rt.Perm != "" && !v.Op.Can(rt.Perm) {
			c.forbidden(w, r, rt.Perm)
			return
		}
		rt.Handler(w, r)
	})
}

// Charts and htmx run from our own files only; ECharts' tooltips carry inline
// style attributes, hence 'unsafe-inline' for styles. Product images may sit
// on a CDN.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: https:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// resolveViewer reads the session cookie, the language and the store
// settings. A missing, expired or unknown session is not an error: the
// viewer is then simply not logged in.
func (c *Console) resolveViewer(r *http.Request) (*viewer, error) {
	v := &viewer{}
	if ck, err := r.Cookie(sessionCookie); err == nil && ck.Value != "" {
		op, sess, err := c.Auth.Authenticate(r.Context(), ck.Value)
		switch {
		case err == nil:
			v.Op, v.Session, v.LoggedIn = op, sess, true
		case !isAuthFailure(err):
			return v, err
		}
	}
	var choice string
	if ck, err := r.Cookie(langCookie); err == nil {
		choice = ck.Value
	}
	if choice == "" && v.LoggedIn {
		choice = v.Op.Lang
	}
	v.Lang = i18n.Negotiate(choice, r.Header.Get("Accept-Language"))
	st, err := settings.Load(r.Context(), c.DB)
	if err != nil {
		return v, err
	}
	v.Store = st
	return v, nil
}

// isAuthFailure tells a session that is no good (log in again) from the
// database failing (a 500).
func isAuthFailure(err error) bool {
	return errors.Is(err, auth.ErrInvalidSession)
}

// redirectToLogin sends a visitor without a session to the login page,
// remembering where they were going. htmx requests get HX-Redirect, since a
// redirect inside a partial swap would put the login page into the table.
func (c *Console) redirectToLogin(w http.ResponseWriter, r *http.Request) {
	next := r.URL.RequestURI()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		// Going back to a POST target with GET would be a 405; go to the
		// page the form was on, if the browser said so, else home.
		next = localReferer(r)
	}
	target := "/login"
	if next != "" && next != "/" {
		target += "?next=" + url.QueryEscape(next)
	}
	if r.Header.Get("HX-Request") == "true" {
		w.Header().Set("HX-Redirect", target)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// safeNext returns next when it is a path on this site, else "". It refuses
// "//host" and "/\host" (which browsers read as another host), absolute
// URLs, and anything with control characters.
func safeNext(next string) string {
	if next == "" || next[0] != '/' || len(next) > 2048 {
		return ""
	}
	if len(next) > 1 && (next[1] == '/' || next[1] == '\\') {
		return ""
	}
	for _, ch := range next {
		if ch < 0x20 || ch == 0x7f || ch == '\\' {
			return ""
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return ""
	}
	return next
}

// localReferer is the path of the Referer when it is this site, else "".
func localReferer(r *http.Request) string {
	ref, err := url.Parse(r.Referer())
	if err != nil || ref.Host != r.Host {
		return ""
	}
	return safeNext(ref.RequestURI())
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// isHTMX reports whether r is an htmx request aimed at the element with id
// target, which is then all the response needs to hold.
func isHTMX(r *http.Request, target string) bool {
	return r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-Target") == target &&
		!strings.EqualFold(r.Header.Get("HX-Boosted"), "true")
}
