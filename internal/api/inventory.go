package api

import (
	"context"
	"net/http"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/inventory"
)

func (a *API) inventoryRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/inventory", Perm: permInventoryRead, Tag: "inventory", Summary: "Stock levels per SKU",
			Query: append([]Param{
				{"q", "string", "search SKU codes and product titles"},
				{"low", "integer", "only SKUs with at most this many available (0: sold out)"},
			}, pageParams...),
			Reply: List[inventory.Item]{}, handle: a.listStock},
		{Method: "GET", Path: "/inventory/{sku_id}", Perm: permInventoryRead, Tag: "inventory", Summary: "A SKU's stock level",
			Reply: inventory.Level{}, handle: a.getStock},
		{Method: "POST", Path: "/inventory/{sku_id}/adjustments", Perm: permInventoryWrite, Tag: "inventory",
			Summary: "Change stock: receipt (入库), adjustment, damage (报损), or a stocktake count (盘点)",
			Body:    AdjustmentInput{}, Status: http.StatusCreated, Reply: inventory.Level{}, handle: a.adjustStock},
		{Method: "GET", Path: "/inventory/{sku_id}/movements", Perm: permInventoryRead, Tag: "inventory", Summary: "A SKU's stock ledger, newest first",
			Query: pageParams, Reply: List[inventory.Movement]{}, handle: a.listMovements},
	}
}

// AdjustmentInput changes a SKU's stock. For reason "count" give Counted
// (the units found), for the others Delta.
type AdjustmentInput struct {
	Reason  string `json:"reason" doc:"receipt (delta > 0), adjustment, damage (delta < 0) or count"`
	Delta   int64  `json:"delta" doc:"units added (+) or removed (−); not for count"`
	Counted *int64 `json:"counted" doc:"for count: the units on hand found by the stocktake"`
	Ref     string `json:"ref" doc:"what caused it, e.g. a purchase order number"`
	Note    string `json:"note"`
}

func (a *API) listStock(ctx context.Context, r *request) (any, error) {
	p, err := r.page()
	if err != nil {
		return nil, err
	}
	f := inventory.Filter{Query: r.URL.Query().Get("q"), Request: p}
	if r.URL.Query().Has("low") {
		if f.Threshold, err = r.int64Query("low"); err != nil {
			return nil, err
		}
		f.LowOnly = true
	}
	items, next, err := a.Inventory.List(ctx, f)
	return listOf(items, next), err
}

func (a *API) getStock(ctx context.Context, r *request) (any, error) {
	id, err := r.id("sku_id")
	if err != nil {
		return nil, err
	}
	return a.Inventory.Get(ctx, id)
}

func (a *API) adjustStock(ctx context.Context, r *request) (any, error) {
	id, err := r.id("sku_id")
	if err != nil {
		return nil, err
	}
	var in AdjustmentInput
	if err := decode(r.Request, &in); err != nil {
		return nil, err
	}
	if in.Reason == inventory.ReasonCount {
		if in.Counted == nil {
			return nil, apperr.Field("counted", "a stocktake needs the counted units")
		}
		return a.Inventory.SetCount(ctx, id, *in.Counted, in.Note)
	}
	if in.Counted != nil {
		return nil, apperr.Field("counted", "only a stocktake (reason count) takes counted; use delta")
	}
	return a.Inventory.Adjust(ctx, id, in.Delta, in.Reason, in.Ref, in.Note)
}

func (a *API) listMovements(ctx context.Context, r *request) (any, error) {
	id, err := r.id("sku_id")
	if err != nil {
		return nil, err
	}
	p, err := r.page()
	if err != nil {
		return nil, err
	}
	items, next, err := a.Inventory.Movements(ctx, id, p)
	return listOf(items, next), err
}
