package order

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/page"
)

const maxDescription = 500

var (
	// ErrUnitsClaimed: the units asked for are refunded already or held
	// by another open case.
	ErrUnitsClaimed = fmt.Errorf("those units are already refunded or in another after-sales case: %w", apperr.ErrConflict)
	// ErrOrderNotEligible: the order's status allows no such case.
	ErrOrderNotEligible = fmt.Errorf("the order does not allow this after-sales request: %w", apperr.ErrConflict)
)

// AfterSale is an after-sales case with, from GetAfterSale, its lines and
// events. Amount is in 分: a quote while the case is open (the server's
// figure, never the buyer's), the amount paid back once refunded. Overdue
// is a case still waiting for approval or rejection past DueAt.
type AfterSale struct {
	ID               int64           `json:"id"`
	OrderID          int64           `json:"order_id"`
	OrderNo          string          `json:"order_no"`
	CustomerID       int64           `json:"customer_id"`
	Kind             AfterSaleKind   `json:"kind"`
	Reason           AfterSaleReason `json:"reason"`
	Description      string          `json:"description"`
	Status           AfterSaleStatus `json:"status"`
	Amount           int64           `json:"amount"`
	RefundID         int64           `json:"refund_id,omitempty"`
	ReturnCarrier    string          `json:"return_carrier"`
	ReturnTrackingNo string          `json:"return_tracking_no"`
	Carrier          string          `json:"carrier"`
	TrackingNo       string          `json:"tracking_no"`
	DueAt            time.Time       `json:"due_at"`
	Overdue          bool            `json:"overdue"`
	HandledAt        *time.Time      `json:"handled_at"`
	CreatedAt        time.Time       `json:"created_at"`
	UpdatedAt        time.Time       `json:"updated_at"`
	Lines            []AfterSaleLine `json:"lines,omitempty"`
	Events           []CaseEvent     `json:"events,omitempty"`
}

// AfterSaleLine is the units of one order line a case is about.
type AfterSaleLine struct {
	OrderLineID      int64  `json:"order_line_id"`
	SKUID            int64  `json:"sku_id"`
	Title            string `json:"title"`
	Quantity         int64  `json:"quantity"`
	Amount           int64  `json:"amount"`
	ReplacementSKUID int64  `json:"replacement_sku_id,omitempty"`
	// Stock is the order line's (price.StockNone: a deposit line, whose
	// refund puts nothing back on the shelf).
	Stock string `json:"-"`
}

// CaseEvent is one step of a case.
type CaseEvent struct {
	ID        int64           `json:"id"`
	At        time.Time       `json:"at"`
	Action    AfterSaleAction `json:"action"`
	From      string          `json:"from"` // "" when opened
	To        AfterSaleStatus `json:"to"`
	ActorKind string          `json:"actor_kind"`
	ActorName string          `json:"actor_name"`
	Note      string          `json:"note"`
}

// AfterSaleInput opens a case on an order.
type AfterSaleInput struct {
	OrderID     int64                `json:"order_id"`
	Kind        AfterSaleKind        `json:"kind" doc:"refund_only (仅退款), return_refund (退货退款) or exchange (换货)"`
	Reason      AfterSaleReason      `json:"reason" doc:"quality (质量问题, handled within 48 h), wrong_item, size, not_as_described, changed_mind, not_received or other"`
	Description string               `json:"description"`
	Lines       []AfterSaleLineInput `json:"lines"`
}

// AfterSaleLineInput asks for quantity units of an order line; an exchange
// may name another SKU of the same product to ship instead.
type AfterSaleLineInput struct {
	OrderLineID      int64 `json:"order_line_id"`
	Quantity         int64 `json:"quantity"`
	ReplacementSKUID int64 `json:"replacement_sku_id" doc:"exchange only: another SKU of the same product; 0: the same SKU"`
}

func (in AfterSaleInput) validate() error {
	if !validKind(in.Kind) {
		return apperr.Field("kind", "must be refund_only, return_refund or exchange, not %q", in.Kind)
	}
	if !validReason(in.Reason) {
		return apperr.Field("reason", "must be quality, wrong_item, size, not_as_described, changed_mind, not_received or other, not %q", in.Reason)
	}
	if n := utf8.RuneCountInString(in.Description); n > maxDescription {
		return apperr.Field("description", "at most %d characters (this is %d)", maxDescription, n)
	}
	if len(in.Lines) == 0 {
		return apperr.Field("lines", "name at least one order line and how many of its units")
	}
	seen := map[int64]bool{}
	for i, l := range in.Lines {
		f := fmt.Sprintf("lines[%d]", i)
		if l.OrderLineID <= 0 {
			return apperr.Field(f+".order_line_id", "give the id of a line of the order")
		}
		if seen[l.OrderLineID] {
			return apperr.Field(f+".order_line_id", "line %d is listed twice; give each line once with its total quantity", l.OrderLineID)
		}
		seen[l.OrderLineID] = true
		if l.Quantity <= 0 {
			return apperr.Field(f+".quantity", "must be at least 1")
		}
		if l.ReplacementSKUID != 0 && in.Kind != Exchange {
			return apperr.Field(f+".replacement_sku_id", "only an exchange ships another SKU")
		}
	}
	return nil
}

func (s *Service) afterSaleDeadline(ctx context.Context, q db.Queryer) (time.Duration, error) {
	var v string
	err := q.QueryRow(ctx, `SELECT value FROM store_settings WHERE key = $1`, afterSaleDueKey).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultAfterSaleDeadline, nil
	}
	if err != nil {
		return 0, fmt.Errorf("after-sales deadline: %w", err)
	}
	h, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || h <= 0 {
		return DefaultAfterSaleDeadline, nil
	}
	return time.Duration(h) * time.Hour, nil
}

// OpenAfterSale opens a case. customerID > 0 is the buyer acting on their
// own order (another's is ErrNotFound); 0 is the shop opening it for them.
// The units are claimed in the same transaction with one conditional
// UPDATE per line, so two requests for the last unit cannot both win
// (ErrUnitsClaimed, 409).
func (s *Service) OpenAfterSale(ctx context.Context, customerID int64, in AfterSaleInput) (AfterSale, error) {
	in.Description = strings.TrimSpace(in.Description)
	if err := in.validate(); err != nil {
		return AfterSale{}, err
	}
	now := s.now()
	var id int64
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		o, err := getOrder(ctx, tx, in.OrderID, s.window())
		if err != nil {
			return err
		}
		// Another buyer's order is not found, exactly like a missing one.
		if customerID > 0 && o.CustomerID != customerID {
			return fmt.Errorf("order %d: %w", in.OrderID, apperr.ErrNotFound)
		}
		switch {
		case o.Status == Paid && in.Kind != RefundOnly:
			return fmt.Errorf("order %s has not shipped, so nothing can come back; ask for a refund only: %w", o.No, ErrOrderNotEligible)
		case o.Status != Paid && o.Status != Shipped && o.Status != Delivered && o.Status != Completed:
			return fmt.Errorf("order %s is %s: %w", o.No, o.Status, ErrOrderNotEligible)
		}
		lines, err := loadLines(ctx, tx, o.ID)
		if err != nil {
			return err
		}
		byID := map[int64]Line{}
		for _, l := range lines {
			byID[l.ID] = l
		}
		held, err := heldUnits(ctx, tx, o.ID)
		if err != nil {
			return err
		}
		def, err := s.afterSaleDeadline(ctx, tx)
		if err != nil {
			return err
		}
		var customer any
		if o.CustomerID > 0 {
			customer = o.CustomerID
		}
		if err := tx.QueryRow(ctx, `INSERT INTO aftersale_cases (order_id, customer_id, kind, reason, description, status, due_at, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`, o.ID, customer, string(in.Kind), string(in.Reason), in.Description,
			string(CaseRequested), CaseDue(in.Reason, now, def).UnixMilli(), now.UnixMilli()).Scan(&id); err != nil {
			return fmt.Errorf("open after-sales case on order %s: %w", o.No, err)
		}
		var amount int64
		// Claims go in ascending line order so two requests on the same
		// order lock its lines in the same order.
		claims := slices.Clone(in.Lines)
		slices.SortFunc(claims, func(a, b AfterSaleLineInput) int { return cmp.Compare(a.OrderLineID, b.OrderLineID) })
		for _, c := range claims {
			i := slices.IndexFunc(in.Lines, func(x AfterSaleLineInput) bool { return x.OrderLineID == c.OrderLineID })
			f := fmt.Sprintf("lines[%d]", i)
			l, ok := byID[c.OrderLineID]
			if !ok {
				return apperr.Field(f+".order_line_id", "order %s has no line %d", o.No, c.OrderLineID)
			}
			if c.Quantity > l.Quantity {
				return apperr.Field(f+".quantity", "the order has %d of %s, not %d", l.Quantity, l.Title, c.Quantity)
			}
			res, err := tx.Exec(ctx, `UPDATE order_lines SET aftersale_quantity = aftersale_quantity + $1
				WHERE id = $2 AND refunded_quantity + aftersale_quantity + $1 <= quantity`, c.Quantity, l.ID)
			if err != nil {
				return fmt.Errorf("open after-sales case on order %s: %w", o.No, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				var left int64
				if err := tx.QueryRow(ctx, `SELECT quantity - refunded_quantity - aftersale_quantity FROM order_lines WHERE id = $1`, l.ID).Scan(&left); err != nil {
					return err
				}
				return fmt.Errorf("%s: %s: %d asked, %d left: %w", f, l.Title, c.Quantity, left, ErrUnitsClaimed)
			}
			replacement := any(nil)
			if in.Kind == Exchange {
				sku := c.ReplacementSKUID
				if sku == 0 {
					sku = l.SKUID
				}
				var product int64
				err := tx.QueryRow(ctx, `SELECT product_id FROM skus WHERE id = $1`, sku).Scan(&product)
				if errors.Is(err, sql.ErrNoRows) || (err == nil && product != l.ProductID) {
					return apperr.Field(f+".replacement_sku_id", "give a SKU of the same product as %s", l.Title)
				}
				if err != nil {
					return err
				}
				replacement = sku
			}
			part := PaidForUnits(l.LineTotal, l.Quantity, l.RefundedQuantity+held[l.ID], c.Quantity)
			if in.Kind == Exchange {
				part = 0
			}
			amount += part
			if _, err := tx.Exec(ctx, `INSERT INTO aftersale_lines (case_id, order_line_id, sku_id, quantity, amount, replacement_sku_id)
				VALUES ($1, $2, $3, $4, $5, $6)`, id, l.ID, l.SKUID, c.Quantity, part, replacement); err != nil {
				return fmt.Errorf("open after-sales case on order %s: %w", o.No, err)
			}
		}
		if in.Kind != Exchange {
			var left int64
			if err := tx.QueryRow(ctx, `SELECT COALESCE(SUM(quantity - refunded_quantity - aftersale_quantity), 0) FROM order_lines WHERE order_id = $1`, o.ID).Scan(&left); err != nil {
				return err
			}
			if RefundShipping(o.Status, left) {
				amount += o.ShippingFee
			}
			amount = min(amount, o.Total-o.RefundedTotal)
		}
		if _, err := tx.Exec(ctx, `UPDATE aftersale_cases SET amount = $1 WHERE id = $2`, amount, id); err != nil {
			return err
		}
		if err := addCaseEvent(ctx, tx, id, CaseOpen, "", CaseRequested, in.Description, now); err != nil {
			return err
		}
		if err := s.caseHooks(ctx, tx, CaseMoved{CaseID: id, OrderID: o.ID, OrderNo: o.No, CustomerID: o.CustomerID, Kind: in.Kind,
			Action: CaseOpen, To: CaseRequested, Amount: amount, At: now}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "aftersale.open", "aftersale", id, nil, map[string]any{"order_no": o.No, "kind": in.Kind, "reason": in.Reason, "amount": amount})
	})
	if err != nil {
		return AfterSale{}, err
	}
	return s.GetAfterSale(ctx, id)
}

// heldUnits is, per line of an order, the units open cases hold.
func heldUnits(ctx context.Context, q db.Queryer, orderID int64) (map[int64]int64, error) {
	rows, err := q.Query(ctx, `SELECT id, aftersale_quantity FROM order_lines WHERE order_id = $1`, orderID)
	if err != nil {
		return nil, fmt.Errorf("held units of order %d: %w", orderID, err)
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var id, n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

func addCaseEvent(ctx context.Context, q db.Queryer, caseID int64, a AfterSaleAction, from string, to AfterSaleStatus, note string, now time.Time) error {
	actor := audit.ActorFrom(ctx)
	var actorID any
	if actor.ID != 0 {
		actorID = actor.ID
	}
	if _, err := q.Exec(ctx, `INSERT INTO aftersale_events (case_id, at, action, from_status, to_status, actor_kind, actor_id, actor_name, note)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, caseID, now.UnixMilli(), string(a), from, string(to), actor.Kind, actorID, actor.Name, note); err != nil {
		return fmt.Errorf("record after-sales event: %w", err)
	}
	return nil
}

const caseColumns = `c.id, c.order_id, o.order_no, COALESCE(c.customer_id, 0), c.kind, c.reason, c.description, c.status, c.amount,
	COALESCE(c.refund_id, 0), c.return_carrier, c.return_tracking_no, c.carrier, c.tracking_no, c.due_at, c.handled_at, c.created_at, c.updated_at`

func scanCase(row interface{ Scan(...any) error }, now time.Time) (AfterSale, error) {
	var c AfterSale
	var due, created, updated int64
	var handled sql.NullInt64
	err := row.Scan(&c.ID, &c.OrderID, &c.OrderNo, &c.CustomerID, &c.Kind, &c.Reason, &c.Description, &c.Status, &c.Amount,
		&c.RefundID, &c.ReturnCarrier, &c.ReturnTrackingNo, &c.Carrier, &c.TrackingNo, &due, &handled, &created, &updated)
	if err != nil {
		return c, err
	}
	c.DueAt, c.CreatedAt, c.UpdatedAt = time.UnixMilli(due).UTC(), time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	c.HandledAt = optTime(handled)
	c.Overdue = c.Status == CaseRequested && now.After(c.DueAt)
	return c, nil
}

func getCase(ctx context.Context, q db.Queryer, id int64, now time.Time) (AfterSale, error) {
	c, err := scanCase(q.QueryRow(ctx, `SELECT `+caseColumns+` FROM aftersale_cases c JOIN orders o ON o.id = c.order_id WHERE c.id = $1`, id), now)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("after-sales case %d: %w", id, apperr.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("after-sales case %d: %w", id, err)
	}
	return c, nil
}

func loadCaseLines(ctx context.Context, q db.Queryer, id int64) ([]AfterSaleLine, error) {
	rows, err := q.Query(ctx, `SELECT a.order_line_id, a.sku_id, l.title, a.quantity, a.amount, COALESCE(a.replacement_sku_id, 0), l.stock
		FROM aftersale_lines a JOIN order_lines l ON l.id = a.order_line_id WHERE a.case_id = $1 ORDER BY a.order_line_id`, id)
	if err != nil {
		return nil, fmt.Errorf("lines of after-sales case %d: %w", id, err)
	}
	defer rows.Close()
	out := []AfterSaleLine{}
	for rows.Next() {
		var l AfterSaleLine
		if err := rows.Scan(&l.OrderLineID, &l.SKUID, &l.Title, &l.Quantity, &l.Amount, &l.ReplacementSKUID, &l.Stock); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

func loadCaseEvents(ctx context.Context, q db.Queryer, id int64) ([]CaseEvent, error) {
	rows, err := q.Query(ctx, `SELECT id, at, action, from_status, to_status, actor_kind, actor_name, note
		FROM aftersale_events WHERE case_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("events of after-sales case %d: %w", id, err)
	}
	defer rows.Close()
	out := []CaseEvent{}
	for rows.Next() {
		var e CaseEvent
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Action, &e.From, &e.To, &e.ActorKind, &e.ActorName, &e.Note); err != nil {
			return nil, err
		}
		e.At = time.UnixMilli(at).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// GetAfterSale returns a case with its lines and events.
func (s *Service) GetAfterSale(ctx context.Context, id int64) (AfterSale, error) {
	c, err := getCase(ctx, s.DB, id, s.now())
	if err != nil {
		return c, err
	}
	if c.Lines, err = loadCaseLines(ctx, s.DB, id); err != nil {
		return c, err
	}
	c.Events, err = loadCaseEvents(ctx, s.DB, id)
	return c, err
}

// GetAfterSaleForCustomer is GetAfterSale for the buyer: another
// customer's case is ErrNotFound, like a missing one.
func (s *Service) GetAfterSaleForCustomer(ctx context.Context, customerID, id int64) (AfterSale, error) {
	c, err := s.GetAfterSale(ctx, id)
	if err != nil {
		return AfterSale{}, err
	}
	if customerID <= 0 || c.CustomerID != customerID {
		return AfterSale{}, fmt.Errorf("after-sales case %d: %w", id, apperr.ErrNotFound)
	}
	return c, nil
}

// AfterSaleFilter selects cases for ListAfterSales; zero values select
// everything.
type AfterSaleFilter struct {
	Status     string
	Kind       string
	Overdue    bool // only cases waiting for a decision past their due time
	OrderID    int64
	CustomerID int64
	page.Request
}

// Validate says which filter field is wrong.
func (f AfterSaleFilter) Validate() error {
	if f.Status != "" && !validCaseStatus(AfterSaleStatus(f.Status)) {
		return apperr.Field("status", "must be requested, approved, awaiting_return, goods_received, refunded, exchanged, closed or rejected, not %q", f.Status)
	}
	if f.Kind != "" && !validKind(AfterSaleKind(f.Kind)) {
		return apperr.Field("kind", "must be refund_only, return_refund or exchange, not %q", f.Kind)
	}
	return nil
}

// ListAfterSales returns a page of cases, newest first, without lines or
// events, and the next page's cursor.
func (s *Service) ListAfterSales(ctx context.Context, f AfterSaleFilter) ([]AfterSale, string, error) {
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	if f.Limit <= 0 || f.Limit > page.MaxLimit {
		f.Limit = page.DefaultLimit
	}
	now := s.now()
	var conds []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Status != "" {
		conds = append(conds, "c.status = "+arg(f.Status))
	}
	if f.Kind != "" {
		conds = append(conds, "c.kind = "+arg(f.Kind))
	}
	if f.Overdue {
		conds = append(conds, "c.status = "+arg(string(CaseRequested)), "c.due_at < "+arg(now.UnixMilli()))
	}
	if f.OrderID > 0 {
		conds = append(conds, "c.order_id = "+arg(f.OrderID))
	}
	if f.CustomerID > 0 {
		conds = append(conds, "c.customer_id = "+arg(f.CustomerID))
	}
	if f.After > 0 {
		conds = append(conds, "c.id < "+arg(f.After))
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	rows, err := s.DB.Query(ctx, `SELECT `+caseColumns+` FROM aftersale_cases c JOIN orders o ON o.id = c.order_id`+where+
		` ORDER BY c.id DESC LIMIT `+arg(f.Limit), args...)
	if err != nil {
		return nil, "", fmt.Errorf("list after-sales cases: %w", err)
	}
	defer rows.Close()
	out := []AfterSale{}
	for rows.Next() {
		c, err := scanCase(rows, now)
		if err != nil {
			return nil, "", fmt.Errorf("list after-sales cases: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list after-sales cases: %w", err)
	}
	var last int64
	if len(out) > 0 {
		last = out[len(out)-1].ID
	}
	return out, page.Next(f.Request, len(out), last), nil
}

// OverdueAfterSales lists every case still waiting for approval or
// rejection after its due time at now, the most overdue first.
func (s *Service) OverdueAfterSales(ctx context.Context, now time.Time) ([]AfterSale, error) {
	rows, err := s.DB.Query(ctx, `SELECT `+caseColumns+` FROM aftersale_cases c JOIN orders o ON o.id = c.order_id
		WHERE c.status = $1 AND c.due_at < $2 ORDER BY c.due_at, c.id`, string(CaseRequested), now.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("overdue after-sales cases: %w", err)
	}
	defer rows.Close()
	out := []AfterSale{}
	for rows.Next() {
		c, err := scanCase(rows, now)
		if err != nil {
			return nil, fmt.Errorf("overdue after-sales cases: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
