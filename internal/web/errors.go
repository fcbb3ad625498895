package web

import (
	"errors"
	"net/http"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/auth"
)

// errorPage is what the error template shows.
type errorPage struct {
	Status  int
	Message string // already translated
	Perm    auth.Permission
}

func (c *Console) renderError(w http.ResponseWriter, r *http.Request, status int, key string, args ...any) {
	v := viewerFrom(r.Context())
	msg := tr(v, key, args...)
	if r.Header.Get("HX-Request") == "true" {
		// An htmx swap of a whole page into a table would be confusing;
		// tell htmx to show nothing and the message in plain text.
		w.Header().Set("HX-Reswap", "none")
	}
	c.render(w, r, status, "error", tr(v, "err.title_"+statusKey(status)), "", errorPage{Status: status, Message: msg})
}

func statusKey(status int) string {
	switch status {
	case http.StatusNotFound:
		return "404"
	case http.StatusForbidden:
		return "403"
	case http.StatusInternalServerError:
		return "500"
	}
	return "error"
}

func (c *Console) notFound(w http.ResponseWriter, r *http.Request) {
	c.renderError(w, r, http.StatusNotFound, "err.page_not_found")
}

// forbidden is the 403 page; it names the permission the role lacks, so an
// admin knows what to grant.
func (c *Console) forbidden(w http.ResponseWriter, r *http.Request, p auth.Permission) {
	v := viewerFrom(r.Context())
	role := tr(v, "role."+string(v.Op.Role))
	c.log().Info("console: permission denied", "operator", v.Op.Username, "role", v.Op.Role, "permission", p, "path", r.URL.Path)
	w.Header().Set("X-Missing-Permission", string(p))
	c.render(w, r, http.StatusForbidden, "error", tr(v, "err.title_403"), "",
		errorPage{Status: http.StatusForbidden, Message: tr(v, "err.missing_permission", role, string(p)), Perm: p})
}

// serverError logs err with the request id and shows a page with that id
// and nothing else: no stack, no SQL.
func (c *Console) serverError(w http.ResponseWriter, r *http.Request, err error) {
	id := w.Header().Get("X-Request-Id")
	c.log().Error("console: request failed", "id", id, "method", r.Method, "path", r.URL.Path, "err", err)
	v := viewerFrom(r.Context())
	set, ok := pages["error"]
	if !ok {
		http.Error(w, "internal error (request "+id+")", http.StatusInternalServerError)
		return
	}
	// Render without the layout's data lookups that could fail again.
	t, cerr := set.Clone()
	if cerr != nil {
		http.Error(w, "internal error (request "+id+")", http.StatusInternalServerError)
		return
	}
	t.Funcs(funcsFor(v))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusInternalServerError)
	vw := view{base: base{Title: tr(v, "err.title_500"), V: v, Nav: navFor(v), Home: homeFor(v), RequestID: id,
		Path: r.URL.RequestURI(), Langs: nil},
		Data: errorPage{Status: http.StatusInternalServerError, Message: tr(v, "err.internal")}}
	if err := t.ExecuteTemplate(w, "layout", vw); err != nil {
		c.log().Error("console: render error page", "id", id, "err", err)
	}
}

// fail answers a service error: not found → 404, forbidden → 403,
// conflict → 409, anything else → 500. Field errors are the caller's to
// show next to the field; here they become a 422 page as a last resort.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, err error) {
	var fe *apperr.FieldError
	switch {
	case errors.Is(err, apperr.ErrNotFound):
		c.renderError(w, r, http.StatusNotFound, "err.not_found")
	case errors.Is(err, apperr.ErrForbidden):
		c.renderError(w, r, http.StatusForbidden, "err.forbidden_action")
	case errors.Is(err, apperr.ErrConflict):
		c.renderError(w, r, http.StatusConflict, "err.conflict")
	case errors.As(err, &fe):
		c.renderError(w, r, http.StatusUnprocessableEntity, "err.invalid", fe.Error())
	default:
		c.serverError(w, r, err)
	}
}
