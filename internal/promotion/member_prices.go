package promotion

import (
	"context"
	"fmt"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/promo"
)

// memberPrices gives the lines the catalog's member price (会员价) of the
// buyer's tier, where their SKU has one; the engine's member stage charges
// it instead of the tier discount on those lines. Guests have no tier.
func memberPrices(ctx context.Context, q db.Queryer, tier string, lines []promo.Line) error {
	if tier == "" || len(lines) == 0 {
		return nil
	}
	args := make([]any, 0, len(lines)+1)
	args = append(args, tier)
	at := make(map[int64]int, len(lines))
	for i, l := range lines {
		args = append(args, l.SKUID)
		at[l.SKUID] = i
	}
	rows, err := q.Query(ctx, `SELECT sku_id, price FROM sku_member_prices WHERE tier = $1 AND sku_id IN (`+db.Placeholders(len(lines), 2)+`)`, args...)
	if err != nil {
		return fmt.Errorf("promotion pricer: member prices for %s: %w", tier, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, p int64
		if err := rows.Scan(&id, &p); err != nil {
			return fmt.Errorf("promotion pricer: member prices for %s: %w", tier, err)
		}
		lines[at[id]].MemberPrice = p
	}
	return rows.Err()
}
