package presale

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/settings"
)

// Deposit statuses.
const (
	DepositPending   = "pending"   // 待付定金: the deposit order is unpaid
	DepositPaid      = "paid"      // 定金已付: the tail is due in the tail window
	DepositCompleted = "completed" // 尾款已付
	DepositClosed    = "closed"    // the deposit order closed unpaid
	DepositForfeited = "forfeited" // 定金不退: the tail window passed unpaid
	DepositRefunded  = "refunded"  // 定金已退 (or being refunded)
)

// Deposit is one buyer's deposit in a presale, with what they owe.
type Deposit struct {
	ID             int64      `json:"id"`
	PresaleID      int64      `json:"presale_id"`
	Presale        string     `json:"presale"`
	CustomerID     int64      `json:"customer_id"`
	Customer       string     `json:"customer,omitempty"`
	Quantity       int64      `json:"quantity"`
	Status         string     `json:"status" doc:"pending, paid, completed, closed, forfeited or refunded"`
	DepositAmount  int64      `json:"deposit_amount" doc:"分: deposit × quantity"`
	DepositValue   int64      `json:"deposit_value_amount" doc:"分 the deposit counts toward the price: deposit_value × quantity"`
	TailAmount     int64      `json:"tail_amount" doc:"分 of goods to pay in the tail window (before shipping)"`
	DepositOrderID int64      `json:"deposit_order_id"`
	DepositOrderNo string     `json:"deposit_order_no"`
	TailOrderID    int64      `json:"tail_order_id,omitempty"`
	TailOrderNo    string     `json:"tail_order_no,omitempty"`
	TailStartsAt   time.Time  `json:"tail_starts_at"`
	TailEndsAt     time.Time  `json:"tail_ends_at"`
	Refundable     bool       `json:"deposit_refundable"`
	ForfeitRule    string     `json:"forfeit_rule" doc:"what happens to the deposit if the tail is not paid, in words"`
	ForfeitRuleZH  string     `json:"forfeit_rule_zh"`
	CreatedAt      time.Time  `json:"created_at"`
	PaidAt         *time.Time `json:"paid_at"`
	SettledAt      *time.Time `json:"settled_at"`
	TailPayableNow bool       `json:"tail_payable_now"`
	RemindersSent  int64      `json:"reminders_sent"`
}

// DepositInput is a deposit checkout: the presale's SKU and how many, the
// buyer and the address the goods ship to later.
type DepositInput = order.CheckoutInput

// Deposit places the buyer's deposit order in a presale; they pay it with
// the order's pay call. One live deposit per buyer per presale: a second
// is refused (ErrAlreadyDeposited), so paying twice is impossible twice
// over (the order's one live payment, and this).
func (s *Service) Deposit(ctx context.Context, presaleID int64, in DepositInput) (Deposit, order.Order, error) {
	if err := checkBuy(in); err != nil {
		return Deposit{}, order.Order{}, err
	}
	o, err := s.Orders.Checkout(withIntent(ctx, &intent{presaleID: presaleID}), in)
	if err != nil {
		return Deposit{}, order.Order{}, err
	}
	d, err := s.depositWhere(ctx, `d.deposit_order_id = $1`, o.ID)
	return d, o, err
}

// TailInput is where the tail order's goods ship (empty: the deposit
// order's address) and the buyer's coupons and points for the tail.
type TailInput struct {
	ShipTo  order.ShipTo `json:"ship_to"`
	Note    string       `json:"note"`
	Channel string       `json:"channel"`
	Coupons []int64      `json:"coupons"`
	Points  int64        `json:"points"`
}

// PayTail places the tail order of the buyer's paid deposit, in the tail
// window; they pay it with the order's pay call. A tail order closed
// unpaid may be placed again while the window is open.
func (s *Service) PayTail(ctx context.Context, customerID, depositID int64, in TailInput) (Deposit, order.Order, error) {
	if customerID <= 0 {
		return Deposit{}, order.Order{}, fmt.Errorf("sign in to pay a presale's tail: %w", apperr.ErrForbidden)
	}
	d, err := s.DepositFor(ctx, customerID, depositID)
	if err != nil {
		return Deposit{}, order.Order{}, err
	}
	ship := in.ShipTo
	if ship == (order.ShipTo{}) {
		do, err := s.depositOrder(ctx, d.DepositOrderID)
		if err != nil {
			return Deposit{}, order.Order{}, err
		}
		ship = do
	}
	var sku int64
	if err := s.DB.QueryRow(ctx, `SELECT sku_id FROM presales WHERE id = $1`, d.PresaleID).Scan(&sku); err != nil {
		return Deposit{}, order.Order{}, fmt.Errorf("presale: %w", err)
	}
	o, err := s.Orders.Checkout(withIntent(ctx, &intent{presaleID: d.PresaleID, depositID: d.ID}), order.CheckoutInput{
		CustomerID: customerID, ShipTo: ship, Note: in.Note, Channel: in.Channel, Coupons: in.Coupons, Points: in.Points,
		Lines: []price.Line{{SKUID: sku, Quantity: d.Quantity}}})
	if err != nil {
		return Deposit{}, order.Order{}, err
	}
	d, err = s.DepositFor(ctx, customerID, depositID)
	return d, o, err
}

// depositOrder reads the address of a deposit order.
func (s *Service) depositOrder(ctx context.Context, id int64) (order.ShipTo, error) {
	var raw string
	if err := s.DB.QueryRow(ctx, `SELECT ship_to FROM orders WHERE id = $1`, id).Scan(&raw); err != nil {
		return order.ShipTo{}, fmt.Errorf("presale: %w", err)
	}
	return decodeShipTo(raw)
}

func checkBuy(in DepositInput) error {
	if in.CustomerID <= 0 {
		return fmt.Errorf("sign in to put down a deposit: %w", apperr.ErrForbidden)
	}
	if len(in.Lines) != 1 {
		return apperr.Field("lines", "a presale deposit has exactly one line: the presale's SKU")
	}
	if in.CartID != 0 {
		return apperr.Field("lines", "a presale deposit is paid now, not from the cart")
	}
	if len(in.Coupons) > 0 {
		return apperr.Field("coupons", "a presale deposit takes no coupons; use them on the tail")
	}
	if in.Points > 0 {
		return apperr.Field("points", "a presale deposit takes no points; use them on the tail")
	}
	return nil
}

// DepositFor returns one of the buyer's deposits; another buyer's is
// ErrNotFound, like a missing one.
func (s *Service) DepositFor(ctx context.Context, customerID, id int64) (Deposit, error) {
	d, err := s.depositWhere(ctx, `d.id = $1`, id)
	if err != nil {
		return d, err
	}
	if customerID > 0 && d.CustomerID != customerID {
		return Deposit{}, fmt.Errorf("deposit %d: %w", id, apperr.ErrNotFound)
	}
	return d, nil
}

// DepositOfOrder returns the deposit an order is the deposit or the tail
// of; apperr.ErrNotFound when it is not a presale order.
func (s *Service) DepositOfOrder(ctx context.Context, orderID int64) (Deposit, error) {
	return s.depositWhere(ctx, `d.deposit_order_id = $1 OR d.tail_order_id = $1`, orderID)
}

// DepositsOf lists the buyer's deposits, newest first (at most 100).
func (s *Service) DepositsOf(ctx context.Context, customerID int64) ([]Deposit, error) {
	return s.deposits(ctx, `WHERE d.customer_id = $1 ORDER BY d.id DESC LIMIT 100`, customerID)
}

// Deposits lists a presale's deposits, newest first, optionally of one
// status (at most 500).
func (s *Service) Deposits(ctx context.Context, presaleID int64, status string) ([]Deposit, error) {
	if _, err := s.Get(ctx, presaleID); err != nil {
		return nil, err
	}
	switch status {
	case "":
		return s.deposits(ctx, `WHERE d.presale_id = $1 ORDER BY d.id DESC LIMIT 500`, presaleID)
	case DepositPending, DepositPaid, DepositCompleted, DepositClosed, DepositForfeited, DepositRefunded:
		return s.deposits(ctx, `WHERE d.presale_id = $1 AND d.status = $2 ORDER BY d.id DESC LIMIT 500`, presaleID, status)
	}
	return nil, apperr.Field("status", "must be pending, paid, completed, closed, forfeited or refunded, not %q", status)
}

func (s *Service) depositWhere(ctx context.Context, where string, args ...any) (Deposit, error) {
	ds, err := s.deposits(ctx, `WHERE `+where, args...)
	if err != nil {
		return Deposit{}, err
	}
	if len(ds) == 0 {
		return Deposit{}, fmt.Errorf("deposit: %w", apperr.ErrNotFound)
	}
	return ds[0], nil
}

func (s *Service) deposits(ctx context.Context, tail string, args ...any) ([]Deposit, error) {
	return s.depositsQ(ctx, s.DB, tail, args...)
}

func (s *Service) depositsQ(ctx context.Context, q db.Queryer, tail string, args ...any) ([]Deposit, error) {
	rows, err := q.Query(ctx, `SELECT d.id, d.presale_id, ps.name, d.customer_id, COALESCE(c.name, ''), d.quantity, d.status,
			ps.deposit, ps.deposit_value, ps.presale_price - ps.deposit_value - ps.tail_discount, d.deposit_order_id, od.order_no,
			COALESCE(d.tail_order_id, 0), COALESCE(ot.order_no, ''), ps.tail_starts_at, ps.tail_ends_at, ps.deposit_refundable,
			d.created_at, d.paid_at, d.settled_at, d.reminders
		FROM presale_deposits d JOIN presales ps ON ps.id = d.presale_id JOIN orders od ON od.id = d.deposit_order_id
		LEFT JOIN orders ot ON ot.id = d.tail_order_id LEFT JOIN customers c ON c.id = d.customer_id `+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("presale deposits: %w", err)
	}
	defer rows.Close()
	loc := s.location(ctx)
	now := s.now().UnixMilli()
	out := []Deposit{}
	for rows.Next() {
		var d Deposit
		var dep, val, tail, ts, te, created int64
		var paid, settled sql.NullInt64
		if err := rows.Scan(&d.ID, &d.PresaleID, &d.Presale, &d.CustomerID, &d.Customer, &d.Quantity, &d.Status, &dep, &val, &tail,
			&d.DepositOrderID, &d.DepositOrderNo, &d.TailOrderID, &d.TailOrderNo, &ts, &te, &d.Refundable, &created, &paid, &settled,
			&d.RemindersSent); err != nil {
			return nil, fmt.Errorf("presale deposits: %w", err)
		}
		d.DepositAmount, d.DepositValue, d.TailAmount = dep*d.Quantity, val*d.Quantity, tail*d.Quantity
		d.TailStartsAt, d.TailEndsAt, d.CreatedAt = ms(ts), ms(te), ms(created)
		d.PaidAt, d.SettledAt = optMS(paid), optMS(settled)
		d.ForfeitRuleZH, d.ForfeitRule = ForfeitRule(d.Refundable, d.TailEndsAt, loc)
		d.TailPayableNow = tailOpen(d.Status, d.TailOrderID != 0, Presale{Windows: Windows{TailStartsAt: d.TailStartsAt, TailEndsAt: d.TailEndsAt}}, now) == nil
		out = append(out, d)
	}
	return out, rows.Err()
}

func optMS(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := ms(n.Int64)
	return &t
}

func decodeShipTo(raw string) (order.ShipTo, error) {
	var a order.ShipTo
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		return a, fmt.Errorf("presale: the deposit order's address: %w", err)
	}
	return a, nil
}

// location is the store's time zone (UTC when the settings cannot be read).
func (s *Service) location(ctx context.Context) *time.Location {
	st, err := settings.Cached(ctx, s.DB)
	if err != nil {
		return time.UTC
	}
	return st.Location()
}
