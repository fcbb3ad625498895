package db

import (
	"strconv"
	"strings"
)

// Placeholders writes n statement parameters numbered from `from`
// ("$3, $4, $5"), for an IN list.
func Placeholders(n, from int) string {
	ph := make([]string, n)
	for i := range ph {
		ph[i] = "$" + strconv.Itoa(from+i)
	}
	return strings.Join(ph, ", ")
}

// Args is vs as statement arguments.
func Args[T any](vs []T) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}
