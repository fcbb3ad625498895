package order

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/db"
)

// Idempotency keys make a retried call safe: the first call with a key runs
// and its response is kept; a retry with the same key and the same request
// gets that response again, byte for byte, without running anything. The
// insert of the key's row is the lock, so of two concurrent calls exactly
// one runs.
//
// A crash between the operation's commit and Finish leaves the key running;
// after KeyStale a retry may run the operation again. Keys are kept for
// KeyTTL.
const (
	KeyTTL   = 24 * time.Hour
	KeyStale = 2 * time.Minute
	maxKey   = 200
)

var (
	// ErrKeyReused: the key was used before with a different request.
	// It is a field error, so the API answers 422 naming the header.
	ErrKeyReused = &apperr.FieldError{Field: "Idempotency-Key", Message: "this key was already used with a different request; use a new key for a new request"}
	// ErrKeyInProgress: another call with the key is still running.
	ErrKeyInProgress = fmt.Errorf("a request with this Idempotency-Key is still in progress; retry in a moment: %w", apperr.ErrConflict)
)

// Keys is the idempotency store.
type Keys struct {
	DB   *db.DB
	Wait time.Duration // how long a concurrent call waits for the first one's response (default 5 s)
	Now  func() time.Time
}

// Stored is a response kept under a key. A key an operation took inside
// its own transaction (Claim) may have no response yet — the process
// stopped between the commit and keeping the answer — and then Ref names
// what the operation made (an order, a payment) for the caller to show.
type Stored struct {
	Status int
	Body   []byte
	Ref    int64
}

// Committed reports whether the operation committed but its response was
// not kept: the caller answers from Ref.
func (s *Stored) Committed() bool { return s.Status == 0 }

// Claim is an idempotency key an operation takes inside its own
// transaction, together with what it writes: the operation and its key
// commit or roll back as one, so a key can never be taken without its
// operation, nor an operation run twice under one key, whatever crashes
// when. It replaces Begin/Finish's two extra commits on the hot paths
// (checkout, pay).
type Claim struct {
	Scope, Key, Hash string
}

type claimCtxKey struct{}

// WithClaim asks the operations called with ctx that support it to take
// c inside their transaction.
func WithClaim(ctx context.Context, c Claim) context.Context {
	return context.WithValue(ctx, claimCtxKey{}, c)
}

// ErrKeyTaken: a concurrent call with the same key committed first; the
// caller replays that call's answer (Lookup).
var ErrKeyTaken = fmt.Errorf("a request with this Idempotency-Key has just completed: %w", apperr.ErrConflict)

// claimTx takes ctx's key, if any, in tx for the result ref. The row says
// done with no response: Keep fills the response in after the commit.
func claimTx(ctx context.Context, tx *db.Tx, ref int64, now time.Time) error {
	c, ok := ctx.Value(claimCtxKey{}).(Claim)
	if !ok {
		return nil
	}
	filterOf(tx.DB()).note(c.Scope, c.Key)
	res, err := tx.Exec(ctx, `INSERT INTO idempotency_keys (scope, key, request_hash, status, response_status, response, created_at, ref)
		VALUES ($1, $2, $3, 'done', 0, '', $4, $5) ON CONFLICT DO NOTHING`, c.Scope, c.Key, c.Hash, now.UnixMilli(), ref)
	if err != nil {
		return fmt.Errorf("idempotency key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrKeyTaken
	}
	return nil
}

// Lookup reads what a key holds: nil when it is free; ErrKeyReused when it
// was used with another request; the kept response (or the committed
// operation's Ref); for a key an old-style call (Begin) is still running,
// it waits like Begin.
func (k *Keys) Lookup(ctx context.Context, scope, key, hash string) (*Stored, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	var h, status, body string
	var code int64
	var ref sql.NullInt64
	err := k.DB.QueryRow(ctx, `SELECT request_hash, status, response_status, response, ref FROM idempotency_keys
		WHERE scope = $1 AND key = $2`, scope, key).Scan(&h, &status, &code, &body, &ref)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("idempotency key: %w", err)
	}
	if h != hash {
		return nil, ErrKeyReused
	}
	if status == "done" {
		return &Stored{Status: int(code), Body: []byte(body), Ref: ref.Int64}, nil
	}
	return nil, ErrKeyInProgress
}

// Remember takes a free key with an answer that wrote nothing (a
// refusal), so that a retry gets it again; a key taken meanwhile is left
// as it is.
func (k *Keys) Remember(ctx context.Context, scope, key, hash string, status int, body []byte) error {
	filterOf(k.DB).note(scope, key)
	_, err := k.DB.Exec(ctx, `INSERT INTO idempotency_keys (scope, key, request_hash, status, response_status, response, created_at)
		VALUES ($1, $2, $3, 'done', $4, $5, $6) ON CONFLICT DO NOTHING`, scope, key, hash, status, string(body), k.now().UnixMilli())
	if err != nil {
		return fmt.Errorf("idempotency key: %w", err)
	}
	return nil
}

// Keep stores the response of an operation that took its key with a
// Claim, so that a retry gets the same bytes.
func (k *Keys) Keep(ctx context.Context, scope, key, hash string, status int, body []byte) error {
	filterOf(k.DB).note(scope, key)
	_, err := k.DB.Exec(ctx, `INSERT INTO idempotency_keys (scope, key, request_hash, status, response_status, response, created_at)
		VALUES ($1, $2, $3, 'done', $4, $5, $6)
		ON CONFLICT (scope, key) DO UPDATE SET response_status = excluded.response_status, response = excluded.response
		WHERE idempotency_keys.request_hash = excluded.request_hash AND idempotency_keys.response_status = 0`,
		scope, key, hash, status, string(body), k.now().UnixMilli())
	if err != nil {
		return fmt.Errorf("idempotency key: %w", err)
	}
	return nil
}

// RequestHash is the fingerprint of a request a key is bound to.
func RequestHash(method, path string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(method + " " + path + "\n"))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

func (k *Keys) now() time.Time {
	if k.Now != nil {
		return k.Now()
	}
	return time.Now()
}

// CheckKey refuses a key that is empty or too long.
func CheckKey(key string) error {
	if key == "" || len(key) > maxKey || strings.ContainsFunc(key, func(r rune) bool { return r < ' ' || r > '~' }) {
		return apperr.Field("Idempotency-Key", "send 1 to %d printable ASCII characters, e.g. a UUID", maxKey)
	}
	return nil
}

// Begin claims key in scope for a request. When it returns (nil, nil) the
// caller runs the request and must then call Finish (or Abandon on a
// failure that should not be replayed). When another call already finished
// with the key it returns that response; ErrKeyReused when the request
// differs; ErrKeyInProgress when the first call has not finished within
// the wait.
func (k *Keys) Begin(ctx context.Context, scope, key, hash string) (*Stored, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	wait := k.Wait
	if wait <= 0 {
		wait = 5 * time.Second
	}
	deadline := k.now().Add(wait)
	filterOf(k.DB).note(scope, key)
	for {
		res, err := k.DB.Exec(ctx, `INSERT INTO idempotency_keys (scope, key, request_hash, status, created_at)
			VALUES ($1, $2, $3, 'running', $4) ON CONFLICT DO NOTHING`, scope, key, hash, k.now().UnixMilli())
		if err != nil {
			return nil, fmt.Errorf("idempotency key: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil, nil
		}
		var h, status, body string
		var code, created int64
		err = k.DB.QueryRow(ctx, `SELECT request_hash, status, response_status, response, created_at FROM idempotency_keys
			WHERE scope = $1 AND key = $2`, scope, key).Scan(&h, &status, &code, &body, &created)
		if errors.Is(err, sql.ErrNoRows) {
			continue // abandoned between our insert and read: claim it again
		}
		if err != nil {
			return nil, fmt.Errorf("idempotency key: %w", err)
		}
		if h != hash {
			return nil, ErrKeyReused
		}
		if status == "done" {
			return &Stored{Status: int(code), Body: []byte(body)}, nil
		}
		if k.now().Sub(time.UnixMilli(created)) > KeyStale {
			// The first call died without an answer: take the key over.
			res, err := k.DB.Exec(ctx, `UPDATE idempotency_keys SET created_at = $1 WHERE scope = $2 AND key = $3 AND status = 'running' AND created_at = $4`,
				k.now().UnixMilli(), scope, key, created)
			if err != nil {
				return nil, fmt.Errorf("idempotency key: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				return nil, nil
			}
			continue
		}
		if !k.now().Before(deadline) {
			return nil, ErrKeyInProgress
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Finish keeps the response of the call that claimed the key.
func (k *Keys) Finish(ctx context.Context, scope, key string, status int, body []byte) error {
	_, err := k.DB.Exec(ctx, `UPDATE idempotency_keys SET status = 'done', response_status = $1, response = $2
		WHERE scope = $3 AND key = $4`, status, string(body), scope, key)
	if err != nil {
		return fmt.Errorf("idempotency key: %w", err)
	}
	return nil
}

// Abandon releases a key whose call failed in a way a retry may fix (a
// server error), so the retry runs.
func (k *Keys) Abandon(ctx context.Context, scope, key string) error {
	_, err := k.DB.Exec(ctx, `DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND status = 'running'`, scope, key)
	if err != nil {
		return fmt.Errorf("idempotency key: %w", err)
	}
	return nil
}

// Purge forgets keys older than KeyTTL.
func (k *Keys) Purge(ctx context.Context) (int64, error) {
	res, err := k.DB.Exec(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, k.now().Add(-KeyTTL).UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("purge idempotency keys: %w", err)
	}
	return res.RowsAffected()
}
