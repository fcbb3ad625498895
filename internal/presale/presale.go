package presale

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/inventory"
	"github.com/storeops/storeops/internal/order"
)

// Refusals (409).
var (
	ErrNotTakingDeposits = fmt.Errorf("the presale is not taking deposits now: %w", apperr.ErrConflict)
	ErrSoldOut           = fmt.Errorf("the presale's stock is all taken: %w", apperr.ErrConflict)
	ErrAlreadyDeposited  = fmt.Errorf("you already hold a deposit in this presale: %w", apperr.ErrConflict)
	ErrTailClosed        = fmt.Errorf("the tail payment window is not open: %w", apperr.ErrConflict)
	ErrNoTailDue         = fmt.Errorf("the deposit has no tail to pay: %w", apperr.ErrConflict)
	ErrDepositShips      = fmt.Errorf("a deposit order ships nothing; its goods ship with the tail order: %w", apperr.ErrConflict)
	ErrTailPending       = fmt.Errorf("a tail order of this deposit waits for payment: %w", apperr.ErrConflict)
)

// Presale is a presale campaign of one SKU.
type Presale struct {
	ID                int64  `json:"id"`
	Name              string `json:"name"`
	SKUID             int64  `json:"sku_id"`
	Code              string `json:"code"`
	Title             string `json:"title"`
	ListPrice         int64  `json:"list_price"`
	PresalePrice      int64  `json:"presale_price" doc:"分 per unit before the deposit's inflation"`
	Deposit           int64  `json:"deposit" doc:"分 per unit paid in the deposit window"`
	DepositValue      int64  `json:"deposit_value" doc:"分 per unit the deposit counts toward the presale price (定金膨胀)"`
	TailDiscount      int64  `json:"tail_discount" doc:"分 per unit off the tail (尾款立减)"`
	Tail              int64  `json:"tail" doc:"分 per unit paid in the tail window: presale_price − deposit_value − tail_discount"`
	PaidInAll         int64  `json:"paid_in_all" doc:"分 per unit the buyer pays: deposit + tail"`
	DepositRefundable bool   `json:"deposit_refundable" doc:"an unpaid tail refunds the deposit (true) or forfeits it (false)"`
	PerCustomerLimit  int64  `json:"per_customer_limit"`
	Windows
	Phase     Phase      `json:"phase"`
	EndedAt   *time.Time `json:"ended_at" doc:"deposits were stopped early"`
	Stock     int64      `json:"stock" doc:"units the presale's pool holds"`
	Deposited int64      `json:"deposited" doc:"units of live deposits (pending or paid, or tail paid)"`
	Sold      int64      `json:"sold" doc:"units whose tail is paid"`
	Left      int64      `json:"left" doc:"units still free for deposits"`
	Counts    Counts     `json:"deposits"`
	CreatedAt time.Time  `json:"created_at"`
}

// Counts are a presale's deposits by status, and their money.
type Counts struct {
	Pending      int64 `json:"pending"`
	Paid         int64 `json:"paid" doc:"deposits paid, tail not yet"`
	Completed    int64 `json:"completed" doc:"tails paid"`
	Forfeited    int64 `json:"forfeited"`
	Refunded     int64 `json:"refunded"`
	Closed       int64 `json:"closed" doc:"deposit orders closed unpaid"`
	DepositsPaid int64 `json:"deposits_paid_amount" doc:"分 of deposits paid (kept, forfeited or refunded later)"`
	Forfeit      int64 `json:"forfeited_amount" doc:"分 of deposits kept because their tail went unpaid"`
}

func (p Presale) terms() Terms {
	return Terms{PresalePrice: p.PresalePrice, Deposit: p.Deposit, DepositValue: p.DepositValue, TailDiscount: p.TailDiscount}
}

// Input creates a presale.
type Input struct {
	Name              string `json:"name"`
	SKUID             int64  `json:"sku_id"`
	PresalePrice      int64  `json:"presale_price" doc:"分 per unit, at most the list price"`
	Deposit           int64  `json:"deposit" doc:"分 per unit"`
	DepositValue      int64  `json:"deposit_value" doc:"分 per unit, at least the deposit; 0: the deposit (no inflation)"`
	TailDiscount      int64  `json:"tail_discount" doc:"分 per unit off the tail"`
	DepositRefundable bool   `json:"deposit_refundable"`
	PerCustomerLimit  int64  `json:"per_customer_limit" doc:"units one buyer may put a deposit on (default 1)"`
	Stock             int64  `json:"stock" doc:"units carved out of the SKU's available stock for the presale"`
	Windows
}

// Validate checks what can be checked without the database.
func (in *Input) Validate(now time.Time) error {
	var err error
	if in.Name, err = checkName(in.Name); err != nil {
		return err
	}
	if in.SKUID <= 0 {
		return apperr.Field("sku_id", "must be the id of a SKU")
	}
	if in.DepositValue == 0 {
		in.DepositValue = in.Deposit
	}
	t := Terms{PresalePrice: in.PresalePrice, Deposit: in.Deposit, DepositValue: in.DepositValue, TailDiscount: in.TailDiscount}
	if err := t.Check(0); err != nil {
		return err
	}
	if in.PerCustomerLimit == 0 {
		in.PerCustomerLimit = 1
	}
	if in.PerCustomerLimit < 1 || in.PerCustomerLimit > maxLimit {
		return apperr.Field("per_customer_limit", "must be from 1 to %d, not %d", maxLimit, in.PerCustomerLimit)
	}
	if in.Stock < 1 || in.Stock > maxStock {
		return apperr.Field("stock", "carve 1 to %d units for the presale, not %d", maxStock, in.Stock)
	}
	in.Windows = in.Windows.utc()
	return in.Windows.Check(now)
}

func (w Windows) utc() Windows {
	return Windows{w.DepositStartsAt.UTC(), w.DepositEndsAt.UTC(), w.TailStartsAt.UTC(), w.TailEndsAt.UTC()}
}

// Patch changes what can change while deposits are held: the name, the
// per-customer limit and the tail window's end (only later: buyers were
// promised at least that long). Prices stay as buyers paid on them.
type Patch struct {
	Name             *string    `json:"name"`
	PerCustomerLimit *int64     `json:"per_customer_limit"`
	TailEndsAt       *time.Time `json:"tail_ends_at" doc:"only later than before"`
}

// Service runs presales over a database.
type Service struct {
	DB        *db.DB
	Inventory *inventory.Service
	Orders    Checkouter
	Now       func() time.Time
}

// Checkouter places an order (the order service).
type Checkouter interface {
	Checkout(ctx context.Context, in order.CheckoutInput) (order.Order, error)
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) inv() *inventory.Service {
	if s.Inventory != nil {
		return s.Inventory
	}
	return &inventory.Service{DB: s.DB, Now: s.Now}
}

// Create validates a presale, carves its stock out of the SKU (reserved,
// so ordinary orders cannot take it) and writes it, in one transaction.
// A SKU has one presale at a time.
func (s *Service) Create(ctx context.Context, in Input) (Presale, error) {
	now := s.now()
	if err := in.Validate(now); err != nil {
		return Presale{}, err
	}
	var id int64
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		var list int64
		var code, status string
		err := tx.QueryRow(ctx, `SELECT k.list_price, k.code, p.status FROM skus k JOIN products p ON p.id = k.product_id WHERE k.id = $1`,
			in.SKUID).Scan(&list, &code, &status)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.Field("sku_id", "there is no SKU %d", in.SKUID)
		}
		if err != nil {
			return fmt.Errorf("presale: %w", err)
		}
		if status != "on_sale" {
			return apperr.Field("sku_id", "%s is not on sale (%s); put it on sale first", code, status)
		}
		t := Terms{PresalePrice: in.PresalePrice, Deposit: in.Deposit, DepositValue: in.DepositValue, TailDiscount: in.TailDiscount}
		if err := t.Check(list); err != nil {
			return err
		}
		var other string
		err = tx.QueryRow(ctx, `SELECT name FROM presales WHERE sku_id = $1 AND tail_ends_at > $2 AND deposit_starts_at < $3 LIMIT 1`,
			in.SKUID, in.DepositStartsAt.UnixMilli(), in.TailEndsAt.UnixMilli()).Scan(&other)
		if err == nil {
			return apperr.Field("sku_id", "%s is already in the presale %q at that time; a SKU has one presale at a time", code, other)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("presale: %w", err)
		}
		if err := s.inv().Reserve(ctx, tx, in.SKUID, in.Stock); err != nil {
			if errors.Is(err, inventory.ErrOutOfStock) {
				return apperr.Field("stock", "%s has fewer than %d units available to carve out: %v", code, in.Stock, err)
			}
			return err
		}
		err = tx.QueryRow(ctx, `INSERT INTO presales (name, sku_id, presale_price, deposit, deposit_value, tail_discount, deposit_refundable,
				per_customer_limit, deposit_starts_at, deposit_ends_at, tail_starts_at, tail_ends_at, stock, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) RETURNING id`,
			in.Name, in.SKUID, in.PresalePrice, in.Deposit, in.DepositValue, in.TailDiscount, in.DepositRefundable, in.PerCustomerLimit,
			in.DepositStartsAt.UnixMilli(), in.DepositEndsAt.UnixMilli(), in.TailStartsAt.UnixMilli(), in.TailEndsAt.UnixMilli(),
			in.Stock, now.UnixMilli()).Scan(&id)
		if err != nil {
			return fmt.Errorf("presale: %w", err)
		}
		return audit.Record(ctx, tx, "presale.create", "presale", id, nil, in)
	})
	if err != nil {
		return Presale{}, err
	}
	return s.Get(ctx, id)
}

// Update changes a presale's name, per-customer limit or tail end.
func (s *Service) Update(ctx context.Context, id int64, p Patch) (Presale, error) {
	before, err := s.Get(ctx, id)
	if err != nil {
		return Presale{}, err
	}
	if before.Phase == Finished {
		return Presale{}, fmt.Errorf("presale %q is finished: %w", before.Name, apperr.ErrConflict)
	}
	name, limit, tailEnds := before.Name, before.PerCustomerLimit, before.TailEndsAt
	if p.Name != nil {
		if name, err = checkName(*p.Name); err != nil {
			return Presale{}, err
		}
	}
	if p.PerCustomerLimit != nil {
		limit = *p.PerCustomerLimit
		if limit < 1 || limit > maxLimit {
			return Presale{}, apperr.Field("per_customer_limit", "must be from 1 to %d, not %d", maxLimit, limit)
		}
	}
	if p.TailEndsAt != nil {
		tailEnds = p.TailEndsAt.UTC()
		if tailEnds.Before(before.TailEndsAt) {
			return Presale{}, apperr.Field("tail_ends_at", "may only move later than %s: buyers paid their deposits on it", before.TailEndsAt.Format(time.RFC3339))
		}
	}
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE presales SET name = $1, per_customer_limit = $2, tail_ends_at = $3, updated_at = $4
			WHERE id = $5 AND tail_ends_at > $4`, name, limit, tailEnds.UnixMilli(), s.now().UnixMilli(), id)
		if err != nil {
			return fmt.Errorf("presale: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("presale %q finished meanwhile: %w", before.Name, apperr.ErrConflict)
		}
		return audit.Record(ctx, tx, "presale.update", "presale", id, before, p)
	})
	if err != nil {
		return Presale{}, err
	}
	return s.Get(ctx, id)
}

// End stops taking deposits now and gives the pool's free units back to
// the SKU. Paid deposits keep their tail window.
func (s *Service) End(ctx context.Context, id int64) (Presale, error) {
	now := s.now()
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE presales SET ended_at = $1, updated_at = $1 WHERE id = $2 AND ended_at IS NULL`, now.UnixMilli(), id)
		if err != nil {
			return fmt.Errorf("end presale %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var x int64
			if err := tx.QueryRow(ctx, `SELECT id FROM presales WHERE id = $1`, id).Scan(&x); errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("presale %d: %w", id, apperr.ErrNotFound)
			}
			return nil // ended already
		}
		if err := s.releaseTx(ctx, tx, id, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "presale.end", "presale", id, nil, nil)
	})
	if err != nil {
		return Presale{}, err
	}
	return s.Get(ctx, id)
}

// releaseTx gives the pool's free units (not held by a deposit) back to
// the SKU, once: after it, a deposit that gives its units up gives them to
// the SKU directly (see giveBack).
func (s *Service) releaseTx(ctx context.Context, tx *db.Tx, id int64, now time.Time) error {
	// The no-op UPDATE locks the row (PostgreSQL) before it is read, so a
	// deposit committing meanwhile is counted.
	if _, err := tx.Exec(ctx, `UPDATE presales SET updated_at = updated_at WHERE id = $1`, id); err != nil {
		return fmt.Errorf("release presale %d: %w", id, err)
	}
	var sku, stock, deposited int64
	var released sql.NullInt64
	if err := tx.QueryRow(ctx, `SELECT sku_id, stock, deposited, released_at FROM presales WHERE id = $1`, id).
		Scan(&sku, &stock, &deposited, &released); err != nil {
		return fmt.Errorf("release presale %d: %w", id, err)
	}
	if released.Valid {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE presales SET released_at = $2, stock = deposited, updated_at = $2 WHERE id = $1`, id, now.UnixMilli()); err != nil {
		return fmt.Errorf("release presale %d: %w", id, err)
	}
	if free := stock - deposited; free > 0 {
		return s.inv().Release(ctx, tx, sku, free)
	}
	return nil
}

// Get returns a presale with its counts.
func (s *Service) Get(ctx context.Context, id int64) (Presale, error) {
	ps, err := s.list(ctx, `WHERE ps.id = $1`, id)
	if err != nil {
		return Presale{}, err
	}
	if len(ps) == 0 {
		return Presale{}, fmt.Errorf("presale %d: %w", id, apperr.ErrNotFound)
	}
	return ps[0], nil
}

// List returns the presales whose tail window has not passed, then the
// latest finished ones, latest deposit window first (at most 200).
func (s *Service) List(ctx context.Context) ([]Presale, error) {
	return s.list(ctx, `ORDER BY CASE WHEN ps.tail_ends_at > $1 THEN 0 ELSE 1 END, ps.deposit_starts_at DESC, ps.id DESC LIMIT 200`, s.now().UnixMilli())
}

func (s *Service) list(ctx context.Context, tail string, args ...any) ([]Presale, error) {
	rows, err := s.DB.Query(ctx, `SELECT ps.id, ps.name, ps.sku_id, k.code, p.title, k.list_price, ps.presale_price, ps.deposit, ps.deposit_value,
			ps.tail_discount, ps.deposit_refundable, ps.per_customer_limit, ps.deposit_starts_at, ps.deposit_ends_at, ps.tail_starts_at,
			ps.tail_ends_at, ps.stock, ps.deposited, ps.sold, ps.ended_at, ps.created_at,
			COALESCE(SUM(CASE WHEN d.status = 'pending' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN d.status = 'paid' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN d.status = 'completed' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN d.status = 'forfeited' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN d.status = 'refunded' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN d.status = 'closed' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN d.paid_at IS NOT NULL THEN d.quantity ELSE 0 END), 0) * ps.deposit,
			COALESCE(SUM(CASE WHEN d.status = 'forfeited' THEN d.quantity ELSE 0 END), 0) * ps.deposit
		FROM presales ps JOIN skus k ON k.id = ps.sku_id JOIN products p ON p.id = k.product_id
		LEFT JOIN presale_deposits d ON d.presale_id = ps.id `+groupBy(tail), args...)
	if err != nil {
		return nil, fmt.Errorf("presales: %w", err)
	}
	defer rows.Close()
	now := s.now()
	out := []Presale{}
	for rows.Next() {
		var p Presale
		var ds, de, ts, te, created int64
		var ended sql.NullInt64
		if err := rows.Scan(&p.ID, &p.Name, &p.SKUID, &p.Code, &p.Title, &p.ListPrice, &p.PresalePrice, &p.Deposit, &p.DepositValue,
			&p.TailDiscount, &p.DepositRefundable, &p.PerCustomerLimit, &ds, &de, &ts, &te, &p.Stock, &p.Deposited, &p.Sold, &ended, &created,
			&p.Counts.Pending, &p.Counts.Paid, &p.Counts.Completed, &p.Counts.Forfeited, &p.Counts.Refunded, &p.Counts.Closed,
			&p.Counts.DepositsPaid, &p.Counts.Forfeit); err != nil {
			return nil, fmt.Errorf("presales: %w", err)
		}
		p.Windows = Windows{ms(ds), ms(de), ms(ts), ms(te)}
		p.CreatedAt = ms(created)
		if ended.Valid {
			t := ms(ended.Int64)
			p.EndedAt = &t
		}
		p.Phase = p.Windows.PhaseAt(now, p.EndedAt != nil)
		p.Tail, p.PaidInAll = p.terms().TailUnit(), p.terms().PaidUnit()
		p.Left = p.Stock - p.Deposited
		if p.Phase != DepositOpen && p.Phase != Scheduled {
			p.Left = 0
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// groupBy puts the GROUP BY between a WHERE and an ORDER BY of tail.
func groupBy(tail string) string {
	const g = ` GROUP BY ps.id, ps.name, ps.sku_id, k.code, p.title, k.list_price `
	if len(tail) >= 5 && tail[:5] == "WHERE" {
		return tail + g
	}
	return g + tail
}

func ms(v int64) time.Time { return time.UnixMilli(v).UTC() }
