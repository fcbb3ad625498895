package api

import (
	"context"
	"strconv"
	"strings"

	"github.com/storeops/storeops/internal/page"
)

// List is a page of a list: the items and the cursor of the next page
// ("" on the last page).
type List[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

func listOf[T any](items []T, next string) List[T] {
	if items == nil {
		items = []T{}
	}
	return List[T]{Items: items, NextCursor: next}
}

var pageParams = []Param{
	{"limit", "integer", "page size, 1–500 (default 50)"},
	{"cursor", "string", "next_cursor of the previous page"},
}

func (r *request) page() (page.Request, error) {
	q := r.URL.Query()
	p, err := page.Parse(q.Get("limit"), q.Get("cursor"))
	if err != nil && !strings.HasPrefix(err.Error(), "cursor") {
		return p, errBadRequest("limit", "%s", strings.TrimPrefix(err.Error(), "limit: "))
	}
	return p, err
}

// id reads a positive integer path value.
func (r *request) id(name string) (int64, error) {
	v := r.PathValue(name)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, errBadRequest(name, "%s must be a positive whole number, not %q", name, v)
	}
	return n, nil
}

// int64Query reads an optional integer query parameter.
func (r *request) int64Query(name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, errBadRequest(name, "%s must be a whole number, not %q", name, v)
	}
	return n, nil
}

// byID is a handler of the common shape "take the {id} from the path, decode
// the JSON body, call the service": the service call is all that differs.
func byID[In any](call func(ctx context.Context, id int64, in In) (any, error)) func(context.Context, *request) (any, error) {
	return func(ctx context.Context, r *request) (any, error) {
		id, err := r.id("id")
		if err != nil {
			return nil, err
		}
		var in In
		if err := decode(r.Request, &in); err != nil {
			return nil, err
		}
		return call(ctx, id, in)
	}
}

// done adapts a service call that returns only an error to a handler reply
// (204 No Content).
func done(err error) (any, error) { return nil, err }
