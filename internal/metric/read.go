package metric

import (
	"context"
	"fmt"

	"github.com/storeops/storeops/internal/db"
)

// Daily reads one DaySales per day from..to from the rollup, zero-filled.
func Daily(ctx context.Context, q db.Queryer, from, to int64) ([]DaySales, error) {
	days := Days(from, to)
	out := make([]DaySales, len(days))
	at := make(map[int64]int, len(days))
	for i, d := range days {
		out[i].Day = d
		at[d] = i
	}
	rows, err := q.Query(ctx, `SELECT day, paid_orders, gmv, refunds, buyers FROM sales_daily WHERE day BETWEEN $1 AND $2`, from, to)
	if err != nil {
		return nil, fmt.Errorf("daily sales: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d DaySales
		if err := rows.Scan(&d.Day, &d.PaidOrders, &d.GMV, &d.Refunds, &d.Buyers); err != nil {
			return nil, err
		}
		if i, ok := at[d.Day]; ok {
			d.NetSales = d.GMV - d.Refunds
			out[i] = d
		}
	}
	return out, rows.Err()
}

// Summarize reads a period's headline figures from the rollups: sums of the
// daily rows, and distinct buyers and new customers (first purchase in the
// period) exact from the retention rollup.
func Summarize(ctx context.Context, q db.Queryer, from, to int64) (Summary, error) {
	s := Summary{From: from, To: to}
	err := q.QueryRow(ctx, `SELECT COALESCE(SUM(paid_orders), 0), COALESCE(SUM(gmv), 0), COALESCE(SUM(cogs), 0), COALESCE(SUM(refunds), 0)
		FROM sales_daily WHERE day BETWEEN $1 AND $2`, from, to).Scan(&s.PaidOrders, &s.GMV, &s.COGS, &s.Refunds)
	if err != nil {
		return s, fmt.Errorf("summarize sales: %w", err)
	}
	buyers, newCustomers, err := buyersOf(ctx, q, [][2]int64{{from, to}})
	if err != nil {
		return s, fmt.Errorf("summarize buyers: %w", err)
	}
	s.Buyers, s.NewCustomers = buyers[0], newCustomers[0]
	s.finish()
	return s, nil
}
