package api

import (
	"context"
	"time"

	"github.com/storeops/storeops/internal/importer"
)

// Inbound order sync: a marketplace connector pushes orders as they change.
func (a *API) syncRoutes() []Route {
	return []Route{
		{Method: "POST", Path: "/sync/orders", Perm: permOrdersWrite, Tag: "sync",
			Summary: "Upsert a batch of up to 500 orders from a marketplace by (source, external_id): new ones are created, changed ones " +
				"get their status, refunds and tracking updated, a batch sent again changes nothing; each item's result lists its errors " +
				"by field (orders[i].lines[j].quantity). Items with errors are skipped, the others written together.",
			Body: importer.SyncBatch{}, Example: syncExample, Reply: importer.SyncResult{}, handle: a.syncOrders},
	}
}

var syncExample = importer.SyncBatch{Source: "taobao", Orders: []importer.SyncOrder{{
	ExternalID: "2300000000000001", Status: "paid",
	Customer:  importer.SyncCustomer{Ref: "小鱼儿", Name: "王芳", Phone: "13800000001"},
	CreatedAt: time.Date(2026, 6, 18, 12, 15, 0, 0, time.UTC), PaidAt: exampleTime(time.Date(2026, 6, 18, 12, 16, 10, 0, time.UTC)),
	ShippingFee: 1000, Total: exampleInt(10800),
	Lines: []importer.SyncLine{{SKU: "DRESS-01-M", Title: "夏季碎花连衣裙", Quantity: 1, Price: 9900}},
}}}

func exampleTime(t time.Time) *time.Time { return &t }
func exampleInt(n int64) *int64          { return &n }

func (a *API) syncOrders(ctx context.Context, r *request) (any, error) {
	var in importer.SyncBatch
	if err := decode(r.Request, &in); err != nil {
		return nil, err
	}
	return (&importer.Service{DB: a.DB}).Sync(ctx, in)
}
