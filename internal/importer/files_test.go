package importer

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
)

// Instance A takes the upload; instance B, with nothing in its own folder,
// commits it from the database.
func TestStoreFile_AnotherInstanceCommitsFromTheDatabase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		a := &Service{DB: d, Dir: t.TempDir()}
		b := &Service{DB: d, Dir: t.TempDir()}

		// Several pieces, the last one short.
		blob := make([]byte, 2*filePiece+12345)
		rand.Read(blob)
		sum, _, err := a.StoreFile(ctx, bytes.NewReader(blob))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := a.StoreFile(ctx, bytes.NewReader(blob)); err != nil {
			t.Fatalf("storing the same file again: %v", err)
		}
		path, err := b.FetchFile(ctx, sum)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(path); !bytes.Equal(got, blob) || filepath.Dir(path) != b.Dir {
			t.Fatalf("B's copy at %s differs (%d bytes)", path, len(got))
		}

		sum, upload, err := a.StoreFile(ctx, bytes.NewReader(gbk(t, taobaoCSV)))
		if err != nil {
			t.Fatal(err)
		}
		req := Request{Kind: KindOrders, Preset: "taobao", Path: upload}
		dry, err := a.Validate(ctx, req, nil)
		if err != nil || dry.ErrorCount != 0 {
			t.Fatalf("validate: %v %+v", err, dry.Errors)
		}
		if req.Path, err = b.FetchFile(ctx, sum); err != nil {
			t.Fatal(err)
		}
		rep, err := b.Commit(ctx, dry.JobID, req, nil)
		if err != nil || rep.Orders != 3 {
			t.Fatalf("B commits: %+v %v", rep, err)
		}
		if err := b.DropFile(ctx, sum); err != nil {
			t.Fatal(err)
		}
		c := &Service{DB: d, Dir: t.TempDir()}
		if _, err := c.FetchFile(ctx, sum); !errors.Is(err, ErrFileGone) {
			t.Errorf("a dropped file: %v", err)
		}
		if _, err := c.FetchFile(ctx, "../../etc/passwd"); !errors.Is(err, ErrFileGone) {
			t.Errorf("a path for a sum: %v", err)
		}
	})
}

// crashHelperEnv makes the test binary a committing process that dies
// (os.Exit, no cleanup, its open transaction lost) inside the third chunk.
const crashHelperEnv = "STOREOPS_TEST_IMPORT_CRASH"

func TestCrashHelper(t *testing.T) {
	spec := os.Getenv(crashHelperEnv)
	if spec == "" {
		t.Skip("run by TestCommit_KilledMidwayIsFailedWhenItsLeaseEndsThenResumed")
	}
	dsn, path := spec, os.Getenv(crashHelperEnv+"_FILE")
	job, _ := strconv.ParseInt(os.Getenv(crashHelperEnv+"_JOB"), 10, 64)
	d, err := db.Open(context.Background(), dsn, db.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	s := &Service{DB: d, ChunkRows: 200}
	if os.Getenv(crashHelperEnv+"_LOAD") != "" {
		s.LoadRows = 1
	}
	chunks := 0
	s.inChunk = func() {
		chunks++
		if chunks == 3 {
			os.Exit(3)
		}
	}
	s.Commit(context.Background(), job, Request{Kind: KindOrders, Path: path}, nil)
	t.Fatal("the commit finished; it should have died")
}

func TestCommit_KilledMidwayIsFailedWhenItsLeaseEndsThenResumed(t *testing.T) {
	engines := map[string]func(t *testing.T) string{
		"sqlite": func(t *testing.T) string { return filepath.Join(t.TempDir(), "shop.db") },
	}
	if dbtest.PostgresURL() != "" {
		engines["postgres"] = func(t *testing.T) string { dsn, _ := dbtest.NewPostgresSchema(t); return dsn }
	}
	for name, newDSN := range engines {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			dsn := newDSN(t)
			d, err := db.Open(ctx, dsn, db.Options{Synchronous: "NORMAL"})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			var mu sync.Mutex
			now := time.Now()
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			s := &Service{DB: d, ChunkRows: 200, Now: clock}
			path := writeFile(t, "orders.csv", genOrders(500))
			req := Request{Kind: KindOrders, Path: path}
			dry, err := s.Validate(ctx, req, nil)
			if err != nil || dry.ErrorCount != 0 {
				t.Fatal(err, dry.Errors)
			}

			cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$")
			cmd.Env = append(os.Environ(), crashHelperEnv+"="+dsn, crashHelperEnv+"_FILE="+path, crashHelperEnv+"_JOB="+strconv.FormatInt(dry.JobID, 10))
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 3 {
				t.Fatalf("the committing process: %v\n%s", err, out)
			}

			// It died in its third chunk: two chunks of 100 orders are in,
			// and the job still says running, under a lease nobody renews.
			job, _ := s.Job(ctx, dry.JobID)
			got := tableCounts(t, d)
			if job.Status != JobRunning || job.Report.LastRow != 401 || got[1] != 200 {
				t.Fatalf("after the kill: job %s through line %d, %d orders in the store", job.Status, job.Report.LastRow, got[1])
			}
			if _, err := s.Commit(ctx, dry.JobID, req, nil); !errors.Is(err, apperr.ErrConflict) {
				t.Fatalf("a commit while the lease runs: %v, want a conflict", err)
			}
			if n, err := s.FailStale(ctx); err != nil || n != 0 {
				t.Fatalf("FailStale within the lease: %d %v", n, err)
			}
			mu.Lock()
			now = now.Add(3 * time.Minute)
			mu.Unlock()
			if n, err := s.FailStale(ctx); err != nil || n != 1 {
				t.Fatalf("FailStale after the lease: %d %v", n, err)
			}
			job, _ = s.Job(ctx, dry.JobID)
			if job.Status != JobFailed || job.Message == "" || job.Report.LastRow != 401 {
				t.Fatalf("job %s %q through %d", job.Status, job.Message, job.Report.LastRow)
			}
			rep, err := s.Commit(ctx, dry.JobID, req, nil)
			if err != nil {
				t.Fatal(err)
			}
			got = tableCounts(t, d)
			if rep.Orders != 500 || rep.Skipped != 200 || got[1] != 500 || got[2] != 1000 || got[3] != dry.Revenue {
				t.Errorf("resumed: %+v, store %v; want 500 orders, revenue %d", rep, got, dry.Revenue)
			}
		})
	}
}

// A commit that finds a running job whose lease lapsed takes it over
// without waiting for FailStale.
func TestCommit_TakesOverAnAbandonedJob(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Now()
		s := &Service{DB: d, Now: func() time.Time { return now }}
		req := Request{Kind: KindOrders, Path: writeFile(t, "o.csv", genOrders(20))}
		dry, err := s.Validate(ctx, req, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(ctx, `UPDATE import_jobs SET status = 'running', lease_until = $1 WHERE id = $2`, now.Add(-time.Second).UnixMilli(), dry.JobID); err != nil {
			t.Fatal(err)
		}
		rep, err := s.Commit(ctx, dry.JobID, req, nil)
		if err != nil || rep.Orders != 20 {
			t.Fatalf("%+v %v", rep, err)
		}
	})
}
