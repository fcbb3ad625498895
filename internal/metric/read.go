package metric

import (
	"context"
	"fmt"

	"github.com/axiomhq/hyperloglog"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/order/purchase"
)

// ExactBuyersDays is the longest range whose distinct buyers are counted
// exactly from orders; longer ranges merge the daily sketches.
const ExactBuyersDays = 7

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

// Summarize reads a period's headline figures from the rollup: sums of the
// daily rows, new customers from first_paid_day, and distinct buyers exact
// for short ranges and estimated from the merged daily sketches for long ones.
func Summarize(ctx context.Context, q db.Queryer, from, to int64) (Summary, error) {
	s := Summary{From: from, To: to}
	err := q.QueryRow(ctx, `SELECT COALESCE(SUM(paid_orders), 0), COALESCE(SUM(gmv), 0), COALESCE(SUM(cogs), 0), COALESCE(SUM(refunds), 0)
		FROM sales_daily WHERE day BETWEEN $1 AND $2`, from, to).Scan(&s.PaidOrders, &s.GMV, &s.COGS, &s.Refunds)
	if err != nil {
		return s, fmt.Errorf("summarize sales: %w", err)
	}
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM customers WHERE first_paid_day BETWEEN $1 AND $2`, from, to).Scan(&s.NewCustomers); err != nil {
		return s, fmt.Errorf("summarize new customers: %w", err)
	}
	if len(Days(from, to)) <= ExactBuyersDays {
		err = q.QueryRow(ctx, `SELECT COUNT(DISTINCT o.customer_id) FROM orders o WHERE o.paid_day BETWEEN $1 AND $2 AND `+purchase.Is("o"), from, to).Scan(&s.Buyers)
	} else {
		s.Buyers, err = mergedBuyers(ctx, q, from, to)
		s.BuyersApprox = true
	}
	if err != nil {
		return s, fmt.Errorf("summarize buyers: %w", err)
	}
	s.finish()
	return s, nil
}

func mergedBuyers(ctx context.Context, q db.Queryer, from, to int64) (int64, error) {
	rows, err := q.Query(ctx, `SELECT buyers_sketch FROM sales_daily WHERE day BETWEEN $1 AND $2 AND buyers_sketch IS NOT NULL`, from, to)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	all := hyperloglog.New14()
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return 0, err
		}
		sk := hyperloglog.New14()
		if err := sk.UnmarshalBinary(b); err != nil {
			return 0, fmt.Errorf("buyers sketch: %w", err)
		}
		if err := all.Merge(sk); err != nil {
			return 0, err
		}
	}
	return int64(all.Estimate()), rows.Err()
}
