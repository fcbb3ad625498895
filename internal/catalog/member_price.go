package catalog

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
)

// MemberPrices are a SKU's member prices (会员价): tier code → price per
// unit in 分 (金卡价 ¥89 where the list price is ¥99: {"gold": 8900}). A
// buyer of that tier pays it instead of the tier's discount rate.
type MemberPrices map[string]int64

// ValidateMemberPrices says which price is wrong, as an *apperr.FieldError
// on member_prices.<tier>: a tier not on the ladder (tiers are its codes),
// a price of 0 or less, or one above the SKU's list price.
func ValidateMemberPrices(prices MemberPrices, listPrice int64, tiers []string) error {
	for _, code := range slices.Sorted(maps.Keys(prices)) {
		p, field := prices[code], "member_prices."+code
		switch {
		case !slices.Contains(tiers, code):
			return apperr.Field(field, "%q is not a member tier; use one of %s", code, strings.Join(tiers, ", "))
		case p <= 0:
			return apperr.Field(field, "a member price must be above 0 (%d 分); remove the tier's price to charge it the tier discount instead", p)
		case p > listPrice:
			return apperr.Field(field, "%s is above the list price %s; a member price is at most the list price", yuan(p), yuan(listPrice))
		}
	}
	return nil
}

// yuan formats 分 as ¥1,234.50 for messages.
func yuan(fen int64) string {
	s := strconv.FormatInt(fen/100, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return fmt.Sprintf("¥%s.%02d", s, abs(fen%100))
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// SetMemberPrices replaces a SKU's member prices (empty: none) and returns
// the SKU. tiers are the codes of the member ladder; prices are checked
// against the SKU's list price in the same transaction.
func (s *Service) SetMemberPrices(ctx context.Context, skuID int64, prices MemberPrices, tiers []string) (SKURef, error) {
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		return setMemberPrices(ctx, tx, skuID, prices, tiers, s.now().UnixMilli())
	})
	if err != nil {
		return SKURef{}, err
	}
	return s.GetSKU(ctx, skuID)
}

// SetProductMemberPrices replaces the member prices of a product's SKUs at
// once (by SKU id; a SKU left out keeps its prices): all are saved or, when
// one is wrong, none, with the error on skus[i].member_prices.<tier> (i the
// SKU's position in the product).
func (s *Service) SetProductMemberPrices(ctx context.Context, productID int64, prices map[int64]MemberPrices, tiers []string) (Product, error) {
	prices = maps.Clone(prices)
	var out Product
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		p, err := getProduct(ctx, tx, productID)
		if err != nil {
			return err
		}
		now := s.now().UnixMilli()
		for i, k := range p.SKUs {
			mp, ok := prices[k.ID]
			if !ok {
				continue
			}
			if err := setMemberPrices(ctx, tx, k.ID, mp, tiers, now); err != nil {
				var fe *apperr.FieldError
				if errors.As(err, &fe) {
					return apperr.Field(fmt.Sprintf("skus[%d].%s", i, fe.Field), "%s", fe.Message)
				}
				return err
			}
			delete(prices, k.ID)
		}
		for id := range prices {
			return apperr.Field("skus", "SKU %d is not a SKU of product %d", id, productID)
		}
		out, err = getProduct(ctx, tx, productID)
		return err
	})
	return out, err
}

func setMemberPrices(ctx context.Context, tx *db.Tx, skuID int64, prices MemberPrices, tiers []string, now int64) error {
	var list int64
	err := tx.QueryRow(ctx, `SELECT list_price FROM skus WHERE id = $1`, skuID).Scan(&list)
	if db.IsNoRows(err) {
		return fmt.Errorf("SKU %d: %w", skuID, apperr.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("SKU %d: %w", skuID, err)
	}
	if err := ValidateMemberPrices(prices, list, tiers); err != nil {
		return err
	}
	before, err := memberPricesOf(ctx, tx, "m.sku_id = $1", skuID)
	if err != nil {
		return err
	}
	if maps.Equal(before[skuID], prices) || (len(before[skuID]) == 0 && len(prices) == 0) {
		return nil
	}
	if _, err := tx.Exec(ctx, `DELETE FROM sku_member_prices WHERE sku_id = $1`, skuID); err != nil {
		return fmt.Errorf("member prices of SKU %d: %w", skuID, err)
	}
	for _, code := range slices.Sorted(maps.Keys(prices)) {
		if _, err := tx.Exec(ctx, `INSERT INTO sku_member_prices (sku_id, tier, price, updated_at) VALUES ($1, $2, $3, $4)`,
			skuID, code, prices[code], now); err != nil {
			return fmt.Errorf("member price %s of SKU %d: %w", code, skuID, err)
		}
	}
	return audit.Record(ctx, tx, "sku.member_prices", "sku", skuID, before[skuID], prices)
}

// memberPricesOf reads the member prices of the SKUs that where selects
// (on sku_member_prices m and skus k), by SKU.
func memberPricesOf(ctx context.Context, q db.Queryer, where string, args ...any) (map[int64]MemberPrices, error) {
	rows, err := q.Query(ctx, `SELECT m.sku_id, m.tier, m.price FROM sku_member_prices m JOIN skus k ON k.id = m.sku_id WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("member prices: %w", err)
	}
	defer rows.Close()
	out := map[int64]MemberPrices{}
	for rows.Next() {
		var id, p int64
		var code string
		if err := rows.Scan(&id, &code, &p); err != nil {
			return nil, fmt.Errorf("member prices: %w", err)
		}
		if out[id] == nil {
			out[id] = MemberPrices{}
		}
		out[id][code] = p
	}
	return out, rows.Err()
}

// checkMemberPricesUnderList refuses a product update that lowers a list
// price below a member price of the same SKU, naming the SKU's list price
// field (codes are the input's SKU codes in order).
func checkMemberPricesUnderList(ctx context.Context, q db.Queryer, productID int64, codes []string) error {
	var code, tier string
	var p, list int64
	err := q.QueryRow(ctx, `SELECT k.code, m.tier, m.price, k.list_price FROM sku_member_prices m JOIN skus k ON k.id = m.sku_id
		WHERE k.product_id = $1 AND m.price > k.list_price ORDER BY k.id, m.tier LIMIT 1`, productID).Scan(&code, &tier, &p, &list)
	if db.IsNoRows(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check member prices of product %d: %w", productID, err)
	}
	return apperr.Field(fmt.Sprintf("skus[%d].list_price", max(0, slices.Index(codes, code))),
		"%s is below the %s member price %s of %s; lower or remove that member price first", yuan(list), tier, yuan(p), code)
}
