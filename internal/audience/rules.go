// Package audience builds custom segments (自定义人群): named rules over a
// customer's orders, spend, recency, first order, categories bought,
// channels, member tier, tags, RFM segment, lifecycle stage, predicted value
// and points, combined in AND/OR groups nested to any depth an operator
// needs (up to MaxDepth). A segment compiles to one parameterised SQL
// query that runs on SQLite and PostgreSQL alike: field names and operators
// come from a whitelist, values only ever travel as query arguments.
//
// Saved segments are what coupon pushes aim at (coupon audience kind
// segment_custom) and what the console previews, lists and exports.
package audience

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/lifecycle"
	"github.com/storeops/storeops/internal/rfm"
)

// Bounds on a segment's rules, so a definition stays something a person
// can read and the database a query it can plan.
const (
	MaxDepth  = 4   // groups inside groups, the top group counting as 1
	MaxRules  = 50  // rules in the whole tree
	MaxValues = 200 // values of one in / not_in rule
	maxName   = 60
	maxDesc   = 300
)

// Group combines its rules and subgroups with AND (all must hold) or OR
// (any may). An empty group matches every customer.
type Group struct {
	Match  string  `json:"match" doc:"all (AND) or any (OR)"`
	Rules  []Rule  `json:"rules,omitempty"`
	Groups []Group `json:"groups,omitempty" doc:"nested groups, combined with the rules by the same match"`
}

// The ways a group combines.
const (
	MatchAll = "all"
	MatchAny = "any"
)

// Rule is one condition on one field. Value holds the operand of the
// comparisons (a number, an amount in 分, a date YYYY-MM-DD, a fraction),
// Values the two bounds of between or the list of in / not_in.
type Rule struct {
	Field  string   `json:"field" doc:"orders, spend, recency_days, first_order_date, category, source_channel, order_channel, tier, tag, rfm_segment, stage, clv, p_alive or points"`
	Op     string   `json:"op" doc:"eq, ne, gt, gte, lt, lte, between (numbers and dates); in, not_in (lists)"`
	Value  Text     `json:"value,omitempty" doc:"the operand of eq … lte"`
	Values []string `json:"values,omitempty" doc:"between: [low, high] inclusive; in / not_in: the list"`
}

// Text is a rule's operand: JSON gives it as a string or a number, the
// console's forms as text.
type Text string

// UnmarshalJSON takes a string or a bare number.
func (t *Text) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*t = Text(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return apperr.Field("value", "give the value as a string or a number")
	}
	*t = Text(n.String())
	return nil
}

// Kind is what a field's values are, which decides its operators.
type Kind int

const (
	KindCount    Kind = iota // a whole number ≥ 0 (orders, days, points)
	KindMoney                // 分, a whole number
	KindDate                 // YYYY-MM-DD in the store's zone
	KindFraction             // 0 … 1 (P(alive))
	KindChoice               // one of a closed list (RFM segment, stage, tier)
	KindList                 // free text or ids (tags, channels, categories)
)

// Field describes one field a rule may name.
type Field struct {
	Name string
	Kind Kind
	// Choices closes the values of a KindChoice field; nil: the Env says
	// (member tiers).
	Choices []string
}

// Fields is the whitelist, in the order the builder offers them.
var Fields = []Field{
	{Name: "orders", Kind: KindCount},
	{Name: "spend", Kind: KindMoney},
	{Name: "recency_days", Kind: KindCount},
	{Name: "first_order_date", Kind: KindDate},
	{Name: "category", Kind: KindList},
	{Name: "source_channel", Kind: KindList},
	{Name: "order_channel", Kind: KindList},
	{Name: "tier", Kind: KindChoice},
	{Name: "tag", Kind: KindList},
	{Name: "rfm_segment", Kind: KindChoice, Choices: strs(rfm.Segments)},
	{Name: "stage", Kind: KindChoice, Choices: strs(lifecycle.Stages)},
	{Name: "clv", Kind: KindMoney},
	{Name: "p_alive", Kind: KindFraction},
	{Name: "points", Kind: KindCount},
}

// FieldNamed finds a field of the whitelist.
func FieldNamed(name string) (Field, bool) {
	for _, f := range Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

func fieldNames() string {
	names := make([]string, len(Fields))
	for i, f := range Fields {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

var (
	compareOps = []string{"eq", "ne", "gt", "gte", "lt", "lte", "between"}
	listOps    = []string{"in", "not_in"}
)

// Ops lists the operators a field of kind k accepts.
func Ops(k Kind) []string {
	if k == KindChoice || k == KindList {
		return listOps
	}
	return compareOps
}

func strs[T ~string](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

// Env is what validating and compiling a segment needs to know about the
// shop: its member tiers (lowest first), the latest RFM run and customer
// value fit (0: none yet), the moment "now" (for recency), and the
// category tree (a category includes its descendants).
type Env struct {
	Tiers  []string
	RFMRun int64
	CLVFit int64
	Now    time.Time
	// Children maps a category to its direct subcategories.
	Children map[int64][]int64
}

// Validate checks the whole tree and returns the first error, naming the
// rule by its path (rules[0], groups[1].rules[2] …) and what to fix.
func (g Group) Validate(env Env) error {
	n := 0
	return g.validate(env, "", 1, &n)
}

func (g Group) validate(env Env, path string, depth int, n *int) error {
	if g.Match != MatchAll && g.Match != MatchAny {
		return apperr.Field(path+"match", "use all (every rule must hold) or any (one is enough), not %q", g.Match)
	}
	for i, r := range g.Rules {
		if *n++; *n > MaxRules {
			return apperr.Field(path+"rules", "a segment has at most %d rules", MaxRules)
		}
		if _, err := r.compile(env, fmt.Sprintf("%srules[%d].", path, i), nil); err != nil {
			return err
		}
	}
	if depth == MaxDepth && len(g.Groups) > 0 {
		return apperr.Field(path+"groups", "groups nest at most %d deep", MaxDepth)
	}
	for i, sub := range g.Groups {
		if err := sub.validate(env, fmt.Sprintf("%sgroups[%d].", path, i), depth+1, n); err != nil {
			return err
		}
	}
	return nil
}

// operand is a rule's value checked and converted for the query.
func (r Rule) values(f Field, env Env, at string) ([]any, error) {
	switch r.Op {
	case "between":
		if len(r.Values) != 2 {
			return nil, apperr.Field(at+"values", "between takes two values, the low and the high bound, not %d", len(r.Values))
		}
		lo, err := scalar(f, r.Values[0], at+"values[0]")
		if err != nil {
			return nil, err
		}
		hi, err := scalar(f, r.Values[1], at+"values[1]")
		if err != nil {
			return nil, err
		}
		if less(hi, lo) {
			return nil, apperr.Field(at+"values", "the low bound %s is above the high bound %s", r.Values[0], r.Values[1])
		}
		return []any{lo, hi}, nil
	case "in", "not_in":
		if len(r.Values) == 0 {
			return nil, apperr.Field(at+"values", "list at least one %s", f.Name)
		}
		if len(r.Values) > MaxValues {
			return nil, apperr.Field(at+"values", "at most %d values, not %d", MaxValues, len(r.Values))
		}
		out := make([]any, 0, len(r.Values))
		for i, v := range r.Values {
			v = strings.TrimSpace(v)
			at := fmt.Sprintf("%svalues[%d]", at, i)
			switch {
			case v == "":
				return nil, apperr.Field(at, "the value is empty")
			case f.Kind == KindChoice:
				choices := f.Choices
				if choices == nil {
					choices = env.Tiers
				}
				if !slices.Contains(choices, v) {
					return nil, apperr.Field(at, "%q is not a %s; one of %s", v, f.Name, strings.Join(choices, ", "))
				}
				out = append(out, v)
			case f.Name == "category":
				id, err := strconv.ParseInt(v, 10, 64)
				if err != nil || id <= 0 {
					return nil, apperr.Field(at, "give the category's id, a whole number, not %q", v)
				}
				out = append(out, id)
			default:
				out = append(out, v)
			}
		}
		return out, nil
	}
	if r.Value == "" {
		return nil, apperr.Field(at+"value", "give a value to compare %s with", f.Name)
	}
	v, err := scalar(f, string(r.Value), at+"value")
	if err != nil {
		return nil, err
	}
	return []any{v}, nil
}

// scalar reads one operand of a comparison: an int64 for counts, money
// and dates (as YYYYMMDD), a float64 for fractions.
func scalar(f Field, s, at string) (any, error) {
	s = strings.TrimSpace(s)
	switch f.Kind {
	case KindCount, KindMoney:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			if f.Kind == KindMoney {
				return nil, apperr.Field(at, "give %s in 分 as a whole number (¥1000 is 100000), not %q", f.Name, s)
			}
			return nil, apperr.Field(at, "give %s as a whole number, not %q", f.Name, s)
		}
		if n < 0 && f.Kind == KindCount {
			return nil, apperr.Field(at, "%s is never negative; give 0 or more, not %d", f.Name, n)
		}
		return n, nil
	case KindDate:
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return nil, apperr.Field(at, "give the date as YYYY-MM-DD, not %q", s)
		}
		return int64(t.Year()*10000 + int(t.Month())*100 + t.Day()), nil
	case KindFraction:
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(x) || x < 0 || x > 1 {
			return nil, apperr.Field(at, "give %s as a number from 0 to 1 (0.5 is 50%%), not %q", f.Name, s)
		}
		return x, nil
	}
	return nil, apperr.Field(at, "%s takes in or not_in with a list of values", f.Name)
}

func less(a, b any) bool {
	switch a := a.(type) {
	case int64:
		return a < b.(int64)
	case float64:
		return a < b.(float64)
	}
	return false
}
