package api

import (
	"context"

	"github.com/storeops/storeops/internal/catalog"
)

// MemberPricesInput replaces a SKU's member prices (会员价).
type MemberPricesInput struct {
	MemberPrices catalog.MemberPrices `json:"member_prices" doc:"tier code → price per unit in 分, at most the list price and above 0 (金卡价 ¥89: {\"gold\": 8900}); {} removes them all"`
}

// memberPriceRoutes: a SKU's price per member tier, which the buyer of
// that tier pays instead of the tier's discount rate.
func (a *API) memberPriceRoutes() []Route {
	return []Route{
		{Method: "PUT", Path: "/skus/{id}/member-prices", Perm: permProductsWrite, Tag: "catalog",
			Summary: "Replace a SKU's member prices (会员价) by tier code; a buyer of that tier pays it instead of the tier discount on the line (422 names the tier whose price is not on the ladder, ≤ 0 or above the list price)",
			Body:    MemberPricesInput{}, Reply: catalog.SKURef{}, Example: MemberPricesInput{MemberPrices: catalog.MemberPrices{"gold": 8900}},
			handle: byID(func(ctx context.Context, id int64, in MemberPricesInput) (any, error) {
				c, err := a.tiers().Config(ctx)
				if err != nil {
					return nil, err
				}
				codes := make([]string, len(c.Levels))
				for i, l := range c.Levels {
					codes[i] = l.Code
				}
				return a.Catalog.SetMemberPrices(ctx, id, in.MemberPrices, codes)
			})},
		{Method: "GET", Path: "/skus/{id}", Perm: permProductsRead, Tag: "catalog",
			Summary: "Get one SKU with its stock, its product's title and its member prices",
			Reply:   catalog.SKURef{}, handle: func(ctx context.Context, r *request) (any, error) {
				id, err := r.id("id")
				if err != nil {
					return nil, err
				}
				return a.Catalog.GetSKU(ctx, id)
			}},
	}
}
