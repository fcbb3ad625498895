package audience

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/apperr"
)

var testEnv = Env{
	Tiers:    []string{"normal", "silver", "gold", "platinum"},
	RFMRun:   7,
	CLVFit:   3,
	Now:      time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC),
	Children: map[int64][]int64{1: {2, 3}, 3: {4}},
}

func all(rs ...Rule) Group { return Group{Match: MatchAll, Rules: rs} }

func TestValidate_NamesTheFieldAndTheFix(t *testing.T) {
	noRuns := testEnv
	noRuns.RFMRun, noRuns.CLVFit = 0, 0
	deep := Group{Match: MatchAll}
	for range MaxDepth {
		deep = Group{Match: MatchAny, Groups: []Group{deep}}
	}
	many := Group{Match: MatchAll}
	for range MaxRules + 1 {
		many.Rules = append(many.Rules, Rule{Field: "orders", Op: "gte", Value: "1"})
	}
	cases := []struct {
		name  string
		g     Group
		env   Env
		field string // "" : valid
		says  string
	}{
		{"empty group matches all", Group{Match: MatchAll}, testEnv, "", ""},
		{"bad match", Group{Match: "both"}, testEnv, "match", "use all"},
		{"unknown field", all(Rule{Field: "age", Op: "gte", Value: "18"}), testEnv, "rules[0].field", `"age" is not a field`},
		{"list op on a number", all(Rule{Field: "spend", Op: "in", Values: []string{"1"}}), testEnv, "rules[0].op", "spend takes eq, ne"},
		{"comparison on a list", all(Rule{Field: "tag", Op: "gte", Value: "vip"}), testEnv, "rules[0].op", "tag takes in, not_in"},
		{"money not a number", all(Rule{Field: "spend", Op: "gte", Value: "¥1000"}), testEnv, "rules[0].value", "in 分"},
		{"money with decimals", all(Rule{Field: "spend", Op: "gte", Value: "10.5"}), testEnv, "rules[0].value", "whole number"},
		{"negative count", all(Rule{Field: "orders", Op: "gte", Value: "-1"}), testEnv, "rules[0].value", "never negative"},
		{"missing value", all(Rule{Field: "orders", Op: "gte"}), testEnv, "rules[0].value", "give a value"},
		{"bad date", all(Rule{Field: "first_order_date", Op: "gte", Value: "2025/01/01"}), testEnv, "rules[0].value", "YYYY-MM-DD"},
		{"fraction above 1", all(Rule{Field: "p_alive", Op: "gte", Value: "50"}), testEnv, "rules[0].value", "from 0 to 1"},
		{"between needs two", all(Rule{Field: "orders", Op: "between", Values: []string{"1"}}), testEnv, "rules[0].values", "two values"},
		{"between reversed", all(Rule{Field: "spend", Op: "between", Values: []string{"500", "100"}}), testEnv, "rules[0].values", "above the high bound"},
		{"between bad bound", all(Rule{Field: "first_order_date", Op: "between", Values: []string{"2025-01-01", "soon"}}), testEnv, "rules[0].values[1]", "YYYY-MM-DD"},
		{"empty list", all(Rule{Field: "tag", Op: "in"}), testEnv, "rules[0].values", "at least one tag"},
		{"blank list value", all(Rule{Field: "tag", Op: "in", Values: []string{"vip", " "}}), testEnv, "rules[0].values[1]", "empty"},
		{"unknown segment", all(Rule{Field: "rfm_segment", Op: "in", Values: []string{"whales"}}), testEnv, "rules[0].values[0]", `"whales" is not a rfm_segment`},
		{"unknown tier", all(Rule{Field: "tier", Op: "in", Values: []string{"diamond"}}), testEnv, "rules[0].values[0]", "normal, silver, gold, platinum"},
		{"category not an id", all(Rule{Field: "category", Op: "in", Values: []string{"女装"}}), testEnv, "rules[0].values[0]", "category's id"},
		{"segment before any run", all(Rule{Field: "rfm_segment", Op: "in", Values: []string{"champions"}}), noRuns, "rules[0].field", "no RFM run"},
		{"clv before any fit", all(Rule{Field: "clv", Op: "gte", Value: "100"}), noRuns, "rules[0].field", "no customer value fit"},
		{"nested path", Group{Match: MatchAny, Rules: []Rule{{Field: "orders", Op: "gte", Value: "1"}},
			Groups: []Group{{Match: MatchAll, Rules: []Rule{{Field: "tag", Op: "in", Values: []string{"vip"}}, {Field: "stage", Op: "in", Values: []string{"asleep"}}}}}},
			testEnv, "groups[0].rules[1].values[0]", "not a stage"},
		{"nested bad match", Group{Match: MatchAll, Groups: []Group{{Match: "AND"}}}, testEnv, "groups[0].match", "use all"},
		{"too deep", deep, testEnv, "groups[0].groups[0].groups[0].groups", "at most 4 deep"},
		{"too many rules", many, testEnv, "rules", "at most 50 rules"},
		{"all kinds valid", Group{Match: MatchAll, Rules: []Rule{
			{Field: "orders", Op: "between", Values: []string{"2", "5"}},
			{Field: "spend", Op: "gte", Value: "100000"},
			{Field: "recency_days", Op: "gt", Value: "90"},
			{Field: "first_order_date", Op: "lt", Value: "2025-01-01"},
			{Field: "category", Op: "not_in", Values: []string{"3"}},
			{Field: "source_channel", Op: "in", Values: []string{"douyin"}},
			{Field: "order_channel", Op: "in", Values: []string{"wechat"}},
			{Field: "tier", Op: "in", Values: []string{"gold", "platinum"}},
			{Field: "tag", Op: "not_in", Values: []string{"blacklist"}},
			{Field: "rfm_segment", Op: "in", Values: []string{"cant_lose", "at_risk"}},
			{Field: "stage", Op: "in", Values: []string{"dormant"}},
			{Field: "clv", Op: "gte", Value: "50000"},
			{Field: "p_alive", Op: "lt", Value: "0.3"},
			{Field: "points", Op: "ne", Value: "0"},
		}}, testEnv, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.g.Validate(c.env)
			if c.field == "" {
				if err != nil {
					t.Fatalf("valid rules refused: %v", err)
				}
				return
			}
			var fe *apperr.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v, want a field error on %s", err, c.field)
			}
			if fe.Field != c.field || !strings.Contains(fe.Message, c.says) {
				t.Errorf("field error %s: %s, want %s saying %q", fe.Field, fe.Message, c.field, c.says)
			}
			// Compiling refuses with the same error.
			if _, cerr := Compile(c.g, c.env); cerr == nil || cerr.Error() != err.Error() {
				t.Errorf("Compile: %v, want %v", cerr, err)
			}
		})
	}
}

func TestCompile_SQLAndArgs(t *testing.T) {
	now := testEnv.Now.UnixMilli()
	cases := []struct {
		name  string
		g     Group
		joins []string // substrings the joins must hold ("" : none at all)
		where string
		args  []any
	}{
		{"everyone", Group{Match: MatchAll}, nil, "1 = 1", nil},
		{"spend and orders share one aggregate", all(Rule{Field: "spend", Op: "gte", Value: "100000"}, Rule{Field: "orders", Op: "between", Values: []string{"2", "5"}}),
			[]string{"audience_facts o CROSS JOIN customers c"}, "c.id = o.customer_id AND ((o.spend >= $1) AND (o.orders BETWEEN $2 AND $3))", []any{int64(100000), int64(2), int64(5)}},
		{"a comparison no-order customers meet keeps them", all(Rule{Field: "orders", Op: "lt", Value: "2"}, Rule{Field: "spend", Op: "between", Values: []string{"0", "100"}}),
			[]string{"customers c\nLEFT JOIN audience_facts o ON o.customer_id = c.id"}, "((COALESCE(o.orders, 0) < $1) AND (COALESCE(o.spend, 0) BETWEEN $2 AND $3))", []any{int64(2), int64(0), int64(100)}},
		{"recency at least 90 days", all(Rule{Field: "recency_days", Op: "gte", Value: "90"}),
			[]string{"audience_facts o CROSS JOIN customers c"}, "c.id = o.customer_id AND ((o.last_paid_at <= $1))", []any{now - 90*dayMS}},
		{"recency under 30 days", all(Rule{Field: "recency_days", Op: "lt", Value: "30"}),
			nil, "((o.last_paid_at > $1))", []any{now - 30*dayMS}},
		{"first order date is a store day", all(Rule{Field: "first_order_date", Op: "gte", Value: "2025-03-08"}),
			nil, "((c.first_paid_day >= $1))", []any{int64(20250308)}},
		{"tier without the lowest", all(Rule{Field: "tier", Op: "in", Values: []string{"gold", "platinum", "silver"}}),
			nil, "((c.id IN (SELECT ct.customer_id FROM customer_tiers ct WHERE ct.tier IN ($1, $2, $3, $3))))", []any{"gold", "platinum", "silver"}},
		{"no tier row is the lowest tier", all(Rule{Field: "tier", Op: "in", Values: []string{"normal", "silver"}}),
			nil, "((NOT (c.id IN (SELECT ct.customer_id FROM customer_tiers ct WHERE ct.tier NOT IN ($1, $2)))))", []any{"normal", "silver"}},
		{"not in is the complement", all(Rule{Field: "tag", Op: "not_in", Values: []string{"vip"}}),
			nil, "(NOT (c.id IN (SELECT tg.customer_id FROM customer_tags tg WHERE tg.tag IN ($1))))", []any{"vip"}},
		{"category takes its subtree", all(Rule{Field: "category", Op: "in", Values: []string{"1"}}),
			nil, "pr.category_id IN ($1, $2, $3, $4))))", []any{int64(1), int64(2), int64(3), int64(4)}},
		{"latest run is an argument", Group{Match: MatchAny, Rules: []Rule{{Field: "rfm_segment", Op: "in", Values: []string{"champions"}}, {Field: "p_alive", Op: "lt", Value: "0.25"}}},
			nil, "((c.id IN (SELECT rs.customer_id FROM rfm_scores rs WHERE rs.run_id = $1 AND rs.segment IN ($2))) OR (c.id IN (SELECT cp.customer_id FROM clv_predictions cp WHERE cp.fit_id = $3 AND (cp.p_alive < $4))))",
			[]any{int64(7), "champions", int64(3), 0.25}},
		{"no points row is 0 points", all(Rule{Field: "points", Op: "lt", Value: "100"}),
			nil, "((NOT (c.id IN (SELECT pb.customer_id FROM points_balances pb WHERE NOT (pb.balance < $1)))))", []any{int64(100)}},
		{"nested groups", Group{Match: MatchAll, Rules: []Rule{{Field: "points", Op: "gt", Value: "0"}},
			Groups: []Group{{Match: MatchAny, Rules: []Rule{{Field: "source_channel", Op: "in", Values: []string{"douyin"}}, {Field: "order_channel", Op: "in", Values: []string{"douyin"}}}}}},
			[]string{"LEFT JOIN audience_facts o"}, "((c.id IN (SELECT pb.customer_id FROM points_balances pb WHERE (pb.balance > $1))) AND ((c.source_channel IN ($2)) OR (COALESCE(o.channels, '') LIKE $3 ESCAPE '\\')))",
			[]any{int64(0), "douyin", "%,douyin,%"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q, err := Compile(c.g, testEnv)
			if err != nil {
				t.Fatal(err)
			}
			if c.joins == nil && strings.Contains(c.name, "everyone") && q.From != "customers c" {
				t.Errorf("joins %q for no rules", q.From)
			}
			for _, j := range c.joins {
				if !strings.Contains(q.From, j) {
					t.Errorf("joins %q lack %q", q.From, j)
				}
			}
			if !strings.HasSuffix(q.Where, c.where) {
				t.Errorf("where\n %s\nwant it to end\n %s", q.Where, c.where)
			}
			if len(q.Args) != len(c.args) {
				t.Fatalf("args %v, want %v", q.Args, c.args)
			}
			for i := range c.args {
				if q.Args[i] != c.args[i] {
					t.Errorf("arg %d = %#v, want %#v", i+1, q.Args[i], c.args[i])
				}
			}
		})
	}
}

// A value never reaches the SQL text, whatever it holds.
func TestCompile_ValuesAreArguments(t *testing.T) {
	evil := "x') OR 1=1; DROP TABLE customers; --"
	q, err := Compile(Group{Match: MatchAny, Rules: []Rule{
		{Field: "tag", Op: "in", Values: []string{evil}},
		{Field: "source_channel", Op: "not_in", Values: []string{evil}},
		{Field: "order_channel", Op: "in", Values: []string{evil}},
	}}, testEnv)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(q.Where, "DROP") || strings.Contains(q.Where, "'x") {
		t.Fatalf("a value reached the SQL: %s", q.Where)
	}
}

func TestRuleJSON_NumberOrString(t *testing.T) {
	var g Group
	if err := json.Unmarshal([]byte(`{"match":"all","rules":[{"field":"spend","op":"gte","value":100000},{"field":"p_alive","op":"lt","value":"0.3"}]}`), &g); err != nil {
		t.Fatal(err)
	}
	if g.Rules[0].Value != "100000" || g.Rules[1].Value != "0.3" {
		t.Fatalf("values %q %q", g.Rules[0].Value, g.Rules[1].Value)
	}
	if err := json.Unmarshal([]byte(`{"match":"all","rules":[{"field":"spend","op":"gte","value":{"x":1}}]}`), &g); err == nil {
		t.Fatal("an object as value was taken")
	}
}
