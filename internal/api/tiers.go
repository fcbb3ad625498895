package api

import (
	"context"

	"github.com/storeops/storeops/internal/tier"
	"github.com/storeops/storeops/internal/tier/tierpromo"
)

// TierDistribution is how many customers hold each tier, lowest first.
type TierDistribution struct {
	Tiers []tier.Count `json:"tiers"`
}

// StoreMembership is the buyer's own tier and growth with the whole
// ladder, so the storefront can show what the next tier brings.
type StoreMembership struct {
	tier.Membership
	Ladder []tier.Level `json:"ladder"`
}

// tierRoutes are the member tiers (会员等级): the ladder, a customer's tier
// with its history, the distribution, and the buyer's own membership.
// Changing the ladder changes prices (its discounts), so it takes the
// promotions permission.
func (a *API) tierRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/tiers", Perm: permCustomersRead, Tag: "tiers",
			Summary: "The tier ladder: growth per ¥1, the rolling window, and each tier's thresholds and benefits",
			Reply:   tier.Config{}, handle: func(ctx context.Context, r *request) (any, error) {
				return a.tiers().Config(ctx)
			}},
		{Method: "PUT", Path: "/tiers", Perm: permPromotionsWrite, Tag: "tiers",
			Summary: "Replace the tier ladder (lowest tier first, threshold 0; 422 names the field at fault); the discounts are kept in step in the tier discount promotion",
			Body:    tier.Config{}, Reply: tier.Config{}, Example: tier.Default(), handle: func(ctx context.Context, r *request) (any, error) {
				var in tier.Config
				if err := decode(r.Request, &in); err != nil {
					return nil, err
				}
				return a.tiers().Save(ctx, in)
			}},
		{Method: "GET", Path: "/tiers/distribution", Perm: permCustomersRead, Tag: "tiers",
			Summary: "How many customers hold each tier (customers who never earned growth are at the lowest)",
			Reply:   TierDistribution{}, handle: func(ctx context.Context, r *request) (any, error) {
				d, err := a.tiers().Distribution(ctx)
				return TierDistribution{Tiers: d}, err
			}},
		{Method: "GET", Path: "/customers/{id}/tier", Perm: permCustomersRead, Tag: "tiers",
			Summary: "A customer's tier, lifetime and rolling-window growth, the next tier and the growth it still needs, and the last 50 tier changes with their figures",
			Reply:   tier.Membership{}, handle: func(ctx context.Context, r *request) (any, error) {
				id, err := r.id("id")
				if err != nil {
					return nil, err
				}
				return a.tiers().Membership(ctx, id)
			}},
		{Method: "GET", Path: "/store/membership", Store: true, Tag: "storefront",
			Summary: "My member tier, its benefits, my growth and what the next tier needs, with the whole ladder",
			Reply:   StoreMembership{}, handle: func(ctx context.Context, r *request) (any, error) {
				m, err := a.tiers().Membership(ctx, r.customerID)
				if err != nil {
					return nil, err
				}
				c, err := a.tiers().Config(ctx)
				return StoreMembership{Membership: m, Ladder: c.Levels}, err
			}},
	}
}

func (a *API) tiers() *tier.Service {
	if a.Tiers != nil {
		return a.Tiers
	}
	return &tier.Service{DB: a.DB, Discounts: tierpromo.PromotionDiscounts(a.promotions())}
}
