package db

import (
	"strings"
	"sync"
)

var rebound sync.Map // query text → SQLite text

// rebind turns $1…$n into ?1…?n for SQLite. Numbered ?N keeps the argument
// order explicit, so a query may use $2 before $1 or use $1 twice. Quoted
// strings and identifiers are left alone.
func (d *DB) rebind(q string) string {
	if d.dialect != SQLite || !strings.Contains(q, "$") {
		return q
	}
	if s, ok := rebound.Load(q); ok {
		return s.(string)
	}
	s := Rebind(q)
	rebound.Store(q, s)
	return s
}

// Rebind rewrites PostgreSQL placeholders to SQLite's numbered form.
func Rebind(q string) string {
	var b strings.Builder
	b.Grow(len(q))
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '$' && i+1 < len(q) && q[i+1] >= '0' && q[i+1] <= '9':
			c = '?'
		}
		b.WriteByte(c)
	}
	return b.String()
}
