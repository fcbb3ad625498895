package catalog

import (
	"context"
	"fmt"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/db"
)

// SKURef is a SKU with the title of its product, for pages and documents
// that show one SKU (a stock ledger, an order line).
type SKURef struct {
	SKU
	ProductTitle string `json:"product_title"`
}

// GetSKU returns one SKU, with its stock and its product's title.
func (s *Service) GetSKU(ctx context.Context, id int64) (SKURef, error) {
	var productID int64
	err := s.DB.QueryRow(ctx, "SELECT product_id FROM skus WHERE id = $1", id).Scan(&productID)
	if db.IsNoRows(err) {
		return SKURef{}, fmt.Errorf("SKU %d: %w", id, apperr.ErrNotFound)
	}
	if err != nil {
		return SKURef{}, fmt.Errorf("SKU %d: %w", id, err)
	}
	p, err := getProduct(ctx, s.DB, productID)
	if err != nil {
		return SKURef{}, err
	}
	for _, k := range p.SKUs {
		if k.ID == id {
			return SKURef{SKU: k, ProductTitle: p.Title}, nil
		}
	}
	return SKURef{}, fmt.Errorf("SKU %d: %w", id, apperr.ErrNotFound)
}
