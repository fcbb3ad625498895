package customer

import (
	"context"
	"fmt"

	"github.com/storeops/storeops/internal/db"
)

// NotePaid records that the customer has a paid order on day (YYYYMMDD in
// the store zone): customers.first_paid_day keeps the earliest such day,
// which "new customers" in docs/METRICS.md counts by. Every writer of paid
// orders calls it in the transaction that marks the order paid; an import of
// older history moves the day back.
func NotePaid(ctx context.Context, q db.Queryer, customerID, day int64) error {
	if customerID == 0 {
		return nil
	}
	_, err := q.Exec(ctx, `UPDATE customers SET first_paid_day = $2
		WHERE id = $1 AND (first_paid_day IS NULL OR first_paid_day > $2)`, customerID, day)
	if err != nil {
		return fmt.Errorf("note first paid day of customer %d: %w", customerID, err)
	}
	return nil
}

// FirstPaidMismatches counts customers whose first_paid_day disagrees with
// their orders — the invariant check for NotePaid's callers. A presale
// deposit is not a purchase (the order service does not note it).
func FirstPaidMismatches(ctx context.Context, q db.Queryer) (int64, error) {
	var n int64
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM customers c
		WHERE COALESCE(c.first_paid_day, 0) <> COALESCE((
			SELECT MIN(o.paid_day) FROM orders o WHERE o.customer_id = c.id AND o.paid_day IS NOT NULL AND o.presale_role <> 'deposit'), 0)`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("check first paid days: %w", err)
	}
	return n, nil
}
