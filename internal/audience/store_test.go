package audience

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/lifecycle"
	"github.com/storeops/storeops/internal/rfm"
)

// fact is what the test knows about one generated customer, computed in Go
// from what it inserted; the oracle below evaluates rules on it without
// any SQL.
type fact struct {
	id            int64
	orders, spend int64
	lastPaid      int64 // 0: never paid
	firstDay      int64 // YYYYMMDD, 0: never paid
	categories    []int64
	orderChannels []string
	source        string
	tier          string // "" : no row (the lowest)
	tags          []string
	segment       string // latest run; "" : not scored
	stage         string
	clv           int64
	pAlive        float64
	predicted     bool
	points        int64
}

type world struct {
	now    time.Time
	tiers  []string
	parent map[int64]int64
	facts  []fact
}

var (
	channels = []string{"douyin", "wechat", "taobao", "direct"}
	tags     = []string{"vip", "wholesale", "complained", "student"}
)

// generate writes n customers with random orders (some unpaid, some
// partly refunded), lines in a two-level category tree, tags, tiers,
// points, two RFM runs and two value fits (only the latest of each may
// count), and returns the facts.
func generate(t testing.TB, d *db.DB, n int, seed uint64) world {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 1))
	w := world{now: time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC), tiers: []string{"normal", "silver", "gold", "platinum"},
		parent: map[int64]int64{}}
	loc := time.FixedZone("CST", 8*3600)
	now := w.now.UnixMilli()
	err := d.InTx(ctx, func(tx *db.Tx) error {
		// Categories 1..3 at the top, 4..9 under them (4,5 under 1 …).
		for id := int64(1); id <= 9; id++ {
			var parent any
			if id > 3 {
				p := (id-4)/2 + 1
				parent = p
				w.parent[id] = p
			}
			if _, err := tx.Exec(ctx, `INSERT INTO categories (id, parent_id, name, created_at) VALUES ($1, $2, $3, 1)`, id, parent, fmt.Sprintf("类目%d", id)); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO products (id, title, category_id, created_at, updated_at) VALUES ($1, $2, $1, 1, 1)`, id, fmt.Sprintf("商品%d", id)); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO skus (id, product_id, code, list_price, cost_price, created_at, updated_at) VALUES ($1, $1, $2, 100, 50, 1, 1)`, id, fmt.Sprintf("SKU%d", id)); err != nil {
				return err
			}
		}
		for _, run := range []int64{1, 2} {
			if _, err := tx.Exec(ctx, `INSERT INTO rfm_runs (id, as_of, method, customers, new_days, dormant_after_days, churned_after_days, thresholds_derived, took_ms, created_at)
				VALUES ($1, $2, 'quintiles', 0, 30, 90, 180, TRUE, 1, $2)`, run, now); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO clv_fits (id, as_of, calibration_end, holdout_weeks, customers, repeat_customers, r, alpha, a, b, log_likelihood,
				holdout_predicted, holdout_actual, weekly, horizon_months, monthly_discount, took_ms, created_at)
				VALUES ($1, $2, $2, 4, 0, 0, 1, 1, 1, 1, 0, 0, 0, '[]', 12, 0.01, 1, $2)`, run, now); err != nil {
				return err
			}
		}
		orderNo := 0
		for i := range n {
			f := fact{source: []string{"", "douyin", "wechat", "taobao"}[rng.IntN(4)]}
			if err := tx.QueryRow(ctx, `INSERT INTO customers (name, phone, source_channel, created_at, updated_at) VALUES ($1, $2, $3, 1, 1) RETURNING id`,
				fmt.Sprintf("客户%d", i), fmt.Sprintf("138%08d", i), f.source).Scan(&f.id); err != nil {
				return err
			}
			for range rng.IntN(6) {
				orderNo++
				// Half the orders fall exactly on a whole number of days
				// before now, where an off-by-one in recency would show.
				at := now - rng.Int64N(400)*dayMS
				if rng.IntN(2) == 0 {
					at -= rng.Int64N(dayMS)
				}
				total := 1000 + rng.Int64N(100000)
				var refunded int64
				if rng.IntN(5) == 0 {
					refunded = rng.Int64N(total + 1)
				}
				ch := channels[rng.IntN(len(channels))]
				paid := rng.IntN(6) > 0
				var paidAt, paidDay any
				status := "pending_payment"
				if paid {
					status = "paid"
					tm := time.UnixMilli(at).In(loc)
					day := int64(tm.Year()*10000 + int(tm.Month())*100 + tm.Day())
					paidAt, paidDay = at, day
					f.orders++
					f.spend += total - refunded
					f.lastPaid = max(f.lastPaid, at)
					if f.firstDay == 0 || day < f.firstDay {
						f.firstDay = day
					}
					if !slices.Contains(f.orderChannels, ch) {
						f.orderChannels = append(f.orderChannels, ch)
					}
				}
				var oid int64
				if err := tx.QueryRow(ctx, `INSERT INTO orders (order_no, customer_id, channel, status, items_total, total, refunded_total, created_at, paid_at, paid_day, updated_at)
					VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $7) RETURNING id`, fmt.Sprintf("T%d", orderNo), f.id, ch, status, total, refunded, at, paidAt, paidDay).Scan(&oid); err != nil {
					return err
				}
				for range 1 + rng.IntN(2) {
					p := 1 + rng.Int64N(9)
					if _, err := tx.Exec(ctx, `INSERT INTO order_lines (order_id, sku_id, product_id, title, quantity, list_price, unit_price, line_total)
						VALUES ($1, $2, $2, 'x', 1, 100, 100, 100)`, oid, p); err != nil {
						return err
					}
					if paid && !slices.Contains(f.categories, p) {
						f.categories = append(f.categories, p)
					}
				}
			}
			if f.firstDay != 0 {
				if _, err := tx.Exec(ctx, `UPDATE customers SET first_paid_day = $2 WHERE id = $1`, f.id, f.firstDay); err != nil {
					return err
				}
			}
			for _, tg := range tags {
				if rng.IntN(4) == 0 {
					f.tags = append(f.tags, tg)
					if _, err := tx.Exec(ctx, `INSERT INTO customer_tags (customer_id, tag, created_at) VALUES ($1, $2, 1)`, f.id, tg); err != nil {
						return err
					}
				}
			}
			if rng.IntN(2) == 0 {
				f.tier = w.tiers[rng.IntN(len(w.tiers))]
				if _, err := tx.Exec(ctx, `INSERT INTO customer_tiers (customer_id, tier, since, updated_at) VALUES ($1, $2, 1, 1)`, f.id, f.tier); err != nil {
					return err
				}
			}
			if rng.IntN(2) == 0 {
				f.points = rng.Int64N(5000)
				if _, err := tx.Exec(ctx, `INSERT INTO points_balances (customer_id, balance, updated_at) VALUES ($1, $2, 1)`, f.id, f.points); err != nil {
					return err
				}
			}
			for _, run := range []int64{1, 2} {
				if f.orders == 0 || (run == 2 && rng.IntN(8) == 0) {
					continue // the latest run may have missed a customer
				}
				seg := rfm.Segments[rng.IntN(len(rfm.Segments))]
				st := lifecycle.Stages[rng.IntN(len(lifecycle.Stages))]
				if run == 2 {
					f.segment, f.stage = string(seg), string(st)
				}
				// The latest run's scores are the rows of rfm_current (the
				// rfm_scores view shows them under the latest run's id).
				if run == 2 {
					if _, err := tx.Exec(ctx, `INSERT INTO rfm_current (customer_id, run_id, last_paid_at, frequency, monetary, r, f, m, segment, stage)
						VALUES ($1, $2, 0, 0, 0, 1, 1, 1, $3, $4)`, f.id, run, seg, st); err != nil {
						return err
					}
				}
				clv, pa := rng.Int64N(200000), rng.Float64()
				if run == 2 {
					f.clv, f.pAlive, f.predicted = clv, pa, true
				}
				if _, err := tx.Exec(ctx, `INSERT INTO clv_predictions (fit_id, customer_id, x, t_x, t, p_alive, expected_purchases, expected_aov, clv)
					VALUES ($1, $2, 0, 0, 0, $3, 0, 0, $4)`, run, f.id, pa, clv); err != nil {
					return err
				}
			}
			w.facts = append(w.facts, f)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if d.Dialect() == db.Postgres {
		// The rows above chose their ids; move the sequences past them.
		for _, tbl := range []string{"categories", "products", "skus", "rfm_runs", "clv_fits"} {
			if _, err := d.Exec(ctx, fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT MAX(id) FROM %s))`, tbl, tbl)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return w
}

// matches is the oracle: the rule evaluated on the facts, in Go.
func (w world) matches(f fact, g Group) bool {
	if len(g.Rules) == 0 && len(g.Groups) == 0 {
		return true
	}
	var results []bool
	for _, r := range g.Rules {
		results = append(results, w.rule(f, r))
	}
	for _, sub := range g.Groups {
		results = append(results, w.matches(f, sub))
	}
	if g.Match == MatchAny {
		return slices.Contains(results, true)
	}
	return !slices.Contains(results, false)
}

func (w world) rule(f fact, r Rule) bool {
	num := func(s string) int64 { n, _ := strconv.ParseInt(s, 10, 64); return n }
	cmp := func(x float64, parse func(string) float64) bool {
		v := func() float64 { return parse(string(r.Value)) }
		switch r.Op {
		case "eq":
			return x == v()
		case "ne":
			return x != v()
		case "gt":
			return x > v()
		case "gte":
			return x >= v()
		case "lt":
			return x < v()
		case "lte":
			return x <= v()
		case "between":
			return x >= parse(r.Values[0]) && x <= parse(r.Values[1])
		}
		panic(r.Op)
	}
	ints := func(s string) float64 { return float64(num(s)) }
	date := func(s string) float64 {
		tm, _ := time.Parse(time.DateOnly, s)
		return float64(tm.Year()*10000 + int(tm.Month())*100 + tm.Day())
	}
	frac := func(s string) float64 { x, _ := strconv.ParseFloat(s, 64); return x }
	in := func(has func(string) bool) bool {
		any := slices.ContainsFunc(r.Values, has)
		if r.Op == "not_in" {
			return !any
		}
		return any
	}
	switch r.Field {
	case "orders":
		return cmp(float64(f.orders), ints)
	case "spend":
		return cmp(float64(f.spend), ints)
	case "points":
		return cmp(float64(f.points), ints)
	case "recency_days":
		if f.lastPaid == 0 {
			return false
		}
		return cmp(float64((w.now.UnixMilli()-f.lastPaid)/dayMS), ints)
	case "first_order_date":
		return f.firstDay != 0 && cmp(float64(f.firstDay), date)
	case "clv":
		return f.predicted && cmp(float64(f.clv), ints)
	case "p_alive":
		return f.predicted && cmp(f.pAlive, frac)
	case "source_channel":
		return in(func(v string) bool { return v == f.source })
	case "order_channel":
		return in(func(v string) bool { return slices.Contains(f.orderChannels, v) })
	case "tag":
		return in(func(v string) bool { return slices.Contains(f.tags, v) })
	case "tier":
		tier := f.tier
		if tier == "" {
			tier = w.tiers[0]
		}
		return in(func(v string) bool { return v == tier })
	case "rfm_segment":
		return in(func(v string) bool { return v == f.segment })
	case "stage":
		return in(func(v string) bool { return v == f.stage })
	case "category":
		// Bought in the category: a bought category is it or lies below it.
		return in(func(v string) bool {
			want := num(v)
			for _, c := range f.categories {
				for x := c; x != 0; x = w.parent[x] {
					if x == want {
						return true
					}
				}
			}
			return false
		})
	}
	panic(r.Field)
}

// randomGroup draws a valid rule tree up to depth levels deep.
func randomGroup(rng *rand.Rand, depth int) Group {
	g := Group{Match: []string{MatchAll, MatchAny}[rng.IntN(2)]}
	for range 1 + rng.IntN(3) {
		g.Rules = append(g.Rules, randomRule(rng))
	}
	if depth > 1 {
		for range rng.IntN(3) {
			g.Groups = append(g.Groups, randomGroup(rng, depth-1))
		}
	}
	return g
}

func randomRule(rng *rand.Rand) Rule {
	f := Fields[rng.IntN(len(Fields))]
	ops := Ops(f.Kind)
	r := Rule{Field: f.Name, Op: ops[rng.IntN(len(ops))]}
	one := func() string {
		switch f.Name {
		case "orders":
			return strconv.Itoa(rng.IntN(6))
		case "spend":
			return strconv.Itoa(rng.IntN(300000))
		case "clv":
			return strconv.Itoa(rng.IntN(200000))
		case "points":
			return strconv.Itoa(rng.IntN(5000))
		case "recency_days":
			return strconv.Itoa(rng.IntN(400))
		case "first_order_date":
			return time.Date(2024, 5, 25, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(405)).Format(time.DateOnly)
		case "p_alive":
			return strconv.FormatFloat(rng.Float64(), 'f', 3, 64)
		case "category":
			return strconv.Itoa(1 + rng.IntN(9))
		case "source_channel":
			return []string{"douyin", "wechat", "taobao", "weibo"}[rng.IntN(4)]
		case "order_channel":
			return channels[rng.IntN(len(channels))]
		case "tag":
			return tags[rng.IntN(len(tags))]
		case "tier":
			return []string{"normal", "silver", "gold", "platinum"}[rng.IntN(4)]
		case "rfm_segment":
			return string(rfm.Segments[rng.IntN(len(rfm.Segments))])
		case "stage":
			return string(lifecycle.Stages[rng.IntN(len(lifecycle.Stages))])
		}
		panic(f.Name)
	}
	switch r.Op {
	case "between":
		a, b := one(), one()
		fa, _ := scalar(f, a, "")
		fb, _ := scalar(f, b, "")
		if less(fb, fa) {
			a, b = b, a
		}
		r.Values = []string{a, b}
	case "in", "not_in":
		for range 1 + rng.IntN(3) {
			r.Values = append(r.Values, one())
		}
	default:
		r.Value = Text(one())
	}
	return r
}

// The count and the members of random rule trees equal the oracle's, on
// both engines.
func TestCount_EqualsGoComputation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := generate(t, d, 300, 42)
		s := &Service{DB: d, Now: func() time.Time { return w.now }}
		env, err := s.Env(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if env.RFMRun != 2 || env.CLVFit != 2 || len(env.Tiers) != 4 {
			t.Fatalf("env %+v: want the latest run and fit (2) and the default ladder", env)
		}
		rng := rand.New(rand.NewPCG(7, 7))
		nonEmpty, partial := 0, 0
		trees := 300
		if raceDetector {
			trees = 100
		}
		for i := range trees {
			g := randomGroup(rng, 3)
			var want []int64
			for _, f := range w.facts {
				if w.matches(f, g) {
					want = append(want, f.id)
				}
			}
			got, err := IDs(ctx, d, g, env)
			if err != nil {
				t.Fatalf("tree %d %+v: %v", i, g, err)
			}
			if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Fatalf("tree %d %+v:\n got %d customers %v\nwant %d customers %v", i, g, len(got), got, len(want), want)
			}
			n, err := CountIn(ctx, d, g, env)
			if err != nil || n != int64(len(want)) {
				t.Fatalf("tree %d: count %d, %v; want %d", i, n, err, len(want))
			}
			if len(want) > 0 {
				nonEmpty++
			}
			if len(want) > 0 && len(want) < len(w.facts) {
				partial++
			}
		}
		// The trees must not all be trivial for the comparison to mean
		// anything.
		if partial < trees/3 {
			t.Errorf("only %d of %d trees split the customers (%d non-empty)", partial, trees, nonEmpty)
		}
	})
}

// Each field on its own, in both list senses and every comparison, so a
// field the random trees happen to miss cannot hide.
func TestCount_EveryFieldAndOperator(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := generate(t, d, 200, 9)
		env, err := LoadEnv(ctx, d, w.now)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(3, 3))
		for _, f := range Fields {
			for _, op := range Ops(f.Kind) {
				for range 4 {
					var r Rule
					for r.Op != op || r.Field != f.Name {
						r = randomRule(rng)
					}
					g := all(r)
					want := 0
					for _, fc := range w.facts {
						if w.matches(fc, g) {
							want++
						}
					}
					n, err := CountIn(ctx, d, g, env)
					if err != nil || n != int64(want) {
						t.Fatalf("%+v: count %d, %v; want %d", r, n, err, want)
					}
				}
			}
		}
	})
}

// Segments of rules over other tables that must all hold are counted as
// the intersection of their customer sets (Query.Sets): the same counts as
// the oracle's, guests' orders (no customer) included in the category set.
func TestCount_IntersectionOfSets(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := generate(t, d, 300, 11)
		env, err := LoadEnv(ctx, d, w.now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(ctx, `INSERT INTO orders (order_no, customer_id, channel, status, items_total, discount_total, shipping_fee, total, created_at, updated_at, paid_at, paid_day)
			SELECT 'GUEST' || id, NULL, channel, status, items_total, discount_total, shipping_fee, total, created_at, updated_at, paid_at, paid_day FROM orders WHERE paid_at IS NOT NULL ORDER BY id LIMIT 20`); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(ctx, `INSERT INTO order_lines (order_id, sku_id, product_id, title, quantity, list_price, unit_price, line_total)
			SELECT g.id, l.sku_id, l.product_id, l.title, l.quantity, l.list_price, l.unit_price, l.line_total
			FROM orders g JOIN orders o ON g.order_no = 'GUEST' || o.id JOIN order_lines l ON l.order_id = o.id`); err != nil {
			t.Fatal(err)
		}
		var guestCategory string
		if err := d.QueryRow(ctx, `SELECT CAST(p.category_id AS TEXT) FROM order_lines l JOIN orders g ON g.id = l.order_id JOIN products p ON p.id = l.product_id
			WHERE g.customer_id IS NULL ORDER BY l.id LIMIT 1`).Scan(&guestCategory); err != nil {
			t.Fatal(err)
		}
		groups := []Group{
			{Match: MatchAll, Rules: []Rule{{Field: "tier", Op: "in", Values: []string{"gold", "platinum"}}, {Field: "tag", Op: "in", Values: []string{"vip", "student"}}}},
			{Match: MatchAll, Rules: []Rule{{Field: "tag", Op: "in", Values: []string{"vip"}}}},
			{Match: MatchAll, Rules: []Rule{{Field: "tag", Op: "in", Values: []string{"wholesale"}}, {Field: "category", Op: "in", Values: []string{"1"}}, {Field: "points", Op: "gte", Value: "100"}}},
			// Both sets hold a guest's order (no customer): no one more.
			{Match: MatchAll, Rules: []Rule{{Field: "category", Op: "in", Values: []string{guestCategory}}, {Field: "category", Op: "in", Values: []string{guestCategory}}}},
		}
		for i, g := range groups {
			cq, err := Compile(g, env)
			if err != nil {
				t.Fatal(err)
			}
			if len(cq.Sets) != len(g.Rules) {
				t.Fatalf("group %d: %d sets, want one per rule: %s", i, len(cq.Sets), cq.CountSQL())
			}
			want := 0
			for _, f := range w.facts {
				if w.matches(f, g) {
					want++
				}
			}
			if want == 0 {
				t.Fatalf("group %d matches nobody: nothing to compare", i)
			}
			if n, err := CountIn(ctx, d, g, env); err != nil || n != int64(want) {
				t.Errorf("group %d: count %d, %v; want %d", i, n, err, want)
			}
		}
	})
}
