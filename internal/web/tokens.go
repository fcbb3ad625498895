package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/auth"
)

// maxTokenDays bounds the expiry a form may ask for (ten years).
const maxTokenDays = 3650

type tokenRow struct {
	auth.Token
	Owner  string
	Active bool
	Mine   bool
}

type tokenForm struct {
	Name   string
	Scopes []string
	Days   string
	Errors map[string]string
}

type tokensPage struct {
	Rows     []tokenRow
	All      bool // the list holds every operator's tokens
	Scopes   []string
	Form     tokenForm
	Error    string
	Secret   string // the new token's secret, shown this once
	NewToken *auth.Token
}

// tokenScopes are the scopes an operator may give their tokens: the
// permissions of their role, and "*" for all of them.
func tokenScopes(role auth.Role) []string {
	out := []string{auth.ScopeAll}
	for _, p := range auth.Permissions() {
		if auth.Can(role, p) {
			out = append(out, string(p))
		}
	}
	return out
}

func (c *Console) tokens(w http.ResponseWriter, r *http.Request) {
	c.tokensPage(w, r, http.StatusOK, tokensPage{Form: tokenForm{Days: "90"}})
}

func (c *Console) tokensPage(w http.ResponseWriter, r *http.Request, status int, pg tokensPage) {
	v := viewerFrom(r.Context())
	owner := v.Op.ID
	names := map[int64]string{v.Op.ID: v.Op.Name()}
	if v.Can(auth.Read("tokens")) {
		owner, pg.All = 0, true
		ops, err := c.Auth.ListOperators(r.Context())
		if err != nil {
			c.serverError(w, r, err)
			return
		}
		for _, o := range ops {
			names[o.ID] = o.Name()
		}
	}
	list, err := c.Auth.ListTokens(r.Context(), owner)
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	now := time.Now()
	for _, t := range list {
		pg.Rows = append(pg.Rows, tokenRow{Token: t, Owner: names[t.OperatorID], Active: t.Active(now), Mine: t.OperatorID == v.Op.ID})
	}
	pg.Scopes = tokenScopes(v.Op.Role)
	c.render(w, r, status, "tokens", tr(v, "nav.tokens"), "tokens", pg)
}

// createToken issues a token for the operator who asks, and shows its
// secret in the response itself: it is never stored, so a redirect could
// not show it.
func (c *Console) createToken(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	if err := r.ParseForm(); err != nil {
		c.renderError(w, r, http.StatusBadRequest, "err.bad_form")
		return
	}
	f := tokenForm{Name: r.PostForm.Get("name"), Scopes: r.PostForm["scopes"], Days: r.PostForm.Get("days"), Errors: map[string]string{}}
	days, err := strconv.Atoi(f.Days)
	if f.Days == "" {
		days, err = 0, nil
	}
	if err != nil || days < 0 || days > maxTokenDays {
		f.Errors["ttl"] = tr(v, "token.days_invalid", maxTokenDays)
		c.tokensPage(w, r, http.StatusUnprocessableEntity, tokensPage{Form: f, Error: tr(v, "form.fix_errors")})
		return
	}
	t, secret, err := c.Auth.CreateToken(r.Context(), v.Op.ID, f.Name, f.Scopes, time.Duration(days)*24*time.Hour)
	var fe *apperr.FieldError
	switch {
	case err == nil:
		w.Header().Set("Cache-Control", "no-store")
		c.tokensPage(w, r, http.StatusOK, tokensPage{Form: tokenForm{Days: "90"}, Secret: secret, NewToken: &t})
	case errors.As(err, &fe):
		f.Errors[fe.Field] = fieldMessage(v, fe)
		c.tokensPage(w, r, http.StatusUnprocessableEntity, tokensPage{Form: f, Error: tr(v, "form.fix_errors")})
	default:
		c.fail(w, r, err)
	}
}

func (c *Console) revokeToken(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	t, err := c.Auth.GetToken(r.Context(), parseID(r.PathValue("id")))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if !auth.CanManageTokens(v.Op, t.OperatorID) {
		c.forbidden(w, r, auth.Write("tokens"))
		return
	}
	if err := c.Auth.RevokeToken(r.Context(), t.ID); err != nil {
		c.fail(w, r, err)
		return
	}
	c.redirect(w, r, "/tokens", "flash.token_revoked")
}

// hasScope is for the form's checkboxes.
func hasScope(scopes []string, s string) bool { return slices.Contains(scopes, s) }
