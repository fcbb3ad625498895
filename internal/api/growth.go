package api

import (
	"context"
	"net/http"

	"github.com/storeops/storeops/internal/tier"
)

// GrowthActions are the actions that earn growth besides spend.
type GrowthActions struct {
	Actions []tier.ActionRule `json:"actions"`
}

// ReverseInput says why growth is taken back.
type ReverseInput struct {
	Reason string `json:"reason" doc:"why the growth is taken back; the customer page shows it"`
}

// StoreCheckIn is what the buyer's check-in earned, with their tier after it.
type StoreCheckIn struct {
	tier.Earned
	Membership tier.Membership `json:"membership"`
}

// growthRoutes: growth (成长值) from actions — their rules, the storefront's
// daily check-in, and an operator's grant or reversal with a reason.
func (a *API) growthRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/tiers/actions", Perm: permCustomersRead, Tag: "tiers",
			Summary: "The actions that earn growth besides spend (check_in, profile_completed, referral_converted): growth each, daily and lifetime caps",
			Reply:   GrowthActions{}, handle: func(ctx context.Context, r *request) (any, error) {
				as, err := a.tiers().Actions(ctx)
				return GrowthActions{Actions: as}, err
			}},
		{Method: "PUT", Path: "/tiers/actions", Perm: permPromotionsWrite, Tag: "tiers",
			Summary: "Change the growth and caps of the actions given by code (growth 0 turns one off; caps 0: none); audited as tier.actions",
			Body:    GrowthActions{}, Reply: GrowthActions{}, Example: GrowthActions{Actions: tier.DefaultActions()},
			handle: func(ctx context.Context, r *request) (any, error) {
				var in GrowthActions
				if err := decode(r.Request, &in); err != nil {
					return nil, err
				}
				as, err := a.tiers().SaveActions(ctx, in.Actions)
				return GrowthActions{Actions: as}, err
			}},
		{Method: "POST", Path: "/customers/{id}/growth", Perm: permCustomersWrite, Tag: "tiers",
			Summary: "Grant (positive) or take (negative) growth by hand with a reason; a positive grant over a threshold upgrades at once. A key makes a retry count once (409 when the key was used for another grant); audited as tier.grant",
			Body:    tier.Grant{}, Status: http.StatusCreated, Reply: tier.GrowthMovement{}, Example: tier.Grant{Growth: 200, Reason: "客诉补偿 complaint goodwill"},
			handle: byID(func(ctx context.Context, id int64, in tier.Grant) (any, error) {
				return a.tiers().GrantGrowth(ctx, id, in)
			})},
		{Method: "POST", Path: "/customers/{id}/growth/{movement_id}/reverse", Perm: permCustomersWrite, Tag: "tiers",
			Summary: "Take back the growth of an action or a grant with a reason (409 for spend, which refunds reverse, or one reversed already); audited as tier.reverse",
			Body:    ReverseInput{}, Status: http.StatusCreated, Reply: tier.GrowthMovement{},
			handle: func(ctx context.Context, r *request) (any, error) {
				id, err := r.id("id")
				if err != nil {
					return nil, err
				}
				mid, err := r.id("movement_id")
				if err != nil {
					return nil, err
				}
				var in ReverseInput
				if err := decode(r.Request, &in); err != nil {
					return nil, err
				}
				return a.tiers().Reverse(ctx, id, mid, in.Reason)
			}},
		{Method: "POST", Path: "/store/check-in", Store: true, Tag: "storefront",
			Summary: "Check in for today (签到): growth once per store day within the action's caps; a second check-in earns nothing and says repeat",
			Reply:   StoreCheckIn{}, handle: func(ctx context.Context, r *request) (any, error) {
				e, err := a.tiers().CheckIn(ctx, r.customerID)
				if err != nil {
					return nil, err
				}
				m, err := a.tiers().Membership(ctx, r.customerID)
				return StoreCheckIn{Earned: e, Membership: m}, err
			}},
	}
}
