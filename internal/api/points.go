package api

import (
	"context"
	"net/http"

	"github.com/storeops/storeops/internal/points"
)

func (a *API) points() *points.Service { return &points.Service{DB: a.DB} }

// pointsParams page a ledger by movement id.
var pointsParams = []Param{{"before", "integer", "only movements older than this id (the reply's next)"}, {"limit", "integer", "1 to 200, 50 by default"}}

// pointsRoutes: a customer's points for customer service (the customers
// area: adjusting is customer care), the store's points rules (the
// promotions area, like coupons), and the buyer's own points.
func (a *API) pointsRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/customers/{id}/points", Perm: permCustomersRead, Tag: "points",
			Summary: "A customer's points balance and movements (earn, redeem, expire, reverse, adjust), newest first",
			Query:   pointsParams, Reply: points.Account{}, handle: a.customerPoints},
		{Method: "POST", Path: "/customers/{id}/points/adjustments", Perm: permCustomersWrite, Tag: "points",
			Summary: "Give (positive) or take (negative) points by hand with a reason the customer sees; audited. A key makes a retry change the balance once",
			Body:    points.AdjustInput{}, Status: http.StatusCreated, Reply: points.Movement{},
			Example: points.AdjustInput{Points: 500, Reason: "物流延误补偿"},
			handle: byID(func(ctx context.Context, id int64, in points.AdjustInput) (any, error) {
				return a.points().Adjust(ctx, id, in)
			})},
		{Method: "GET", Path: "/points/rules", Perm: permPromotionsRead, Tag: "points",
			Summary: "The store's points rules: earning per ¥1, redemption rate and cap, expiry, and the incentive ladder (bonus for the Nth paid order)",
			Reply:   points.Rules{}, handle: func(ctx context.Context, _ *request) (any, error) { return a.points().Rules(ctx) }},
		{Method: "PUT", Path: "/points/rules", Perm: permPromotionsWrite, Tag: "points", Summary: "Replace the store's points rules; audited",
			Body: points.Rules{}, Reply: points.Rules{}, Example: points.Rules{EarnPerYuan: 1, RedeemPerYuan: 100, MaxShareBP: 5000,
				Ladder: []points.Rung{{OrderNumber: 1, Bonus: 200, Label: "首购激励"}, {OrderNumber: 2, Bonus: 100, Label: "复购奖励"}}},
			handle: func(ctx context.Context, r *request) (any, error) {
				var in points.Rules
				if err := decode(r.Request, &in); err != nil {
					return nil, err
				}
				return a.points().SaveRules(ctx, in)
			}},
		{Method: "GET", Path: "/store/points", Store: true, Tag: "storefront",
			Summary: "My points balance and movements, newest first; pass points in quote and checkout to redeem them",
			Query:   pointsParams, Reply: points.Account{}, handle: func(ctx context.Context, r *request) (any, error) {
				return a.pointsAccount(ctx, r, r.customerID)
			}},
	}
}

func (a *API) customerPoints(ctx context.Context, r *request) (any, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	return a.pointsAccount(ctx, r, id)
}

func (a *API) pointsAccount(ctx context.Context, r *request, customerID int64) (any, error) {
	before, err := r.int64Query("before")
	if err != nil {
		return nil, err
	}
	limit, err := r.int64Query("limit")
	if err != nil {
		return nil, err
	}
	if limit < 0 || limit > 200 {
		return nil, errBadRequest("limit", "limit must be 1 to 200, not %d", limit)
	}
	return a.points().Account(ctx, customerID, before, int(limit))
}
