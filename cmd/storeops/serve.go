package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/app"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/metric"
	"github.com/storeops/storeops/internal/server"
)

// dbFlags are the flags of every command that opens the database.
type dbFlags struct {
	dsn         string
	synchronous string
}

func (f *dbFlags) register(fs *flag.FlagSet, def string) {
	fs.StringVar(&f.dsn, "db", def, "database: a SQLite file path, or a postgres://user@host:5432/dbname URL")
	fs.StringVar(&f.synchronous, "synchronous", "FULL", "SQLite durability: FULL keeps every acknowledged order through a power cut; NORMAL is faster and survives a crash of storeops but not of the machine")
}

func (f *dbFlags) open(ctx context.Context) (*db.DB, error) {
	return db.Open(ctx, f.dsn, db.Options{Synchronous: f.synchronous})
}

// serverFlags are the flags of serve and demo.
type serverFlags struct {
	dbFlags
	addr          string
	logLevel      string
	logFormat     string
	secureCookies bool
	// webhooksAllowPrivate: webhook endpoints may be on loopback and
	// private networks.
	webhooksAllowPrivate bool
	briefHour            int
	conversionBenchmark  float64
}

func (f *serverFlags) register(fs *flag.FlagSet, defDB string) {
	f.dbFlags.register(fs, defDB)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to listen on (host:port)")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	fs.BoolVar(&f.secureCookies, "secure-cookies", false, "mark session cookies Secure (set this when the console is served over HTTPS)")
	fs.Float64Var(&f.conversionBenchmark, "conversion-benchmark", 0, "conversion rate in percent (e.g. 2.5) under which the shop's day raises an anomaly alert whatever its own baseline; 0: none")
	fs.IntVar(&f.briefHour, "brief-hour", 8, "hour (0–23) of the store's day after which yesterday's data brief (and on Mondays the weekly review) is written; -1 turns them off")
	fs.BoolVar(&f.webhooksAllowPrivate, "webhooks-allow-private", false, "let webhook endpoints be on loopback and private networks (an ERP in the shop's own network); off, they must be public addresses")
}

func (f *serverFlags) logger(e *cmdEnv) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %q is not one of debug, info, warn, error", f.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(f.logFormat) {
	case "text":
		return slog.New(slog.NewTextHandler(e.stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(e.stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: %q is not text or json", f.logFormat)
}

func serveCommand() *command {
	var f serverFlags
	return &command{
		name:    "serve",
		summary: "run the console, the API and the background jobs",
		flags:   func(fs *flag.FlagSet) { f.register(fs, "./storeops.db") },
		run: func(ctx context.Context, e *cmdEnv) error {
			if len(e.args) > 0 {
				return fmt.Errorf("serve takes no arguments, got %q", e.args)
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
			return serve(ctx, d, &f, log, func(url string) {
				log.Info("storeops is serving", "url", url, "db", d.Where(), "version", version)
			})
		},
	}
}

func serve(ctx context.Context, d *db.DB, f *serverFlags, log *slog.Logger, ready func(string)) error {
	if f.conversionBenchmark < 0 || f.conversionBenchmark > 100 {
		return fmt.Errorf("--conversion-benchmark: %g is not a percentage from 0 to 100", f.conversionBenchmark)
	}
	if f.briefHour < -1 || f.briefHour > 23 {
		return fmt.Errorf("--brief-hour: %d is not an hour 0–23 (or -1 for no briefs)", f.briefHour)
	}
	a := app.New(d, log, app.Options{Version: version, SecureCookies: f.secureCookies, WebhooksAllowPrivate: f.webhooksAllowPrivate, BriefHour: f.briefHour,
		ConversionBenchmarkBP: int64(math.Round(f.conversionBenchmark * 100)), RefreshWait: metric.ReadWait})
	jobs := a.StartJobs(ctx)
	err := server.Run(ctx, f.addr, a.Handler(), log, ready)
	jobs.Wait()
	if err != nil {
		return err
	}
	log.Info("stopped cleanly")
	return nil
}

func migrateCommand() *command {
	var f dbFlags
	return &command{
		name:    "migrate",
		summary: "apply pending database migrations and exit",
		flags:   func(fs *flag.FlagSet) { f.register(fs, "./storeops.db") },
		run: func(ctx context.Context, e *cmdEnv) error {
			d, err := db.Open(ctx, f.dsn, db.Options{Synchronous: f.synchronous, SkipMigrate: true})
			if err != nil {
				return err
			}
			defer d.Close()
			before, err := d.SchemaVersion(ctx)
			if err != nil {
				return err
			}
			start := time.Now()
			n, err := d.Migrate(ctx)
			var tooNew db.ErrSchemaTooNew
			if errors.As(err, &tooNew) {
				return err
			}
			if err != nil {
				return fmt.Errorf("%w (nothing of the failed migration was kept; the schema stays at version %d plus the %d migrations applied before it)", err, before, n)
			}
			after, _ := d.SchemaVersion(ctx)
			fmt.Fprintf(e.stdout, "%s: schema version %d → %d (%d migrations applied in %s)\n", d.Where(), before, after, n, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
}

func latestSchema() int64 { return db.LatestVersion() }
