package web

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"

	"github.com/storeops/storeops/internal/apperr"
)

// created runs a form's create. On success it redirects to the page create
// names with the flash message key and reports true. Otherwise the form
// shows again: a refused field's explanation goes next to that field (the
// service's name of it mapped to the form's by field), a conflict (an
// overlap, a SKU sold out) above the form; any other error is the server's
// and answered here (true).
func (c *Console) created(w http.ResponseWriter, r *http.Request, flash string, create func() (page string, err error),
	errs map[string]string, formErr *string, field func(string) string) bool {
	page, err := create()
	if err == nil {
		c.redirect(w, r, page, flash)
		return true
	}
	var fe *apperr.FieldError
	switch {
	case errors.As(err, &fe):
		errs[field(fe.Field)] = fieldMessage(viewerFrom(r.Context()), fe)
	case errors.Is(err, apperr.ErrConflict):
		*formErr = err.Error()
	default:
		c.fail(w, r, err)
		return true
	}
	return false
}

// formItemField maps a service's items[i].<name> field (re matches it,
// its groups the index and the name) to the form's: items[i] of the
// service is the i-th row that was filled in, and its SKU is typed as a
// code or an id.
func formItemField(re *regexp.Regexp, field string, rows []int) string {
	m := re.FindStringSubmatch(field)
	if m == nil {
		return field
	}
	i, _ := strconv.Atoi(m[1])
	if i < len(rows) {
		i = rows[i]
	}
	name := m[2]
	if name == "sku_id" {
		name = "sku"
	}
	return fmt.Sprintf("items[%d].%s", i, name)
}
