package bench

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/rfm"
	"github.com/storeops/storeops/internal/settings"
)

// RFM is the scenario that times RFM segmentation on a generated store
// instead of loading a server.
const RFM = "rfm"

// RFMConfig sizes the store the RFM bench generates.
type RFMConfig struct {
	Customers int
	Orders    int
	Dir       string // where the SQLite file goes; "": a temporary folder, removed after
	// Store, when set, is a SQLite file kept across runs: generated there
	// when it does not exist, reused when it does (its RFM state cleared
	// first), so a bench over ten million orders generates them once.
	Store string
	Log   func(format string, args ...any)
}

// RFMReport is what the RFM bench measured, in seconds.
type RFMReport struct {
	Customers       int       `json:"customers"`
	Orders          int       `json:"orders"`
	Scored          int64     `json:"scored" doc:"customers with a paid order, scored by each run"`
	GenerateSeconds float64   `json:"generate_seconds" doc:"writing the customers and orders, indexes included"`
	RebuildSeconds  float64   `json:"rebuild_seconds" doc:"counting every customer's aggregates and the gap histogram from the orders"`
	FirstRunSeconds float64   `json:"first_run_seconds" doc:"the first stored run of the store"`
	RefreshSeconds  float64   `json:"refresh_seconds" doc:"the routine run, scored and stored: the median of refresh_runs"`
	RefreshRuns     []float64 `json:"refresh_runs" doc:"the routine runs of the nights after the first run"`
	// CPU seconds of the process (user and system, every core), which the
	// neighbours' load on a shared machine changes less than the wall
	// clock.
	RebuildCPUSeconds float64   `json:"rebuild_cpu_seconds"`
	RefreshCPURuns    []float64 `json:"refresh_cpu_runs"`
	Moved             int64     `json:"moved" doc:"customers whose segment changed in the last run"`
}

// rfmNights is how many routine runs are timed.
const rfmNights = 3

// rfmHistoryDays is how far back the generated orders go.
const rfmHistoryDays = 730

// RunRFM generates a SQLite store of cfg.Customers customers and
// cfg.Orders orders and times the full computation from the orders, the
// store's first run and the routine run a day later.
func RunRFM(ctx context.Context, cfg RFMConfig) (RFMReport, error) {
	rep := RFMReport{Customers: cfg.Customers, Orders: cfg.Orders}
	if cfg.Customers < 1 || cfg.Orders < 0 {
		return rep, errors.New("--customers must be at least 1 and --orders at least 0")
	}
	if cfg.Log == nil {
		cfg.Log = func(string, ...any) {}
	}
	d, reused, done, err := openRFMStore(ctx, cfg)
	if err != nil {
		return rep, err
	}
	defer done()
	ctx = audit.WithActor(ctx, audit.Actor{Kind: "system", Name: "bench"})
	st, err := settings.Load(ctx, d)
	if err != nil {
		return rep, err
	}
	// The store's last day starts at end; its orders go back two years.
	end := settings.DayTime(settings.Day(time.Now(), st.Location()), st.Location())
	if reused {
		if end, err = reuseRFMStore(ctx, d, cfg, st.Location()); err != nil {
			return rep, err
		}
		cfg.Log("bench: reusing %s", cfg.Store)
	} else {
		cfg.Log("bench: generating %d customers and %d orders…", cfg.Customers, cfg.Orders)
		began := time.Now()
		if err := generateRFMStore(ctx, d, cfg, end, st.Location()); err != nil {
			return rep, err
		}
		rep.GenerateSeconds = time.Since(began).Seconds()
	}

	s := &rfm.Service{DB: d}
	cfg.Log("bench: rebuilding the aggregates from the orders…")
	began, cpu := time.Now(), processCPU()
	if err := s.Rebuild(ctx); err != nil {
		return rep, err
	}
	rep.RebuildSeconds, rep.RebuildCPUSeconds = time.Since(began).Seconds(), (processCPU() - cpu).Seconds()

	cfg.Log("bench: first run…")
	began = time.Now()
	// The first run comes the night after the last day's orders, the
	// routine one a night later.
	first, err := s.Run(ctx, rfm.Options{AsOf: end.AddDate(0, 0, 1)})
	if err != nil {
		return rep, err
	}
	rep.Scored = first.Customers
	rep.FirstRunSeconds = time.Since(began).Seconds()

	// The routine runs of the three nights after: the first of them also
	// pays for SQLite checkpointing the first run's million rows.
	cfg.Log("bench: the routine runs of the next %d nights…", rfmNights)
	for night := range rfmNights {
		began, cpu = time.Now(), processCPU()
		if _, err := s.Run(ctx, rfm.Options{AsOf: end.AddDate(0, 0, 2+night)}); err != nil {
			return rep, err
		}
		rep.RefreshRuns = append(rep.RefreshRuns, time.Since(began).Seconds())
		rep.RefreshCPURuns = append(rep.RefreshCPURuns, (processCPU() - cpu).Seconds())
	}
	sorted := slices.Clone(rep.RefreshRuns)
	slices.Sort(sorted)
	rep.RefreshSeconds = sorted[len(sorted)/2]
	mv, err := s.LatestMovement(ctx)
	if err != nil {
		return rep, err
	}
	for i := range mv.Counts {
		for j, n := range mv.Counts[i] {
			if i != j {
				rep.Moved += n
			}
		}
	}
	return rep, nil
}

// openRFMStore opens cfg.Store, saying whether it existed, or a scratch
// store.
func openRFMStore(ctx context.Context, cfg RFMConfig) (d *db.DB, reused bool, done func(), err error) {
	if cfg.Store == "" {
		d, done, err = scratchStore(ctx, cfg.Dir, "rfm.db")
		return d, false, done, err
	}
	_, err = os.Stat(cfg.Store)
	switch {
	case err == nil:
		reused = true
	case !errors.Is(err, fs.ErrNotExist):
		return nil, false, nil, fmt.Errorf("rfm bench store: %w", err)
	}
	began := time.Now()
	d, err = db.Open(ctx, cfg.Store, db.Options{Synchronous: "NORMAL"})
	if err != nil {
		return nil, false, nil, err
	}
	if reused {
		cfg.Log("bench: opened %s in %.1f s (migrations included)", cfg.Store, time.Since(began).Seconds())
	}
	return d, reused, func() { d.Close() }, nil
}

// reuseRFMStore checks that a kept store holds the customers and orders
// asked for, clears what earlier benches left of RFM (runs, scores,
// aggregates, marks), and returns the start of the store's last day.
func reuseRFMStore(ctx context.Context, d *db.DB, cfg RFMConfig, loc *time.Location) (time.Time, error) {
	var customers, orders, last int64
	if err := d.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM customers), (SELECT COUNT(*) FROM orders), COALESCE((SELECT MAX(created_at) FROM orders), 0)`).
		Scan(&customers, &orders, &last); err != nil {
		return time.Time{}, fmt.Errorf("rfm bench store: %w", err)
	}
	if customers != int64(cfg.Customers) || orders != int64(cfg.Orders) {
		return time.Time{}, fmt.Errorf("rfm bench store %s holds %d customers and %d orders, not the %d and %d asked for: give another --store",
			cfg.Store, customers, orders, cfg.Customers, cfg.Orders)
	}
	err := d.InTx(ctx, func(tx *db.Tx) error {
		for _, q := range []string{`DELETE FROM rfm_moves`, `DELETE FROM rfm_current`, `DELETE FROM rfm_current_stage`, `DELETE FROM rfm_run_segments`,
			`DELETE FROM rfm_runs`, `DELETE FROM rfm_customers`, `DELETE FROM rfm_gaps`, `DELETE FROM job_marks WHERE name LIKE 'rfm.%'`} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return fmt.Errorf("rfm bench store: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return time.Time{}, err
	}
	t := time.UnixMilli(last)
	return settings.DayTime(settings.Day(t, loc), loc), nil
}

// rfmChunk is how many rows one bulk insert writes.
const rfmChunk = 100_000

// rfmIndexes are the orders' secondary indexes RFM reads: the customer's
// orders and purchases for the hook's recount and the rebuild, updated_at
// for the marks that say the aggregates are current. The generated store has only these: building
// the other six over ten million orders would take minutes and measure
// nothing RFM does.
var rfmIndexes = map[string]bool{"orders_customer_paid": true, "orders_updated": true, "orders_purchases": true}

// generateRFMStore writes the customers and their orders through the bulk
// path. The orders' secondary indexes are dropped while the rows go in and
// those RFM reads are built after: sorting ten million keys once is much
// cheaper than inserting them one by one at random places in a B-tree.
func generateRFMStore(ctx context.Context, d *db.DB, cfg RFMConfig, end time.Time, loc *time.Location) error {
	if d.Dialect() != db.SQLite {
		return errors.New("the RFM bench generates a SQLite store")
	}
	created := end.AddDate(0, 0, -rfmHistoryDays-30).UnixMilli()
	custCols := []string{"name", "created_at", "updated_at"}
	for start := 0; start < cfg.Customers; start += rfmChunk {
		n := min(rfmChunk, cfg.Customers-start)
		vals := make([]any, 0, n*len(custCols))
		for i := range n {
			vals = append(vals, "客户"+strconv.Itoa(start+i+1), created, created)
		}
		if err := d.InTx(ctx, func(tx *db.Tx) error { return tx.InsertRows(ctx, "customers", custCols, vals) }); err != nil {
			return fmt.Errorf("generate customers: %w", err)
		}
	}

	indexes, err := dropIndexes(ctx, d, "orders")
	if err != nil {
		return fmt.Errorf("generate orders: %w", err)
	}

	// Day k (0 … rfmHistoryDays-1) starts at dayStart[k] and is dayKey[k].
	dayStart, dayKey := make([]int64, rfmHistoryDays), make([]int64, rfmHistoryDays)
	for k := range rfmHistoryDays {
		t := end.AddDate(0, 0, k-rfmHistoryDays+1)
		dayStart[k], dayKey[k] = t.UnixMilli(), settings.Day(t, loc)
	}
	rng := rand.New(rand.NewPCG(6, 2026))
	cols := []string{"order_no", "customer_id", "status", "items_total", "total", "refunded_total",
		"created_at", "paid_at", "paid_day", "updated_at"}
	for start := 0; start < cfg.Orders; start += rfmChunk {
		n := min(rfmChunk, cfg.Orders-start)
		vals := make([]any, 0, n*len(cols))
		for i := range n {
			// A few customers buy often, most a few times: u² puts more
			// orders on the low ids.
			u := rng.Float64()
			cust := 1 + int64(u*u*float64(cfg.Customers))
			// Later days have more orders (the shop grows).
			k := int(float64(rfmHistoryDays) * (1 - rng.Float64()*rng.Float64()))
			k = min(k, rfmHistoryDays-1)
			at := dayStart[k] + rng.Int64N(86_400_000)
			total := 1900 + rng.Int64N(40_000)
			status, refunded := "completed", int64(0)
			var paidAt, paidDay any = at, dayKey[k]
			switch r := rng.IntN(100); {
			case r < 3: // never paid
				status, paidAt, paidDay = "cancelled", nil, nil
			case r < 5: // paid, then refunded in full before shipping
				status, refunded = "closed", total
			case r < 8: // part of it returned
				refunded = total / 3
			}
			vals = append(vals, fmt.Sprintf("B%010d", start+i+1), cust, status, total, total, refunded, at, paidAt, paidDay, at)
		}
		if err := d.InTx(ctx, func(tx *db.Tx) error { return tx.InsertRows(ctx, "orders", cols, vals) }); err != nil {
			return fmt.Errorf("generate orders: %w", err)
		}
		if (start/rfmChunk)%20 == 19 {
			cfg.Log("bench: %d orders written", start+n)
		}
	}
	for _, ix := range indexes {
		if !rfmIndexes[ix.name] {
			continue
		}
		cfg.Log("bench: building index %s", ix.name)
		if err := ix.build(ctx, d); err != nil {
			return err
		}
	}
	return nil
}
