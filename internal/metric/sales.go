// Package metric computes the shop's indicators (docs/METRICS.md) from its
// orders. Days are YYYYMMDD in the store's time zone (orders.paid_day), so a
// day here is the shop's day, not UTC's.
package metric

import (
	"context"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/order/purchase"
	"github.com/storeops/storeops/internal/settings"
)

// DaySales is one day of sales.
type DaySales struct {
	Day        int64 `json:"day"`         // YYYYMMDD in the store zone
	PaidOrders int64 `json:"paid_orders"` // orders paid that day, whatever happened later
	GMV        int64 `json:"gmv"`         // Σ total of those orders, 分
	Refunds    int64 `json:"refunds"`     // refunds paid out that day, 分
	NetSales   int64 `json:"net_sales"`   // GMV − refunds
	Buyers     int64 `json:"buyers"`      // distinct customers who paid that day
}

// Summary is a period's headline figures.
type Summary struct {
	From         int64 `json:"from"`
	To           int64 `json:"to"`
	GMV          int64 `json:"gmv"`
	PaidOrders   int64 `json:"paid_orders"`
	AOV          int64 `json:"aov"`    // 客单价 = GMV ÷ paid orders, 分 (rounded half up)
	Buyers       int64 `json:"buyers"` // distinct, exact (retention rollup)
	NewCustomers int64 `json:"new_customers"`
	Refunds      int64 `json:"refunds"`
	NetSales     int64 `json:"net_sales"`
	COGS         int64 `json:"cogs"`
	// GrossMarginBP is (net sales − COGS) ÷ net sales in basis points; 0 when
	// there were no net sales.
	GrossMarginBP int64 `json:"gross_margin_bp"`
}

// Days lists every day from..to inclusive.
func Days(from, to int64) []int64 {
	loc := time.UTC
	var out []int64
	for t := settings.DayTime(from, loc); ; t = t.AddDate(0, 0, 1) {
		d := settings.Day(t, loc)
		if d > to {
			break
		}
		out = append(out, d)
	}
	return out
}

// AddDays moves a YYYYMMDD day by n calendar days.
func AddDays(day int64, n int) int64 {
	return settings.Day(settings.DayTime(day, time.UTC).AddDate(0, 0, n), time.UTC)
}

// DailyRaw computes one DaySales per day from..to, zero-filled, straight
// from orders and refunds; the console reads the same figures from the
// rollup (Daily), and tests check the two agree.
func DailyRaw(ctx context.Context, q db.Queryer, from, to int64) ([]DaySales, error) {
	byDay := map[int64]*DaySales{}
	days := Days(from, to)
	out := make([]DaySales, len(days))
	for i, d := range days {
		out[i].Day = d
		byDay[d] = &out[i]
	}
	rows, err := q.Query(ctx, `SELECT o.paid_day, COUNT(*), COALESCE(SUM(`+purchase.Value("o")+`), 0), COUNT(DISTINCT o.customer_id)
		FROM orders o WHERE o.paid_day BETWEEN $1 AND $2 AND `+purchase.Is("o")+` GROUP BY o.paid_day`, from, to)
	if err != nil {
		return nil, fmt.Errorf("daily sales: %w", err)
	}
	for rows.Next() {
		var d, n, gmv, buyers int64
		if err := rows.Scan(&d, &n, &gmv, &buyers); err != nil {
			rows.Close()
			return nil, err
		}
		if s := byDay[d]; s != nil {
			s.PaidOrders, s.GMV, s.Buyers = n, gmv, buyers
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.Query(ctx, `SELECT r.refunded_day, SUM(r.amount) FROM refunds r
		WHERE r.refunded_day BETWEEN $1 AND $2 AND `+purchase.Refund("r")+` GROUP BY r.refunded_day`, from, to)
	if err != nil {
		return nil, fmt.Errorf("daily refunds: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d, amt int64
		if err := rows.Scan(&d, &amt); err != nil {
			return nil, err
		}
		if s := byDay[d]; s != nil {
			s.Refunds = amt
		}
	}
	for i := range out {
		out[i].NetSales = out[i].GMV - out[i].Refunds
	}
	return out, rows.Err()
}

// SummarizeRaw computes a period's headline figures straight from orders
// and refunds (the definition; Summarize reads the rollup).
func SummarizeRaw(ctx context.Context, q db.Queryer, from, to int64) (Summary, error) {
	s := Summary{From: from, To: to}
	err := q.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(`+purchase.Value("o")+`), 0), COUNT(DISTINCT o.customer_id)
		FROM orders o WHERE o.paid_day BETWEEN $1 AND $2 AND `+purchase.Is("o"), from, to).Scan(&s.PaidOrders, &s.GMV, &s.Buyers)
	if err != nil {
		return s, fmt.Errorf("summarize sales: %w", err)
	}
	if err := q.QueryRow(ctx, `SELECT COALESCE(SUM(r.amount), 0) FROM refunds r WHERE r.refunded_day BETWEEN $1 AND $2 AND `+purchase.Refund("r"),
		from, to).Scan(&s.Refunds); err != nil {
		return s, fmt.Errorf("summarize refunds: %w", err)
	}
	// Cost of the units sold in the period that stayed sold: the orders'
	// cost at the time of sale, less the cost of units refunded, which only
	// the (few) refunded orders' lines need to be read for.
	var sold, returned int64
	if err := q.QueryRow(ctx, `SELECT COALESCE(SUM(cost_total), 0) FROM orders WHERE paid_day BETWEEN $1 AND $2`, from, to).Scan(&sold); err != nil {
		return s, fmt.Errorf("summarize cost: %w", err)
	}
	if err := q.QueryRow(ctx, `SELECT COALESCE(SUM(l.refunded_quantity * l.unit_cost), 0)
		FROM orders o JOIN order_lines l ON l.order_id = o.id
		WHERE o.paid_day BETWEEN $1 AND $2 AND o.refunded_total > 0`, from, to).Scan(&returned); err != nil {
		return s, fmt.Errorf("summarize returned cost: %w", err)
	}
	s.COGS = sold - returned
	// New customers: first paid order in the period (customer.NotePaid keeps
	// first_paid_day).
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM customers WHERE first_paid_day BETWEEN $1 AND $2`, from, to).Scan(&s.NewCustomers); err != nil {
		return s, fmt.Errorf("summarize new customers: %w", err)
	}
	s.finish()
	return s, nil
}

// finish derives the ratios from the sums.
func (s *Summary) finish() {
	s.NetSales = s.GMV - s.Refunds
	s.AOV = divRound(s.GMV, s.PaidOrders)
	s.GrossMarginBP = 0
	if s.NetSales > 0 {
		s.GrossMarginBP = divRound((s.NetSales-s.COGS)*10000, s.NetSales)
	}
}

// divRound is a ÷ b rounded half away from zero; 0 when b is 0.
func divRound(a, b int64) int64 {
	if b == 0 {
		return 0
	}
	if (a < 0) != (b < 0) {
		return -((-a + b/2) / b)
	}
	return (a + b/2) / b
}

// Overview is the console's first page: a period, the one before it, and the
// days of the period.
type Overview struct {
	Current  Summary    `json:"current"`
	Previous Summary    `json:"previous"`
	Daily    []DaySales `json:"daily"`
}

// OverviewFor computes the overview of the n days ending on day `to`
// (inclusive), compared with the n days before (环比).
func OverviewFor(ctx context.Context, q db.Queryer, to int64, n int) (Overview, error) {
	if n < 1 || n > 3660 {
		return Overview{}, fmt.Errorf("days: %d is outside 1…3660", n)
	}
	from := AddDays(to, -(n - 1))
	var o Overview
	var err error
	if o.Current, err = Summarize(ctx, q, from, to); err != nil {
		return o, err
	}
	if o.Previous, err = Summarize(ctx, q, AddDays(from, -n), AddDays(from, -1)); err != nil {
		return o, err
	}
	o.Daily, err = Daily(ctx, q, from, to)
	return o, err
}

// FreshEnough is how stale the rollup may be when a figure is read; the
// refresh job keeps it within a minute anyway.
const FreshEnough = 10 * time.Second

// ReadWait is how long a dashboard read waits for the refresh it started
// before it is served the rollups as they are (the server's setting;
// app.Options.RefreshWait).
const ReadWait = 100 * time.Millisecond

// Overview refreshes the rollup when it is older than FreshEnough, then
// computes OverviewFor; it is what the console and the API call.
func (r *Rollup) Overview(ctx context.Context, to int64, n int) (Overview, error) {
	if err := r.RefreshIfOlder(ctx, FreshEnough); err != nil {
		return Overview{}, err
	}
	return OverviewFor(ctx, r.DB, to, n)
}

// ChangeBP is the relative change from prev to cur in basis points (环比),
// and false when there is nothing to compare with.
func ChangeBP(cur, prev int64) (int64, bool) {
	if prev == 0 {
		return 0, false
	}
	return divRound((cur-prev)*10000, prev), true
}
