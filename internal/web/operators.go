package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/auth"
)

type operatorForm struct {
	Username, DisplayName, Role string
	Errors                      map[string]string
}

type operatorsPage struct {
	Operators []auth.Operator
	Roles     []auth.Role
	Form      operatorForm
	Error     string
	// RowErrors holds a message for the operator whose row action failed.
	RowID    int64
	RowError string
}

func (c *Console) operators(w http.ResponseWriter, r *http.Request) {
	c.operatorsPage(w, r, http.StatusOK, operatorsPage{Form: operatorForm{Role: string(auth.RoleViewer)}})
}

func (c *Console) operatorsPage(w http.ResponseWriter, r *http.Request, status int, pg operatorsPage) {
	v := viewerFrom(r.Context())
	var err error
	if pg.Operators, err = c.Auth.ListOperators(r.Context()); err != nil {
		c.serverError(w, r, err)
		return
	}
	pg.Roles = auth.Roles()
	c.render(w, r, status, "operators", tr(v, "nav.users"), "users", pg)
}

func (c *Console) createOperator(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	f := operatorForm{
		Username:    r.PostFormValue("username"),
		DisplayName: r.PostFormValue("display_name"),
		Role:        r.PostFormValue("role"),
		Errors:      map[string]string{},
	}
	_, err := c.Auth.CreateOperator(r.Context(), auth.NewOperator{
		Username: f.Username, DisplayName: f.DisplayName, Role: auth.Role(f.Role), Password: r.PostFormValue("password"),
	})
	var fe *apperr.FieldError
	switch {
	case err == nil:
		c.redirect(w, r, "/operators", "flash.operator_created")
	case errors.As(err, &fe):
		f.Errors[fe.Field] = fieldMessage(v, fe)
		c.operatorsPage(w, r, http.StatusUnprocessableEntity, operatorsPage{Form: f, Error: tr(v, "form.fix_errors")})
	default:
		c.fail(w, r, err)
	}
}

// operatorAction runs one change to an operator from a row of the list and
// shows the list again, with the error on that row if it failed.
func (c *Console) operatorAction(w http.ResponseWriter, r *http.Request, do func(id int64) error, flash string) {
	v := viewerFrom(r.Context())
	id := parseID(r.PathValue("id"))
	err := do(id)
	var fe *apperr.FieldError
	switch {
	case err == nil:
		c.redirect(w, r, fmt.Sprintf("/operators#operator-%d", id), flash)
	case errors.Is(err, auth.ErrLastAdmin):
		c.operatorsPage(w, r, http.StatusConflict, operatorsPage{Form: operatorForm{Role: string(auth.RoleViewer)},
			RowID: id, RowError: tr(v, "operator.last_admin")})
	case errors.As(err, &fe):
		c.operatorsPage(w, r, http.StatusUnprocessableEntity, operatorsPage{Form: operatorForm{Role: string(auth.RoleViewer)},
			RowID: id, RowError: fieldMessage(v, fe)})
	default:
		c.fail(w, r, err)
	}
}

func (c *Console) setOperatorRole(w http.ResponseWriter, r *http.Request) {
	role := r.PostFormValue("role")
	c.operatorAction(w, r, func(id int64) error {
		_, err := c.Auth.UpdateOperator(r.Context(), id, auth.OperatorUpdate{Role: &role})
		return err
	}, "flash.operator_saved")
}

func (c *Console) setOperatorDisabled(w http.ResponseWriter, r *http.Request) {
	disabled := r.PostFormValue("disabled") == "true"
	flash := "flash.operator_enabled"
	if disabled {
		flash = "flash.operator_disabled"
	}
	c.operatorAction(w, r, func(id int64) error {
		_, err := c.Auth.UpdateOperator(r.Context(), id, auth.OperatorUpdate{Disabled: &disabled})
		return err
	}, flash)
}

func (c *Console) resetOperatorPassword(w http.ResponseWriter, r *http.Request) {
	pw := r.PostFormValue("password")
	c.operatorAction(w, r, func(id int64) error {
		return c.Auth.SetPassword(r.Context(), id, pw)
	}, "flash.password_reset")
}
