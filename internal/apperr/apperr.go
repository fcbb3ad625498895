// Package apperr holds the errors every layer shares, so that the HTTP layer
// can map them to statuses in one place: a FieldError is a 422 naming the
// field, the sentinels are 404, 409 and 403.
package apperr

import (
	"errors"
	"fmt"
)

// FieldError says which input field is wrong and what to do about it.
type FieldError struct{ Field, Message string }

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Field returns a FieldError for field with a formatted message.
func Field(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

var (
	ErrNotFound  = errors.New("not found")
	ErrConflict  = errors.New("conflict")
	ErrForbidden = errors.New("forbidden")
)
