package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/storeops/storeops/internal/db"
)

// An uploaded file is validated by the instance that took the upload but
// may be committed by another (several instances behind a load balancer,
// or the same one after a restart that emptied its temp folder). So the
// file is kept in the database, in pieces of filePiece bytes keyed by its
// SHA-256, and each instance keeps a local copy in Dir to read from.

const filePiece = 1 << 20

// ErrFileGone: the uploaded file is no longer kept (it was committed, or
// purged unused); upload it again.
var ErrFileGone = errors.New("the uploaded file is no longer kept; upload it again")

func (s *Service) dir() string {
	if s.Dir != "" {
		return s.Dir
	}
	return filepath.Join(os.TempDir(), "storeops-imports")
}

// localPath is this instance's copy of the file with that SHA-256.
func (s *Service) localPath(sum string) (string, error) {
	if len(sum) != 64 {
		return "", fmt.Errorf("import file %q: not a SHA-256: %w", sum, ErrFileGone)
	}
	if _, err := hex.DecodeString(sum); err != nil {
		return "", fmt.Errorf("import file %q: not a SHA-256: %w", sum, ErrFileGone)
	}
	return filepath.Join(s.dir(), sum), nil
}

// StoreFile keeps an uploaded file: a local copy (returned, for the
// validation that follows) and its pieces in the database. Storing the
// same file again is harmless: pieces already there stay.
func (s *Service) StoreFile(ctx context.Context, src io.Reader) (sum, path string, err error) {
	if err := os.MkdirAll(s.dir(), 0o700); err != nil {
		return "", "", err
	}
	tmp, err := os.CreateTemp(s.dir(), "upload-*")
	if err != nil {
		return "", "", err
	}
	defer os.Remove(tmp.Name()) // after the rename it is gone already
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(tmp, h), src)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", "", err
	}
	sum = hex.EncodeToString(h.Sum(nil))
	path, _ = s.localPath(sum)
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", "", err
	}
	if err := s.putPieces(ctx, sum, path); err != nil {
		return "", "", err
	}
	return sum, path, nil
}

// putPieces writes the file's pieces, one short transaction each, so a
// 200 MB upload never holds the writer for long.
func (s *Service) putPieces(ctx context.Context, sum, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, filePiece)
	now := s.now().UnixMilli()
	for seq := int64(0); ; seq++ {
		n, err := io.ReadFull(f, buf)
		if n > 0 {
			if _, werr := s.DB.Exec(ctx, `INSERT INTO import_files (sha256, seq, data, created_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (sha256, seq) DO NOTHING`, sum, seq, buf[:n], now); werr != nil {
				return fmt.Errorf("keep the uploaded file: %w", werr)
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// FetchFile returns a local path holding the file with SHA-256 sum: this
// instance's copy, or one rebuilt from the database's pieces and checked
// against the sum.
func (s *Service) FetchFile(ctx context.Context, sum string) (string, error) {
	path, err := s.localPath(sum)
	if err != nil {
		return "", err
	}
	if got, err := fileSHA256(path); err == nil && got == sum {
		return path, nil
	}
	if err := os.MkdirAll(s.dir(), 0o700); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(s.dir(), "fetch-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	w := io.MultiWriter(tmp, h)
	var next int64
	for {
		// A piece at a time: the whole file is never in memory.
		var data []byte
		err := s.DB.QueryRow(ctx, `SELECT data FROM import_files WHERE sha256 = $1 AND seq = $2`, sum, next).Scan(&data)
		if db.IsNoRows(err) {
			break
		}
		if err != nil {
			tmp.Close()
			return "", fmt.Errorf("read the uploaded file: %w", err)
		}
		if _, err := w.Write(data); err != nil {
			tmp.Close()
			return "", err
		}
		next++
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if next == 0 || hex.EncodeToString(h.Sum(nil)) != sum {
		return "", fmt.Errorf("import file %s…: %w", sum[:12], ErrFileGone)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", err
	}
	return path, nil
}

// DropFile forgets a file: its pieces and this instance's copy.
func (s *Service) DropFile(ctx context.Context, sum string) error {
	if path, err := s.localPath(sum); err == nil {
		os.Remove(path)
	}
	_, err := s.DB.Exec(ctx, `DELETE FROM import_files WHERE sha256 = $1`, sum)
	return err
}

// PurgeFiles forgets uploaded files older than age unless a job is
// committing one, or was validated or failed within age (and may still be
// committed or resumed); it returns how many it dropped.
func (s *Service) PurgeFiles(ctx context.Context, age time.Duration) (int, error) {
	cutoff := s.now().Add(-age).UnixMilli()
	rows, err := s.DB.Query(ctx, `SELECT DISTINCT f.sha256 FROM import_files f WHERE f.created_at < $1
		AND NOT EXISTS (SELECT 1 FROM import_jobs j WHERE j.file_sha256 = f.sha256
			AND (j.status = 'running' OR (j.status IN ('validated', 'failed') AND j.updated_at >= $1)))`, cutoff)
	if err != nil {
		return 0, fmt.Errorf("purge import files: %w", err)
	}
	var sums []string
	for rows.Next() {
		var sum string
		if err := rows.Scan(&sum); err != nil {
			rows.Close()
			return 0, err
		}
		sums = append(sums, sum)
	}
	rows.Close()
	for _, sum := range sums {
		if err := s.DropFile(ctx, sum); err != nil {
			return 0, err
		}
	}
	return len(sums), rows.Err()
}

func (s *Service) lease() time.Duration {
	if s.Lease > 0 {
		return s.Lease
	}
	return 2 * time.Minute
}

// errTakenOver: another commit took the job because this one's lease
// lapsed (it stalled longer than the lease); this one stops.
var errTakenOver = errors.New("another commit took this import over after its lease lapsed; it goes on there")

// holdLease renews the job's lease every third of its length while the
// commit runs. Each renewal matches the lease it set last, so if another
// commit took the job over, the renewal finds nothing and this commit's
// context is cancelled. stop ends the renewals and says whether the job
// was taken over.
func (s *Service) holdLease(ctx context.Context, jobID, lease int64) (context.Context, func() error) {
	ctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(s.lease() / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			next := s.now().Add(s.lease()).UnixMilli()
			res, err := s.DB.Exec(ctx, `UPDATE import_jobs SET lease_until = $1 WHERE id = $2 AND status = 'running' AND lease_until = $3`, next, jobID, lease)
			if err != nil {
				continue // the database is away; the commit itself will fail or go on
			}
			if n, _ := res.RowsAffected(); n == 0 {
				cancel(errTakenOver)
				return
			}
			lease = next
		}
	}()
	return ctx, func() error {
		close(done)
		<-finished
		cause := context.Cause(ctx)
		cancel(nil)
		if errors.Is(cause, errTakenOver) {
			return fmt.Errorf("import %d: %w", jobID, errTakenOver)
		}
		return nil
	}
}

// FailStale marks failed the jobs left running past their lease — their
// process died mid-commit — and returns how many. The store holds exactly
// the chunks each recorded (last_row); committing the job again resumes.
func (s *Service) FailStale(ctx context.Context) (int, error) {
	now := s.now().UnixMilli()
	res, err := s.DB.Exec(ctx, `UPDATE import_jobs SET status = 'failed', lease_until = 0, updated_at = $1,
		message = 'the commit stopped without finishing (its process ended); the store holds the rows up to the last line recorded; commit again to resume'
		WHERE status = 'running' AND lease_until < $1`, now)
	if err != nil {
		return 0, fmt.Errorf("fail abandoned imports: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
