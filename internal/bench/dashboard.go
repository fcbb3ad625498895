package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/storeops/storeops/internal/app"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/demo"
	"github.com/storeops/storeops/internal/metric"
	"github.com/storeops/storeops/internal/rfm"
	"github.com/storeops/storeops/internal/server"
	"github.com/storeops/storeops/internal/settings"
)

// Dashboard is the scenario that builds a large store of orders and
// traffic events and times the dashboard's API on it, one request at a
// time as an operator's page asks.
const Dashboard = "dashboard"

// DashboardConfig sizes the store the dashboard bench builds.
type DashboardConfig struct {
	Orders    int // paid and unpaid orders over Days, default 1,000,000
	Events    int // traffic events over the same days, default two an order
	Customers int // buyers the orders are drawn from, default an order in five
	Days      int // days of history ending yesterday, default 400
	Rounds    int // times each view is asked, default 20
	Dir       string
	// Store, when set, is a SQLite file kept across runs: generated there
	// when it does not exist, reused as it is when it does (its days are
	// those of the day it was generated; the rollups catch up).
	Store string
	// Profile, when set, is started before the first request and its stop
	// function called after the last: the CPU profile of serving alone.
	Profile func() (stop func(), err error)
	Log     func(format string, args ...any)
}

// DashboardView is one page of the dashboard as the bench asks for it.
type DashboardView struct {
	Name string `json:"name"`
	Path string `json:"path" doc:"the request, under /api/v1"`
}

// DashboardReport is what the dashboard bench measured.
type DashboardReport struct {
	Orders          int64                `json:"orders"`
	Lines           int64                `json:"lines"`
	Customers       int                  `json:"customers"`
	Events          int64                `json:"events"`
	Days            int                  `json:"days"`
	GenerateSeconds float64              `json:"generate_seconds" doc:"writing the orders, lines, customers and events, indexes included"`
	RollupSeconds   float64              `json:"rollup_seconds" doc:"building the sales and indicator rollups from them once"`
	RFMSeconds      float64              `json:"rfm_seconds" doc:"the first RFM run, which by=segment reads"`
	Requests        int                  `json:"requests"`
	P50MS           float64              `json:"p50_ms" doc:"over every request"`
	P95MS           float64              `json:"p95_ms" doc:"over every request"`
	MaxMS           float64              `json:"max_ms"`
	Views           []DashboardViewTimes `json:"views"`
}

// DashboardViewTimes are one view's timings.
type DashboardViewTimes struct {
	DashboardView
	P50MS float64 `json:"p50_ms"`
	P95MS float64 `json:"p95_ms"`
	MaxMS float64 `json:"max_ms"`
}

// dashboardViews are the pages an operator opens: the default 30 days, a
// day, a week, a quarter by week, a year by month per product and by week
// per channel, the category and segment breakdowns, and the cohorts.
func dashboardViews(yesterday int64) []DashboardView {
	span := func(days int) string {
		return "from=" + strconv.FormatInt(metric.AddDays(yesterday, -(days-1)), 10) + "&to=" + strconv.FormatInt(yesterday, 10)
	}
	return []DashboardView{
		{"30 days by day and channel (default)", "/indicators"},
		{"1 day", "/indicators?" + span(1)},
		{"7 days", "/indicators?" + span(7)},
		{"90 days by week", "/indicators?" + span(90) + "&grain=week"},
		{"30 days by category", "/indicators?" + span(30) + "&by=category"},
		{"30 days by segment", "/indicators?" + span(30) + "&by=segment"},
		{"365 days by month and product", "/indicators?" + span(365) + "&grain=month&by=product"},
		{"365 days by week and channel", "/indicators?" + span(365) + "&grain=week"},
		{"cohorts, 12 months", "/indicators/cohorts"},
	}
}

// RunDashboard builds a SQLite store of cfg.Orders orders and cfg.Events
// events, fills the rollups, serves the store on loopback and asks each
// dashboard view cfg.Rounds times.
func RunDashboard(ctx context.Context, cfg DashboardConfig) (DashboardReport, error) {
	if cfg.Orders <= 0 {
		cfg.Orders = 1_000_000
	}
	if cfg.Events <= 0 {
		cfg.Events = 2 * cfg.Orders
	}
	if cfg.Customers <= 0 {
		cfg.Customers = max(cfg.Orders/5, 1)
	}
	if cfg.Days <= 0 {
		cfg.Days = 400
	}
	if cfg.Rounds <= 0 {
		cfg.Rounds = 20
	}
	if cfg.Log == nil {
		cfg.Log = func(string, ...any) {}
	}
	rep := DashboardReport{Customers: cfg.Customers, Days: cfg.Days}
	d, reused, done, err := openDashboardStore(ctx, cfg)
	if err != nil {
		return rep, err
	}
	defer done()
	ctx = audit.WithActor(ctx, audit.Actor{Kind: "system", Name: "bench"})
	if reused {
		return rep, serveAndAsk(ctx, d, cfg, &rep, 0)
	}

	began := time.Now()
	// A small demo store gives the catalog, channels, settings and zone;
	// the bulk of the orders and the events are generated below.
	cfg.Log("bench: catalog from a small demo store…")
	if _, err := demo.Generate(ctx, d, demo.Options{Customers: 100, Days: 14, Seed: 1}); err != nil {
		return rep, fmt.Errorf("generate the catalog: %w", err)
	}
	st, err := settings.Load(ctx, d)
	if err != nil {
		return rep, err
	}
	loc := st.Location()
	yesterday := settings.Day(time.Now().In(loc).AddDate(0, 0, -1), loc)
	if rep.Orders, rep.Lines, err = generateDashboardOrders(ctx, d, cfg, yesterday, loc); err != nil {
		return rep, err
	}
	cfg.Log("bench: %d events…", cfg.Events)
	g := newVisitGen(FunnelConfig{Events: cfg.Events, Visitors: max(cfg.Events/20, 1), Days: cfg.Days, Log: cfg.Log}, loc)
	if err := g.write(ctx, d); err != nil {
		return rep, fmt.Errorf("generate events: %w", err)
	}
	rep.Events = g.events
	rep.GenerateSeconds = time.Since(began).Seconds()

	cfg.Log("bench: rollups…")
	t := time.Now()
	if err := (&metric.IndicatorRollup{DB: d}).Rebuild(ctx); err != nil {
		return rep, fmt.Errorf("build the rollups: %w", err)
	}
	rep.RollupSeconds = time.Since(t).Seconds()
	cfg.Log("bench: RFM run…")
	t = time.Now()
	if _, err := (&rfm.Service{DB: d}).Run(ctx, rfm.Options{}); err != nil {
		return rep, fmt.Errorf("RFM run: %w", err)
	}
	rep.RFMSeconds = time.Since(t).Seconds()
	return rep, serveAndAsk(ctx, d, cfg, &rep, yesterday)
}

// openDashboardStore opens cfg.Store, saying whether it held a generated
// store already, or a scratch store in a temporary folder.
func openDashboardStore(ctx context.Context, cfg DashboardConfig) (d *db.DB, reused bool, done func(), err error) {
	if cfg.Store == "" {
		d, done, err = scratchStore(ctx, cfg.Dir, "dashboard.db")
		return d, false, done, err
	}
	if _, err := os.Stat(cfg.Store); err == nil {
		reused = true
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, false, nil, err
	}
	d, err = db.Open(ctx, cfg.Store, db.Options{Synchronous: "NORMAL"})
	if err != nil {
		return nil, false, nil, err
	}
	return d, reused, func() { d.Close() }, nil
}

// serveAndAsk serves d on loopback and asks every view cfg.Rounds times,
// one request at a time. A reused store's sizes are read from it, and its
// views end on the last day it holds orders for.
func serveAndAsk(ctx context.Context, d *db.DB, cfg DashboardConfig, rep *DashboardReport, yesterday int64) error {
	if yesterday == 0 {
		// The bench's own orders (numbered D…) end on the day before the
		// store was generated.
		if err := d.QueryRow(ctx, `SELECT COALESCE(MAX(paid_day), 0) FROM orders WHERE order_no LIKE 'D%'`).Scan(&yesterday); err != nil {
			return err
		}
		if yesterday == 0 {
			return fmt.Errorf("%s holds none of the bench's orders: remove it to generate it again", cfg.Store)
		}
		if err := d.QueryRow(ctx, `SELECT COUNT(*), (SELECT COUNT(*) FROM order_lines), (SELECT COUNT(*) FROM customers),
			(SELECT COALESCE(SUM(events), 0) FROM event_batches) FROM orders`).Scan(&rep.Orders, &rep.Lines, &rep.Customers, &rep.Events); err != nil {
			return err
		}
		cfg.Log("bench: reusing %s (%d orders, %d events); the rollups catch up…", cfg.Store, rep.Orders, rep.Events)
		// Before the clock: a kept store's rollups catch up with it (after
		// an upgrade that is a build), as the server's minute job would.
		t := time.Now()
		if _, err := (&metric.IndicatorRollup{DB: d}).Refresh(ctx); err != nil {
			return fmt.Errorf("refresh the rollups: %w", err)
		}
		if _, err := (&metric.Rollup{DB: d}).Refresh(ctx); err != nil {
			return fmt.Errorf("refresh the rollups: %w", err)
		}
		rep.RollupSeconds = time.Since(t).Seconds()
	}
	url, token, stop, err := serveDashboard(ctx, d)
	if err != nil {
		return err
	}
	defer stop()
	if cfg.Profile != nil {
		stopProfile, err := cfg.Profile()
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	cfg.Log("bench: asking %d views %d times…", len(dashboardViews(yesterday)), cfg.Rounds)
	client := &http.Client{Timeout: 5 * time.Minute}
	var all []time.Duration
	views := dashboardViews(yesterday)
	took := make([][]time.Duration, len(views))
	// Rounds go through every view in turn, as operators move between
	// pages, so no view is measured only with a warm cache of its own.
	for range cfg.Rounds {
		for i, v := range views {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/api/v1"+v.Path, nil)
			if err != nil {
				return err
			}
			req.Header.Set("Authorization", "Bearer "+token)
			t := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				return fmt.Errorf("%s: %w", v.Name, err)
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			el := time.Since(t)
			if err != nil {
				return fmt.Errorf("%s: %w", v.Name, err)
			}
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("%s: status %d", v.Name, resp.StatusCode)
			}
			took[i] = append(took[i], el)
			all = append(all, el)
		}
	}
	rep.Requests = len(all)
	rep.P50MS, rep.P95MS, rep.MaxMS = timesMS(all)
	for i, v := range views {
		vt := DashboardViewTimes{DashboardView: v}
		vt.P50MS, vt.P95MS, vt.MaxMS = timesMS(took[i])
		rep.Views = append(rep.Views, vt)
	}
	return nil
}

// millis is a duration in milliseconds, as the report gives them.
func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// timesMS are the nearest-rank p50 and p95 and the maximum of ds
// (Percentile; ds is sorted in place), in milliseconds.
func timesMS(ds []time.Duration) (p50, p95, top float64) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	slices.Sort(ds)
	return millis(Percentile(ds, 50)), millis(Percentile(ds, 95)), millis(ds[len(ds)-1])
}

// generateDashboardOrders writes cfg.Customers customers and cfg.Orders
// orders of one to three lines of the catalog's on-sale SKUs over the
// days up to yesterday, through the bulk path with the orders' and lines'
// secondary indexes built after the rows (sorting millions of keys once
// is much cheaper than inserting them one by one), and notes each buyer's
// first paid day as the order service would have.
func generateDashboardOrders(ctx context.Context, d *db.DB, cfg DashboardConfig, yesterday int64, loc *time.Location) (orders, lines int64, err error) {
	type sku struct{ id, product, price, cost int64 }
	var skus []sku
	rows, err := d.Query(ctx, `SELECT s.id, s.product_id, s.list_price, s.cost_price FROM skus s JOIN products p ON p.id = s.product_id
		WHERE p.status = 'on_sale' AND s.list_price > 0 ORDER BY s.id`)
	if err != nil {
		return 0, 0, err
	}
	for rows.Next() {
		var k sku
		if err := rows.Scan(&k.id, &k.product, &k.price, &k.cost); err != nil {
			rows.Close()
			return 0, 0, err
		}
		skus = append(skus, k)
	}
	rows.Close()
	if len(skus) == 0 {
		return 0, 0, errors.New("the catalog has no SKU on sale")
	}
	var firstCustomer, firstOrder, firstLine int64
	if err := d.QueryRow(ctx, `SELECT (SELECT COALESCE(MAX(id), 0) FROM customers), (SELECT COALESCE(MAX(id), 0) FROM orders),
		(SELECT COALESCE(MAX(id), 0) FROM order_lines)`).Scan(&firstCustomer, &firstOrder, &firstLine); err != nil {
		return 0, 0, err
	}
	firstCustomer, firstOrder, firstLine = firstCustomer+1, firstOrder+1, firstLine+1

	dropped, err := dropIndexes(ctx, d, "orders", "order_lines", "customers")
	if err != nil {
		return 0, 0, err
	}
	created := settings.DayTime(metric.AddDays(yesterday, -cfg.Days), loc).UnixMilli()
	custCols := []string{"id", "name", "source_channel", "created_at", "updated_at"}
	channels := []string{"direct", "search", "live", "short_video", "community", "ads"}
	for start := 0; start < cfg.Customers; start += rfmChunk {
		n := min(rfmChunk, cfg.Customers-start)
		vals := make([]any, 0, n*len(custCols))
		for i := range n {
			id := firstCustomer + int64(start+i)
			vals = append(vals, id, "顾客"+strconv.FormatInt(id, 10), channels[id%int64(len(channels))], created, created)
		}
		if err := d.InTx(ctx, func(tx *db.Tx) error { return tx.InsertRows(ctx, "customers", custCols, vals) }); err != nil {
			return 0, 0, fmt.Errorf("generate customers: %w", err)
		}
	}

	dayStart := make([]int64, cfg.Days)
	dayKey := make([]int64, cfg.Days)
	for k := range cfg.Days {
		day := metric.AddDays(yesterday, k-cfg.Days+1)
		dayKey[k], dayStart[k] = day, settings.DayTime(day, loc).UnixMilli()
	}
	rng := rand.New(rand.NewPCG(11, 2026))
	orderCols := []string{"id", "order_no", "customer_id", "channel", "status", "items_total", "discount_total", "shipping_fee",
		"total", "cost_total", "created_at", "paid_at", "paid_day", "updated_at"}
	lineCols := []string{"id", "order_id", "sku_id", "product_id", "title", "quantity", "list_price", "unit_price", "discount",
		"line_total", "unit_cost"}
	lineID := firstLine
	for start := 0; start < cfg.Orders; start += rfmChunk {
		n := min(rfmChunk, cfg.Orders-start)
		ovals := make([]any, 0, n*len(orderCols))
		lvals := make([]any, 0, 2*n*len(lineCols))
		for i := range n {
			id := firstOrder + int64(start+i)
			// A few customers buy often, most a few times; later days
			// carry more orders (the shop grows).
			u := rng.Float64()
			cust := firstCustomer + int64(u*u*float64(cfg.Customers))
			k := min(int(float64(cfg.Days)*(1-rng.Float64()*rng.Float64())), cfg.Days-1)
			at := dayStart[k] + rng.Int64N(86_400_000)
			var items, discount, cost int64
			for range 1 + rng.IntN(3) {
				s := skus[rng.IntN(len(skus))]
				qty := 1 + rng.Int64N(2)
				off := s.price * qty / 10 * rng.Int64N(2) // half the lines 10% off
				total := s.price*qty - off
				lvals = append(lvals, lineID, id, s.id, s.product, "商品 "+strconv.FormatInt(s.product, 10), qty, s.price,
					total/qty, off, total, s.cost)
				lineID++
				items, discount, cost = items+s.price*qty, discount+off, cost+s.cost*qty
				lines++
			}
			status := "completed"
			var paidAt, paidDay any = at, dayKey[k]
			if rng.IntN(100) < 3 {
				status, paidAt, paidDay = "cancelled", nil, nil
			}
			ovals = append(ovals, id, "D"+strconv.FormatInt(id, 10), cust, channels[rng.IntN(len(channels))], status,
				items, discount, 0, items-discount, cost, at, paidAt, paidDay, at)
		}
		err := d.InTx(ctx, func(tx *db.Tx) error {
			if err := tx.InsertRows(ctx, "orders", orderCols, ovals); err != nil {
				return err
			}
			return tx.InsertRows(ctx, "order_lines", lineCols, lvals)
		})
		if err != nil {
			return 0, 0, fmt.Errorf("generate orders: %w", err)
		}
		orders += int64(n)
		if (start/rfmChunk)%10 == 9 {
			cfg.Log("bench: %d orders written", orders)
		}
	}
	cfg.Log("bench: building %d indexes…", len(dropped))
	for _, ix := range dropped {
		if err := ix.build(ctx, d); err != nil {
			return 0, 0, err
		}
	}
	// What customer.NotePaid keeps for live orders, in one pass.
	if _, err := d.Exec(ctx, `UPDATE customers SET first_paid_day = (
		SELECT MIN(o.paid_day) FROM orders o WHERE o.customer_id = customers.id AND o.paid_day IS NOT NULL)
		WHERE id >= $1`, firstCustomer); err != nil {
		return 0, 0, fmt.Errorf("first paid days: %w", err)
	}
	return orders, lines, nil
}

// droppedIndex is a secondary index a generator dropped while it wrote
// rows: sorting millions of keys once is much cheaper than inserting them
// one by one at random places in a B-tree.
type droppedIndex struct{ name, sql string }

func (ix droppedIndex) build(ctx context.Context, d *db.DB) error {
	if err := d.InTx(ctx, func(tx *db.Tx) error { _, err := tx.Exec(ctx, ix.sql); return err }); err != nil {
		return fmt.Errorf("build index %s: %w", ix.name, err)
	}
	return nil
}

// dropIndexes drops the secondary indexes of the tables (SQLite) and
// returns them, to be built again after the rows.
func dropIndexes(ctx context.Context, d *db.DB, tables ...string) ([]droppedIndex, error) {
	var out []droppedIndex
	for _, t := range tables {
		rows, err := d.Query(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL`, t)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var ix droppedIndex
			if err := rows.Scan(&ix.name, &ix.sql); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, ix)
		}
		rows.Close()
	}
	err := d.InTx(ctx, func(tx *db.Tx) error {
		for _, ix := range out {
			if _, err := tx.Exec(ctx, `DROP INDEX `+ix.name); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// serveDashboard serves the store on a loopback port with an admin API
// token, without the background jobs (their refreshes would be measured
// as the dashboard's time).
func serveDashboard(ctx context.Context, d *db.DB) (url, token string, stop func(), err error) {
	as := &auth.Service{DB: d}
	// A kept store (--store) has the operator of its first run: a name of
	// its own each run.
	op, err := as.CreateOperator(ctx, auth.NewOperator{Username: "bench-" + newKey()[:8], DisplayName: "压测 Bench", Role: "admin", Password: "bench-" + newKey()})
	if err != nil {
		return "", "", nil, fmt.Errorf("create the bench operator: %w", err)
	}
	if _, token, err = as.CreateToken(ctx, op.ID, "bench", []string{"*"}, 0); err != nil {
		return "", "", nil, fmt.Errorf("create the bench token: %w", err)
	}
	log := slog.New(slog.DiscardHandler)
	a := app.New(d, log, app.Options{Version: "bench", RefreshWait: metric.ReadWait})
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	ready, done := make(chan string, 1), make(chan error, 1)
	go func() { done <- server.Run(sctx, "127.0.0.1:0", a.Handler(), log, func(u string) { ready <- u }) }()
	select {
	case url = <-ready:
		return url, token, func() { cancel(); <-done }, nil
	case err := <-done:
		cancel()
		return "", "", nil, fmt.Errorf("serve the bench store: %w", err)
	}
}
