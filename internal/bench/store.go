package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"

	"github.com/storeops/storeops/internal/app"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/demo"
	"github.com/storeops/storeops/internal/event"
	"github.com/storeops/storeops/internal/inventory"
	"github.com/storeops/storeops/internal/server"
)

// StoreOptions describe the demo store bench serves for itself.
type StoreOptions struct {
	Dir         string // where the SQLite file goes, when DSN is empty
	DSN         string // "": a new SQLite file in Dir; or an empty PostgreSQL schema
	Synchronous string // SQLite's synchronous pragma, "" for FULL
	Customers   int    // demo customers, default 2000
	Days        int    // days of demo history, default 60
	Log         *slog.Logger
}

// Store is a demo store served on a loopback port for the length of a run.
type Store struct {
	URL   string
	Token string  // an admin API token
	SKUs  []int64 // on-sale SKUs, stocked for the run
	DB    *db.DB
	done  chan error
	stop  context.CancelFunc

	stopOnce sync.Once
	stopErr  error
}

// restock is what each on-sale SKU receives before the run, so a long run
// measures orders, not sold-out answers.
const restock = 1_000_000

// StartStore generates a small demo store, stocks its on-sale SKUs, makes
// an admin API token and serves the store on 127.0.0.1 at a free port.
func StartStore(ctx context.Context, o StoreOptions) (*Store, error) {
	if o.Customers == 0 {
		o.Customers = 2000
	}
	if o.Days == 0 {
		o.Days = 60
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	dsn := o.DSN
	if dsn == "" {
		dsn = filepath.Join(o.Dir, "bench.db")
	}
	d, err := db.Open(ctx, dsn, db.Options{Synchronous: o.Synchronous})
	if err != nil {
		return nil, err
	}
	s, err := prepare(ctx, d, o)
	if err != nil {
		d.Close()
		return nil, err
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.stop, s.done = cancel, make(chan error, 1)
	a := app.New(d, o.Log, app.Options{Version: "bench"})
	ready := make(chan string, 1)
	go func() {
		jobs := a.StartJobs(sctx)
		err := server.Run(sctx, "127.0.0.1:0", a.Handler(), o.Log, func(u string) { ready <- u })
		jobs.Wait()
		s.done <- err
	}()
	select {
	case s.URL = <-ready:
		return s, nil
	case err := <-s.done:
		d.Close()
		return nil, fmt.Errorf("serve the bench store: %w", err)
	}
}

func prepare(ctx context.Context, d *db.DB, o StoreOptions) (*Store, error) {
	ctx = audit.WithActor(ctx, audit.Actor{Kind: "system", Name: "bench"})
	empty, err := demo.IsEmpty(ctx, d)
	if err != nil {
		return nil, err
	}
	if !empty {
		return nil, fmt.Errorf("bench generates its own store and needs an empty database; %s is not", d.Where())
	}
	if _, err := demo.Generate(ctx, d, demo.Options{Customers: o.Customers, Days: o.Days, Seed: 1}); err != nil {
		return nil, fmt.Errorf("generate the bench store: %w", err)
	}
	as := &auth.Service{DB: d}
	op, err := as.CreateOperator(ctx, auth.NewOperator{Username: "bench", DisplayName: "压测 Bench", Role: "admin", Password: "bench-" + newKey()})
	if err != nil {
		return nil, fmt.Errorf("create the bench operator: %w", err)
	}
	_, secret, err := as.CreateToken(ctx, op.ID, "bench", []string{"*"}, 0)
	if err != nil {
		return nil, fmt.Errorf("create the bench token: %w", err)
	}
	s := &Store{DB: d, Token: secret}
	rows, err := d.Query(ctx, `SELECT s.id FROM skus s JOIN products p ON p.id = s.product_id WHERE p.status = 'on_sale' ORDER BY s.id LIMIT 50`)
	if err != nil {
		return nil, fmt.Errorf("find on-sale SKUs: %w", err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		s.SKUs = append(s.SKUs, id)
	}
	rows.Close()
	if len(s.SKUs) == 0 {
		return nil, errors.New("the generated store has no SKU on sale")
	}
	inv := &inventory.Service{DB: d}
	for _, id := range s.SKUs {
		if _, err := inv.Adjust(ctx, id, restock, inventory.ReasonReceipt, "bench", "stock for a load run"); err != nil {
			return nil, fmt.Errorf("stock SKU %d for the run: %w", id, err)
		}
	}
	return s, nil
}

// Stop stops serving and the store's jobs, which write what they hold
// (the event collector's queue), and leaves the database open.
func (s *Store) Stop() error {
	s.stopOnce.Do(func() {
		s.stop()
		s.stopErr = <-s.done
	})
	return s.stopErr
}

// Close stops the server and closes the database.
func (s *Store) Close() error {
	err := s.Stop()
	if cerr := s.DB.Close(); err == nil {
		err = cerr
	}
	if err != nil && !strings.Contains(err.Error(), "closed") {
		return err
	}
	return nil
}

// StoredEvents counts the traffic events of an ingest run in the store.
func (s *Store) StoredEvents(ctx context.Context, run string) (int64, error) {
	n, err := event.CountIDPrefix(ctx, s.DB, "c:"+run+"-")
	if err != nil {
		return 0, fmt.Errorf("count the run's events: %w", err)
	}
	return n, nil
}
