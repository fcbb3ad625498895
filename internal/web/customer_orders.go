package web

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/db"
)

// This query belongs in the orders package once it exists; the console
// needs only this one read until then.

// customerOrder is one row of a customer's recent orders.
type customerOrder struct {
	ID       int64
	OrderNo  string
	Status   string
	Total    int64
	Currency string
	PaidAt   time.Time // zero: not paid
	Created  time.Time
}

// customerOrdersLimit is how many of a customer's orders the detail page shows.
const customerOrdersLimit = 20

// recentOrdersOf returns the customer's newest orders, newest first.
func recentOrdersOf(ctx context.Context, q db.Queryer, customerID int64, limit int) ([]customerOrder, error) {
	rows, err := q.Query(ctx, `SELECT id, order_no, status, total, currency, paid_at, created_at
		FROM orders WHERE customer_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, customerID, limit)
	if err != nil {
		return nil, fmt.Errorf("orders of customer %d: %w", customerID, err)
	}
	defer rows.Close()
	var out []customerOrder
	for rows.Next() {
		var o customerOrder
		var paid sql.NullInt64
		var created int64
		if err := rows.Scan(&o.ID, &o.OrderNo, &o.Status, &o.Total, &o.Currency, &paid, &created); err != nil {
			return nil, fmt.Errorf("orders of customer %d: %w", customerID, err)
		}
		if paid.Valid {
			o.PaidAt = time.UnixMilli(paid.Int64).UTC()
		}
		o.Created = time.UnixMilli(created).UTC()
		out = append(out, o)
	}
	return out, rows.Err()
}
