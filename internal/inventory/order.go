package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/db"
)

// The primitives below run inside the order's transaction (q), so that
// stock and order change together or not at all. They write no audit
// record: the order records its own change. Each is one conditional UPDATE,
// which is what keeps several instances on one PostgreSQL from overselling.

// Reserve holds n units of a SKU for an order, or fails with ErrOutOfStock.
func (s *Service) Reserve(ctx context.Context, q db.Queryer, skuID, n int64) error {
	if err := checkQuantity(n); err != nil {
		return err
	}
	res, err := q.Exec(ctx, `UPDATE stock SET reserved = reserved + $1, updated_at = $2
		WHERE sku_id = $3 AND on_hand - reserved >= $1`, n, s.now().UnixMilli(), skuID)
	if err != nil {
		return fmt.Errorf("reserve %d of SKU %d: %w", n, skuID, err)
	}
	if rows, _ := res.RowsAffected(); rows == 0 {
		return whyNot(ctx, q, skuID, func(l Level) error {
			return fmt.Errorf("reserve %d of SKU %d: only %d available: %w", n, skuID, l.Available, ErrOutOfStock)
		})
	}
	return nil
}

// Release gives back n reserved units, as when an unpaid order closes.
func (s *Service) Release(ctx context.Context, q db.Queryer, skuID, n int64) error {
	if err := checkQuantity(n); err != nil {
		return err
	}
	res, err := q.Exec(ctx, `UPDATE stock SET reserved = reserved - $1, updated_at = $2
		WHERE sku_id = $3 AND reserved >= $1`, n, s.now().UnixMilli(), skuID)
	if err != nil {
		return fmt.Errorf("release %d of SKU %d: %w", n, skuID, err)
	}
	if rows, _ := res.RowsAffected(); rows == 0 {
		return whyNot(ctx, q, skuID, func(l Level) error {
			return fmt.Errorf("release %d of SKU %d: only %d reserved: %w", n, skuID, l.Reserved, ErrNotReserved)
		})
	}
	return nil
}

// CommitSale turns n reserved units into a sale: they leave the shelf
// (on_hand and reserved both drop) and the ledger records it under ref.
func (s *Service) CommitSale(ctx context.Context, q db.Queryer, skuID, n int64, ref string) error {
	if err := checkQuantity(n); err != nil {
		return err
	}
	if err := checkMemo(ref, ""); err != nil {
		return err
	}
	var onHand int64
	err := q.QueryRow(ctx, `UPDATE stock SET reserved = reserved - $1, on_hand = on_hand - $1, updated_at = $2
		WHERE sku_id = $3 AND reserved >= $1 RETURNING on_hand`, n, s.now().UnixMilli(), skuID).Scan(&onHand)
	if errors.Is(err, sql.ErrNoRows) {
		return whyNot(ctx, q, skuID, func(l Level) error {
			return fmt.Errorf("sell %d of SKU %d: only %d reserved: %w", n, skuID, l.Reserved, ErrNotReserved)
		})
	}
	if err != nil {
		return fmt.Errorf("sell %d of SKU %d: %w", n, skuID, err)
	}
	return s.record(ctx, q, skuID, -n, ReasonSale, ref, "", onHand)
}

// Restock puts n returned units back on the shelf (售后 return), under ref.
func (s *Service) Restock(ctx context.Context, q db.Queryer, skuID, n int64, ref string) error {
	if err := checkQuantity(n); err != nil {
		return err
	}
	if err := checkMemo(ref, ""); err != nil {
		return err
	}
	var onHand int64
	err := q.QueryRow(ctx, `UPDATE stock SET on_hand = on_hand + $1, updated_at = $2
		WHERE sku_id = $3 RETURNING on_hand`, n, s.now().UnixMilli(), skuID).Scan(&onHand)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("restock SKU %d: %w", skuID, apperr.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("restock %d of SKU %d: %w", n, skuID, err)
	}
	return s.record(ctx, q, skuID, n, ReasonReturn, ref, "", onHand)
}
