package web

import (
	"net/http"
	"slices"
	"time"

	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/i18n"
)

// tr translates key into the viewer's language.
func tr(v *viewer, key string, args ...any) string { return i18n.T(v.Lang, key, args...) }

// setLang is the language switch: a cookie for this browser and, for a
// logged-in operator, their saved setting, so the console follows them to
// another device.
func (c *Console) setLang(w http.ResponseWriter, r *http.Request) {
	lang := r.PostFormValue("lang")
	if !slices.Contains(i18n.Supported, lang) {
		c.renderError(w, r, http.StatusBadRequest, "err.bad_lang")
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: langCookie, Value: lang, Path: "/",
		Expires: time.Now().AddDate(1, 0, 0), MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: c.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
	if v := viewerFrom(r.Context()); v.LoggedIn && v.Op.Lang != lang {
		if _, err := c.Auth.UpdateOperator(r.Context(), v.Op.ID, auth.OperatorUpdate{Lang: &lang}); err != nil {
			// The cookie already carries the choice for this browser.
			c.log().Warn("console: save language", "operator", v.Op.Username, "err", err)
		}
	}
	next := safeNext(r.PostFormValue("next"))
	if next == "" {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}
