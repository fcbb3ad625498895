package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/storeops/storeops/internal/auth"
)

// sessionCookie carries the session secret; the database keeps only its hash.
const sessionCookie = "storeops_session"

type loginPage struct {
	Username string
	Next     string
	Error    string
}

func (c *Console) loginForm(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	next := safeNext(r.URL.Query().Get("next"))
	if v.LoggedIn {
		if next == "" {
			next = homeFor(v)
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	c.render(w, r, http.StatusOK, "login", tr(v, "login.title"), "", loginPage{Next: next})
}

func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	username := r.PostFormValue("username")
	next := safeNext(r.PostFormValue("next"))
	sess, cookie, err := c.Auth.Login(r.Context(), username, r.PostFormValue("password"), clientIP(r), r.UserAgent())
	if err != nil {
		var rl *auth.RateLimitedError
		page := loginPage{Username: username, Next: next}
		status := http.StatusUnauthorized
		switch {
		case errors.As(err, &rl):
			secs := int((rl.RetryAfter + time.Second - 1) / time.Second)
			page.Error = tr(v, "login.throttled", secs)
			status = http.StatusTooManyRequests
			w.Header().Set("Retry-After", itoa(int64(secs)))
		case errors.Is(err, auth.ErrBadCredentials):
			page.Error = tr(v, "login.failed")
		case errors.Is(err, auth.ErrOperatorDisabled):
			page.Error = tr(v, "login.disabled")
			status = http.StatusForbidden
		default:
			c.serverError(w, r, err)
			return
		}
		c.render(w, r, status, "login", tr(v, "login.title"), "", page)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: cookie, Path: "/",
		Expires:  sess.CreatedAt.Add(auth.SessionMaxAge),
		HttpOnly: true, Secure: c.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
	if next == "" {
		// The operator's own home: customer service cannot read the overview.
		op, err := c.Auth.GetOperator(r.Context(), sess.OperatorID)
		if err != nil {
			c.serverError(w, r, err)
			return
		}
		next = homeFor(&viewer{Op: op, LoggedIn: true})
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout ends the session and clears the cookie. It is public so that a
// click on "log out" with an expired session still lands on the login page.
func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(sessionCookie); err == nil {
		if err := c.Auth.Logout(r.Context(), ck.Value); err != nil {
			c.serverError(w, r, err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: c.SecureCookies, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
