// Package payment takes the buyer's money through a provider. A provider is
// an interface so that a real gateway can replace the built-in sandbox; the
// payments table, with at most one live payment per order, is what makes
// paying twice impossible whatever the provider does.
package payment

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/db"
)

// Statuses of a payment. Pending waits for the provider's callback;
// cancelled is a pending payment whose order closed first.
const (
	StatusPending   = "pending"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
	StatusCancelled = "cancelled"
)

var (
	// ErrLivePayment: the order already has a pending or succeeded payment.
	ErrLivePayment = fmt.Errorf("the order already has a payment that is pending or succeeded: %w", apperr.ErrConflict)
	// ErrBadCallback: a provider callback failed verification (signature,
	// age or a nonce seen before); it changes nothing.
	ErrBadCallback = fmt.Errorf("payment callback refused: %w", apperr.ErrForbidden)
)

// Payment is one attempt to take an order's money. Amount and Refunded are
// in 分.
type Payment struct {
	ID          int64     `json:"id"`
	OrderID     int64     `json:"order_id"`
	Provider    string    `json:"provider"`
	ProviderRef string    `json:"provider_ref"`
	Amount      int64     `json:"amount"`
	Refunded    int64     `json:"refunded"`
	Currency    string    `json:"currency"`
	Status      string    `json:"status"`
	Failure     string    `json:"failure,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Charge asks a provider for money. Outcome is only for the sandbox:
// "succeed" (default), "fail" or "pending".
type Charge struct {
	PaymentID int64
	OrderNo   string
	Amount    int64
	Currency  string
	Outcome   string
}

// Result is what the provider answered: StatusSucceeded, StatusFailed or
// StatusPending, its reference, and why it failed.
type Result struct {
	Status  string
	Ref     string
	Failure string
}

// Provider is a payment gateway.
type Provider interface {
	Name() string
	Charge(ctx context.Context, c Charge) (Result, error)
	// Refund returns amount of the payment known to the provider as ref.
	Refund(ctx context.Context, ref string, amount int64) error
}

// Instant is a provider whose Charge answers from memory, without a
// network call (the sandbox): its charge can run inside the order's
// transaction, so that a payment is one commit instead of three. That
// transaction may run more than once (db.InTxRerun), so such a Charge
// must have no effect outside the process.
type Instant interface {
	ChargesInstantly() bool
}

// IsInstant reports whether p charges without leaving the process.
func IsInstant(p Provider) bool {
	i, ok := p.(Instant)
	return ok && i.ChargesInstantly()
}

const columns = `id, order_id, provider, provider_ref, amount, refunded, currency, status, failure, created_at, updated_at`

func scan(row interface{ Scan(...any) error }) (Payment, error) {
	var p Payment
	var created, updated int64
	err := row.Scan(&p.ID, &p.OrderID, &p.Provider, &p.ProviderRef, &p.Amount, &p.Refunded, &p.Currency, &p.Status, &p.Failure, &created, &updated)
	p.CreatedAt, p.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return p, err
}

// Start records a pending payment of amount for an order, or fails with
// ErrLivePayment when one is pending or has succeeded already.
func Start(ctx context.Context, q db.Queryer, orderID int64, provider string, amount int64, currency string, now time.Time) (Payment, error) {
	// DO NOTHING instead of catching the unique violation: on PostgreSQL a
	// violation would abort the caller's transaction.
	p, err := scan(q.QueryRow(ctx, `INSERT INTO payments (order_id, provider, amount, currency, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, 'pending', $5, $5) ON CONFLICT DO NOTHING RETURNING `+columns,
		orderID, provider, amount, currency, now.UnixMilli()))
	if errors.Is(err, sql.ErrNoRows) {
		return Payment{}, ErrLivePayment
	}
	if err != nil {
		return Payment{}, fmt.Errorf("start payment of order %d: %w", orderID, err)
	}
	return p, nil
}

// Settle moves a payment from one status to another, recording the
// provider's reference and any failure; it reports false when the payment
// was no longer in status from.
func Settle(ctx context.Context, q db.Queryer, id int64, from, to, ref, failure string, now time.Time) (bool, error) {
	res, err := q.Exec(ctx, `UPDATE payments SET status = $1, provider_ref = CASE WHEN $2 = '' THEN provider_ref ELSE $2 END,
		failure = $3, updated_at = $4 WHERE id = $5 AND status = $6`, to, ref, failure, now.UnixMilli(), id, from)
	if err != nil {
		return false, fmt.Errorf("settle payment %d: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// MarkRefunded adds amount to what a payment gave back.
func MarkRefunded(ctx context.Context, q db.Queryer, id, amount int64, now time.Time) error {
	res, err := q.Exec(ctx, `UPDATE payments SET refunded = refunded + $1, updated_at = $2
		WHERE id = $3 AND refunded + $1 <= amount`, amount, now.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("refund payment %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("refund %d 分 of payment %d: more than was paid: %w", amount, id, apperr.ErrConflict)
	}
	return nil
}

// Get returns a payment.
func Get(ctx context.Context, q db.Queryer, id int64) (Payment, error) {
	p, err := scan(q.QueryRow(ctx, `SELECT `+columns+` FROM payments WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("payment %d: %w", id, apperr.ErrNotFound)
	}
	return p, err
}

// ByRef returns the payment a provider knows as ref.
func ByRef(ctx context.Context, q db.Queryer, provider, ref string) (Payment, error) {
	if ref == "" {
		return Payment{}, fmt.Errorf("payment with an empty reference: %w", apperr.ErrNotFound)
	}
	p, err := scan(q.QueryRow(ctx, `SELECT `+columns+` FROM payments WHERE provider = $1 AND provider_ref = $2`, provider, ref))
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("%s payment %q: %w", provider, ref, apperr.ErrNotFound)
	}
	return p, err
}

// Live returns the order's pending or succeeded payment, if any.
func Live(ctx context.Context, q db.Queryer, orderID int64) (Payment, bool, error) {
	p, err := scan(q.QueryRow(ctx, `SELECT `+columns+` FROM payments WHERE order_id = $1 AND status IN ('pending', 'succeeded')`, orderID))
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	if err != nil {
		return p, false, fmt.Errorf("payment of order %d: %w", orderID, err)
	}
	return p, true, nil
}

// ForOrder lists every payment attempt of an order, oldest first.
func ForOrder(ctx context.Context, q db.Queryer, orderID int64) ([]Payment, error) {
	rows, err := q.Query(ctx, `SELECT `+columns+` FROM payments WHERE order_id = $1 ORDER BY id`, orderID)
	if err != nil {
		return nil, fmt.Errorf("payments of order %d: %w", orderID, err)
	}
	defer rows.Close()
	out := []Payment{}
	for rows.Next() {
		p, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("payments of order %d: %w", orderID, err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
