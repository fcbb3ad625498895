package order

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/page"
)

// DepositsPaid is a list filter, not a status: the paid presale deposit
// orders (定金订单). A deposit order stays paid for good and ships nothing,
// so the list's paid (待发货) leaves them out and shows them here.
const DepositsPaid Status = "deposits_paid"

// ListStatuses are the values the order list filters and counts by: every
// status, with the paid deposit orders apart from the orders to ship.
func ListStatuses() []Status {
	return []Status{PendingPayment, Paid, DepositsPaid, Shipped, Delivered, Completed, Cancelled, Closed}
}

// ValidListStatus reports whether s is one of ListStatuses.
func ValidListStatus(s string) bool {
	return s == string(DepositsPaid) || ValidStatus(s)
}

// Filter selects orders for List. Zero values select everything.
type Filter struct {
	Status     string // one of ListStatuses; paid leaves out deposit orders
	Channel    string
	CustomerID int64
	From, To   time.Time // created at or after From, before To
	MinTotal   int64     // 分; 0: no lower bound
	MaxTotal   int64     // 分; 0: no upper bound
	No         string    // part of the order number
	page.Request
}

// Validate says which filter field is wrong.
func (f Filter) Validate() error {
	if f.Status != "" && !ValidListStatus(f.Status) {
		return apperr.Field("status", "must be one of pending_payment, paid, deposits_paid, shipped, delivered, completed, cancelled, closed, not %q", f.Status)
	}
	if f.Channel != "" && !customer.ValidChannel(f.Channel) {
		return apperr.Field("channel", "must be search, live, short_video, community, ads or direct, not %q", f.Channel)
	}
	if f.MinTotal < 0 || f.MaxTotal < 0 {
		return apperr.Field("min_total", "amounts cannot be negative")
	}
	if f.MaxTotal > 0 && f.MinTotal > f.MaxTotal {
		return apperr.Field("max_total", "must be at least min_total (%d)", f.MinTotal)
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return apperr.Field("to", "must be after from")
	}
	return nil
}

// List returns a page of orders, newest first, without lines or events,
// and the cursor of the next page.
func (s *Service) List(ctx context.Context, f Filter) ([]Order, string, error) {
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	if f.Limit <= 0 || f.Limit > page.MaxLimit {
		f.Limit = page.DefaultLimit
	}
	var conds []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	switch Status(f.Status) {
	case "":
	case DepositsPaid:
		conds = append(conds, "status = 'paid'", "presale_role = 'deposit'")
	case Paid:
		conds = append(conds, "status = 'paid'", "presale_role <> 'deposit'")
	default:
		conds = append(conds, "status = "+arg(f.Status))
	}
	if f.Channel != "" {
		conds = append(conds, "channel = "+arg(f.Channel))
	}
	if f.CustomerID > 0 {
		conds = append(conds, "customer_id = "+arg(f.CustomerID))
	}
	if !f.From.IsZero() {
		conds = append(conds, "created_at >= "+arg(f.From.UnixMilli()))
	}
	if !f.To.IsZero() {
		conds = append(conds, "created_at < "+arg(f.To.UnixMilli()))
	}
	if f.MinTotal > 0 {
		conds = append(conds, "total >= "+arg(f.MinTotal))
	}
	if f.MaxTotal > 0 {
		conds = append(conds, "total <= "+arg(f.MaxTotal))
	}
	if no := strings.ToUpper(strings.TrimSpace(f.No)); no != "" {
		conds = append(conds, "order_no LIKE "+arg(db.LikeContains(no))+` ESCAPE '\'`)
	}
	if f.After > 0 {
		conds = append(conds, "id < "+arg(f.After))
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	rows, err := s.DB.Query(ctx, `SELECT `+orderColumns+` FROM orders`+where+` ORDER BY id DESC LIMIT `+arg(f.Limit), args...)
	if err != nil {
		return nil, "", fmt.Errorf("list orders: %w", err)
	}
	defer rows.Close()
	out := []Order{}
	for rows.Next() {
		o, err := scanOrder(rows, s.window())
		if err != nil {
			return nil, "", fmt.Errorf("list orders: %w", err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list orders: %w", err)
	}
	rows.Close()
	if err := loadDeposits(ctx, s.DB, out); err != nil {
		return nil, "", err
	}
	var last int64
	if len(out) > 0 {
		last = out[len(out)-1].ID
	}
	return out, page.Next(f.Request, len(out), last), nil
}

// CountByStatus is how many orders each of ListStatuses selects (every one
// present, zero included), for the tabs of an order list: paid deposit
// orders count under DepositsPaid, not Paid.
func (s *Service) CountByStatus(ctx context.Context) (map[Status]int64, error) {
	out := make(map[Status]int64, len(ListStatuses()))
	for _, st := range ListStatuses() {
		out[st] = 0
	}
	rows, err := s.DB.Query(ctx, `SELECT CASE WHEN status = 'paid' AND presale_role = 'deposit' THEN 'deposits_paid' ELSE status END, COUNT(*)
		FROM orders GROUP BY 1`)
	if err != nil {
		return nil, fmt.Errorf("count orders by status: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var st string
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("count orders by status: %w", err)
		}
		out[Status(st)] = n
	}
	return out, rows.Err()
}
