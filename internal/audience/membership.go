package audience

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/storeops/storeops/internal/db"
)

// Membership asks which of some saved segments one customer is in, in one
// query: a pricing that offers a promotion to a custom segment looks the
// buyer up with it. Each segment's rules are evaluated for the customer's
// own rows only (their facts row, tags, tier, scores… by key), never the
// whole segment, so the lookup costs the same in a store of a thousand
// customers or a million.
type Membership struct {
	text string
	args []any // customerArg where the customer's id goes
	// Invalid are the segments left out because their rules no longer
	// validate (a tier removed from the ladder, no RFM run any more):
	// nobody is in them until an operator fixes the rules.
	Invalid map[int64]error
}

// customerArg marks the arguments that take the customer's id.
type customerArg struct{}

// CompileMembership compiles the segments' rules with env (whose Now is
// the moment recency is measured from).
func CompileMembership(segs []Segment, env Env) Membership {
	m := Membership{Invalid: map[int64]error{}}
	c := &compiler{env: env, one: true}
	var parts []string
	for _, s := range segs {
		if err := s.Rules.Validate(env); err != nil {
			m.Invalid[s.ID] = err
			continue
		}
		mark := len(c.args)
		who := c.arg(customerArg{})
		where, err := c.group(s.Rules, "")
		if err != nil {
			c.args = c.args[:mark]
			m.Invalid[s.ID] = err
			continue
		}
		// The facts row is joined by key whether or not a rule reads it:
		// one lookup, and every segment's text has the same shape.
		parts = append(parts, "SELECT "+strconv.FormatInt(s.ID, 10)+" FROM customers c "+ordersFacts+
			" WHERE c.id = "+who+" AND "+where)
	}
	m.text = strings.Join(parts, "\nUNION ALL\n")
	m.args = c.args
	return m
}

// Of lists the ids of the segments customer id is in, reading the order
// facts as the last Refresh left them (a pricing inside a checkout must not
// refresh; the job refreshes every minute).
func (m Membership) Of(ctx context.Context, q db.Queryer, id int64) ([]int64, error) {
	if m.text == "" || id == 0 {
		return nil, nil
	}
	args := make([]any, len(m.args))
	for i, a := range m.args {
		if _, ok := a.(customerArg); ok {
			a = id
		}
		args[i] = a
	}
	rows, err := q.Query(ctx, m.text, args...)
	if err != nil {
		return nil, fmt.Errorf("custom segments of customer %d: %w", id, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var seg int64
		if err := rows.Scan(&seg); err != nil {
			return nil, err
		}
		out = append(out, seg)
	}
	return out, rows.Err()
}
