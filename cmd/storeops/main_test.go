package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/db"
)

func TestMain(m *testing.M) {
	auth.UseCheapHashesForTests()
	os.Exit(m.Run())
}

func run(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runCLI(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestCLI_HelpAndBadInput(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "x.db")
	cases := []struct {
		name   string
		args   []string
		code   int
		output string // expected in stdout+stderr
	}{
		{"no command", nil, 2, "Commands:"},
		{"help", []string{"--help"}, 0, "serve"},
		{"unknown command", []string{"sell"}, 2, `unknown command "sell"`},
		{"unknown flag", []string{"serve", "--port", "1"}, 2, "flag provided but not defined: -port"},
		{"serve help", []string{"serve", "--help"}, 0, "STOREOPS_ADDR"},
		{"user help", []string{"user"}, 2, "passwd"},
		{"version", []string{"version"}, 0, "storeops dev (schema"},
		{"malformed dsn", []string{"migrate", "--db", "postgres://"}, 1, "malformed PostgreSQL URL"},
		{"unreachable postgres", []string{"migrate", "--db", "postgres://x@127.0.0.1:1/none?connect_timeout=2"}, 1, "cannot reach PostgreSQL"},
		{"missing folder", []string{"migrate", "--db", "/no/such/dir/shop.db"}, 1, "does not exist"},
		{"bad synchronous", []string{"migrate", "--db", dbPath, "--synchronous", "OFF"}, 1, "synchronous must be"},
		{"weak password", []string{"user", "add", "--db", dbPath, "--username", "boss", "--role", "admin", "--password", "12345678"}, 1, "password"},
		{"bad role", []string{"user", "add", "--db", dbPath, "--username", "boss", "--role", "king", "--password", "long-enough-pw"}, 1, "role"},
		{"demo bad size", []string{"demo", "--db", dbPath, "--customers", "0"}, 1, "--customers"},
	}
	for _, c := range cases {
		code, out, errs := run(t, "", c.args...)
		if code != c.code || !strings.Contains(out+errs, c.output) {
			t.Errorf("%s: exit %d, output %q; want exit %d containing %q", c.name, code, out+errs, c.code, c.output)
		}
	}
}

func TestCLI_EnvironmentSetsFlags(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "env.db")
	t.Setenv("STOREOPS_DB", dbPath)
	if code, out, errs := run(t, "", "migrate"); code != 0 || !strings.Contains(out, dbPath) {
		t.Fatalf("migrate with STOREOPS_DB: %d %q %q", code, out, errs)
	}
	// The command line wins over the environment.
	other := filepath.Join(t.TempDir(), "flag.db")
	if code, out, _ := run(t, "", "migrate", "--db", other); code != 0 || !strings.Contains(out, other) {
		t.Fatalf("--db did not override STOREOPS_DB: %q", out)
	}
}

func TestCLI_UsersAndTokens(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "shop.db")
	if code, out, errs := run(t, "a long password\n", "user", "add", "--db", dbPath, "--username", "Boss", "--role", "admin", "--password-stdin"); code != 0 {
		t.Fatalf("user add: %d %s %s", code, out, errs)
	}
	if code, _, errs := run(t, "", "user", "add", "--db", dbPath, "--username", "boss", "--role", "viewer", "--password", "another-pw-1"); code != 1 || !strings.Contains(errs, "taken") {
		t.Errorf("duplicate username: %d %s", code, errs)
	}
	code, out, _ := run(t, "", "user", "list", "--db", dbPath)
	if code != 0 || !strings.Contains(out, "boss") || !strings.Contains(out, "admin") {
		t.Fatalf("user list: %d %q", code, out)
	}
	if code, _, errs := run(t, "new password 2\n", "user", "passwd", "--db", dbPath, "--username", "boss", "--password-stdin"); code != 0 {
		t.Fatalf("passwd: %s", errs)
	}
	code, secret, errs := run(t, "", "token", "create", "--db", dbPath, "--username", "boss", "--name", "ERP", "--scopes", "products:read")
	if code != 0 || !strings.HasPrefix(secret, "so_") {
		t.Fatalf("token create: %d %q %q", code, secret, errs)
	}
	code, out, _ = run(t, "", "token", "list", "--db", dbPath)
	if code != 0 || !strings.Contains(out, "ERP") || !strings.Contains(out, "products:read") || strings.Contains(out, strings.TrimSpace(secret)) {
		t.Fatalf("token list: %q", out)
	}
	if code, out, _ = run(t, "", "token", "revoke", "--db", dbPath, "1"); code != 0 {
		t.Fatalf("revoke: %q", out)
	}
	if code, _, errs = run(t, "", "token", "revoke", "--db", dbPath, "abc"); code != 1 || !strings.Contains(errs, "not a token id") {
		t.Fatalf("revoke abc: %d %q", code, errs)
	}
}

func TestCLI_MigrateRefusesNewerSchema(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "new.db")
	d := mustOpen(t, dbPath)
	if _, err := d.Exec(context.Background(), "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'future', 0)", db.LatestVersion()+1); err != nil {
		t.Fatal(err)
	}
	d.Close()
	code, _, errs := run(t, "", "migrate", "--db", dbPath)
	if code != 1 || !strings.Contains(errs, "newer") {
		t.Fatalf("migrate on a newer schema: %d %q", code, errs)
	}
}

// lockedBuffer is a buffer the server goroutine writes while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func mustOpen(t *testing.T, path string) *db.DB {
	d, err := db.Open(context.Background(), path, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestServe_StopsCleanly starts serve on a free port, makes a request, and
// cancels: serve must return nil, having closed the database.
func TestServe_StopsCleanly(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "serve.db")
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- runCLI(ctx, []string{"serve", "--db", dbPath, "--addr", "127.0.0.1:0", "--log-format", "json"}, strings.NewReader(""), &out, &errb)
	}()
	var url string
	for i := 0; i < 200 && url == ""; i++ {
		time.Sleep(25 * time.Millisecond)
		if _, rest, ok := strings.Cut(errb.String(), `"url":"`); ok {
			url, _, _ = strings.Cut(rest, `"`)
		}
	}
	if url == "" {
		cancel()
		t.Fatalf("serve did not report its URL: %s", errb.String())
	}
	resp, err := http.Get(url + "/readyz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("readyz: %v %v", resp, err)
	}
	resp.Body.Close()
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d: %s", code, errb.String())
		}
	case <-time.After(25 * time.Second):
		t.Fatal("serve did not stop after cancel")
	}
	if !strings.Contains(errb.String(), "stopped cleanly") {
		t.Fatalf("no clean-stop log line: %s", errb.String())
	}
	// The database was closed: another handle can take the write lock.
	d := mustOpen(t, dbPath)
	d.Close()
}
