package api

import (
	"context"
	"net/http"
	"time"

	"github.com/storeops/storeops/internal/flash"
)

// flashRoutes are flash sales (秒杀): operators create and end them; the
// storefront lists what runs and what is coming, with the units left.
// Buying goes through checkout like any order.
func (a *API) flashRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/flash-sales", Perm: permPromotionsRead, Tag: "flash sales",
			Summary: "Flash sales not ended, then the latest ended, with each item's units carved out, sold, paid and left",
			Reply:   FlashSales{}, handle: func(ctx context.Context, r *request) (any, error) {
				s, err := a.flash().List(ctx)
				if s == nil {
					s = []flash.Sale{}
				}
				return FlashSales{Sales: s}, err
			}},
		{Method: "GET", Path: "/flash-sales/{id}", Perm: permPromotionsRead, Tag: "flash sales", Summary: "A flash sale",
			Reply: flash.Sale{}, handle: func(ctx context.Context, r *request) (any, error) {
				id, err := r.id("id")
				if err != nil {
					return nil, err
				}
				return a.flash().Get(ctx, id)
			}},
		{Method: "POST", Path: "/flash-sales", Perm: permPromotionsWrite, Tag: "flash sales",
			Summary: "Create a flash sale; its units are carved out of the SKUs' available stock at once (422 names the item that lacks them)",
			Body:    flash.SaleInput{}, Status: http.StatusCreated, Reply: flash.Sale{}, handle: func(ctx context.Context, r *request) (any, error) {
				var in flash.SaleInput
				if err := decode(r.Request, &in); err != nil {
					return nil, err
				}
				return a.flash().Create(ctx, in)
			}},
		{Method: "POST", Path: "/flash-sales/{id}/end", Perm: permPromotionsWrite, Tag: "flash sales",
			Summary: "End a flash sale now: unsold units go back to their SKUs; units of unpaid orders follow when those close",
			Reply:   flash.Sale{}, handle: func(ctx context.Context, r *request) (any, error) {
				id, err := r.id("id")
				if err != nil {
					return nil, err
				}
				return a.flash().End(ctx, id)
			}},
		{Method: "GET", Path: "/store/flash-sales", Store: true, Guest: true, Tag: "storefront",
			Summary: "Flash sales running now or starting within a day, with the units left",
			Reply:   StoreFlashSales{}, handle: a.storeFlashSales},
	}
}

// FlashSales lists flash sales.
type FlashSales struct {
	Sales []flash.Sale `json:"sales"`
}

// StoreFlashSale is a flash sale as the buyer sees it.
type StoreFlashSale struct {
	ID               int64            `json:"id"`
	Name             string           `json:"name"`
	StartsAt         time.Time        `json:"starts_at"`
	EndsAt           time.Time        `json:"ends_at"`
	Status           flash.Status     `json:"status"`
	PerCustomerLimit int64            `json:"per_customer_limit"`
	PaymentWindow    flash.Duration   `json:"payment_window"`
	Items            []StoreFlashItem `json:"items"`
}

// StoreFlashItem is an item the buyer can buy.
type StoreFlashItem struct {
	SKUID      int64  `json:"sku_id"`
	Title      string `json:"title"`
	ListPrice  int64  `json:"list_price"`
	FlashPrice int64  `json:"flash_price"`
	Left       int64  `json:"left"`
}

// StoreFlashSales lists them.
type StoreFlashSales struct {
	Sales []StoreFlashSale `json:"sales"`
}

func (a *API) storeFlashSales(ctx context.Context, r *request) (any, error) {
	all, err := a.flash().List(ctx)
	if err != nil {
		return nil, err
	}
	out := StoreFlashSales{Sales: []StoreFlashSale{}}
	soon := time.Now().Add(24 * time.Hour)
	for _, s := range all {
		if s.Status == flash.Ended || s.StartsAt.After(soon) {
			continue
		}
		ss := StoreFlashSale{ID: s.ID, Name: s.Name, StartsAt: s.StartsAt, EndsAt: s.EndsAt, Status: s.Status,
			PerCustomerLimit: s.PerCustomerLimit, PaymentWindow: s.PaymentWindow, Items: []StoreFlashItem{}}
		for _, it := range s.Items {
			ss.Items = append(ss.Items, StoreFlashItem{SKUID: it.SKUID, Title: it.Title, ListPrice: it.ListPrice, FlashPrice: it.FlashPrice, Left: it.Left})
		}
		out.Sales = append(out.Sales, ss)
	}
	return out, nil
}

func (a *API) flash() *flash.Service {
	if a.Flash != nil {
		return a.Flash
	}
	return &flash.Service{DB: a.DB, Inventory: a.Inventory}
}
