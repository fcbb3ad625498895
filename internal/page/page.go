// Package page is the pagination every list uses: a limit and an opaque
// cursor (keyset on the id, newest first), so that a page stays correct
// while rows are being added.
package page

import (
	"encoding/base64"
	"errors"
	"strconv"
)

const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// Request is a page asked for: at most Limit rows with id below After (0: from the start).
type Request struct {
	Limit int
	After int64
}

// ErrBadCursor means the cursor was not one we handed out.
var ErrBadCursor = errors.New("cursor: not a cursor this server returned; start again without one")

// Parse reads the limit and cursor query parameters.
func Parse(limit, cursor string) (Request, error) {
	r := Request{Limit: DefaultLimit}
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > MaxLimit {
			return r, errors.New("limit: must be a whole number from 1 to 500")
		}
		r.Limit = n
	}
	if cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil {
			return r, ErrBadCursor
		}
		id, err := strconv.ParseInt(string(b), 10, 64)
		if err != nil || id <= 0 {
			return r, ErrBadCursor
		}
		r.After = id
	}
	return r, nil
}

// Cursor is the cursor for the page after the row with this id.
func Cursor(lastID int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(lastID, 10)))
}

// Next returns the next page's cursor when a full page was returned (there may
// be more), else "".
func Next(r Request, n int, lastID int64) string {
	if n < r.Limit || lastID <= 0 {
		return ""
	}
	return Cursor(lastID)
}
