package db

import (
	"strconv"
	"strings"
)

// likeEscaper escapes LIKE's wildcards and its escape character, so a search
// for "100%" or "a_b" means those characters, not "anything".
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// LikeContains is a LIKE pattern matching term anywhere in a value. Use it as
// `col LIKE $n ESCAPE '\'`: both engines then read term literally.
func LikeContains(term string) string {
	return "%" + likeEscaper.Replace(term) + "%"
}

// SearchTerms splits what someone typed in a search box into lower-cased
// terms. Search columns hold lower-cased text, so matching is then
// case-insensitive on both engines (PostgreSQL's LIKE is case-sensitive).
func SearchTerms(query string) []string {
	return strings.Fields(strings.ToLower(query))
}

// MatchAll is the condition that every term of query occurs, as a substring,
// in at least one of cols. It appends one argument per term to args and
// returns the condition and the arguments; the condition is "" when query
// holds no terms. Substring matching rather than full-text search is what
// lets 连衣裙 find 夏季碎花连衣裙: Chinese has no spaces between words.
func MatchAll(query string, args []any, cols ...string) (string, []any) {
	terms := SearchTerms(query)
	if len(terms) == 0 || len(cols) == 0 {
		return "", args
	}
	var b strings.Builder
	b.WriteByte('(')
	for i, t := range terms {
		args = append(args, LikeContains(t))
		n := "$" + strconv.Itoa(len(args))
		if i > 0 {
			b.WriteString(" AND ")
		}
		if len(cols) > 1 {
			b.WriteByte('(')
		}
		for j, c := range cols {
			if j > 0 {
				b.WriteString(" OR ")
			}
			b.WriteString(c + " LIKE " + n + ` ESCAPE '\'`)
		}
		if len(cols) > 1 {
			b.WriteByte(')')
		}
	}
	b.WriteByte(')')
	return b.String(), args
}
