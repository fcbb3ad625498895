package metric_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/demo"
	"github.com/storeops/storeops/internal/event"
	"github.com/storeops/storeops/internal/metric"
	"github.com/storeops/storeops/internal/rfm"
)

func demoWithTraffic(t *testing.T, d *db.DB) {
	t.Helper()
	ctx := context.Background()
	sh, _ := time.LoadLocation("Asia/Shanghai")
	end := time.Date(2026, 11, 20, 0, 0, 0, 0, sh)
	if _, err := demo.Generate(ctx, d, demo.Options{Customers: 400, Days: 90, Seed: 3, End: end, Location: sh}); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.GenerateTraffic(ctx, d, 3, nil); err != nil {
		t.Fatal(err)
	}
}

// The traffic rollup's PV and UV agree with event.Traffic's exact figures
// per day and per channel; UV over a month merged from sketches is within
// 3% of the exact count; sales by channel add up to the day's sales.
func TestIndicatorRollupAgreesWithEvents(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		demoWithTraffic(t, d)
		r := &metric.IndicatorRollup{DB: d}
		if n, err := r.Refresh(ctx); err != nil || n < 90 {
			t.Fatalf("first refresh: %d days, %v", n, err)
		}
		(&metric.Rollup{DB: d}).Refresh(ctx)
		for _, day := range []int64{20261111, 20261120, 20260901} {
			exact, err := event.Traffic(ctx, d, day, day)
			if err != nil {
				t.Fatal(err)
			}
			f, err := metric.PeriodFigures(ctx, d, day, day)
			if err != nil {
				t.Fatal(err)
			}
			if f.PV != exact.PV || f.UV != exact.UV || f.UVApprox {
				t.Errorf("%d: rollup PV %d UV %d, events PV %d UV %d", day, f.PV, f.UV, exact.PV, exact.UV)
			}
			groups, err := metric.ChannelGroups(ctx, d, day, day, f.UV)
			if err != nil {
				t.Fatal(err)
			}
			byCh := map[string]metric.Group{}
			var orders, gmv int64
			for _, g := range groups {
				byCh[g.Key] = g
				orders += g.PaidOrders
				gmv += g.GMV
			}
			for _, c := range exact.Channels {
				if g := byCh[c.Channel]; g.PV != c.PV || g.UV != c.UV {
					t.Errorf("%d %s: rollup PV %d UV %d, events PV %d UV %d", day, c.Channel, g.PV, g.UV, c.PV, c.UV)
				}
			}
			if orders != f.PaidOrders || gmv != f.GMV {
				t.Errorf("%d: channels add up to %d orders %d GMV; the day has %d, %d", day, orders, gmv, f.PaidOrders, f.GMV)
			}
			if f.Purchases != f.PaidOrders {
				t.Errorf("%d: %d purchase events, %d paid orders", day, f.Purchases, f.PaidOrders)
			}
		}
		// Ranges of edge days only, of whole months (monthly rows), and of both.
		for _, rg := range [][2]int64{{20261021, 20261120}, {20260901, 20261031}, {20260915, 20261120}} {
			exact, _ := event.Traffic(ctx, d, rg[0], rg[1])
			f, _ := metric.PeriodFigures(ctx, d, rg[0], rg[1])
			if !f.UVApprox || math.Abs(float64(f.UV-exact.UV))/float64(exact.UV) > 0.03 {
				t.Errorf("%v UV %d (approx %v) vs exact %d", rg, f.UV, f.UVApprox, exact.UV)
			}
			if f.PV != exact.PV {
				t.Errorf("%v PV %d vs %d", rg, f.PV, exact.PV)
			}
		}
		f, _ := metric.PeriodFigures(ctx, d, 20261021, 20261120)
		if !(f.FunnelView > f.FunnelCart && f.FunnelCart > f.FunnelCheckout && f.FunnelCheckout >= f.FunnelPaid && f.FunnelPaid > 0) {
			t.Errorf("funnel %d → %d → %d → %d", f.FunnelView, f.FunnelCart, f.FunnelCheckout, f.FunnelPaid)
		}
		// The funnel counted straight from the stored events is the rollup's.
		raw, err := event.Funnel(ctx, d, 20261021, 20261120, "")
		if err != nil {
			t.Fatal(err)
		}
		if want := (event.FunnelSteps{View: f.FunnelView, Cart: f.FunnelCart, Checkout: f.FunnelCheckout, Paid: f.FunnelPaid}); raw != want {
			t.Errorf("funnel from the events %+v, from the rollup %+v", raw, want)
		}
		live, err := event.Funnel(ctx, d, 20261021, 20261120, "live")
		if err != nil {
			t.Fatal(err)
		}
		var liveRollup event.FunnelSteps
		if err := d.QueryRow(ctx, `SELECT SUM(funnel_view), SUM(funnel_cart), SUM(funnel_checkout), SUM(funnel_paid) FROM traffic_daily
			WHERE channel = 'live' AND day BETWEEN 20261021 AND 20261120`).Scan(&liveRollup.View, &liveRollup.Cart, &liveRollup.Checkout, &liveRollup.Paid); err != nil {
			t.Fatal(err)
		}
		if live != liveRollup || live.Paid == 0 || live.Paid >= raw.Paid {
			t.Errorf("live funnel from the events %+v, from the rollup %+v", live, liveRollup)
		}
		for _, rg := range [][2]int64{{20261021, 20261120}, {20260915, 20261120}} {
			var lineSales int64
			// Purchases' lines: a presale's deposit is on its tail's line
			// (the one from the presale's pool), not a line of its own.
			d.QueryRow(ctx, `SELECT COALESCE(SUM(l.line_total + CASE WHEN l.stock = 'pool' THEN o.deposit_total ELSE 0 END), 0)
				FROM orders o JOIN order_lines l ON l.order_id = o.id
				WHERE o.paid_day BETWEEN $1 AND $2 AND o.presale_role <> 'deposit'`, rg[0], rg[1]).Scan(&lineSales)
			groups, err := metric.ProductGroups(ctx, d, rg[0], rg[1], metric.ByCategory, 1000)
			if err != nil {
				t.Fatal(err)
			}
			var sum int64
			for _, g := range groups {
				sum += g.Sales
			}
			if sum != lineSales || lineSales == 0 {
				t.Errorf("%v: categories' sales %d, order lines %d", rg, sum, lineSales)
			}
		}
	})
}

// post sends one batch of events to a collector and writes it.
func post(t *testing.T, c *event.Collector, body string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/collect", strings.NewReader(body))
	req.Header.Set("User-Agent", "Mozilla/5.0")
	w := httptest.NewRecorder()
	c.ServeHTTP(w, req)
	if w.Code != http.StatusNoContent {
		t.Fatalf("collect: %d %s", w.Code, w.Body)
	}
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// The funnel counts a visitor's steps only in order; a visitor who logs in
// counts once; a refresh after new events matches a rebuild.
func TestFunnel_StepsInOrderPerVisitor(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 20, 4, 0, 0, 0, time.UTC) // 12:00 in Shanghai
		c := event.NewCollector(d, nil)
		c.Now = func() time.Time { return now }
		at := func(min int) int64 { return now.Add(time.Duration(min-60) * time.Minute).UnixMilli() }
		ev := func(anon string, customer int, typ string, min int, extra string) string {
			return fmt.Sprintf(`{"type":%q,"anonymous_id":%q,"customer_id":%d,"session_id":"s-%s","at":%d,"page":"https://shop.example/","utm_medium":"live"%s}`,
				typ, anon, customer, anon, at(min), extra)
		}
		post(t, c, "["+strings.Join([]string{
			// a: every step in order, logs in at checkout
			ev("a", 0, "page_view", 1, ""), ev("a", 0, "product_view", 2, `,"product_id":5`), ev("a", 0, "add_to_cart", 3, `,"product_id":5`),
			ev("a", 7, "checkout_start", 4, ""), ev("a", 7, "purchase", 5, `,"order_no":"SO1"`),
			// b: cart before any product view: only the view counts
			ev("b", 0, "add_to_cart", 1, `,"product_id":5`), ev("b", 0, "product_view", 2, `,"product_id":5`),
			// c: one page
			ev("c", 0, "page_view", 1, ""),
			// d: view and cart, gives up
			ev("d", 0, "product_view", 1, `,"product_id":6`), ev("d", 0, "add_to_cart", 2, `,"product_id":6`),
		}, ",")+"]")
		r := &metric.IndicatorRollup{DB: d}
		if _, err := r.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		f, err := metric.PeriodFigures(ctx, d, 20261120, 20261120)
		if err != nil {
			t.Fatal(err)
		}
		want := [5]int64{4, 3, 2, 1, 1}
		got := [5]int64{f.UV, f.FunnelView, f.FunnelCart, f.FunnelCheckout, f.FunnelPaid}
		if got != want || f.Converted != 1 || f.PV != 2 || f.ConversionBP != 2500 || f.CTRBP != 15000 {
			t.Errorf("UV, view, cart, checkout, paid = %v, want %v; converted %d PV %d conversion %d CTR %d", got, want, f.Converted, f.PV, f.ConversionBP, f.CTRBP)
		}
		// More events later the same day: the refresh catches them, and
		// agrees with a rebuild.
		post(t, c, "["+ev("c", 0, "product_view", 50, `,"product_id":6`)+","+ev("e", 0, "page_view", 51, "")+"]")
		if _, err := r.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		inc, _ := metric.PeriodFigures(ctx, d, 20261120, 20261120)
		if err := r.Rebuild(ctx); err != nil {
			t.Fatal(err)
		}
		full, _ := metric.PeriodFigures(ctx, d, 20261120, 20261120)
		if inc != full || full.UV != 5 || full.FunnelView != 4 {
			t.Errorf("incremental %+v\nrebuilt %+v", inc, full)
		}
		products, err := metric.ProductGroups(ctx, d, 20261120, 20261120, metric.ByProduct, 10)
		if err != nil {
			t.Fatal(err)
		}
		_ = products // products 5 and 6 have views but no catalog rows here: nothing to list
	})
}

func TestBuckets_WeeksAndMonthsCutToTheRange(t *testing.T) {
	w := metric.Buckets(20261118, 20261203, metric.GrainWeek)
	if len(w) != 3 || w[0].From != 20261118 || w[0].To != 20261122 || w[1].From != 20261123 || w[2].To != 20261203 || w[0].Label != "2026-W47" {
		t.Errorf("weeks: %+v", w)
	}
	m := metric.Buckets(20261015, 20261203, metric.GrainMonth)
	if len(m) != 3 || m[0].To != 20261031 || m[1].From != 20261101 || m[1].To != 20261130 || m[2].Label != "2026-12" {
		t.Errorf("months: %+v", m)
	}
	if f, to := metric.YearAgo(20261118, 20261118, metric.GrainDay); f != 20251119 || to != 20251119 {
		t.Errorf("a year before Wednesday 2026-11-18 is %d, want Wednesday 2025-11-19", f)
	}
	if f, to := metric.YearAgo(20261101, 20261130, metric.GrainMonth); f != 20251101 || to != 20251130 {
		t.Errorf("a year before November 2026: %d–%d", f, to)
	}
	if f, to := metric.PreviousPeriod(20261101, 20261107); f != 20261025 || to != 20261031 {
		t.Errorf("previous week: %d–%d", f, to)
	}
}

// Cohorts on the demo: month 0 retains everyone, repurchase never falls,
// LTV never falls.
func TestCohorts_CurvesAreMonotone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		sh, _ := time.LoadLocation("Asia/Shanghai")
		if _, err := demo.Generate(ctx, d, demo.Options{Customers: 400, Days: 180, Seed: 5, End: time.Date(2026, 11, 20, 0, 0, 0, 0, sh), Location: sh}); err != nil {
			t.Fatal(err)
		}
		if _, err := (&metric.Rollup{DB: d}).Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		cs, err := metric.Cohorts(ctx, d, 20261120, 6)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != 6 || cs[0].Month != "2026-06" || len(cs[0].RetainedBP) != 6 || len(cs[5].RetainedBP) != 1 {
			t.Fatalf("cohorts: %+v", cs)
		}
		var size int64
		for _, c := range cs {
			size += c.Size
			if c.Size > 0 && c.RetainedBP[0] != 10000 {
				t.Errorf("%s: month 0 retains %d bp", c.Month, c.RetainedBP[0])
			}
			for k := 1; k < len(c.LTV); k++ {
				if c.LTV[k] < c.LTV[k-1] || c.RepurchasedBP[k] < c.RepurchasedBP[k-1] {
					t.Errorf("%s month %d: LTV %v repurchased %v", c.Month, k, c.LTV, c.RepurchasedBP)
				}
			}
		}
		var want int64
		d.QueryRow(ctx, "SELECT COUNT(*) FROM customers WHERE first_paid_day BETWEEN 20260601 AND 20261120").Scan(&want)
		if size != want {
			t.Errorf("cohorts hold %d customers, %d first bought in those months", size, want)
		}
	})
}

// Retention figures checked against a direct count on the demo.
func TestRetention_RepurchaseAndChurn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		sh, _ := time.LoadLocation("Asia/Shanghai")
		if _, err := demo.Generate(ctx, d, demo.Options{Customers: 400, Days: 180, Seed: 5, End: time.Date(2026, 11, 20, 0, 0, 0, 0, sh), Location: sh}); err != nil {
			t.Fatal(err)
		}
		if _, err := (&metric.Rollup{DB: d}).Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		r, err := metric.RetentionOf(ctx, d, 20261001, 20261031)
		if err != nil {
			t.Fatal(err)
		}
		if r.Customers == 0 || r.Repeaters == 0 || r.Repeaters >= r.Customers || r.ActiveBefore == 0 || r.Churned > r.ActiveBefore || r.LTV <= 0 {
			t.Errorf("retention: %+v", r)
		}
		// The definitions written as SQL give the same counts.
		var customers, repeaters, active, churned int64
		d.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN n >= 2 THEN 1 ELSE 0 END), 0) FROM (
			SELECT customer_id, COUNT(*) AS n FROM orders WHERE paid_day BETWEEN 20261001 AND 20261031 AND customer_id IS NOT NULL GROUP BY customer_id) x`).Scan(&customers, &repeaters)
		d.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN NOT EXISTS (
				SELECT 1 FROM orders o2 WHERE o2.customer_id = b.customer_id AND o2.paid_day BETWEEN 20261001 AND 20261031) THEN 1 ELSE 0 END), 0)
			FROM (SELECT DISTINCT customer_id FROM orders WHERE paid_day BETWEEN 20260703 AND 20260930 AND customer_id IS NOT NULL) b`).Scan(&active, &churned)
		if r.Customers != customers || r.Repeaters != repeaters || r.ActiveBefore != active || r.Churned != churned {
			t.Errorf("retention %+v; by SQL customers %d repeaters %d active %d churned %d", r, customers, repeaters, active, churned)
		}
		o, err := metric.OperationsOf(ctx, d, 20261001, 20261031, 100000, 500000)
		if err != nil {
			t.Fatal(err)
		}
		if o.InventoryStart <= 0 || o.InventoryEnd <= 0 || o.InventoryTurnoverBP <= 0 {
			t.Errorf("operations: %+v", o)
		}
	})
}

// The series read in three range queries equals the period figures of each
// bucket (exact for days; the sketches merged the same way for weeks).
func TestSeriesFigures_MatchPeriodFigures(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		demoWithTraffic(t, d)
		ir := &metric.IndicatorRollup{DB: d}
		ir.Refresh(ctx)
		(&metric.Rollup{DB: d}).Refresh(ctx)
		check := func(stage string) {
			t.Helper()
			for _, grain := range []string{metric.GrainDay, metric.GrainWeek, metric.GrainMonth} {
				bs := metric.Buckets(20260901, 20261120, grain)
				if err := metric.SeriesFigures(ctx, d, bs); err != nil {
					t.Fatal(err)
				}
				for _, b := range bs {
					want, err := metric.PeriodFigures(ctx, d, b.From, b.To)
					if err != nil {
						t.Fatal(err)
					}
					if b.Figures != want {
						t.Errorf("%s, %s %s:\nseries %+v\nperiod %+v", stage, grain, b.Label, b.Figures, want)
					}
				}
			}
		}
		check("first refresh")
		// 300 new visitors on Wednesday 11 Nov: the refresh rewrites the
		// day, and the week's visitors (traffic_weekly) with it.
		sh, _ := time.LoadLocation("Asia/Shanghai")
		at := time.Date(2026, 11, 11, 15, 0, 0, 0, sh)
		var evs []event.Event
		for i := range 300 {
			evs = append(evs, event.Event{EventID: fmt.Sprintf("late-%d", i), ReceivedAt: at, At: at, Day: 20261111, Type: "page_view",
				AnonymousID: fmt.Sprintf("late-visitor-%d", i), SessionID: fmt.Sprintf("late-%d", i), Channel: "direct", Page: "https://shop.example/"})
		}
		var before metric.Figures
		bs := metric.Buckets(20261109, 20261115, metric.GrainWeek)
		if err := metric.SeriesFigures(ctx, d, bs); err != nil {
			t.Fatal(err)
		}
		before = bs[0].Figures
		if err := d.InTx(ctx, func(tx *db.Tx) error {
			_, err := event.Append(ctx, tx, "collect", evs, at)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := ir.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		check("after a day's new visitors")
		bs = metric.Buckets(20261109, 20261115, metric.GrainWeek)
		if err := metric.SeriesFigures(ctx, d, bs); err != nil {
			t.Fatal(err)
		}
		if got := bs[0].UV - before.UV; got < 280 || got > 320 {
			t.Errorf("the week of 11 Nov gained %d visitors, want about 300 (%d → %d)", got, before.UV, bs[0].UV)
		}
	})
}

func TestSplit_WholeMonthsAndEdges(t *testing.T) {
	for _, c := range []struct {
		from, to, m1, m2 int64
		edges            int
	}{
		{20261015, 20261203, 202611, 202611, 2},
		{20261101, 20261130, 202611, 202611, 0},
		{20261102, 20261129, 202612, 202610, 1},
		{20251201, 20260131, 202512, 202601, 0},
		{20251231, 20260201, 202601, 202601, 2},
	} {
		m1, m2, edges := metric.SplitForTest(c.from, c.to)
		if m1 != c.m1 || m2 != c.m2 || len(edges) != c.edges {
			t.Errorf("%d–%d: months %d–%d, edges %v", c.from, c.to, m1, m2, edges)
		}
	}
}

// Segments add up to the period's sales; buyers the RFM run never scored
// are "unscored".
func TestSegmentGroups_AddUpToThePeriod(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		sh, _ := time.LoadLocation("Asia/Shanghai")
		if _, err := demo.Generate(ctx, d, demo.Options{Customers: 300, Days: 60, Seed: 5, End: time.Date(2026, 11, 20, 0, 0, 0, 0, sh), Location: sh}); err != nil {
			t.Fatal(err)
		}
		rollup := &metric.Rollup{DB: d}
		if _, err := rollup.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		gs, err := metric.SegmentGroups(ctx, d, 20261101, 20261120)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := metric.SummarizeRaw(ctx, d, 20261101, 20261120)
		var orders, gmv int64
		for _, g := range gs {
			orders += g.PaidOrders
			gmv += g.GMV
		}
		if orders != raw.PaidOrders || gmv != raw.GMV || len(gs) != 1 || gs[0].Key != "unscored" || gs[0].ShareBP != 10000 {
			t.Errorf("before any RFM run: %+v; period %d orders %d GMV", gs, raw.PaidOrders, raw.GMV)
		}
		if _, err := (&rfm.Service{DB: d}).Run(ctx, rfm.Options{}); err != nil {
			t.Fatal(err)
		}
		if _, err := rollup.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		gs, _ = metric.SegmentGroups(ctx, d, 20261101, 20261120)
		orders, gmv = 0, 0
		for _, g := range gs {
			orders += g.PaidOrders
			gmv += g.GMV
		}
		if orders != raw.PaidOrders || gmv != raw.GMV || len(gs) < 3 {
			t.Errorf("after an RFM run: %+v", gs)
		}
	})
}

// Readers refreshing at once while events keep arriving: none fails, and
// the rollups end equal to a rebuild.
func TestIndicatorRollup_ConcurrentRefreshes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		demoWithTraffic(t, d)
		// The demo's orders were all written a moment ago, within the
		// refresh margin, so every refresh would rewrite every day: age
		// them and refresh once, so the concurrent refreshes below redo
		// only the days the margins re-read (under -race the test spent
		// minutes rewriting 90 days over and over).
		if _, err := d.Exec(ctx, `UPDATE orders SET updated_at = updated_at - 3600000`); err != nil {
			t.Fatal(err)
		}
		if _, err := (&metric.IndicatorRollup{DB: d}).Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		c := event.NewCollector(d, nil)
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for g := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := &metric.IndicatorRollup{DB: d}
				for i := range 3 {
					if g == 0 {
						// not post(): t.Fatal belongs to the test's goroutine
						req := httptest.NewRequest(http.MethodPost, "/collect", strings.NewReader(
							fmt.Sprintf(`{"type":"page_view","anonymous_id":"late-%d","page":"https://shop.example/"}`, i)))
						req.Header.Set("User-Agent", "Mozilla/5.0")
						w := httptest.NewRecorder()
						c.ServeHTTP(w, req)
						if w.Code != http.StatusNoContent {
							errs <- fmt.Errorf("collect: %d", w.Code)
						}
						if err := c.Flush(ctx); err != nil {
							errs <- err
						}
					}
					if err := r.RefreshIfOlder(ctx, 0); err != nil {
						errs <- err
					}
					if _, err := r.Refresh(ctx); err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		day := int64(time.Now().In(mustShanghai(t)).Year()*10000 + int(time.Now().In(mustShanghai(t)).Month())*100 + time.Now().In(mustShanghai(t)).Day())
		inc, _ := metric.PeriodFigures(ctx, d, day, day)
		if err := (&metric.IndicatorRollup{DB: d}).Rebuild(ctx); err != nil {
			t.Fatal(err)
		}
		full, _ := metric.PeriodFigures(ctx, d, day, day)
		if inc != full || full.PV < 3 {
			t.Errorf("after concurrent refreshes %+v\nrebuilt %+v", inc, full)
		}
	})
}

func mustShanghai(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
