package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/demo"
	"github.com/storeops/storeops/internal/metric"
)

// The demo's logins. They are printed at start-up; the demo database is for
// trying storeops out, never for a real shop.
const (
	demoAdmin    = "admin"
	demoPassword = "storeops-demo"
)

// demoOperators gives each role a login so every view of the console can be tried.
var demoOperators = []struct {
	username, name string
	role           auth.Role
}{
	{demoAdmin, "店长 Admin", "admin"},
	{"yunying", "运营 小李", "operator"},
	{"sheji", "设计 小王", "designer"},
	{"kefu", "客服 小张", "service"},
	{"gongying", "供应链 老陈", "supply"},
	{"caiwu", "财务 刘姐", "finance"},
	{"guest", "访客 Viewer", "viewer"},
}

func demoCommand() *command {
	var f serverFlags
	var customers, days int
	var seed uint64
	return &command{
		name:    "demo",
		summary: "run storeops on a generated demo store (created on first run)",
		flags: func(fs *flag.FlagSet) {
			f.register(fs, "./storeops-demo.db")
			fs.IntVar(&customers, "customers", 20000, "customers to generate when the demo store is empty")
			fs.IntVar(&days, "days", 400, "days of order history to generate")
			fs.Uint64Var(&seed, "seed", 1, "random seed; the same seed, size and end date give the same store")
		},
		run: func(ctx context.Context, e *cmdEnv) error {
			if len(e.args) > 0 {
				return fmt.Errorf("demo takes no arguments, got %q", e.args)
			}
			if customers < 1 || customers > 50_000_000 {
				return fmt.Errorf("--customers: %d is outside 1…50,000,000", customers)
			}
			if days < 30 || days > 3650 {
				return fmt.Errorf("--days: %d is outside 30…3650", days)
			}
			log, err := f.logger(e)
			if err != nil {
				return err
			}
			d, err := f.open(ctx)
			if err != nil {
				return err
			}
			defer d.Close()
			if err := ensureDemoStore(ctx, d, e, demo.Options{Customers: customers, Days: days, Seed: seed}); err != nil {
				return err
			}
			// The year of traffic events (millions of rows) is written while
			// the store is already open; the traffic dashboards fill as it goes.
			trafficDone := make(chan struct{})
			go func() {
				defer close(trafficDone)
				fillDemoTraffic(ctx, d, seed, log)
			}()
			defer func() { <-trafficDone }()
			return serve(ctx, d, &f, log, func(url string) {
				fmt.Fprintf(e.stdout, "\nstoreops demo store is open: %s\n", url)
				fmt.Fprintf(e.stdout, "  log in as %s / %s (admin); other roles: ", demoAdmin, demoPassword)
				for i, o := range demoOperators[1:] {
					if i > 0 {
						fmt.Fprint(e.stdout, ", ")
					}
					fmt.Fprintf(e.stdout, "%s (%s)", o.username, o.role)
				}
				fmt.Fprintf(e.stdout, " — same password\n  database: %s   stop with Ctrl+C\n\n", d.Where())
			})
		},
	}
}

// fillDemoTraffic writes the demo store's traffic unless a run before
// finished it; a run stopped halfway is redone from the start.
func fillDemoTraffic(ctx context.Context, d *db.DB, seed uint64, log *slog.Logger) {
	done, err := demo.TrafficDone(ctx, d)
	if err != nil || done {
		return
	}
	log.Info("writing the demo traffic events in the background")
	sum, err := demo.GenerateTraffic(ctx, d, seed, nil)
	if err != nil {
		if ctx.Err() == nil {
			log.Error("demo traffic", "err", err)
		}
		return
	}
	log.Info("demo traffic written", "events", sum.Events, "visits", sum.Visits, "took", sum.Took.Round(100*time.Millisecond))
	// Fill the traffic rollups now rather than at the next minute's job.
	began := time.Now()
	if _, err := (&metric.IndicatorRollup{DB: d}).Refresh(ctx); err != nil {
		if ctx.Err() == nil {
			log.Warn("indicator rollups after the demo traffic", "err", err)
		}
		return
	}
	log.Info("indicator rollups filled", "took", time.Since(began).Round(100*time.Millisecond))
}

// ensureDemoStore fills an empty database with the demo store and makes sure
// the demo logins exist.
func ensureDemoStore(ctx context.Context, d *db.DB, e *cmdEnv, opts demo.Options) error {
	empty, err := demo.IsEmpty(ctx, d)
	if err != nil {
		return err
	}
	if empty {
		fmt.Fprintf(e.stdout, "generating the demo store: %d customers, %d days of orders…\n", opts.Customers, opts.Days)
		opts.Progress = demo.ProgressBar(e.stderr)
		start := time.Now()
		sum, err := demo.Generate(ctx, d, opts)
		if err != nil {
			return fmt.Errorf("generate demo store: %w", err)
		}
		fmt.Fprintf(e.stdout, "\ndemo store ready in %s: %d products (%d SKUs), %d customers, %d orders, %d refunds\n",
			time.Since(start).Round(100*time.Millisecond), sum.Products, sum.SKUs, sum.Customers, sum.Orders, sum.Refunds)
	}
	svc := &auth.Service{DB: d}
	for _, o := range demoOperators {
		_, err := svc.CreateOperator(ctx, auth.NewOperator{Username: o.username, DisplayName: o.name, Role: o.role, Password: demoPassword})
		var fe *apperr.FieldError
		if err != nil && !(errors.As(err, &fe) && fe.Field == "username") {
			return fmt.Errorf("create demo login %s: %w", o.username, err)
		}
	}
	return nil
}
