// Package flash runs flash sales (秒杀): a session with a start and an end,
// items at a flash price, each with its own stock carved out of the SKU's
// and a limit per customer.
//
// Carving: creating a sale reserves each item's units in the SKU's stock,
// so ordinary orders cannot take them. A flash order takes units from its
// item's pool with one conditional UPDATE (sold + n <= stock) inside the
// order's transaction — the same rule as stock, so two instances on one
// database cannot oversell either — and the per-customer limit with one
// conditional upsert. An unpaid flash order closes after the sale's own
// payment window (default 5 minutes) and gives its units back to the pool;
// when the sale ends, the pool's unsold units go back to the SKU.
//
// In stock terms: a SKU's reserved units are its pending ordinary orders'
// units plus, for every flash item of it, stock − paid.
//
// Sold out is answered from memory: once an item is seen sold out, checkouts
// for it are refused without touching the database until units come back
// (a closed order) or the memory goes stale (a short time, so that units
// freed on another instance are seen too).
package flash

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/inventory"
)

// Defaults and bounds.
const (
	DefaultPaymentWindow = 5 * time.Minute
	MinPaymentWindow     = time.Minute
	MaxPaymentWindow     = 2 * time.Hour
	maxItems             = 200
	maxName              = 100
)

// ErrSoldOut: the item's pool is empty (409).
var ErrSoldOut = fmt.Errorf("sold out: %w", apperr.ErrConflict)

// ErrLimit: the buyer already holds as many units as the sale allows.
var ErrLimit = fmt.Errorf("the flash sale's limit per customer is reached: %w", apperr.ErrConflict)

// Status of a sale, from its window and whether it was ended.
type Status string

const (
	Scheduled Status = "scheduled"
	Active    Status = "active"
	Ended     Status = "ended"
)

// Sale is a flash-sale session.
type Sale struct {
	ID               int64      `json:"id"`
	Name             string     `json:"name"`
	StartsAt         time.Time  `json:"starts_at"`
	EndsAt           time.Time  `json:"ends_at"`
	PerCustomerLimit int64      `json:"per_customer_limit"`
	PaymentWindow    Duration   `json:"payment_window"`
	Status           Status     `json:"status"`
	EndedAt          *time.Time `json:"ended_at"`
	Items            []Item     `json:"items"`
	CreatedAt        time.Time  `json:"created_at"`
}

// Item is one SKU of a sale. Stock is what the pool holds (carved out);
// Sold what orders took, pending or paid; Paid what was paid for.
type Item struct {
	ID         int64  `json:"id"`
	SKUID      int64  `json:"sku_id"`
	Code       string `json:"code"`
	Title      string `json:"title"`
	ListPrice  int64  `json:"list_price"`
	FlashPrice int64  `json:"flash_price"`
	Stock      int64  `json:"stock"`  // units the pool holds: carved, or once ended the units orders took
	Carved     int64  `json:"carved"` // units carved out of the SKU when the sale was made
	Sold       int64  `json:"sold"`
	Paid       int64  `json:"paid"`
	Left       int64  `json:"left"`
}

// Duration is a time.Duration that reads and writes as "5m0s" in JSON.
type Duration time.Duration

func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return apperr.Field("payment_window", "write a duration such as 5m or 15m, not %q", string(b))
	}
	*d = Duration(v)
	return nil
}

// SaleInput creates a sale.
type SaleInput struct {
	Name             string      `json:"name"`
	StartsAt         time.Time   `json:"starts_at"`
	EndsAt           time.Time   `json:"ends_at"`
	PerCustomerLimit int64       `json:"per_customer_limit" doc:"units one customer may buy of each item (default 1)"`
	PaymentWindow    Duration    `json:"payment_window" doc:"unpaid flash orders close after this (default 5m)"`
	Items            []ItemInput `json:"items"`
}

// ItemInput is one SKU of a new sale.
type ItemInput struct {
	SKUID      int64 `json:"sku_id"`
	FlashPrice int64 `json:"flash_price" doc:"分, below the list price"`
	Stock      int64 `json:"stock" doc:"units carved out of the SKU's available stock"`
}

// Validate checks what can be checked without the database.
func (in *SaleInput) Validate(now time.Time) error {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > maxName {
		return apperr.Field("name", "give the sale a name of 1 to %d characters", maxName)
	}
	if in.StartsAt.IsZero() || in.EndsAt.IsZero() {
		return apperr.Field("starts_at", "give both starts_at and ends_at")
	}
	if !in.EndsAt.After(in.StartsAt) {
		return apperr.Field("ends_at", "must be after starts_at (%s); the dates look reversed", in.StartsAt.Format(time.RFC3339))
	}
	if !in.EndsAt.After(now) {
		return apperr.Field("ends_at", "is in the past; a flash sale must end in the future")
	}
	if in.PerCustomerLimit == 0 {
		in.PerCustomerLimit = 1
	}
	if in.PerCustomerLimit < 0 || in.PerCustomerLimit > 999 {
		return apperr.Field("per_customer_limit", "must be from 1 to 999, not %d", in.PerCustomerLimit)
	}
	if in.PaymentWindow == 0 {
		in.PaymentWindow = Duration(DefaultPaymentWindow)
	}
	if w := time.Duration(in.PaymentWindow); w < MinPaymentWindow || w > MaxPaymentWindow {
		return apperr.Field("payment_window", "must be from %s to %s, not %s", MinPaymentWindow, MaxPaymentWindow, w)
	}
	if len(in.Items) == 0 || len(in.Items) > maxItems {
		return apperr.Field("items", "give 1 to %d items", maxItems)
	}
	seen := map[int64]int{}
	for i, it := range in.Items {
		f := func(name string) string { return fmt.Sprintf("items[%d].%s", i, name) }
		if it.SKUID <= 0 {
			return apperr.Field(f("sku_id"), "must be the id of a SKU")
		}
		if j, dup := seen[it.SKUID]; dup {
			return apperr.Field(f("sku_id"), "SKU %d is already items[%d]", it.SKUID, j)
		}
		seen[it.SKUID] = i
		if it.FlashPrice < 0 {
			return apperr.Field(f("flash_price"), "must not be negative")
		}
		if it.Stock <= 0 || it.Stock > 1_000_000 {
			return apperr.Field(f("stock"), "must be from 1 to 1,000,000 units, not %d", it.Stock)
		}
	}
	return nil
}

// Service manages flash sales over a database.
type Service struct {
	DB        *db.DB
	Inventory *inventory.Service
	Now       func() time.Time
	gate      gate
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

// Create validates a sale and carves its items' units out of their SKUs'
// available stock, in one transaction: a SKU without enough available
// units refuses the whole sale, naming it.
func (s *Service) Create(ctx context.Context, in SaleInput) (Sale, error) {
	now := s.now()
	if err := in.Validate(now); err != nil {
		return Sale{}, err
	}
	var id int64
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		codes := make([]string, len(in.Items))
		for i, it := range in.Items {
			var list int64
			var code, status string
			err := tx.QueryRow(ctx, `SELECT k.list_price, k.code, p.status FROM skus k JOIN products p ON p.id = k.product_id WHERE k.id = $1`,
				it.SKUID).Scan(&list, &code, &status)
			if errors.Is(err, sql.ErrNoRows) {
				return apperr.Field(fmt.Sprintf("items[%d].sku_id", i), "there is no SKU %d", it.SKUID)
			}
			if err != nil {
				return fmt.Errorf("flash sale: %w", err)
			}
			if status != "on_sale" {
				return apperr.Field(fmt.Sprintf("items[%d].sku_id", i), "%s is not on sale (%s); put it on sale first", code, status)
			}
			if it.FlashPrice >= list {
				return apperr.Field(fmt.Sprintf("items[%d].flash_price", i), "%s: the flash price %s must be below the list price %s",
					code, yuan(it.FlashPrice), yuan(list))
			}
			codes[i] = code
		}
		err := tx.QueryRow(ctx, `INSERT INTO flash_sales (name, starts_at, ends_at, per_customer_limit, payment_window_ms, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`, in.Name, in.StartsAt.UnixMilli(), in.EndsAt.UnixMilli(),
			in.PerCustomerLimit, time.Duration(in.PaymentWindow).Milliseconds(), now.UnixMilli()).Scan(&id)
		if err != nil {
			return fmt.Errorf("flash sale: %w", err)
		}
		for i, it := range in.Items {
			if err := s.inv().Reserve(ctx, tx, it.SKUID, it.Stock); err != nil {
				if errors.Is(err, inventory.ErrOutOfStock) {
					return apperr.Field(fmt.Sprintf("items[%d].stock", i), "%v; carve fewer units or restock first", err)
				}
				return err
			}
			// After the reservation, which holds the SKU's stock row until
			// this commits: two sales of one SKU created at once see each
			// other here.
			var other string
			err = tx.QueryRow(ctx, `SELECT f.name FROM flash_sale_items i JOIN flash_sales f ON f.id = i.flash_sale_id
				WHERE i.sku_id = $1 AND i.flash_sale_id <> $4 AND f.ended_at IS NULL AND f.starts_at < $2 AND f.ends_at > $3 LIMIT 1`,
				it.SKUID, in.EndsAt.UnixMilli(), in.StartsAt.UnixMilli(), id).Scan(&other)
			if err == nil {
				return apperr.Field(fmt.Sprintf("items[%d].sku_id", i), "%s is already in the flash sale %q at that time; a SKU has one flash price at a time", codes[i], other)
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("flash sale: %w", err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO flash_sale_items (flash_sale_id, sku_id, flash_price, stock, carved) VALUES ($1, $2, $3, $4, $4)`,
				id, it.SKUID, it.FlashPrice, it.Stock); err != nil {
				return fmt.Errorf("flash sale: %w", err)
			}
		}
		return audit.Record(ctx, tx, "flash_sale.create", "flash_sale", id, nil, in)
	})
	if err != nil {
		return Sale{}, err
	}
	s.gate.invalidate()
	return s.Get(ctx, id)
}

// End ends a sale now (or confirms the end of one whose time is over):
// unsold units go back to their SKUs; units held by unpaid orders stay
// with those orders and go back to the SKU when they close.
func (s *Service) End(ctx context.Context, id int64) (Sale, error) {
	err := s.DB.InTx(ctx, func(tx *db.Tx) error { return s.endTx(ctx, tx, id) })
	if err != nil {
		return Sale{}, err
	}
	s.gate.invalidate()
	return s.Get(ctx, id)
}

func (s *Service) endTx(ctx context.Context, tx *db.Tx, id int64) error {
	now := s.now()
	res, err := tx.Exec(ctx, `UPDATE flash_sales SET ended_at = $1, updated_at = $1 WHERE id = $2 AND ended_at IS NULL`, now.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("end flash sale %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var x int64
		if err := tx.QueryRow(ctx, `SELECT id FROM flash_sales WHERE id = $1`, id).Scan(&x); errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("flash sale %d: %w", id, apperr.ErrNotFound)
		}
		return nil // ended already
	}
	// Lock the items before reading them: a checkout or a close committing
	// between the read and the update below would make the release wrong.
	if _, err := tx.Exec(ctx, `UPDATE flash_sale_items SET sold = sold WHERE flash_sale_id = $1`, id); err != nil {
		return fmt.Errorf("end flash sale %d: %w", id, err)
	}
	rows, err := tx.Query(ctx, `SELECT id, sku_id, stock - sold FROM flash_sale_items WHERE flash_sale_id = $1 AND stock > sold ORDER BY sku_id`, id)
	if err != nil {
		return fmt.Errorf("end flash sale %d: %w", id, err)
	}
	type unsold struct{ item, sku, n int64 }
	var back []unsold
	for rows.Next() {
		var u unsold
		if err := rows.Scan(&u.item, &u.sku, &u.n); err != nil {
			rows.Close()
			return err
		}
		back = append(back, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, u := range back {
		if err := s.inv().Release(ctx, tx, u.sku, u.n); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE flash_sale_items SET stock = sold WHERE id = $1`, u.item); err != nil {
			return fmt.Errorf("end flash sale %d: %w", id, err)
		}
	}
	return audit.Record(ctx, tx, "flash_sale.end", "flash_sale", id, nil, map[string]any{"returned_items": len(back)})
}

// EndDue ends the sales whose time is over, for the scheduler.
func (s *Service) EndDue(ctx context.Context) (int, error) {
	rows, err := s.DB.Query(ctx, `SELECT id FROM flash_sales WHERE ended_at IS NULL AND ends_at <= $1`, s.now().UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("end flash sales: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	n := 0
	for _, id := range ids {
		if _, err := s.End(ctx, id); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

func status(startsAt, endsAt time.Time, ended *time.Time, now time.Time) Status {
	switch {
	case ended != nil || !now.Before(endsAt):
		return Ended
	case now.Before(startsAt):
		return Scheduled
	}
	return Active
}

// Get returns a sale with its items.
func (s *Service) Get(ctx context.Context, id int64) (Sale, error) {
	sales, err := s.list(ctx, `WHERE f.id = $1`, id)
	if err != nil {
		return Sale{}, err
	}
	if len(sales) == 0 {
		return Sale{}, fmt.Errorf("flash sale %d: %w", id, apperr.ErrNotFound)
	}
	return sales[0], nil
}

// List returns at most 100 sales: those not ended first, then the latest
// ended ones, latest start first.
func (s *Service) List(ctx context.Context) ([]Sale, error) {
	return s.list(ctx, `WHERE f.id IN (SELECT id FROM flash_sales ORDER BY (ended_at IS NULL) DESC, starts_at DESC LIMIT 100)`)
}

func (s *Service) list(ctx context.Context, where string, args ...any) ([]Sale, error) {
	rows, err := s.DB.Query(ctx, `SELECT f.id, f.name, f.starts_at, f.ends_at, f.per_customer_limit, f.payment_window_ms, f.ended_at, f.created_at,
			COALESCE(i.id, 0), COALESCE(i.sku_id, 0), COALESCE(k.code, ''), COALESCE(p.title, ''), COALESCE(k.list_price, 0),
			COALESCE(i.flash_price, 0), COALESCE(i.stock, 0), COALESCE(i.carved, 0), COALESCE(i.sold, 0), COALESCE(i.paid, 0)
		FROM flash_sales f LEFT JOIN flash_sale_items i ON i.flash_sale_id = f.id
		LEFT JOIN skus k ON k.id = i.sku_id LEFT JOIN products p ON p.id = k.product_id `+where+`
		ORDER BY f.starts_at DESC, f.id DESC, i.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("flash sales: %w", err)
	}
	defer rows.Close()
	now := s.now()
	var out []Sale
	for rows.Next() {
		var sl Sale
		var it Item
		var starts, ends, window, created int64
		var ended sql.NullInt64
		if err := rows.Scan(&sl.ID, &sl.Name, &starts, &ends, &sl.PerCustomerLimit, &window, &ended, &created,
			&it.ID, &it.SKUID, &it.Code, &it.Title, &it.ListPrice, &it.FlashPrice, &it.Stock, &it.Carved, &it.Sold, &it.Paid); err != nil {
			return nil, fmt.Errorf("flash sales: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].ID != sl.ID {
			sl.StartsAt, sl.EndsAt = time.UnixMilli(starts).UTC(), time.UnixMilli(ends).UTC()
			sl.CreatedAt = time.UnixMilli(created).UTC()
			sl.PaymentWindow = Duration(time.Duration(window) * time.Millisecond)
			if ended.Valid {
				t := time.UnixMilli(ended.Int64).UTC()
				sl.EndedAt = &t
			}
			sl.Status = status(sl.StartsAt, sl.EndsAt, sl.EndedAt, now)
			sl.Items = []Item{}
			out = append(out, sl)
		}
		if it.ID != 0 {
			it.Left = it.Stock - it.Sold
			last := &out[len(out)-1]
			last.Items = append(last.Items, it)
		}
	}
	return out, rows.Err()
}

func yuan(fen int64) string { return fmt.Sprintf("¥%d.%02d", fen/100, fen%100) }

// Mismatch is a SKU whose reserved units differ from what holds them.
type Mismatch struct {
	SKUID, Reserved, Held int64
}

// CheckReserved verifies the stock rule with flash sales: a SKU's reserved
// units are its pending orders' ordinary lines plus, for every flash item
// of it, stock − paid (the pool and its pending orders), plus, for every
// presale of it, stock − sold (its pool; presale lines reserve nothing
// themselves, see price.StockPool and StockNone).
func CheckReserved(ctx context.Context, q db.Queryer) ([]Mismatch, error) {
	rows, err := q.Query(ctx, `SELECT st.sku_id, st.reserved,
		COALESCE((SELECT SUM(l.quantity) FROM order_lines l JOIN orders o ON o.id = l.order_id
			WHERE l.sku_id = st.sku_id AND l.flash_item_id IS NULL AND l.stock = '' AND o.status = 'pending_payment'), 0)
		+ COALESCE((SELECT SUM(i.stock - i.paid) FROM flash_sale_items i WHERE i.sku_id = st.sku_id), 0)
		+ COALESCE((SELECT SUM(p.stock - p.sold) FROM presales p WHERE p.sku_id = st.sku_id), 0)
		FROM stock st`)
	if err != nil {
		return nil, fmt.Errorf("check reserved: %w", err)
	}
	defer rows.Close()
	var out []Mismatch
	for rows.Next() {
		var m Mismatch
		if err := rows.Scan(&m.SKUID, &m.Reserved, &m.Held); err != nil {
			return nil, err
		}
		if m.Reserved != m.Held {
			out = append(out, m)
		}
	}
	return out, rows.Err()
}
