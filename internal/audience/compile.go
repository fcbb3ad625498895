package audience

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/order/purchase"
)

const dayMS = 24 * 60 * 60 * 1000

// Query is a compiled segment: what goes after FROM (customers c and the
// tables its rules need), the condition, and the arguments of both in
// placeholder order ($1, $2 … in both dialects; the db layer rebinds them
// for SQLite).
type Query struct {
	From  string
	Where string
	Args  []any
	// Sets, when the segment is only rules over other tables that must
	// all hold (tier and tag, say), are those rules' customer sets: the
	// count is their intersection, without walking the customers.
	Sets []string
}

// The tables joined to customers when a rule asks: only the order facts,
// one row per customer at most, so a count over the joined rows counts
// customers. Every other table (tiers, tags, points, RFM scores, value
// predictions) enters as a set, c.id IN (subquery): built once per query
// from the rows the rule selects, where a join would be looked up once per
// customer.
const (
	joinOrders = iota
	nJoins
)

// ordersFacts joins each customer's paid orders, spend net of refunds and
// last payment, kept in audience_facts (see Refresh); a customer who never
// paid has no row.
const ordersFacts = `LEFT JOIN audience_facts o ON o.customer_id = c.id`

type compiler struct {
	env   Env
	args  []any
	joins [nJoins]bool
	// joinArgs are the placeholders of the joins (the latest run or fit),
	// numbered as they were first needed.
	joinSQL [nJoins]string
	// drive: a rule of the top group (matched all) needs a facts row
	// (a paid order), so the count may start from the facts.
	drive bool
	// one: the query is about one customer (a Membership), whose rows are
	// looked up by key.
	one bool
	// sets are the subqueries set wrote, by the condition it returned;
	// parts the top group's rules' conditions.
	sets  map[string]string
	parts []string
}

func (c *compiler) arg(v any) string {
	c.args = append(c.args, v)
	return "$" + strconv.Itoa(len(c.args))
}

// Compile turns a group into SQL over customers c. It validates as it
// goes: the error is the one Validate would give.
func Compile(g Group, env Env) (Query, error) {
	if err := g.Validate(env); err != nil {
		return Query{}, err
	}
	c := &compiler{env: env}
	where, err := c.group(g, "")
	if err != nil {
		return Query{}, err
	}
	from := []string{"customers c"}
	if c.drive {
		// Only customers with a facts row can match: walk the narrow
		// facts table and look each candidate up, rather than walk every
		// customer and look their facts up (SQLite takes CROSS JOIN's
		// order as given; PostgreSQL plans it as any join).
		from = []string{"audience_facts o CROSS JOIN customers c"}
		where = "c.id = o.customer_id AND " + where
		c.joins[joinOrders] = false
	}
	for i, on := range c.joins {
		if on {
			from = append(from, c.joinSQL[i])
		}
	}
	return Query{From: strings.Join(from, "\n"), Where: where, Args: c.args, Sets: c.onlySets(g)}, nil
}

// onlySets are the customer sets of g's rules when g matches all of them,
// has no groups, and every rule is a set (no join, no customer column): g
// is then their intersection.
func (c *compiler) onlySets(g Group) []string {
	if g.Match != MatchAll || len(g.Groups) > 0 || len(g.Rules) == 0 || c.drive {
		return nil
	}
	for _, on := range c.joins {
		if on {
			return nil
		}
	}
	var out []string
	for _, part := range c.parts {
		q, ok := c.sets[part]
		if !ok {
			return nil
		}
		out = append(out, q)
	}
	return out
}

func (c *compiler) group(g Group, path string) (string, error) {
	var parts []string
	for i, r := range g.Rules {
		s, err := r.compile(c.env, fmt.Sprintf("%srules[%d].", path, i), c)
		if err != nil {
			return "", err
		}
		if path == "" && g.Match == MatchAll && needsFacts(s) {
			c.drive = true
		}
		parts = append(parts, s)
	}
	if path == "" {
		c.parts = parts
	}
	for i, sub := range g.Groups {
		s, err := c.group(sub, fmt.Sprintf("%sgroups[%d].", path, i))
		if err != nil {
			return "", err
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "1 = 1", nil
	}
	sep := " AND "
	if g.Match == MatchAny {
		sep = " OR "
	}
	return "(" + strings.Join(parts, sep) + ")", nil
}

func (c *compiler) join(which int) {
	if c.joins[which] {
		return
	}
	c.joins[which] = true
	c.joinSQL[which] = ordersFacts
}

var sqlOps = map[string]string{"eq": "=", "ne": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}

// compile checks the rule and, with a compiler, returns its SQL condition;
// with c nil it only checks (Validate).
func (r Rule) compile(env Env, at string, c *compiler) (string, error) {
	f, ok := FieldNamed(r.Field)
	if !ok {
		return "", apperr.Field(at+"field", "%q is not a field a segment can use; one of %s", r.Field, fieldNames())
	}
	if !slices.Contains(Ops(f.Kind), r.Op) {
		return "", apperr.Field(at+"op", "%s takes %s, not %q", f.Name, strings.Join(Ops(f.Kind), ", "), r.Op)
	}
	switch f.Name {
	case "rfm_segment", "stage":
		if env.RFMRun == 0 {
			return "", apperr.Field(at+"field", "no RFM run has scored customers yet; run one under Segments before using %s", f.Name)
		}
	case "clv", "p_alive":
		if env.CLVFit == 0 {
			return "", apperr.Field(at+"field", "no customer value fit yet; fit one under Customer value before using %s", f.Name)
		}
	case "tier":
		if len(env.Tiers) == 0 {
			return "", apperr.Field(at+"field", "the shop has no member tiers")
		}
	}
	vals, err := r.values(f, env, at)
	if err != nil || c == nil {
		return "", err
	}
	if f.Kind == KindChoice || f.Kind == KindList {
		cond := c.list(f.Name, vals)
		if r.Op == "not_in" {
			// Every list condition is true or false, never NULL, so NOT
			// is its exact complement: a customer without a tag, a score
			// or an order is "not in".
			return "NOT " + cond, nil
		}
		return cond, nil
	}
	if f.Name == "recency_days" {
		return c.recency(r.Op, vals), nil
	}
	var expr string
	switch f.Name {
	case "orders":
		c.join(joinOrders)
		expr = orZero("o.orders", r.Op, vals)
	case "spend":
		c.join(joinOrders)
		expr = orZero("o.spend", r.Op, vals)
	case "first_order_date":
		// first_paid_day is YYYYMMDD in the store's zone, kept by every
		// writer of paid orders; NULL (never paid) matches no comparison.
		expr = "c.first_paid_day"
	case "clv", "p_alive":
		// A customer the fit did not cover matches no comparison.
		fit := c.arg(c.env.CLVFit)
		return c.set("cp", "clv_predictions cp", "cp.fit_id = "+fit+" AND "+c.compare("cp."+f.Name, r.Op, vals)), nil
	case "points":
		// No balance row is a balance of 0.
		if zeroMatches(r.Op, vals) {
			return "(NOT " + c.set("pb", "points_balances pb", "NOT "+c.compare("pb.balance", r.Op, vals)) + ")", nil
		}
		return c.set("pb", "points_balances pb", c.compare("pb.balance", r.Op, vals)), nil
	}
	return c.compare(expr, r.Op, vals), nil
}

// compare writes expr op value(s).
func (c *compiler) compare(expr, op string, vals []any) string {
	if op == "between" {
		return "(" + expr + " BETWEEN " + c.arg(vals[0]) + " AND " + c.arg(vals[1]) + ")"
	}
	return "(" + expr + " " + sqlOps[op] + " " + c.arg(vals[0]) + ")"
}

// recency compares the days since the last paid order, floor((now −
// last) / day), by comparing last itself with a bound, so the condition
// reads the aggregate's column as it is: days ≥ n ⇔ last ≤ now − n·day,
// days ≤ n ⇔ last > now − (n+1)·day. A customer who never paid has no
// recency and matches no comparison.
func (c *compiler) recency(op string, vals []any) string {
	c.join(joinOrders)
	now := c.env.Now.UnixMilli()
	atLeast := func(n int64) string { return "o.last_paid_at <= " + c.arg(now-n*dayMS) }
	atMost := func(n int64) string { return "o.last_paid_at > " + c.arg(now-(n+1)*dayMS) }
	n := vals[0].(int64)
	switch op {
	case "gte":
		return "(" + atLeast(n) + ")"
	case "gt":
		return "(" + atLeast(n+1) + ")"
	case "lte":
		return "(" + atMost(n) + ")"
	case "lt":
		return "(" + atMost(n-1) + ")"
	case "eq":
		return "(" + atLeast(n) + " AND " + atMost(n) + ")"
	case "ne":
		return "(" + "o.last_paid_at IS NOT NULL AND NOT (" + atLeast(n) + " AND " + atMost(n) + "))"
	}
	return "(" + atLeast(n) + " AND " + atMost(vals[1].(int64)) + ")"
}

// list is the "in" condition of a list field, never NULL.
func (c *compiler) list(field string, vals []any) string {
	in := func(vals []any) string { return c.in(vals) }
	switch field {
	case "source_channel":
		return "(c.source_channel IN " + in(vals) + ")"
	// The sets below are "c.id IN (subquery)", not a correlated EXISTS:
	// both engines build the subquery's set once (SQLite an ephemeral
	// index, PostgreSQL a hashed subplan) and probe it per customer, where
	// EXISTS would look up every customer's rows one by one. The
	// subqueries never yield NULL, so NOT IN stays the exact complement.
	case "order_channel":
		// The facts list each customer's channels between commas.
		c.join(joinOrders)
		var ors []string
		for _, v := range vals {
			ors = append(ors, "COALESCE(o.channels, '') LIKE "+c.arg("%,"+likeEscaper.Replace(v.(string))+",%")+` ESCAPE '\'`)
		}
		return "(" + strings.Join(ors, " OR ") + ")"
	case "tag":
		return c.set("tg", "customer_tags tg", "tg.tag IN "+in(vals))
	case "category":
		return c.set("ok", "orders ok JOIN order_lines ol ON ol.order_id = ok.id JOIN products pr ON pr.id = ol.product_id",
			"ok.customer_id IS NOT NULL AND ok.paid_at IS NOT NULL AND "+purchase.Is("ok")+" AND pr.category_id IN "+in(c.env.withDescendants(vals)))
	case "tier":
		// A customer without a tier row is at the lowest tier: when the
		// lowest is listed, the match is everyone but the customers whose
		// row names a tier not listed.
		if slices.Contains(vals, any(c.env.Tiers[0])) {
			return "(NOT " + c.set("ct", "customer_tiers ct", "ct.tier NOT IN "+in(vals)) + ")"
		}
		return c.set("ct", "customer_tiers ct", "ct.tier IN "+in(vals))
	case "rfm_segment", "stage":
		col := map[string]string{"rfm_segment": "segment", "stage": "stage"}[field]
		run := c.arg(c.env.RFMRun)
		return c.set("rs", "rfm_scores rs", "rs.run_id = "+run+" AND rs."+col+" IN "+in(vals))
	}
	panic("audience: list field without SQL: " + field)
}

// set is "c.id IN (SELECT alias.customer_id FROM from WHERE cond)", the
// customers with a row of from meeting cond, never NULL. For one customer
// (a Membership) it is a correlated EXISTS instead: the customer's own
// rows looked up by key, where the IN set would be built from every
// customer's rows at each lookup.
func (c *compiler) set(alias, from, cond string) string {
	if c.one {
		return "(EXISTS (SELECT 1 FROM " + from + " WHERE " + alias + ".customer_id = c.id AND " + cond + "))"
	}
	q := "SELECT " + alias + ".customer_id FROM " + from + " WHERE " + cond
	if c.sets == nil {
		c.sets = map[string]string{}
	}
	s := "(c.id IN (" + q + "))"
	c.sets[s] = q
	return s
}

// in writes ($a, $b, …). The list is padded with its last value to a power
// of two: the answer is the same, and the query texts (which the database
// layer prepares and keeps) stay few whatever the lists' lengths.
func (c *compiler) in(vals []any) string {
	n := 1
	for n < len(vals) {
		n *= 2
	}
	var b strings.Builder
	b.WriteByte('(')
	var last string
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		if i < len(vals) {
			last = c.arg(vals[i])
		}
		b.WriteString(last)
	}
	b.WriteByte(')')
	return b.String()
}

// withDescendants adds every subcategory (at any depth) of the listed
// categories: buying a 连衣裙 counts as buying 女装.
func (e Env) withDescendants(vals []any) []any {
	seen := map[int64]bool{}
	var out []any
	var walk func(id int64)
	walk = func(id int64) {
		if seen[id] {
			return
		}
		seen[id] = true
		out = append(out, id)
		for _, k := range e.Children[id] {
			walk(k)
		}
	}
	for _, v := range vals {
		walk(v.(int64))
	}
	return out
}

// orZero is col, or COALESCE(col, 0) when a customer without a row (no
// paid order) would match the comparison: a bare column lets the count
// start from the narrow facts table instead of every customer, and the
// answer is the same.
func orZero(col, op string, vals []any) string {
	if zeroMatches(op, vals) {
		return "COALESCE(" + col + ", 0)"
	}
	return col
}

// needsFacts reports whether a compiled rule holds only for customers with
// a facts row: it compares a facts column bare (orZero kept no COALESCE).
func needsFacts(cond string) bool {
	return strings.HasPrefix(cond, "(o.") || strings.HasPrefix(cond, "((o.") || strings.HasPrefix(cond, "(o.last_paid_at IS NOT NULL")
}

// zeroMatches reports whether 0 meets the comparison.
func zeroMatches(op string, vals []any) bool {
	v := vals[0].(int64)
	switch op {
	case "eq":
		return v == 0
	case "ne":
		return v != 0
	case "gt":
		return 0 > v
	case "gte":
		return 0 >= v
	case "lt":
		return 0 < v
	case "lte":
		return 0 <= v
	case "between":
		return v <= 0 && 0 <= vals[1].(int64)
	}
	return false
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

var customerCol = regexp.MustCompile(`\bc\.`)

// CountSQL is the query counting the matches. When the count starts from
// the facts and no rule reads the customer row itself, the facts row
// stands for the customer (its key is the customer's, and a customer's
// deletion takes it along): the lookup of every candidate's customer row
// goes.
func (q Query) CountSQL() string {
	// The intersection, each of its customers looked up (a set may name
	// no customer, such as a guest's orders, or one since deleted).
	// SQLite takes CROSS JOIN's order as given.
	switch len(q.Sets) {
	case 0:
	case 1:
		return "SELECT COUNT(*) FROM (SELECT DISTINCT " + strings.TrimPrefix(q.Sets[0], "SELECT ") + ") s CROSS JOIN customers c WHERE c.id = s.customer_id"
	default:
		return "SELECT COUNT(*) FROM (" + strings.Join(q.Sets, " INTERSECT ") + ") s CROSS JOIN customers c WHERE c.id = s.customer_id"
	}
	const drive = "audience_facts o CROSS JOIN customers c"
	if strings.HasPrefix(q.From, drive) {
		from := strings.TrimPrefix(q.From, drive)
		where := strings.TrimPrefix(q.Where, "c.id = o.customer_id AND ")
		if !customerCol.MatchString(strings.ReplaceAll(from+where, "c.id", "")) {
			return "SELECT COUNT(*) FROM audience_facts o" + strings.ReplaceAll(from, "c.id", "o.customer_id") +
				" WHERE " + strings.ReplaceAll(where, "c.id", "o.customer_id")
		}
	}
	return "SELECT COUNT(*) FROM " + q.From + " WHERE " + q.Where
}
