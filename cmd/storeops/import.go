package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/demo"
	"github.com/storeops/storeops/internal/importer"
)

func importCommand() *command {
	c := &command{name: "import", summary: "import orders, customers, products or stock levels from CSV or XLSX"}
	for _, k := range []struct {
		kind    importer.Kind
		summary string
	}{
		{importer.KindOrders, "import orders with their lines (and the customers who placed them)"},
		{importer.KindCustomers, "import customers"},
		{importer.KindProducts, "import products (one SKU a row)"},
		{importer.KindStock, "set stock levels by SKU code (a stocktake)"},
	} {
		c.subs = append(c.subs, importKindCommand(k.kind, k.summary))
	}
	return c
}

func importKindCommand(kind importer.Kind, summary string) *command {
	var f dbFlags
	var preset, mapping string
	var dryRun, asJSON bool
	return &command{
		name:    string(kind),
		summary: summary,
		usage:   "FILE",
		flags: func(fs *flag.FlagSet) {
			f.register(fs, "./storeops.db")
			fs.StringVar(&preset, "preset", "generic", "the file's layout: "+strings.Join(importer.PresetNames(), ", "))
			fs.StringVar(&mapping, "mapping", "", "a saved column mapping to apply over the preset")
			fs.BoolVar(&dryRun, "dry-run", false, "validate and report, write nothing")
			fs.BoolVar(&asJSON, "json", false, "print the report as one JSON object")
		},
		run: func(ctx context.Context, e *cmdEnv) error {
			if len(e.args) != 1 {
				fmt.Fprintf(e.stderr, "storeops import %s: give exactly one FILE, got %d\n", kind, len(e.args))
				return errUsage
			}
			d, err := f.open(ctx)
			if err != nil {
				return err
			}
			defer d.Close()
			ctx = audit.WithActor(ctx, audit.Actor{Kind: "system", Name: "storeops import"})
			// The importer streams; a soft limit keeps the garbage of a
			// large file from doubling the heap before it is collected.
			if debug.SetMemoryLimit(-1) == math.MaxInt64 {
				debug.SetMemoryLimit(160 << 20)
			}
			if d.Dialect() == db.SQLite {
				// A quarter of the writer's usual page cache: the
				// import's own process stays under 200 MB (a million
				// lines loaded into an empty store: 192 MB peak RSS with
				// 32 MB, 159 MB with 16 MB, the same CPU time within the
				// noise; each 4 KiB page takes an 8 KiB block of the
				// pure-Go SQLite's heap).
				if _, err := d.Exec(ctx, "PRAGMA cache_size = -16384"); err != nil {
					return err
				}
			}
			s := &importer.Service{DB: d}
			req := importer.Request{Kind: kind, Preset: preset, Mapping: mapping, Path: e.args[0]}
			progress := importProgress(e)
			start := time.Now()
			var rep importer.Report
			if dryRun {
				rep, err = s.Validate(ctx, req, progress)
			} else {
				rep, err = s.Import(ctx, req, progress)
			}
			fmt.Fprint(e.stderr, "\r\033[K")
			if err != nil && !errors.Is(err, importer.ErrInvalid) {
				return err
			}
			if asJSON {
				out := map[string]any{"rows": rep.Rows, "customers": rep.Customers, "orders": rep.Orders, "lines": rep.Lines,
					"revenue": rep.Revenue, "products": rep.Products, "stock": rep.Stock, "skipped": rep.Skipped,
					"error_count": rep.ErrorCount, "errors": rep.Errors, "job_id": rep.JobID, "dry_run": dryRun, "encoding": rep.Encoding}
				if err := json.NewEncoder(e.stdout).Encode(out); err != nil {
					return err
				}
			} else {
				printImportReport(e, rep, dryRun, time.Since(start))
			}
			if rep.ErrorCount > 0 {
				return fmt.Errorf("%d errors in %s; nothing was imported", rep.ErrorCount, e.args[0])
			}
			return nil
		},
	}
}

// importProgress draws the validation as a running count (its total is
// not known yet) and the commit as a bar.
func importProgress(e *cmdEnv) func(importer.Progress) {
	bar := demo.ProgressBar(e.stderr)
	var mu sync.Mutex
	return func(p importer.Progress) {
		mu.Lock()
		defer mu.Unlock()
		if p.Phase == "commit" && p.Total > 0 {
			bar(p.Rows, p.Total, "commit")
			return
		}
		// A load validates as it writes, its total unknown: a count too.
		fmt.Fprintf(e.stderr, "\r%s %d rows", p.Phase, p.Rows)
	}
}

func printImportReport(e *cmdEnv, r importer.Report, dryRun bool, took time.Duration) {
	verb := "imported"
	if dryRun {
		verb = "would import (dry run)"
	}
	fmt.Fprintf(e.stdout, "%d rows read (%s) in %s; %s: %d customers, %d orders, %d lines, revenue %d.%02d, %d products, %d stock levels; %d already in the store\n",
		r.Rows, r.Encoding, took.Round(time.Millisecond), verb, r.Customers, r.Orders, r.Lines, r.Revenue/100, r.Revenue%100, r.Products, r.Stock, r.Skipped)
	for _, er := range r.Errors {
		fmt.Fprintln(e.stdout, "  "+er.Error())
	}
	if r.ErrorCount > len(r.Errors) {
		fmt.Fprintf(e.stdout, "  … and %d more errors\n", r.ErrorCount-len(r.Errors))
	}
	if r.JobID != 0 {
		fmt.Fprintf(e.stdout, "import job %d\n", r.JobID)
	}
}
