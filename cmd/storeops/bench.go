package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/bench"
)

func benchCommand() *command {
	var target, scenario, token, dsn, synchronous, cpuProfile, store string
	var self, asJSON bool
	var clients, requests, customers, units, attempts, perCustomer, events, batch, orders int
	var visitors, days, rounds int
	var duration time.Duration
	return &command{
		name:    "bench",
		summary: "load a storeops on loopback with simulated shoppers and operators, and report throughput and latency",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&target, "url", "", "the storeops to load (loopback only), e.g. http://127.0.0.1:8080; empty: --self")
			fs.StringVar(&target, "target", "", "the same as --url")
			fs.BoolVar(&self, "self", false, "generate a small demo store in a temporary folder and serve it on 127.0.0.1 for the run (the default without --url)")
			fs.StringVar(&scenario, "scenario", bench.Checkout, "checkout (shoppers order and pay), browse (operators list and search), mixed, flashsale (shoppers race for a flash sale's units), ingest (pages send traffic events to /collect), funnel (times the conversion funnel over a generated store of --events raw events), rfm (times RFM segmentation on a generated store of --customers and --orders), or dashboard (times the dashboard API on a generated store of --orders orders and --events events)")
			fs.IntVar(&clients, "clients", 64, "concurrent simulated users")
			fs.DurationVar(&duration, "duration", 30*time.Second, "how long to run (at most 10m)")
			fs.IntVar(&requests, "requests", 0, "stop after this many requests (0: run for --duration)")
			fs.StringVar(&token, "token", "", "an operator API token (so_…) for --url: browse calls the operator API, and checkout finds on-sale SKUs with it")
			fs.StringVar(&dsn, "bench-db", "", "with --self: the database to generate the store in (an empty PostgreSQL schema, or a new SQLite path); empty: a temporary SQLite file")
			fs.StringVar(&synchronous, "synchronous", "FULL", "with --self on SQLite: the synchronous pragma (FULL or NORMAL)")
			fs.IntVar(&customers, "customers", 2000, "with --self: demo customers to generate")
			fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
			fs.IntVar(&units, "units", 1000, "flashsale: units in the flash sale's pool")
			fs.IntVar(&attempts, "attempts", 50000, "flashsale: checkouts the clients make in all")
			fs.IntVar(&perCustomer, "per-customer", 0, "flashsale: the sale's limit per customer (0: units ÷ clients, rounded up, so the pool can sell out)")
			fs.IntVar(&events, "events", 1_000_000, "ingest: traffic events to send in all")
			fs.IntVar(&batch, "batch", 100, "ingest: events a request (at most 100)")
			fs.IntVar(&visitors, "visitors", 0, "funnel: distinct visitors of the --events (0: one per 20 events)")
			fs.IntVar(&days, "days", 90, "funnel: days the events are spread over")
			fs.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file (with --self it covers the server too; dashboard: the requests alone)")
			fs.IntVar(&orders, "orders", 0, "rfm: orders to generate (0: ten a customer); dashboard: orders (0: 1,000,000)")
			fs.IntVar(&rounds, "rounds", 20, "dashboard: times each view is asked")
			fs.StringVar(&store, "store", "", "rfm: a SQLite file to keep the generated store in, reused by the next bench of the same --customers and --orders (empty: a temporary file); dashboard: the same, reused as it is")
		},
		run: func(ctx context.Context, e *cmdEnv) error {
			// The scenario may also come first: storeops bench checkout.
			switch len(e.args) {
			case 0:
			case 1:
				scenario = e.args[0]
			default:
				return fmt.Errorf("bench takes at most one argument, the scenario; got %q", e.args)
			}
			if self && target != "" {
				return fmt.Errorf("--self and --url: choose one (a store bench serves itself, or the one at --url)")
			}
			if scenario == bench.RFM {
				return runRFMBench(ctx, e, customers, orders, store, cpuProfile, asJSON)
			}
			if scenario == bench.Dashboard {
				// The shared flags' defaults are other scenarios': here
				// events default to two an order, customers to one in five
				// orders, and the history to 400 days.
				cfg := bench.DashboardConfig{Orders: orders, Rounds: rounds, Days: 400, Store: store}
				if cpuProfile != "" {
					cfg.Profile = func() (func(), error) { return startCPUProfile(cpuProfile) }
				}
				e.fs.Visit(func(f *flag.Flag) {
					switch f.Name {
					case "events":
						cfg.Events = events
					case "customers":
						cfg.Customers = customers
					case "days":
						cfg.Days = days
					}
				})
				return runDashboardBench(ctx, e, cfg, asJSON)
			}
			if scenario == bench.Funnel {
				cfg := bench.FunnelConfig{Events: events, Visitors: visitors, Days: days}
				if cpuProfile != "" {
					cfg.Profile = func() (func(), error) { return startCPUProfile(cpuProfile) }
				}
				return runFunnelBench(ctx, e, cfg, asJSON)
			}
			if scenario == bench.Ingest {
				return runIngestBench(ctx, e, bench.IngestConfig{URL: target, Events: events, Batch: batch, Clients: clients},
					bench.StoreOptions{DSN: dsn, Synchronous: synchronous, Customers: customers}, cpuProfile, asJSON)
			}
			if scenario == bench.FlashSale {
				return runFlashBench(ctx, e, bench.FlashConfig{URL: target, Token: token, Units: units, Attempts: attempts, Clients: clients, PerCustomer: perCustomer},
					bench.StoreOptions{DSN: dsn, Synchronous: synchronous, Customers: customers}, cpuProfile, asJSON)
			}
			cfg := bench.Config{URL: target, Scenario: scenario, Clients: clients, Duration: duration, Requests: requests, Token: token}
			if target == "" {
				s, closeStore, err := serveBenchStore(ctx, e, bench.StoreOptions{DSN: dsn, Synchronous: synchronous, Customers: customers})
				if err != nil {
					return err
				}
				defer closeStore()
				cfg.URL, cfg.Token, cfg.SKUs = s.URL, s.Token, s.SKUs
			} else if _, err := bench.CheckLoopback(target); err != nil {
				return err
			}
			stop, err := startCPUProfile(cpuProfile)
			if err != nil {
				return err
			}
			defer stop()
			fmt.Fprintf(e.stderr, "bench: %s against %s with %d clients for %s…\n", scenario, cfg.URL, clients, runLimit(duration, requests))
			rep, err := bench.Run(ctx, cfg)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(e.stdout, rep)
			}
			printBenchReport(e.stdout, rep)
			return nil
		},
	}
}

// runFlashBench runs the flash-sale scenario against the storeops at
// cfg.URL, or against a demo store it serves itself.
func runFlashBench(ctx context.Context, e *cmdEnv, cfg bench.FlashConfig, so bench.StoreOptions, cpuProfile string, asJSON bool) error {
	if cfg.URL == "" {
		s, closeStore, err := serveBenchStore(ctx, e, so)
		if err != nil {
			return err
		}
		defer closeStore()
		cfg.URL, cfg.Token, cfg.SKU = s.URL, s.Token, s.SKUs[0]
		if cfg.Shoppers, err = s.Shoppers(ctx, cfg.Clients); err != nil {
			return err
		}
	} else {
		if cfg.Token == "" {
			return fmt.Errorf("--token: flashsale creates the sale through the operator API; give an API token with promotions:write and products:read")
		}
		fmt.Fprintf(e.stderr, "bench: registering %d shoppers at %s…\n", cfg.Clients, cfg.URL)
		var err error
		if cfg.SKU, cfg.Shoppers, err = bench.PrepareFlashSale(ctx, cfg.URL, cfg.Token, cfg.Clients); err != nil {
			return err
		}
	}
	stop, err := startCPUProfile(cpuProfile)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Fprintf(e.stderr, "bench: flashsale, %d attempts on %d units from %d clients…\n", cfg.Attempts, cfg.Units, cfg.Clients)
	rep, err := bench.RunFlashSale(ctx, cfg)
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(e.stdout, rep)
	}
	fmt.Fprintf(e.stdout, "flashsale, %d clients, %s\n", rep.Clients, rep.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(e.stdout, "attempts  %d (%.0f/s), p50 %.1fms, p99 %.1fms\n", rep.Attempts, rep.AttemptsPerSec, rep.P50Ms, rep.P99Ms)
	fmt.Fprintf(e.stdout, "units     %d in the pool: %d sold, %d oversold\n", rep.Units, rep.Sold, rep.Oversold)
	fmt.Fprintf(e.stdout, "orders    %d placed, %d paid; %d refused (sold out or over the limit)\n", rep.Placed, rep.PaidByClients, rep.Refused)
	return nil
}

// runIngestBench runs the ingest scenario against the storeops at cfg.URL,
// or against a demo store it serves itself, whose stored events it counts.
func runIngestBench(ctx context.Context, e *cmdEnv, cfg bench.IngestConfig, so bench.StoreOptions, cpuProfile string, asJSON bool) error {
	if cfg.URL == "" {
		s, closeStore, err := serveBenchStore(ctx, e, so)
		if err != nil {
			return err
		}
		defer closeStore()
		cfg.URL, cfg.Drain, cfg.Stored = s.URL, s.Stop, s.StoredEvents
	}
	stop, err := startCPUProfile(cpuProfile)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Fprintf(e.stderr, "bench: ingest, %d events in batches of %d from %d clients to %s…\n", cfg.Events, cfg.Batch, cfg.Clients, cfg.URL)
	rep, err := bench.RunIngest(ctx, cfg)
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(e.stdout, rep)
	}
	fmt.Fprintf(e.stdout, "ingest, %d clients, batches of %d, %s\n", rep.Clients, rep.Batch, rep.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(e.stdout, "events    %d accepted (%.0f/s)", rep.Events, rep.EventsPerSecond)
	if rep.Stored >= 0 {
		fmt.Fprintf(e.stdout, ", %d stored, %d lost", rep.Stored, rep.Lost)
	}
	fmt.Fprintf(e.stdout, "; %.1f µs of CPU an event\n", rep.CPUMicrosPerEvent)
	fmt.Fprintf(e.stdout, "requests  %d (%d sent again after 503), p50 %s, p99 %s\n", rep.Requests, rep.Retried, millis(rep.Latency.P50), millis(rep.Latency.P99))
	if len(rep.Errors) > 0 {
		fmt.Fprintf(e.stdout, "errors    %v\n", rep.Errors)
	}
	return nil
}

// runRFMBench times RFM segmentation on a generated SQLite store of
// customers and orders (internal/bench/rfm.go).
func runRFMBench(ctx context.Context, e *cmdEnv, customers, orders int, store, cpuProfile string, asJSON bool) error {
	if orders == 0 {
		orders = 10 * customers
	}
	stop, err := startCPUProfile(cpuProfile)
	if err != nil {
		return err
	}
	defer stop()
	rep, err := bench.RunRFM(ctx, bench.RFMConfig{Customers: customers, Orders: orders, Store: store,
		Log: func(format string, args ...any) { fmt.Fprintf(e.stderr, format+"\n", args...) }})
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(e.stdout, rep)
	}
	fmt.Fprintf(e.stdout, "rfm, %d customers (%d scored), %d orders\n", rep.Customers, rep.Scored, rep.Orders)
	fmt.Fprintf(e.stdout, "generate  %.2f s\nrebuild   %.3f s\nfirst run %.3f s\nrefresh   %.3f s (%d customers moved)\n",
		rep.GenerateSeconds, rep.RebuildSeconds, rep.FirstRunSeconds, rep.RefreshSeconds, rep.Moved)
	return nil
}

// runDashboardBench builds a SQLite store of orders and events and times
// the dashboard's API on it (internal/bench/dashboard.go).
func runDashboardBench(ctx context.Context, e *cmdEnv, cfg bench.DashboardConfig, asJSON bool) error {
	cfg.Log = func(format string, args ...any) { fmt.Fprintf(e.stderr, format+"\n", args...) }
	rep, err := bench.RunDashboard(ctx, cfg)
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(e.stdout, rep)
	}
	fmt.Fprintf(e.stdout, "dashboard, %d orders (%d lines) of %d customers, %d events over %d days\n",
		rep.Orders, rep.Lines, rep.Customers, rep.Events, rep.Days)
	fmt.Fprintf(e.stdout, "generate  %.1f s\nrollups   %.1f s\nrfm       %.1f s\n", rep.GenerateSeconds, rep.RollupSeconds, rep.RFMSeconds)
	fmt.Fprintf(e.stdout, "requests  %d, p50 %.1f ms, p95 %.1f ms, max %.1f ms\n", rep.Requests, rep.P50MS, rep.P95MS, rep.MaxMS)
	for _, v := range rep.Views {
		fmt.Fprintf(e.stdout, "  %-36s p50 %8.1f ms  p95 %8.1f ms  max %8.1f ms\n", v.Name, v.P50MS, v.P95MS, v.MaxMS)
	}
	return nil
}

// serveBenchStore generates a demo store in a temporary folder and serves
// it on loopback; closeStore stops it and removes the folder.
func serveBenchStore(ctx context.Context, e *cmdEnv, so bench.StoreOptions) (s *bench.Store, closeStore func(), err error) {
	dir, err := os.MkdirTemp("", "storeops-bench-")
	if err != nil {
		return nil, nil, err
	}
	so.Dir = dir
	fmt.Fprintf(e.stderr, "bench: generating a demo store (%d customers) and serving it on loopback…\n", so.Customers)
	if s, err = bench.StartStore(ctx, so); err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	return s, func() { s.Close(); os.RemoveAll(dir) }, nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// startCPUProfile writes a CPU profile to path until stop is called; an
// empty path profiles nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func runLimit(d time.Duration, requests int) string {
	if requests > 0 {
		return fmt.Sprintf("%d requests (at most %s)", requests, d)
	}
	return d.String()
}

func printBenchReport(w io.Writer, r bench.Report) {
	fmt.Fprintf(w, "scenario %s, %d clients, %s\n", r.Scenario, r.Clients, r.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "requests  %d (%.0f/s)\n", r.Requests, r.RequestsPerSecond)
	if r.Scenario != bench.Browse {
		fmt.Fprintf(w, "orders    %d placed, %d paid (%.0f paid orders/s)\n", r.OrdersPlaced, r.OrdersPaid, r.OrdersPerSecond)
	}
	if len(r.Errors) == 0 {
		fmt.Fprintln(w, "errors    none")
	} else {
		var keys []string
		for k := range r.Errors {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s×%d", k, r.Errors[k]))
		}
		fmt.Fprintf(w, "errors    %s\n", strings.Join(parts, ", "))
	}
	fmt.Fprintf(w, "\n%-16s %8s %9s %9s %9s %9s\n", "latency", "count", "p50", "p90", "p99", "max")
	row := func(name string, l bench.Latency) {
		fmt.Fprintf(w, "%-16s %8d %9s %9s %9s %9s\n", name, l.Count, millis(l.P50), millis(l.P90), millis(l.P99), millis(l.Max))
	}
	row("all", r.Latency)
	var ops []string
	for op := range r.ByOperation {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, op := range ops {
		row(op, r.ByOperation[op])
	}
}

func millis(d time.Duration) string {
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}
