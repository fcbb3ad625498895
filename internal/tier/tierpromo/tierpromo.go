// Package tierpromo prices the member tiers' discounts as a promotion. It
// sits apart from internal/tier because the promotions pricer reads tier
// (its free-shipping benefit) and tier must not import the promotions.
package tierpromo

import (
	"context"
	"errors"
	"maps"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/promo"
	"github.com/storeops/storeops/internal/promotion"
	"github.com/storeops/storeops/internal/tier"
)

// DiscountName is the name buyers see on the tier discount.
const DiscountName = "会员等级折扣 member tier discount"

// PromotionDiscounts prices the tiers' discounts as one member_discount
// promotion over the whole order (the engine's member stage: it competes
// with a SKU's member price per line, the lower wins, and stacks with the
// item, spend and coupon stages after it). The promotion is an ordinary
// one: operators see its results and may pause it; the ladder's rates
// overwrite its rates when the ladder is saved.
func PromotionDiscounts(svc *promotion.Service) tier.DiscountSync {
	return func(ctx context.Context, current int64, rates map[string]int64, replaceEnded bool) (int64, error) {
		var p promotion.Promotion
		live, ended := false, false
		if current > 0 {
			var err error
			p, err = svc.Get(ctx, current)
			switch {
			case errors.Is(err, apperr.ErrNotFound):
			case err != nil:
				return 0, err
			default:
				live = p.Stored != promotion.StatusEnded && p.Status != promotion.StatusEnded
				ended = !live
			}
		}
		if ended && !replaceEnded {
			return current, nil
		}
		if len(rates) == 0 {
			if live {
				if _, err := svc.End(ctx, current); err != nil {
					return 0, err
				}
			}
			return 0, nil
		}
		in := promotion.Input{Promotion: promo.Promotion{Name: DiscountName, Kind: promo.KindMemberDiscount, Scope: promo.ScopeOrder,
			TierRatesBP: rates}, Note: "kept in step with the member tier ladder (会员等级); edit the rates there"}
		if live {
			if maps.Equal(p.TierRatesBP, rates) {
				return current, nil
			}
			in.Promotion = p.Promotion
			in.TierRatesBP = rates
			in.Note = p.Note
			_, err := svc.Update(ctx, current, in)
			return current, err
		}
		created, err := svc.Create(ctx, in)
		if err != nil {
			return 0, err
		}
		if _, err := svc.Schedule(ctx, created.ID); err != nil {
			return 0, err
		}
		return created.ID, nil
	}
}
