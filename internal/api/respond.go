package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/page"
)

// ErrorBody is every error the API returns:
// {"error": {"code": "...", "message": "...", "field": "..."}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong and, for bad input, which field.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// httpError is an error with its status already decided.
type httpError struct {
	status int
	detail ErrorDetail
}

func (e *httpError) Error() string { return e.detail.Message }

func errBadRequest(field, format string, args ...any) error {
	return &httpError{http.StatusBadRequest, ErrorDetail{Code: "bad_request", Message: fmt.Sprintf(format, args...), Field: field}}
}

func errUnauthorized(msg string) error {
	return &httpError{http.StatusUnauthorized, ErrorDetail{Code: "unauthorized", Message: msg}}
}

func errForbidden(msg string) error {
	return &httpError{http.StatusForbidden, ErrorDetail{Code: "forbidden", Message: msg}}
}

// writeError maps an error to its status in one place: field errors are 422
// naming the field, the shared sentinels 404/409/403, anything else 500
// (logged, never shown).
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var he *httpError
	var fe *apperr.FieldError
	var status int
	var d ErrorDetail
	switch {
	case errors.As(err, &he):
		status, d = he.status, he.detail
	case errors.As(err, &fe):
		status, d = http.StatusUnprocessableEntity, ErrorDetail{Code: "invalid", Message: fe.Error(), Field: fe.Field}
	case errors.Is(err, page.ErrBadCursor):
		status, d = http.StatusBadRequest, ErrorDetail{Code: "bad_request", Message: err.Error(), Field: "cursor"}
	case errors.Is(err, apperr.ErrNotFound):
		status, d = http.StatusNotFound, ErrorDetail{Code: "not_found", Message: err.Error()}
	case errors.Is(err, apperr.ErrConflict):
		status, d = http.StatusConflict, ErrorDetail{Code: "conflict", Message: err.Error()}
	case errors.Is(err, apperr.ErrForbidden):
		status, d = http.StatusForbidden, ErrorDetail{Code: "forbidden", Message: err.Error()}
	default:
		log.Error("api error", "method", r.Method, "path", r.URL.Path, "err", err)
		status, d = http.StatusInternalServerError, ErrorDetail{Code: "internal", Message: "internal error; the request id in X-Request-Id finds it in the server log"}
	}
	writeJSON(w, status, ErrorBody{Error: d})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

const maxBody = 1 << 20

// decode reads a JSON body into v, refusing unknown fields, trailing data
// and bodies over 1 MiB, with a message that names the field at fault.
func decode(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return errBadRequest("", "Content-Type must be application/json, not %q", ct)
	}
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if dec.More() {
		return errBadRequest("", "the body holds more than one JSON value")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errBadRequest("", "unexpected data after the JSON object")
	}
	return nil
}

func decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF):
		return errBadRequest("", "the request body is empty; send a JSON object")
	case errors.As(err, &syn):
		return errBadRequest("", "malformed JSON at byte %d: %v", syn.Offset, syn)
	case errors.As(err, &typ):
		return errBadRequest(typ.Field, "%s must be %s, not a JSON %s", typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)
	case errors.As(err, &tooBig):
		return errBadRequest("", "the request body is larger than %d bytes", maxBody)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return errBadRequest(f, "unknown field %q", f)
	}
	return errBadRequest("", "malformed JSON: %v", err)
}

func jsonKind(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"):
		return "a whole number"
	case k == "string":
		return "a string"
	case k == "bool":
		return "true or false"
	case k == "slice":
		return "an array"
	case k == "struct", k == "map":
		return "an object"
	}
	return k
}
