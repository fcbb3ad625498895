package db_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
)

func bulkTable(t *testing.T, d *db.DB) {
	t.Helper()
	_, err := d.Exec(context.Background(), `CREATE TABLE bulk_t (id BIGINT PRIMARY KEY, name TEXT NOT NULL, note TEXT, n BIGINT NOT NULL CHECK (n >= 0), ok BOOLEAN NOT NULL)`)
	if err != nil {
		t.Fatal(err)
	}
}

func bulkRows(from, to int) []any {
	var vals []any
	for i := from; i < to; i++ {
		var note any
		if i%3 == 0 {
			note = fmt.Sprintf("第 %d 行, with 'quotes'", i)
		}
		vals = append(vals, int64(i), fmt.Sprintf("row %d", i), note, i*10, i%2 == 0)
	}
	return vals
}

var bulkCols = []string{"id", "name", "note", "n", "ok"}

// Every row arrives with its values, in chunks far larger than one
// statement's worth of arguments, and a second insert in the same
// transaction reads its own rows, not the first's.
func TestInsertRows_WritesEveryRow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		bulkTable(t, d)
		err := d.InTx(ctx, func(tx *db.Tx) error {
			if err := tx.InsertRows(ctx, "bulk_t", bulkCols, bulkRows(0, 5000)); err != nil {
				return err
			}
			return tx.InsertRows(ctx, "bulk_t", bulkCols, bulkRows(5000, 5007))
		})
		if err != nil {
			t.Fatal(err)
		}
		var n, sum, notes, oks int64
		if err := d.QueryRow(ctx, `SELECT COUNT(*), SUM(n), COUNT(note), SUM(CASE WHEN ok THEN 1 ELSE 0 END) FROM bulk_t`).Scan(&n, &sum, &notes, &oks); err != nil {
			t.Fatal(err)
		}
		// n = 10·i over 0…5006; notes on multiples of 3; ok on even ids.
		if n != 5007 || sum != 10*5006*5007/2 || notes != 1669 || oks != 2504 {
			t.Fatalf("count %d sum %d notes %d oks %d", n, sum, notes, oks)
		}
		var name, note string
		if err := d.QueryRow(ctx, `SELECT name, note FROM bulk_t WHERE id = 4998`).Scan(&name, &note); err != nil {
			t.Fatal(err)
		}
		if name != "row 4998" || note != "第 4998 行, with 'quotes'" {
			t.Fatalf("row 4998: %q %q", name, note)
		}
	})
}

// A row that breaks a constraint fails the call and leaves none of its rows;
// on SQLite the transaction can go on after it (a statement is atomic).
func TestInsertRows_AllOrNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		bulkTable(t, d)
		if err := d.InTx(ctx, func(tx *db.Tx) error { return tx.InsertRows(ctx, "bulk_t", bulkCols, bulkRows(0, 10)) }); err != nil {
			t.Fatal(err)
		}
		bad := bulkRows(10, 1000)
		bad[500*5+3] = int64(-1) // breaks CHECK (n >= 0) in row 510
		err := d.InTx(ctx, func(tx *db.Tx) error {
			err := tx.InsertRows(ctx, "bulk_t", bulkCols, bad)
			if err == nil || d.Dialect() != db.SQLite {
				return err
			}
			return tx.InsertRows(ctx, "bulk_t", bulkCols, bulkRows(2000, 2005))
		})
		want := 10
		if d.Dialect() == db.SQLite {
			want = 15
			if err != nil {
				t.Fatal(err)
			}
		} else if err == nil {
			t.Fatal("a row breaking a CHECK was written")
		}
		var n int
		d.QueryRow(ctx, `SELECT COUNT(*) FROM bulk_t`).Scan(&n)
		if n != want {
			t.Fatalf("%d rows, want %d", n, want)
		}
		var bad510 int
		d.QueryRow(ctx, `SELECT COUNT(*) FROM bulk_t WHERE id BETWEEN 10 AND 999`).Scan(&bad510)
		if bad510 != 0 {
			t.Fatalf("%d rows of the failed call were written", bad510)
		}
	})
}

// Bad calls say what is wrong.
func TestInsertRows_RefusesBadValues(t *testing.T) {
	d := dbtest.SQLite(t)
	ctx := context.Background()
	bulkTable(t, d)
	for _, c := range []struct {
		name string
		vals []any
		want string
	}{
		{"short row", []any{int64(1), "a"}, "2 values for 5 columns"},
		{"unknown type", []any{int64(1), "a", nil, struct{}{}, true}, "column n holds a struct {}"},
	} {
		err := d.InTx(ctx, func(tx *db.Tx) error { return tx.InsertRows(ctx, "bulk_t", bulkCols, c.vals) })
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

// Concurrent bulk inserts (group commit puts them in one transaction) each
// write their own rows.
func TestInsertRows_Concurrent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		bulkTable(t, d)
		var wg sync.WaitGroup
		for k := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := d.InTx(ctx, func(tx *db.Tx) error {
					return tx.InsertRows(ctx, "bulk_t", bulkCols, bulkRows(k*100, k*100+100))
				})
				if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		var n, sum int64
		d.QueryRow(ctx, `SELECT COUNT(*), SUM(id) FROM bulk_t`).Scan(&n, &sum)
		if n != 800 || sum != 799*800/2 {
			t.Fatalf("%d rows, id sum %d", n, sum)
		}
	})
}

// InsertNewRows leaves out rows whose key is stored already or repeats in
// the same call, and writes the rest.
func TestInsertNewRows_SkipsKnownKeys(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		bulkTable(t, d)
		err := d.InTx(ctx, func(tx *db.Tx) error { return tx.InsertRows(ctx, "bulk_t", bulkCols, bulkRows(0, 100)) })
		if err != nil {
			t.Fatal(err)
		}
		vals := bulkRows(50, 150)                       // 50 stored, 50 new
		vals = append(vals, bulkRows(149, 150)...)      // a repeat within the call
		vals[(149-50)*5+1] = "first of two with id 149" // the first one wins
		err = d.InTx(ctx, func(tx *db.Tx) error { return tx.InsertNewRows(ctx, "bulk_t", "id", bulkCols, vals) })
		if err != nil {
			t.Fatal(err)
		}
		var n int
		var name string
		d.QueryRow(ctx, `SELECT COUNT(*) FROM bulk_t`).Scan(&n)
		d.QueryRow(ctx, `SELECT name FROM bulk_t WHERE id = 149`).Scan(&name)
		if n != 150 || name != "first of two with id 149" {
			t.Fatalf("%d rows, id 149 %q", n, name)
		}
	})
}
