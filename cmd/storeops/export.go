package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/storeops/storeops/internal/export"
	"github.com/storeops/storeops/internal/export/tables"
)

func exportCommand() *command {
	c := &command{name: "export", summary: "export orders, order lines, customers, products or refunds to CSV or XLSX"}
	for _, name := range tables.NameList() {
		c.subs = append(c.subs, exportTableCommand(name, tables.Names()[name]))
	}
	return c
}

func exportTableCommand(name, about string) *command {
	var f dbFlags
	var format, from, to, out string
	return &command{
		name:    name,
		summary: "export " + name + ": " + about,
		flags: func(fs *flag.FlagSet) {
			f.register(fs, "./storeops.db")
			fs.StringVar(&format, "format", "", "csv or xlsx; default from --out's extension, else csv")
			fs.StringVar(&from, "from", "", "first day, YYYY-MM-DD in the store's time zone")
			fs.StringVar(&to, "to", "", "last day, YYYY-MM-DD in the store's time zone (inclusive)")
			fs.StringVar(&out, "out", "-", "the file to write; - for standard output")
		},
		run: func(ctx context.Context, e *cmdEnv) error {
			if len(e.args) > 0 {
				fmt.Fprintf(e.stderr, "storeops export %s takes no arguments, got %q\n", name, e.args)
				return errUsage
			}
			if format == "" {
				format = "csv"
				if strings.EqualFold(filepath.Ext(out), ".xlsx") {
					format = "xlsx"
				}
			}
			if format != "csv" && format != "xlsx" {
				return fmt.Errorf("--format: %q is not csv or xlsx", format)
			}
			var r tables.Range
			var err error
			if r.From, err = tables.ParseDay("from", from); err != nil {
				return fmt.Errorf("--from: %q is not a day as YYYY-MM-DD", from)
			}
			if r.To, err = tables.ParseDay("to", to); err != nil {
				return fmt.Errorf("--to: %q is not a day as YYYY-MM-DD", to)
			}
			if !r.From.IsZero() && !r.To.IsZero() && r.To.Before(r.From) {
				return fmt.Errorf("--to %s is before --from %s", to, from)
			}
			d, err := f.open(ctx)
			if err != nil {
				return err
			}
			defer d.Close()
			header, rows, closeRows, err := tables.Open(ctx, d, name, r)
			if err != nil {
				return err
			}
			defer closeRows()
			n := 0
			counted := func() ([]string, error) {
				rec, err := rows()
				if rec != nil {
					n++
				}
				return rec, err
			}
			w, finish, err := exportOutput(out, e.stdout)
			if err != nil {
				return err
			}
			if format == "xlsx" {
				err = export.XLSX(w, name, header, counted)
			} else {
				err = export.CSV(w, header, counted)
			}
			if err = finish(err); err != nil {
				return err
			}
			if out != "-" {
				fmt.Fprintf(e.stderr, "%d rows of %s written to %s\n", n, name, out)
			}
			return nil
		},
	}
}

// exportOutput is where an export goes: standard output, or a file written
// beside its final name and renamed into place when complete, so a failed
// export never leaves a half file that looks finished.
func exportOutput(out string, stdout io.Writer) (io.Writer, func(error) error, error) {
	if out == "-" {
		return stdout, func(err error) error { return err }, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*")
	if err != nil {
		return nil, nil, fmt.Errorf("--out: %w", err)
	}
	return tmp, func(err error) error {
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp.Name(), out)
		}
		if err != nil {
			os.Remove(tmp.Name())
			return errors.Join(fmt.Errorf("export to %s", out), err)
		}
		return nil
	}, nil
}
