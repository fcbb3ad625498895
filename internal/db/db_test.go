package db_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
)

func TestRebind(t *testing.T) {
	cases := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT * FROM t WHERE a = $1 AND b = $2", "SELECT * FROM t WHERE a = ?1 AND b = ?2"},
		{"SELECT $2, $1, $10", "SELECT ?2, ?1, ?10"},
		{"SELECT '$1', \"$2\", $3", "SELECT '$1', \"$2\", ?3"},
		{"SELECT 'it''s $1', $1", "SELECT 'it''s $1', ?1"},
		{"SELECT $ FROM x", "SELECT $ FROM x"},
	}
	for _, c := range cases {
		if got := db.Rebind(c.in); got != c.want {
			t.Errorf("Rebind(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestOpen_BadInput(t *testing.T) {
	ctx := context.Background()
	cases := []struct{ dsn, want string }{
		{"", "empty DSN"},
		{":memory:", "needs a file path"},
		{"/no/such/folder/x.db", "does not exist"},
		{"postgres://", "malformed"},
		{"postgres://nobody@127.0.0.1:1/none?connect_timeout=2", "cannot reach PostgreSQL"},
	}
	for _, c := range cases {
		_, err := db.Open(ctx, c.dsn, db.Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%q) error = %v, want it to mention %q", c.dsn, err, c.want)
		}
	}
	notDB := filepath.Join(t.TempDir(), "junk.db")
	os.WriteFile(notDB, []byte(strings.Repeat("this is not a database ", 100)), 0o600)
	if _, err := db.Open(ctx, notDB, db.Options{}); err == nil || !strings.Contains(err.Error(), "not a SQLite database") {
		t.Errorf("Open(junk file) error = %v, want 'not a SQLite database'", err)
	}
	if _, err := db.Open(ctx, filepath.Join(t.TempDir(), "x.db"), db.Options{Synchronous: "OFF"}); err == nil {
		t.Error("synchronous=OFF accepted, want an error")
	}
}

func TestMigrate_RefusesNewerSchema(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if n, err := d.Migrate(ctx); err != nil || n != 0 {
			t.Fatalf("second Migrate = %d, %v; want 0, nil", n, err)
		}
		future := db.LatestVersion() + 1
		if _, err := d.Exec(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'future', 0)", future); err != nil {
			t.Fatal(err)
		}
		_, err := d.Migrate(ctx)
		var tooNew db.ErrSchemaTooNew
		if !errors.As(err, &tooNew) || tooNew.DB != future {
			t.Fatalf("Migrate on newer schema: %v, want ErrSchemaTooNew", err)
		}
		if !strings.Contains(err.Error(), "newer") {
			t.Errorf("message %q does not say the schema is newer", err)
		}
	})
}

func TestInTx_RollsBackOnError(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		boom := errors.New("boom")
		err := d.InTx(ctx, func(tx *db.Tx) error {
			if _, err := tx.Exec(ctx, "INSERT INTO store_settings (key, value, updated_at) VALUES ($1, $2, 0)", "k", "v"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v, want boom", err)
		}
		var n int
		if err := d.QueryRow(ctx, "SELECT COUNT(*) FROM store_settings WHERE key = $1", "k").Scan(&n); err != nil || n != 0 {
			t.Fatalf("after rollback count = %d, %v; want 0", n, err)
		}
	})
}

func TestSQLite_TwoHandlesShareOneFile(t *testing.T) {
	// Two handles on one file stand in for two processes: WAL lets both
	// open, and each sees the other's commits.
	path := filepath.Join(t.TempDir(), "shared.db")
	ctx := context.Background()
	a, err := db.Open(ctx, path, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := db.Open(ctx, path, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := a.Exec(ctx, "INSERT INTO store_settings (key, value, updated_at) VALUES ('a', '1', 0)"); err != nil {
		t.Fatal(err)
	}
	var v string
	if err := b.QueryRow(ctx, "SELECT value FROM store_settings WHERE key = 'a'").Scan(&v); err != nil || v != "1" {
		t.Fatalf("second handle read %q, %v", v, err)
	}
}

func TestSQLite_LockedFileGetsClearError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "locked.db")
	ctx := context.Background()
	holder, err := db.Open(ctx, path, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	// Another process holding the write lock (a long import, a backup tool).
	release := make(chan struct{})
	locked := make(chan struct{})
	go holder.InTx(ctx, func(tx *db.Tx) error {
		tx.Exec(ctx, "INSERT INTO store_settings (key, value, updated_at) VALUES ('x', 'y', 0)")
		close(locked)
		<-release
		return errors.New("roll back")
	})
	<-locked
	defer close(release)
	_, err = db.Open(ctx, path, db.Options{BusyTimeout: 200 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "locked by another process") {
		t.Fatalf("Open on a locked file: %v, want a message saying it is locked", err)
	}
}

// column is one column of the schema in engine-neutral terms.
type column struct {
	table, name, kind string
	notNull           bool
}

func TestSchemasAgreeOnBothEngines(t *testing.T) {
	if dbtest.PostgresURL() == "" {
		t.Skip("STOREOPS_TEST_POSTGRES not set")
	}
	ctx := context.Background()
	lite := schemaOf(t, ctx, dbtest.SQLite(t))
	pg := schemaOf(t, ctx, dbtest.Postgres(t))
	if strings.Join(lite, "\n") != strings.Join(pg, "\n") {
		only := func(a, b []string) []string {
			in := map[string]bool{}
			for _, s := range b {
				in[s] = true
			}
			var out []string
			for _, s := range a {
				if !in[s] {
					out = append(out, s)
				}
			}
			return out
		}
		t.Fatalf("schemas differ\nonly in sqlite: %v\nonly in postgres: %v", only(lite, pg), only(pg, lite))
	}
	if len(lite) < 20 {
		t.Fatalf("schema has only %d columns; did the migrations run?", len(lite))
	}
}

func kindOf(typ string) string {
	t := strings.ToLower(typ)
	switch {
	case strings.Contains(t, "int"):
		return "integer"
	case strings.Contains(t, "bool"):
		return "boolean"
	case strings.Contains(t, "char"), strings.Contains(t, "text"):
		return "text"
	case strings.Contains(t, "blob"), strings.Contains(t, "bytea"):
		return "blob"
	case strings.Contains(t, "real"), strings.Contains(t, "double"), strings.Contains(t, "float"), strings.Contains(t, "numeric"):
		return "real"
	}
	return t
}

func schemaOf(t *testing.T, ctx context.Context, d *db.DB) []string {
	t.Helper()
	var cols []column
	var indexes []string
	switch d.Dialect() {
	case db.SQLite:
		rows, err := d.Query(ctx, `SELECT m.name, p.name, p.type, p."notnull" + p.pk
			FROM sqlite_master m JOIN pragma_table_info(m.name) p
			WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var c column
			var nn int
			if err := rows.Scan(&c.table, &c.name, &c.kind, &nn); err != nil {
				t.Fatal(err)
			}
			c.kind, c.notNull = kindOf(c.kind), nn > 0
			cols = append(cols, c)
		}
		rows.Close()
		irows, err := d.Query(ctx, `SELECT tbl_name, name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'`)
		if err != nil {
			t.Fatal(err)
		}
		for irows.Next() {
			var tbl, name string
			irows.Scan(&tbl, &name)
			indexes = append(indexes, "index "+tbl+"."+name)
		}
		irows.Close()
	case db.Postgres:
		rows, err := d.Query(ctx, `SELECT c.table_name, c.column_name, c.data_type, c.is_nullable
			FROM information_schema.columns c JOIN information_schema.tables t
			  ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
			WHERE c.table_schema = current_schema()`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var c column
			var nullable string
			if err := rows.Scan(&c.table, &c.name, &c.kind, &nullable); err != nil {
				t.Fatal(err)
			}
			c.kind, c.notNull = kindOf(c.kind), nullable == "NO"
			cols = append(cols, c)
		}
		rows.Close()
		irows, err := d.Query(ctx, `SELECT tablename, indexname FROM pg_indexes
			WHERE schemaname = current_schema() AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key'`)
		if err != nil {
			t.Fatal(err)
		}
		for irows.Next() {
			var tbl, name string
			irows.Scan(&tbl, &name)
			indexes = append(indexes, "index "+tbl+"."+name)
		}
		irows.Close()
	}
	// Views by their columns' names: SQLite keeps no type or nullability
	// for a view's computed columns.
	query := `SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'view'`
	if d.Dialect() == db.Postgres {
		query = `SELECT c.table_name, c.column_name FROM information_schema.columns c JOIN information_schema.views v
			ON v.table_schema = c.table_schema AND v.table_name = c.table_name WHERE c.table_schema = current_schema()`
	}
	vrows, err := d.Query(ctx, query)
	if err != nil {
		t.Fatal(err)
	}
	for vrows.Next() {
		var view, col string
		if err := vrows.Scan(&view, &col); err != nil {
			t.Fatal(err)
		}
		indexes = append(indexes, "view "+view+"."+col)
	}
	vrows.Close()
	var out []string
	for _, c := range cols {
		out = append(out, fmt.Sprintf("%s.%s %s notnull=%v", c.table, c.name, c.kind, c.notNull))
	}
	out = append(out, indexes...)
	sort.Strings(out)
	return out
}

func TestMigrate_AppliesAMissingOlderVersion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		// As if migration 1 had arrived on a branch after later ones ran.
		if _, err := d.Exec(ctx, "DROP TABLE store_settings"); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(ctx, "DELETE FROM schema_migrations WHERE version = 1"); err != nil {
			t.Fatal(err)
		}
		n, err := d.Migrate(ctx)
		if err != nil || n != 1 {
			t.Fatalf("Migrate = %d, %v; want the one missing migration applied", n, err)
		}
		if _, err := d.Exec(ctx, "INSERT INTO store_settings (key, value, updated_at) VALUES ('k', 'v', 0)"); err != nil {
			t.Fatalf("store_settings not recreated: %v", err)
		}
	})
}
