// Package app wires the capability services to the console, the API and the
// background jobs: the one place that knows every part of the program.
package app

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/storeops/storeops/internal/api"
	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/event"
	"github.com/storeops/storeops/internal/flash"
	"github.com/storeops/storeops/internal/inventory"
	"github.com/storeops/storeops/internal/metric"
	"github.com/storeops/storeops/internal/server"
	"github.com/storeops/storeops/internal/web"
	"github.com/storeops/storeops/internal/webhook"
)

// Options are the settings of the running program.
type Options struct {
	Version       string
	SecureCookies bool
	// WebhooksAllowPrivate lets webhook endpoints be on loopback and
	// private networks (see internal/webhook/guard.go).
	WebhooksAllowPrivate bool
	// BriefHour is the hour (0–23) of the store's day after which
	// yesterday's data brief is written; -1 writes none.
	BriefHour int
	// ConversionBenchmarkBP: the shop's conversion rate under it raises an
	// alert (basis points; 0: no benchmark).
	ConversionBenchmarkBP int64
	// RefreshWait is the longest a dashboard read waits for the rollup
	// refresh it starts before it is served the rollups as they are
	// (metric.ReadWait in the server); 0 waits for the refresh to end.
	RefreshWait time.Duration
}

// App is the running program.
type App struct {
	DB        *db.DB
	Log       *slog.Logger
	Auth      *auth.Service
	Catalog   *catalog.Service
	Customers *customer.Service
	Inventory *inventory.Service
	API       *api.API
	Console   *web.Console
	Metrics   *server.Metrics
	Events    *event.Collector
	Webhooks  *webhook.Service
	Flash     *flash.Service

	briefHour       int
	conversionBench int64
}

// New builds the program on an open database.
func New(d *db.DB, log *slog.Logger, opt Options) *App {
	a := &App{
		DB:        d,
		Log:       log,
		Auth:      &auth.Service{DB: d},
		Catalog:   &catalog.Service{DB: d},
		Customers: &customer.Service{DB: d},
		Inventory: &inventory.Service{DB: d},
		Metrics:   server.NewMetrics(),
		Events:    event.NewCollector(d, log),
	}
	a.API = &api.API{DB: d, Auth: a.Auth, Catalog: a.Catalog, Customers: a.Customers, Inventory: a.Inventory, Log: log, Version: opt.Version, RefreshWait: opt.RefreshWait}
	a.wireCommerce()
	a.briefHour, a.conversionBench = opt.BriefHour, opt.ConversionBenchmarkBP
	a.Console = &web.Console{DB: d, Auth: a.Auth, Catalog: a.Catalog, Customers: a.Customers, Inventory: a.Inventory, Orders: a.API.Orders, Log: log, SecureCookies: opt.SecureCookies, RefreshWait: opt.RefreshWait}
	a.wireWebhooks(opt)
	a.wirePromotions()
	a.wirePoints()
	a.wireFlash()
	a.wireGroupBuys()
	a.wirePresales()
	a.wireTiers()
	a.wireReferrals()
	a.wireRFM()
	return a
}

// Handler is the whole HTTP surface: probes, metrics, the API and the console.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := a.DB.Ping(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("database unreachable: " + err.Error() + "\n"))
			return
		}
		w.Write([]byte("ready\n"))
	})
	mux.Handle("GET /metrics", a.Metrics.Handler())
	// Traffic events come from the shop's pages on other origins: public,
	// outside the console's session and CSRF checks.
	mux.Handle("POST /collect", a.Events)
	mux.Handle(api.Prefix+"/", a.API.Handler())
	mux.Handle("/", a.Console.Handler())
	return server.Logging(a.Log, server.SecurityHeaders(a.Metrics.Instrument(mux)))
}

// Jobs is the set of background loops; Wait returns once they have stopped.
type Jobs struct {
	wg sync.WaitGroup
	// atStop runs after the loops have returned; serve calls Wait once the
	// server has drained, so what its last requests buffered is written too.
	atStop []func()
}

// Wait blocks until every job has returned.
func (j *Jobs) Wait() {
	j.wg.Wait()
	for _, fn := range j.atStop {
		fn()
	}
}

// StartJobs starts the recurring housekeeping until ctx ends.
func (a *App) StartJobs(ctx context.Context) *Jobs {
	j := &Jobs{}
	a.startCommerceJobs(ctx, j)
	a.startFlashJobs(ctx, j)
	a.startPointsJobs(ctx, j)
	a.startGroupBuyJobs(ctx, j)
	a.startPresaleJobs(ctx, j)
	a.startWebhooks(ctx, j)
	a.startImportJobs(ctx, j)
	a.startBriefs(ctx, j)
	a.startTierJobs(ctx, j)
	a.startReferralJobs(ctx, j)
	a.startAudienceJobs(ctx, j)
	j.wg.Add(1)
	go func() {
		defer j.wg.Done()
		a.Events.Run(ctx)
	}()
	j.atStop = append(j.atStop, func() {
		fctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Events.Flush(fctx); err != nil {
			a.Log.Warn("write traffic events on shutdown", "err", err)
		}
	})
	// The sales rollup follows orders within a minute even when nobody
	// opens the overview (which refreshes it too).
	rollup := &metric.Rollup{DB: a.DB}
	j.every(ctx, time.Minute, func(ctx context.Context) {
		if _, err := rollup.Refresh(ctx); err != nil {
			a.Log.Warn("refresh sales rollup", "err", err)
		}
	})
	// The indicator rollups (traffic, channels, products) likewise.
	indicators := &metric.IndicatorRollup{DB: a.DB}
	j.every(ctx, time.Minute, func(ctx context.Context) {
		if _, err := indicators.Refresh(ctx); err != nil {
			a.Log.Warn("refresh indicator rollups", "err", err)
		}
	})
	j.every(ctx, time.Hour, a.refreshSegments)
	j.every(ctx, time.Hour, func(ctx context.Context) {
		if n, err := a.Auth.PurgeExpiredSessions(ctx); err != nil {
			a.Log.Warn("purge expired sessions", "err", err)
		} else if n > 0 {
			a.Log.Info("purged expired sessions", "count", n)
		}
		if _, err := a.Auth.PurgeLoginFailures(ctx); err != nil {
			a.Log.Warn("purge login failures", "err", err)
		}
	})
	return j
}

func (j *Jobs) every(ctx context.Context, d time.Duration, fn func(context.Context)) {
	j.wg.Add(1)
	go func() {
		defer j.wg.Done()
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			fn(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}
