// Package points is the shop's points (积分): a ledger with one row per
// movement (earn, redeem, expire, reverse, adjust) and a balance per
// customer kept equal to the ledger's sum in the same transaction. Every
// movement names its source event in a unique key, so writing it twice
// records it once; the balance changes with a conditional UPDATE, so it is
// never negative, however many redemptions race.
package points

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/db"
)

// Kind is what a movement is.
type Kind string

// The kinds of movements.
const (
	Earn    Kind = "earn"    // a paid order (and the ladder's bonus)
	Redeem  Kind = "redeem"  // points paid part of an order
	Expire  Kind = "expire"  // points past their expiry
	Reverse Kind = "reverse" // a refund takes earned points back (−), a called-off order gives redeemed ones back (+)
	Adjust  Kind = "adjust"  // an operator's manual change
)

// ErrInsufficient is a debit larger than the balance; it wraps
// apperr.ErrConflict.
var ErrInsufficient = fmt.Errorf("not enough points: %w", apperr.ErrConflict)

// Movement is one row of the ledger.
type Movement struct {
	ID         int64      `json:"id"`
	CustomerID int64      `json:"customer_id"`
	Kind       Kind       `json:"kind"`
	Points     int64      `json:"points"`
	SourceKind string     `json:"source_kind,omitempty"`
	SourceID   int64      `json:"source_id,omitempty"`
	Key        string     `json:"event_key"`
	Reason     string     `json:"reason,omitempty"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	At         time.Time  `json:"at"`
}

// Entry is a movement to write. Key must name the source event uniquely
// ("earn:order:42"); Points is signed and not 0.
type Entry struct {
	CustomerID int64
	Kind       Kind
	Points     int64
	SourceKind string
	SourceID   int64
	Key        string
	Reason     string
	ExpiresAt  time.Time // zero: does not expire
	At         time.Time
}

// Write records e in tx and moves the balance with it. It reports whether
// it wrote: false when the event's key is already in the ledger (the event
// happened before; nothing changes). A debit larger than the balance is
// ErrInsufficient and writes nothing that stays: the caller's transaction
// must roll back, or the ledger row is deleted here when the update fails.
func Write(ctx context.Context, tx *db.Tx, e Entry) (bool, error) {
	if e.Points == 0 {
		return false, nil
	}
	if e.CustomerID <= 0 || strings.TrimSpace(e.Key) == "" {
		return false, fmt.Errorf("points: movement without customer or key")
	}
	at := e.At.UTC().UnixMilli()
	var exp any
	if !e.ExpiresAt.IsZero() {
		exp = e.ExpiresAt.UTC().UnixMilli()
	}
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO points_ledger (customer_id, kind, points, source_kind, source_id, event_key, reason, expires_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (event_key) DO NOTHING RETURNING id`,
		e.CustomerID, string(e.Kind), e.Points, e.SourceKind, e.SourceID, e.Key, e.Reason, exp, at).Scan(&id)
	if db.IsNoRows(err) {
		return false, nil
	}
	if err != nil {
		if db.IsForeignKeyViolation(err) {
			return false, fmt.Errorf("there is no customer %d: %w", e.CustomerID, apperr.ErrNotFound)
		}
		return false, fmt.Errorf("points: record %s: %w", e.Key, err)
	}
	if e.Points > 0 {
		_, err = tx.Exec(ctx, `INSERT INTO points_balances (customer_id, balance, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (customer_id) DO UPDATE SET balance = points_balances.balance + excluded.balance, updated_at = excluded.updated_at`,
			e.CustomerID, e.Points, at)
		if err != nil {
			return false, fmt.Errorf("points: credit customer %d: %w", e.CustomerID, err)
		}
		return true, nil
	}
	res, err := tx.Exec(ctx, `UPDATE points_balances SET balance = balance - $1, updated_at = $2 WHERE customer_id = $3 AND balance >= $1`,
		-e.Points, at, e.CustomerID)
	if err != nil {
		return false, fmt.Errorf("points: debit customer %d: %w", e.CustomerID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		// Undo the ledger row so that a caller who carries on (a refund
		// reversing what is left) keeps balance == Σ ledger.
		if _, err := tx.Exec(ctx, `DELETE FROM points_ledger WHERE id = $1`, id); err != nil {
			return false, fmt.Errorf("points: undo %s: %w", e.Key, err)
		}
		return false, ErrInsufficient
	}
	return true, nil
}

// Balance is the customer's points (0 when they never had any).
func Balance(ctx context.Context, q db.Queryer, customerID int64) (int64, error) {
	var b int64
	err := q.QueryRow(ctx, `SELECT balance FROM points_balances WHERE customer_id = $1`, customerID).Scan(&b)
	if db.IsNoRows(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("points balance of customer %d: %w", customerID, err)
	}
	return b, nil
}

// Ledger is a customer's movements, newest first, before the movement id
// before (0: from the newest), at most limit.
func Ledger(ctx context.Context, q db.Queryer, customerID, before int64, limit int) ([]Movement, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := q.Query(ctx, `SELECT id, customer_id, kind, points, source_kind, source_id, event_key, reason, expires_at, created_at
		FROM points_ledger WHERE customer_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`, customerID, before, limit)
	if err != nil {
		return nil, fmt.Errorf("points ledger of customer %d: %w", customerID, err)
	}
	defer rows.Close()
	out := []Movement{}
	for rows.Next() {
		var m Movement
		var exp *int64
		var at int64
		var kind string
		if err := rows.Scan(&m.ID, &m.CustomerID, &kind, &m.Points, &m.SourceKind, &m.SourceID, &m.Key, &m.Reason, &exp, &at); err != nil {
			return nil, err
		}
		m.Kind = Kind(kind)
		m.At = time.UnixMilli(at).UTC()
		if exp != nil {
			t := time.UnixMilli(*exp).UTC()
			m.ExpiresAt = &t
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// isInsufficient tells a refused debit from a failure.
func isInsufficient(err error) bool { return errors.Is(err, ErrInsufficient) }
