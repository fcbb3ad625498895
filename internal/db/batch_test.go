package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

func openBatchTest(t *testing.T) *DB {
	t.Helper()
	d, err := Open(context.Background(), filepath.Join(t.TempDir(), "batch.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Exec(context.Background(), `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	return d
}

// waitQueued blocks the writer (it is called from inside a fn) until n
// callers are queued behind it, so that they share the next commit.
func waitQueued(t *testing.T, d *DB, n int) {
	deadline := time.Now().Add(10 * time.Second)
	for len(d.batch.reqs) < n {
		if time.Now().After(deadline) {
			t.Errorf("only %d of %d callers queued", len(d.batch.reqs), n)
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// Callers that queue while the writer is busy share one commit, and each
// keeps its all-or-nothing: the ones that fail leave nothing behind, the
// others are all there.
func TestBatch_SharesCommitAndIsolatesFailures(t *testing.T) {
	d := openBatchTest(t)
	ctx := context.Background()
	const n = 60
	before := d.batch.commits.Load()
	blocker := make(chan error, 1)
	started := make(chan struct{})
	go func() {
		blocker <- d.InTx(ctx, func(tx *Tx) error {
			close(started)
			waitQueued(t, d, n)
			_, err := tx.Exec(ctx, `INSERT INTO t (id, v) VALUES ($1, $2)`, 1000, "blocker")
			return err
		})
	}()
	<-started
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = d.InTx(ctx, func(tx *Tx) error {
				// Two writes, so that a failure after the first shows
				// whether the savepoint undid it.
				if _, err := tx.Exec(ctx, `INSERT INTO t (id, v) VALUES ($1, $2)`, i, "a"); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `UPDATE t SET v = $1 WHERE id = $2`, "b", i); err != nil {
					return err
				}
				if i%3 == 0 {
					return fmt.Errorf("caller %d gives up", i)
				}
				if i%7 == 0 {
					// A statement error inside the transaction.
					_, err := tx.Exec(ctx, `INSERT INTO t (id, v) VALUES ($1, NULL)`, 10000+i)
					return err
				}
				return nil
			})
		}()
	}
	wg.Wait()
	if err := <-blocker; err != nil {
		t.Fatal(err)
	}
	want := 0
	for i, err := range errs {
		var v string
		qerr := d.QueryRow(ctx, `SELECT v FROM t WHERE id = $1`, i).Scan(&v)
		failed := i%3 == 0 || i%7 == 0
		switch {
		case failed && err == nil:
			t.Errorf("caller %d: no error", i)
		case failed && !errors.Is(qerr, sql.ErrNoRows):
			t.Errorf("caller %d failed but its row is there (%q, %v)", i, v, qerr)
		case !failed && err != nil:
			t.Errorf("caller %d: %v", i, err)
		case !failed && v != "b":
			t.Errorf("caller %d: row = %q, %v; want b", i, v, qerr)
		}
		if !failed {
			want++
		}
	}
	var rows int
	d.QueryRow(ctx, `SELECT COUNT(*) FROM t`).Scan(&rows)
	if rows != want+1 {
		t.Errorf("%d rows, want %d", rows, want+1)
	}
	if c := d.batch.commits.Load() - before; c != 2 {
		t.Errorf("%d commits for the blocker and %d callers queued behind it, want 2", c, n)
	}
}

// A panic inside fn reaches its own caller; the others in the batch commit.
func TestBatch_PanicReachesItsCaller(t *testing.T) {
	d := openBatchTest(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 20)
	var recovered any
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if v := recover(); v != nil {
					recovered = v
				}
			}()
			errs[i] = d.InTx(ctx, func(tx *Tx) error {
				if _, err := tx.Exec(ctx, `INSERT INTO t (id, v) VALUES ($1, 'x')`, i); err != nil {
					return err
				}
				if i == 5 {
					panic("boom")
				}
				return nil
			})
		}()
	}
	wg.Wait()
	if recovered != "boom" {
		t.Errorf("recovered %v, want boom", recovered)
	}
	var n int
	d.QueryRow(ctx, `SELECT COUNT(*) FROM t`).Scan(&n)
	if n != 19 {
		t.Errorf("%d rows, want 19 (all but the one that panicked)", n)
	}
}

// Statements run as text first are prepared between batches and then
// reused; the answers stay the same.
func TestStmtCache_PreparesBetweenBatches(t *testing.T) {
	d := openBatchTest(t)
	ctx := context.Background()
	const q = `INSERT INTO t (id, v) VALUES ($1, $2)`
	for i := range 3 {
		if err := d.InTx(ctx, func(tx *Tx) error {
			_, err := tx.Exec(ctx, q, i, "v")
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	if d.wstmts.get(Rebind(q)) == nil {
		t.Error("the insert was not prepared after its first batch")
	}
	var n int
	if err := d.QueryRow(ctx, `SELECT COUNT(*) FROM t WHERE v = $1`, "v").Scan(&n); err != nil || n != 3 {
		t.Errorf("count = %d, %v; want 3", n, err)
	}
	if d.rstmts.get(Rebind(`SELECT COUNT(*) FROM t WHERE v = $1`)) == nil {
		t.Error("the read was not prepared")
	}
}

// Closing answers whoever is still queued instead of leaving them waiting.
func TestBatch_CloseAnswersEveryone(t *testing.T) {
	d := openBatchTest(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.InTx(ctx, func(tx *Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO t (id, v) VALUES ($1, 'x')`, i)
				return err
			})
		}()
	}
	d.Close()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("callers still waiting after Close")
	}
	if err := d.InTx(ctx, func(*Tx) error { return nil }); err == nil {
		t.Error("InTx after Close: no error")
	}
}

// Rerunnable callers share a commit without savepoints; when one fails
// part way the batch is replayed without it; single statements that fail
// are undone by SQLite alone. Every caller ends all-or-nothing. (Guarded
// callers among rerunnable ones: TestBatch_SharesCommitAndIsolatesFailures.)
func TestBatch_RerunnableReplayWithoutTheFailedOne(t *testing.T) {
	d := openBatchTest(t)
	ctx := context.Background()
	const n = 60
	before := d.batch.commits.Load()
	blocker := make(chan error, 1)
	started := make(chan struct{})
	go func() {
		blocker <- d.InTx(ctx, func(tx *Tx) error {
			close(started)
			waitQueued(t, d, n)
			return nil
		})
	}()
	<-started
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn := func(tx *Tx) error {
				if _, err := tx.Exec(ctx, `INSERT INTO t (id, v) VALUES ($1, $2)`, i, "a"); err != nil {
					return err
				}
				if i%5 == 0 {
					return fmt.Errorf("caller %d gives up after writing", i)
				}
				return nil
			}
			switch i % 3 {
			case 0, 1:
				errs[i] = d.InTxRerun(ctx, fn)
			default:
				_, errs[i] = d.Exec(ctx, `INSERT INTO t (id, v) VALUES ($1, CASE WHEN $2 THEN NULL ELSE 'a' END)`, i, i%5 == 0)
			}
		}()
	}
	wg.Wait()
	if err := <-blocker; err != nil {
		t.Fatal(err)
	}
	rows := 0
	for i := range n {
		var v string
		qerr := d.QueryRow(ctx, `SELECT v FROM t WHERE id = $1`, i).Scan(&v)
		failed := i%5 == 0
		switch {
		case failed && (errs[i] == nil || !errors.Is(qerr, sql.ErrNoRows)):
			t.Errorf("caller %d: err %v, row %q %v; want an error and no row", i, errs[i], v, qerr)
		case !failed && (errs[i] != nil || v != "a"):
			t.Errorf("caller %d: err %v, row %q %v", i, errs[i], v, qerr)
		}
		if !failed {
			rows++
		}
	}
	var got int
	d.QueryRow(ctx, `SELECT COUNT(*) FROM t`).Scan(&got)
	if got != rows {
		t.Errorf("%d rows, want %d", got, rows)
	}
	if d.batch.replays.Load() == 0 {
		t.Error("no rerunnable caller ran twice: the failures did not replay the batch")
	}
	if c := d.batch.commits.Load() - before; c != 2 {
		t.Errorf("%d commits, want 2 (the blocker's batch and the rest together)", c)
	}
}

func TestMayWrite(t *testing.T) {
	for q, want := range map[string]bool{
		"SELECT 1": false, "\n\t select x": false, "INSERT INTO t": true, "  update t": true,
		"DELETE FROM t": true, "WITH x AS (SELECT 1) INSERT": true, "": false, "REPLACE INTO t": true,
	} {
		if got := mayWrite(q); got != want {
			t.Errorf("mayWrite(%q) = %v, want %v", q, got, want)
		}
	}
}

// A rerunnable fn that fails before writing is simply dropped: no replay.
func TestBatch_FailureBeforeWritingNeedsNoReplay(t *testing.T) {
	d := openBatchTest(t)
	ctx := context.Background()
	blocker := make(chan error, 1)
	started := make(chan struct{})
	go func() {
		blocker <- d.InTx(ctx, func(tx *Tx) error {
			close(started)
			waitQueued(t, d, 20)
			return nil
		})
	}()
	<-started
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.InTxRerun(ctx, func(tx *Tx) error {
				var n int
				tx.QueryRow(ctx, `SELECT COUNT(*) FROM t`).Scan(&n)
				if i%2 == 0 {
					return errors.New("refused after reading")
				}
				_, err := tx.Exec(ctx, `INSERT INTO t (id, v) VALUES ($1, 'x')`, i)
				return err
			})
		}()
	}
	wg.Wait()
	<-blocker
	if r := d.batch.replays.Load(); r != 0 {
		t.Errorf("%d replays for failures that wrote nothing", r)
	}
	var n int
	d.QueryRow(ctx, `SELECT COUNT(*) FROM t`).Scan(&n)
	if n != 10 {
		t.Errorf("%d rows, want 10", n)
	}
}

// runtime.Goexit inside a transaction (t.Fatal in a test) ends its caller
// as it would without group commit, and leaves the writer working: the
// others commit and later transactions run.
func TestBatch_GoexitEndsOnlyItsCaller(t *testing.T) {
	d := openBatchTest(t)
	ctx := context.Background()
	exited := make(chan bool, 1)
	go func() {
		returned := false
		defer func() { exited <- !returned }()
		d.InTx(ctx, func(tx *Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO t (id, v) VALUES (1, 'gone')`); err != nil {
				return err
			}
			runtime.Goexit()
			return nil
		})
		returned = true
	}()
	if !<-exited {
		t.Fatal("InTx returned to a caller whose function called Goexit")
	}
	if err := d.InTx(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO t (id, v) VALUES (2, 'kept')`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var n int
	d.QueryRow(ctx, `SELECT COUNT(*) FROM t`).Scan(&n)
	if n != 1 {
		t.Errorf("%d rows, want only the later one", n)
	}
}
