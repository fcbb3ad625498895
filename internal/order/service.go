package order

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/cart"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/inventory"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/payment"
	"github.com/storeops/storeops/internal/settings"
)

// Service is the shop's orders over a database.
type Service struct {
	DB        *db.DB
	Inventory *inventory.Service
	Pricer    price.Pricer     // nil: list prices (price.ListPricer)
	Provider  payment.Provider // nil: Sandbox
	Sandbox   *payment.Sandbox // verifies sandbox callbacks; nil: one over DB
	Now       func() time.Time // nil: the wall clock

	// Hooks take and give back what an order holds beyond its stock (a
	// coupon, points, flash-sale units) in the order's own transactions.
	Hooks []Hook

	PaymentWindow    time.Duration // unpaid orders close after this; 0: PaymentWindow
	FreeShippingFrom int64         // 0: FreeShippingFrom
	ShippingFee      int64         // 0: ShippingFee
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) pricer() price.Pricer {
	if s.Pricer != nil {
		return s.Pricer
	}
	return price.ListPricer{DB: s.DB}
}

func (s *Service) sandbox() *payment.Sandbox {
	if s.Sandbox != nil {
		return s.Sandbox
	}
	return &payment.Sandbox{DB: s.DB}
}

func (s *Service) provider() payment.Provider {
	if s.Provider != nil {
		return s.Provider
	}
	return s.sandbox()
}

func (s *Service) window() time.Duration {
	if s.PaymentWindow > 0 {
		return s.PaymentWindow
	}
	return PaymentWindow
}

func (s *Service) inventory() *inventory.Service {
	if s.Inventory != nil {
		return s.Inventory
	}
	return &inventory.Service{DB: s.DB, Now: s.Now}
}

// Quote prices a request and adds shipping without placing an order, for
// the checkout page. r.At is now.
func (s *Service) Quote(ctx context.Context, r price.Request) (price.Priced, int64, error) {
	r.At = s.now()
	p, err := s.pricer().Price(ctx, r)
	if err != nil {
		return p, 0, err
	}
	return p, s.shippingFor(p), nil
}

// shippingFor is the fee of a priced order: none when the pricer waived it
// (a member tier's benefit).
func (s *Service) shippingFor(p price.Priced) int64 {
	if p.FreeShipping {
		return 0
	}
	return s.shipping(p.Total)
}

func (s *Service) shipping(goods int64) int64 {
	from, fee := s.FreeShippingFrom, s.ShippingFee
	if from <= 0 {
		from = FreeShippingFrom
	}
	if fee <= 0 {
		fee = ShippingFee
	}
	return Shipping(goods, from, fee)
}

// Checkout places an order: it prices the lines on the server, then in one
// transaction writes the order and reserves every line's stock with a
// conditional update, so two buyers of the last unit cannot both get it.
// Out of stock is inventory.ErrOutOfStock (409) naming the line.
func (s *Service) Checkout(ctx context.Context, in CheckoutInput) (Order, error) {
	in.ShipTo = normalizeShipTo(in.ShipTo)
	in.Note = strings.TrimSpace(in.Note)
	if in.Channel == "" {
		in.Channel = customer.ChannelDirect
	}
	if err := in.validate(); err != nil {
		return Order{}, err
	}
	now := s.now()
	req := price.Request{CustomerID: in.CustomerID, Channel: in.Channel, Lines: in.Lines, At: now, Coupons: in.Coupons, Points: in.Points,
		GroupBuy: in.GroupBuy}
	priced, err := s.pricer().Price(ctx, req)
	if err != nil {
		return Order{}, err
	}
	st, err := settings.Cached(ctx, s.DB)
	if err != nil {
		return Order{}, err
	}
	fee := s.shippingFor(priced)
	shipTo, _ := json.Marshal(in.ShipTo)
	var id int64
	// Gifts whose stock ran out since the quote: left out of the order
	// (anything else out of stock refuses it). Found by the reservation at
	// the end of the transaction, which then runs again without them.
	dropped := map[int]bool{}
	for attempt := 0; ; attempt++ {
		no := NewOrderNo(now, st.Location())
		lines, noGift := withoutGifts(priced, dropped)
		// Rerunnable: the order's writes, its hooks' and its key's are all
		// database work, so on SQLite it shares a commit without a
		// savepoint (db.InTxRerun).
		err = s.DB.InTxRerun(ctx, func(tx *db.Tx) error {
			// Refusals first, by reads: a checkout that fails before
			// writing costs its group commit nothing (see db.InTxRerun).
			for _, h := range s.Hooks {
				if c, ok := h.(Checker); ok {
					if err := c.Check(ctx, tx, Placed{No: no, CustomerID: in.CustomerID, Channel: in.Channel, At: now, Request: req, Priced: priced}); err != nil {
						return err
					}
				}
			}
			// Where the stock is reserved depends on the engine (see
			// reserve): on SQLite's single writer first, so that a sold-out
			// checkout fails before it writes and costs its group commit
			// nothing; on PostgreSQL last, to hold the stock rows' locks
			// for as short a time as possible.
			stockFirst := tx.Dialect() == db.SQLite
			if stockFirst {
				if err := s.reserve(ctx, tx, priced, dropped); err != nil {
					return err
				}
			}
			var customerID any
			if in.CustomerID > 0 {
				customerID = in.CustomerID
			}
			err := tx.QueryRow(ctx, `INSERT INTO orders (order_no, customer_id, channel, status, currency, items_total, discount_total,
					shipping_fee, total, cost_total, ship_to, buyer_note, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) ON CONFLICT DO NOTHING RETURNING id`,
				no, customerID, in.Channel, string(PendingPayment), lines.Currency, lines.ItemsTotal, lines.Discount,
				fee, lines.Total+fee, lines.CostTotal, string(shipTo), in.Note, now.UnixMilli()).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				return errNumberTaken
			}
			if err != nil {
				if db.IsForeignKeyViolation(err) {
					return apperr.Field("customer_id", "there is no customer %d", in.CustomerID)
				}
				return fmt.Errorf("checkout: %w", err)
			}
			for _, l := range lines.Lines {
				var flash any
				if l.FlashItemID > 0 {
					flash = l.FlashItemID
				}
				if _, err := tx.Exec(ctx, `INSERT INTO order_lines (order_id, sku_id, product_id, title, quantity, list_price, unit_price,
						discount, line_total, unit_cost, flash_item_id, stock) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
					id, l.SKUID, l.ProductID, lineTitle(l), l.Quantity, l.ListPrice, l.UnitPrice, l.Discount, l.Total, l.UnitCost, flash, l.Stock); err != nil {
					return fmt.Errorf("checkout: %w", err)
				}
			}
			if in.CartID > 0 {
				if err := cart.RemoveBought(ctx, tx, in.CartID, in.Lines); err != nil {
					return err
				}
			}
			placed := Placed{ID: id, No: no, CustomerID: in.CustomerID, Channel: in.Channel, At: now, Request: req, Priced: lines}
			for _, h := range s.Hooks {
				if err := h.Placed(ctx, tx, placed); err != nil {
					return err
				}
			}
			if err := addEvent(ctx, tx, id, ActionCreate, "", PendingPayment, in.Note, now); err != nil {
				return err
			}
			if err := claimTx(ctx, tx, id, now); err != nil {
				return err
			}
			after := map[string]any{"order_no": no, "total": lines.Total + fee, "lines": len(lines.Lines)}
			if len(noGift) > 0 {
				after["gifts_out_of_stock"] = noGift
			}
			if err := audit.Record(ctx, tx, "order.create", "order", id, nil, after); err != nil {
				return err
			}
			if stockFirst {
				return nil
			}
			return s.reserve(ctx, tx, priced, dropped)
		})
		var gone errGiftGone
		switch {
		case errors.Is(err, errNumberTaken) && attempt < 3:
			continue
		case errors.As(err, &gone) && !dropped[int(gone)]:
			dropped[int(gone)] = true
			continue
		}
		break
	}
	if err != nil {
		return Order{}, err
	}
	return s.Get(ctx, id)
}

// reserve holds the stock of an order's shelf lines, in ascending SKU order
// so that two checkouts of the same SKUs lock their stock rows in the same
// order and cannot deadlock. On PostgreSQL it runs last in the checkout's
// transaction: the UPDATE locks the SKU's stock row until the commit, and
// a best seller's row is wanted by every checkout at once — reserved
// first, it was held through the order's, lines' and hooks' statements and
// checkouts queued on it. A pool's hook has taken its units by now (flash
// sale), so there pool rows are locked before stock rows, as when a sale
// ends and hands its pool back. On SQLite the one writer takes no row
// locks, and reserving first lets a sold-out checkout fail before writing.
func (s *Service) reserve(ctx context.Context, tx *db.Tx, priced price.Priced, dropped map[int]bool) error {
	bySKU := make([]int, 0, len(priced.Lines))
	for i, l := range priced.Lines {
		if dropped[i] || l.FlashItemID > 0 || l.Stock != price.StockShelf {
			continue // left out, a pool holds these units, or the line moves no goods
		}
		bySKU = append(bySKU, i)
	}
	slices.SortFunc(bySKU, func(a, b int) int { return cmp.Compare(priced.Lines[a].SKUID, priced.Lines[b].SKUID) })
	for _, i := range bySKU {
		l := priced.Lines[i]
		if err := s.inventory().Reserve(ctx, tx, l.SKUID, l.Quantity); err != nil {
			if errors.Is(err, inventory.ErrOutOfStock) {
				if l.Gift {
					return errGiftGone(i)
				}
				return fmt.Errorf("%s (%s): %w", lineTitle(l), l.Code, err)
			}
			return err
		}
	}
	return nil
}

// errGiftGone is a gift line (its index in the priced lines) that ran out
// of stock: the checkout runs again without it.
type errGiftGone int

func (e errGiftGone) Error() string { return fmt.Sprintf("gift line %d is out of stock", int(e)) }

// withoutGifts is the priced order without the dropped gift lines, and the
// titles of those gifts. A gift costs the buyer 0: the totals lose its list
// price and the discount that cancelled it.
func withoutGifts(priced price.Priced, dropped map[int]bool) (price.Priced, []string) {
	if len(dropped) == 0 {
		return priced, nil
	}
	out := priced
	out.Lines = make([]price.LinePrice, 0, len(priced.Lines)-len(dropped))
	var titles []string
	for i, l := range priced.Lines {
		if !dropped[i] {
			out.Lines = append(out.Lines, l)
			continue
		}
		titles = append(titles, lineTitle(l))
		out.ItemsTotal -= l.ListPrice * l.Quantity
		out.Discount -= l.Discount
		out.CostTotal -= l.UnitCost * l.Quantity
	}
	return out, titles
}

var errNumberTaken = errors.New("order number taken")

// Placed is an order as its checkout transaction wrote it, for the hooks.
type Placed struct {
	ID         int64
	No         string
	CustomerID int64
	Channel    string
	At         time.Time
	Request    price.Request
	Priced     price.Priced
}

// Hook is a part of the shop that holds something for an order beyond its
// stock — a coupon, points, flash-sale units — and must take it and give
// it back in the order's own transactions, so that an order and what it
// holds are written or rolled back together.
type Hook interface {
	// Placed runs in the checkout transaction after the order, its lines
	// and its stock reservations are written. An error cancels the
	// checkout (a coupon someone else just used is apperr.ErrConflict).
	// The checkout's and the instant payment's transactions may run more
	// than once (db.InTxRerun): hooks only read and write the database.
	Placed(ctx context.Context, tx *db.Tx, o Placed) error
	// Moved runs in the transaction of every status change of an order
	// (paid, cancelled, closed, ...) after the order row changed.
	Moved(ctx context.Context, tx *db.Tx, m Moved) error
}

// Checker is a hook that can refuse a checkout by reading alone; Check
// runs at the start of the checkout transaction, before anything is
// written (o.ID is 0). Placed must still guard its writes: Check makes the
// common refusal cheap, not the rule.
type Checker interface {
	Check(ctx context.Context, tx *db.Tx, o Placed) error
}

// MoveChecker is a hook that can refuse a status change by reading alone;
// CheckMove runs in the move's transaction before anything is written and
// before the move reaches outside the database (a paid order's cancel asks
// the payment provider for the refund), so that a refusal leaves the
// buyer's money where it was.
type MoveChecker interface {
	CheckMove(ctx context.Context, tx *db.Tx, m Moved) error
}

// Moved is one status change, for the hooks.
type Moved struct {
	OrderID    int64
	No         string
	CustomerID int64
	Action     Action
	From, To   Status
	At         time.Time
	// Lines are the order's lines when the move has read them (payment
	// does); nil means the hook reads what it needs.
	Lines []Line
}

func lineTitle(l price.LinePrice) string {
	if l.Spec == "" {
		return l.Title
	}
	return l.Title + " " + l.Spec
}

func normalizeShipTo(a ShipTo) ShipTo {
	t := strings.TrimSpace
	return ShipTo{Recipient: t(a.Recipient), Phone: customer.NormalizePhone(a.Phone), Province: t(a.Province), City: t(a.City),
		District: t(a.District), Detail: t(a.Detail), Postcode: t(a.Postcode)}
}

func addEvent(ctx context.Context, q db.Queryer, orderID int64, a Action, from string, to Status, note string, now time.Time) error {
	actor := audit.ActorFrom(ctx)
	var actorID any
	if actor.ID != 0 {
		actorID = actor.ID
	}
	if _, err := q.Exec(ctx, `INSERT INTO order_events (order_id, at, action, from_status, to_status, actor_kind, actor_id, actor_name, note)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, orderID, now.UnixMilli(), string(a), from, string(to), actor.Kind, actorID, actor.Name, note); err != nil {
		return fmt.Errorf("record order event: %w", err)
	}
	return nil
}

// Get returns an order with its lines, events and payments.
func (s *Service) Get(ctx context.Context, id int64) (Order, error) {
	return getFull(ctx, s.DB, id, s.window())
}

// GetForCustomer is Get for the buyer: another customer's order is
// ErrNotFound, exactly like a missing one, so ids reveal nothing.
func (s *Service) GetForCustomer(ctx context.Context, customerID, id int64) (Order, error) {
	o, err := s.Get(ctx, id)
	if err != nil {
		return Order{}, err
	}
	if customerID <= 0 || o.CustomerID != customerID {
		return Order{}, fmt.Errorf("order %d: %w", id, apperr.ErrNotFound)
	}
	return o, nil
}

func getFull(ctx context.Context, q db.Queryer, id int64, window time.Duration) (Order, error) {
	o, err := getOrder(ctx, q, id, window)
	if err != nil {
		return o, err
	}
	if o.Lines, err = loadLines(ctx, q, id); err != nil {
		return o, err
	}
	if o.Events, err = loadEvents(ctx, q, id); err != nil {
		return o, err
	}
	if o.Payments, err = payment.ForOrder(ctx, q, id); err != nil {
		return o, err
	}
	one := []Order{o}
	if err := loadDeposits(ctx, q, one); err != nil {
		return o, err
	}
	return one[0], nil
}

const orderColumns = `id, order_no, COALESCE(customer_id, 0), channel, status, currency, items_total, discount_total, shipping_fee, total,
	refunded_total, cost_total, ship_to, buyer_note, carrier, tracking_no, created_at, paid_at, COALESCE(paid_day, 0), shipped_at,
	delivered_at, completed_at, cancelled_at, updated_at, presale_role`

func scanOrder(row interface{ Scan(...any) error }, window time.Duration) (Order, error) {
	var o Order
	var shipTo string
	var created, updated int64
	var paid, shipped, delivered, completed, cancelled sql.NullInt64
	err := row.Scan(&o.ID, &o.No, &o.CustomerID, &o.Channel, &o.Status, &o.Currency, &o.ItemsTotal, &o.DiscountTotal, &o.ShippingFee,
		&o.Total, &o.RefundedTotal, &o.CostTotal, &shipTo, &o.BuyerNote, &o.Carrier, &o.TrackingNo, &created, &paid, &o.PaidDay,
		&shipped, &delivered, &completed, &cancelled, &updated, &o.PresaleRole)
	if err != nil {
		return o, err
	}
	json.Unmarshal([]byte(shipTo), &o.ShipTo)
	o.CreatedAt, o.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	o.PaidAt, o.ShippedAt, o.DeliveredAt = optTime(paid), optTime(shipped), optTime(delivered)
	o.CompletedAt, o.CancelledAt = optTime(completed), optTime(cancelled)
	if o.Status == PendingPayment {
		by := o.CreatedAt.Add(window)
		o.PayBy = &by
	}
	return o, nil
}

func optTime(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := time.UnixMilli(n.Int64).UTC()
	return &t
}

func getOrder(ctx context.Context, q db.Queryer, id int64, window time.Duration) (Order, error) {
	o, err := scanOrder(q.QueryRow(ctx, `SELECT `+orderColumns+` FROM orders WHERE id = $1`, id), window)
	if errors.Is(err, sql.ErrNoRows) {
		return o, fmt.Errorf("order %d: %w", id, apperr.ErrNotFound)
	}
	if err != nil {
		return o, fmt.Errorf("order %d: %w", id, err)
	}
	return o, nil
}

// GetByNo returns the order with an order number, with its details.
func (s *Service) GetByNo(ctx context.Context, no string) (Order, error) {
	var id int64
	err := s.DB.QueryRow(ctx, `SELECT id FROM orders WHERE order_no = $1`, no).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return Order{}, fmt.Errorf("order %s: %w", no, apperr.ErrNotFound)
	}
	if err != nil {
		return Order{}, fmt.Errorf("order %s: %w", no, err)
	}
	return s.Get(ctx, id)
}

func loadLines(ctx context.Context, q db.Queryer, orderID int64) ([]Line, error) {
	rows, err := q.Query(ctx, `SELECT id, sku_id, product_id, title, quantity, list_price, unit_price, discount, line_total, unit_cost, refunded_quantity,
		COALESCE(flash_item_id, 0), stock FROM order_lines WHERE order_id = $1 ORDER BY id`, orderID)
	if err != nil {
		return nil, fmt.Errorf("lines of order %d: %w", orderID, err)
	}
	defer rows.Close()
	out := []Line{}
	for rows.Next() {
		var l Line
		if err := rows.Scan(&l.ID, &l.SKUID, &l.ProductID, &l.Title, &l.Quantity, &l.ListPrice, &l.UnitPrice, &l.Discount, &l.LineTotal, &l.UnitCost, &l.RefundedQuantity, &l.FlashItemID, &l.Stock); err != nil {
			return nil, fmt.Errorf("lines of order %d: %w", orderID, err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

func loadEvents(ctx context.Context, q db.Queryer, orderID int64) ([]Event, error) {
	rows, err := q.Query(ctx, `SELECT id, at, action, from_status, to_status, actor_kind, actor_name, note
		FROM order_events WHERE order_id = $1 ORDER BY id`, orderID)
	if err != nil {
		return nil, fmt.Errorf("events of order %d: %w", orderID, err)
	}
	defer rows.Close()
	out := []Event{}
	for rows.Next() {
		var e Event
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Action, &e.From, &e.To, &e.ActorKind, &e.ActorName, &e.Note); err != nil {
			return nil, fmt.Errorf("events of order %d: %w", orderID, err)
		}
		e.At = time.UnixMilli(at).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}
