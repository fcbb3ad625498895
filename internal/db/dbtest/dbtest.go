// Package dbtest gives tests a fresh, migrated database on every engine:
// SQLite always, PostgreSQL when STOREOPS_TEST_POSTGRES holds a URL. Each
// PostgreSQL database is a schema of its own, dropped when the test ends.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/storeops/storeops/internal/db"
)

// PostgresURL is the test server's URL, or "" when PostgreSQL tests are off.
func PostgresURL() string { return os.Getenv("STOREOPS_TEST_POSTGRES") }

// Each runs fn as a subtest once per available engine.
func Each(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	if PostgresURL() != "" {
		t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
	}
}

// SQLite opens a migrated database in a fresh temporary file.
func SQLite(t testing.TB) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"), db.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// Postgres opens a migrated database in a fresh schema of the test server,
// skipping the test when none is configured.
func Postgres(t testing.TB) *db.DB {
	t.Helper()
	dsn, schema := NewPostgresSchema(t)
	d, err := db.Open(context.Background(), dsn, db.Options{})
	if err != nil {
		t.Fatalf("open postgres schema %s: %v", schema, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// NewPostgresSchema creates an empty schema on the test server and returns a
// URL whose search_path points at it; the schema is dropped at cleanup.
func NewPostgresSchema(t testing.TB) (dsn, schema string) {
	t.Helper()
	base := PostgresURL()
	if base == "" {
		t.Skip("STOREOPS_TEST_POSTGRES not set")
	}
	var b [6]byte
	rand.Read(b[:])
	schema = "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		a.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse STOREOPS_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), schema
}
