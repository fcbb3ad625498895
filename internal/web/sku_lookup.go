package web

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/db"
)

// This read belongs in catalog (a GetSKU); the console's stock page needs
// to say which SKU it shows, and inventory.Level carries only the id.

// skuInfo is what a SKU is: its code, variant and product.
type skuInfo struct {
	ID           int64
	Code         string
	Spec         string
	ProductID    int64
	ProductTitle string
}

func lookupSKU(ctx context.Context, q db.Queryer, id int64) (skuInfo, error) {
	s := skuInfo{ID: id}
	err := q.QueryRow(ctx, `SELECT k.code, k.spec, k.product_id, p.title FROM skus k JOIN products p ON p.id = k.product_id WHERE k.id = $1`, id).
		Scan(&s.Code, &s.Spec, &s.ProductID, &s.ProductTitle)
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("SKU %d: %w", id, apperr.ErrNotFound)
	}
	if err != nil {
		return s, fmt.Errorf("SKU %d: %w", id, err)
	}
	return s, nil
}
