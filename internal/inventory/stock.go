package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/page"
)

// Service is the stock of the shop over a database.
type Service struct {
	DB  *db.DB
	Now func() time.Time // nil: the wall clock
}

// Filter selects the stock list.
type Filter struct {
	Query     string // every term must occur in the SKU code or the product's title (Chinese or English)
	LowOnly   bool   // only SKUs with Available <= Threshold
	Threshold int64  // with LowOnly; 0 lists what is sold out
	page.Request
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Get returns a SKU's stock.
func (s *Service) Get(ctx context.Context, skuID int64) (Level, error) {
	return getLevel(ctx, s.DB, skuID)
}

// List returns a page of stock levels with their SKU and product, highest
// SKU id first, and the cursor of the next page.
func (s *Service) List(ctx context.Context, f Filter) ([]Item, string, error) {
	if f.Limit <= 0 || f.Limit > page.MaxLimit {
		f.Limit = page.DefaultLimit
	}
	var conds []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.LowOnly {
		conds = append(conds, "st.on_hand - st.reserved <= "+arg(f.Threshold))
	}
	if f.After > 0 {
		conds = append(conds, "st.sku_id < "+arg(f.After))
	}
	// The code and titles, not products.search_text: that holds every SKU
	// code of the product, and a code should find its own SKU only.
	var match string
	if match, args = db.MatchAll(f.Query, args, "LOWER(k.code)", "LOWER(p.title)", "LOWER(p.title_en)"); match != "" {
		conds = append(conds, match)
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	rows, err := s.DB.Query(ctx, `SELECT st.sku_id, st.on_hand, st.reserved, st.updated_at, k.code, k.spec, k.product_id, p.title
		FROM stock st JOIN skus k ON k.id = st.sku_id JOIN products p ON p.id = k.product_id`+
		where+" ORDER BY st.sku_id DESC LIMIT "+arg(f.Limit), args...)
	if err != nil {
		return nil, "", fmt.Errorf("list stock: %w", err)
	}
	defer rows.Close()
	out := []Item{}
	for rows.Next() {
		var it Item
		var onHand, reserved, updated int64
		if err := rows.Scan(&it.SKUID, &onHand, &reserved, &updated, &it.Code, &it.Spec, &it.ProductID, &it.ProductTitle); err != nil {
			return nil, "", fmt.Errorf("list stock: %w", err)
		}
		it.Level = level(it.SKUID, onHand, reserved)
		it.UpdatedAt = time.UnixMilli(updated).UTC()
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list stock: %w", err)
	}
	var last int64
	if len(out) > 0 {
		last = out[len(out)-1].SKUID
	}
	return out, page.Next(f.Request, len(out), last), nil
}

// Adjust moves a SKU's stock by delta for reason (see CheckAdjustment). It
// refuses, with ErrBelowReserved, to leave fewer on hand than are reserved.
func (s *Service) Adjust(ctx context.Context, skuID, delta int64, reason, ref, note string) (Level, error) {
	if err := CheckAdjustment(reason, delta); err != nil {
		return Level{}, err
	}
	if err := checkMemo(ref, note); err != nil {
		return Level{}, err
	}
	var out Level
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		var onHand, reserved int64
		// One conditional UPDATE, not a read and a write: a reservation
		// committed in between cannot slip under the check.
		err := tx.QueryRow(ctx, `UPDATE stock SET on_hand = on_hand + $1, updated_at = $2
			WHERE sku_id = $3 AND on_hand + $1 >= reserved RETURNING on_hand, reserved`,
			delta, s.now().UnixMilli(), skuID).Scan(&onHand, &reserved)
		if errors.Is(err, sql.ErrNoRows) {
			return whyNot(ctx, tx, skuID, func(l Level) error {
				return fmt.Errorf("adjust SKU %d by %d: %d on hand, %d reserved for orders, so at most %d can be taken out: %w",
					skuID, delta, l.OnHand, l.Reserved, l.Available, ErrBelowReserved)
			})
		}
		if err != nil {
			return fmt.Errorf("adjust SKU %d: %w", skuID, err)
		}
		out = level(skuID, onHand, reserved)
		if err := s.record(ctx, tx, skuID, delta, reason, ref, note, onHand); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "stock."+reason, "sku", skuID, level(skuID, onHand-delta, reserved), out)
	})
	return out, err
}

// SetCount records a stocktake (盘点): on_hand becomes counted, and the
// difference is written as one movement (of 0 when the count agrees, so the
// ledger shows the count was done).
func (s *Service) SetCount(ctx context.Context, skuID, counted int64, note string) (Level, error) {
	if counted < 0 {
		return Level{}, apperr.Field("counted", "cannot be negative (%d)", counted)
	}
	if err := checkMemo("", note); err != nil {
		return Level{}, err
	}
	var out Level
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		// The difference needs the current on_hand, so the write is made
		// conditional on on_hand still being what was read; should an order
		// ship in between, read again.
		for range 5 {
			before, err := getLevel(ctx, tx, skuID)
			if err != nil {
				return err
			}
			if counted < before.Reserved {
				return fmt.Errorf("count of SKU %d: counted %d but %d are reserved for orders not yet shipped; find the missing units or cancel those orders first: %w",
					skuID, counted, before.Reserved, ErrBelowReserved)
			}
			var reserved int64
			err = tx.QueryRow(ctx, `UPDATE stock SET on_hand = $1, updated_at = $2
				WHERE sku_id = $3 AND on_hand = $4 AND reserved <= $1 RETURNING reserved`,
				counted, s.now().UnixMilli(), skuID, before.OnHand).Scan(&reserved)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return fmt.Errorf("count of SKU %d: %w", skuID, err)
			}
			out = level(skuID, counted, reserved)
			if err := s.record(ctx, tx, skuID, counted-before.OnHand, ReasonCount, "", note, counted); err != nil {
				return err
			}
			return audit.Record(ctx, tx, "stock.count", "sku", skuID, before, out)
		}
		return fmt.Errorf("count of SKU %d: its stock kept changing while the count was saved; save it again: %w", skuID, apperr.ErrConflict)
	})
	return out, err
}

// Movements returns a page of a SKU's ledger, newest first.
func (s *Service) Movements(ctx context.Context, skuID int64, r page.Request) ([]Movement, string, error) {
	if r.Limit <= 0 || r.Limit > page.MaxLimit {
		r.Limit = page.DefaultLimit
	}
	after := r.After
	if after <= 0 {
		after = 1<<63 - 1
	}
	rows, err := s.DB.Query(ctx, `SELECT id, sku_id, delta, reason, ref, note, actor, on_hand_after, at
		FROM stock_movements WHERE sku_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`, skuID, after, r.Limit)
	if err != nil {
		return nil, "", fmt.Errorf("movements of SKU %d: %w", skuID, err)
	}
	defer rows.Close()
	out := []Movement{}
	for rows.Next() {
		var m Movement
		var at int64
		if err := rows.Scan(&m.ID, &m.SKUID, &m.Delta, &m.Reason, &m.Ref, &m.Note, &m.Actor, &m.OnHandAfter, &at); err != nil {
			return nil, "", fmt.Errorf("movements of SKU %d: %w", skuID, err)
		}
		m.At = time.UnixMilli(at).UTC()
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("movements of SKU %d: %w", skuID, err)
	}
	var last int64
	if len(out) > 0 {
		last = out[len(out)-1].ID
	}
	return out, page.Next(r, len(out), last), nil
}

// CheckLedger returns the SKUs whose on_hand is not the sum of their
// movements; none, unless something wrote stock around this package.
func CheckLedger(ctx context.Context, q db.Queryer) ([]Mismatch, error) {
	rows, err := q.Query(ctx, `SELECT st.sku_id, st.on_hand, COALESCE(m.total, 0)
		FROM stock st LEFT JOIN (
			SELECT sku_id, CAST(SUM(delta) AS BIGINT) AS total FROM stock_movements GROUP BY sku_id
		) m ON m.sku_id = st.sku_id
		WHERE st.on_hand <> COALESCE(m.total, 0) ORDER BY st.sku_id`)
	if err != nil {
		return nil, fmt.Errorf("check stock ledger: %w", err)
	}
	defer rows.Close()
	out := []Mismatch{}
	for rows.Next() {
		var m Mismatch
		if err := rows.Scan(&m.SKUID, &m.OnHand, &m.LedgerSum); err != nil {
			return nil, fmt.Errorf("check stock ledger: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// record writes a movement; the actor comes from ctx like the audit log's.
func (s *Service) record(ctx context.Context, q db.Queryer, skuID, delta int64, reason, ref, note string, onHandAfter int64) error {
	if _, err := q.Exec(ctx, `INSERT INTO stock_movements (sku_id, delta, reason, ref, note, actor, on_hand_after, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		skuID, delta, reason, ref, note, audit.ActorFrom(ctx).Name, onHandAfter, s.now().UnixMilli()); err != nil {
		return fmt.Errorf("record %s of SKU %d: %w", reason, skuID, err)
	}
	return nil
}

func getLevel(ctx context.Context, q db.Queryer, skuID int64) (Level, error) {
	var onHand, reserved int64
	err := q.QueryRow(ctx, `SELECT on_hand, reserved FROM stock WHERE sku_id = $1`, skuID).Scan(&onHand, &reserved)
	if errors.Is(err, sql.ErrNoRows) {
		return Level{}, fmt.Errorf("stock of SKU %d: %w", skuID, apperr.ErrNotFound)
	}
	if err != nil {
		return Level{}, fmt.Errorf("stock of SKU %d: %w", skuID, err)
	}
	return level(skuID, onHand, reserved), nil
}

// whyNot explains a conditional UPDATE that matched no row: the SKU has no
// stock (ErrNotFound) or the condition failed, which refused describes.
func whyNot(ctx context.Context, q db.Queryer, skuID int64, refused func(Level) error) error {
	l, err := getLevel(ctx, q, skuID)
	if err != nil {
		return err
	}
	return refused(l)
}
