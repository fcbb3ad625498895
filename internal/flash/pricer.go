package flash

import (
	"context"
	"fmt"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/order/price"
)

// Pricer prices a SKU in a running flash sale at its flash price and
// everything else through Next (the promotions engine). A flash line takes
// no other promotion or coupon: 秒杀 is the deal. Sold out and over the
// limit are refused here, from memory, before any database work.
type Pricer struct {
	Flash *Service
	Next  price.Pricer
}

// Price implements price.Pricer.
func (p Pricer) Price(ctx context.Context, r price.Request) (price.Priced, error) {
	if err := price.CheckLines(r.Lines); err != nil {
		return price.Priced{}, err
	}
	ids := make([]int64, len(r.Lines))
	for i, l := range r.Lines {
		ids[i] = l.SKUID
	}
	items, err := p.Flash.items(ctx, ids)
	if err != nil {
		return price.Priced{}, err
	}
	flashAt := make(map[int]live)
	for i, l := range r.Lines {
		for _, it := range items[l.SKUID] {
			if it.on(r.At) {
				flashAt[i] = it
				break
			}
		}
	}
	if len(flashAt) == 0 {
		return p.Next.Price(ctx, r)
	}
	for i, it := range flashAt {
		field := fmt.Sprintf("lines[%d]", i)
		if r.CustomerID <= 0 {
			return price.Priced{}, apperr.Field(field+".sku_id", "%s is a flash-sale item: sign in to buy it", it.Sale)
		}
		if p.Flash.gate.isSoldOut(it.ItemID) {
			return price.Priced{}, fmt.Errorf("%s: %w", it.Sale, ErrSoldOut)
		}
		if p.Flash.gate.isLimited(it.ItemID, r.CustomerID) {
			return price.Priced{}, fmt.Errorf("%s: at most %d per customer: %w", it.Sale, it.Limit, ErrLimit)
		}
		if q := r.Lines[i].Quantity; q > it.Limit {
			return price.Priced{}, apperr.Field(field+".quantity", "the flash sale %s allows %d per customer, not %d", it.Sale, it.Limit, q)
		}
	}
	// Flash lines at list price first, for their titles, codes and costs.
	var flashLines, rest []price.Line
	for i, l := range r.Lines {
		if _, ok := flashAt[i]; ok {
			flashLines = append(flashLines, l)
		} else {
			rest = append(rest, l)
		}
	}
	listed, err := price.List(ctx, p.Flash.DB, flashLines)
	if err != nil {
		return price.Priced{}, err
	}
	out := price.Priced{Currency: listed.Currency, Explanation: []string{}, Applied: []price.Applied{}}
	if len(rest) > 0 {
		nr := r
		nr.Lines = rest
		if out, err = p.Next.Price(ctx, nr); err != nil {
			return price.Priced{}, err
		}
		if out.Currency != listed.Currency {
			return price.Priced{}, apperr.Field("lines", "the flash-sale items are priced in %s and the others in %s; buy them in separate orders", listed.Currency, out.Currency)
		}
	} else if len(r.Coupons) > 0 {
		return price.Priced{}, apperr.Field("coupons", "flash-sale items take no coupons")
	} else if r.Points > 0 {
		return price.Priced{}, apperr.Field("points", "flash-sale items take no points")
	}
	byLine := map[int64]price.LinePrice{}
	for _, lp := range listed.Lines {
		it := items[lp.SKUID]
		var fl live
		for _, x := range it {
			if x.on(r.At) {
				fl = x
				break
			}
		}
		off := (lp.ListPrice - fl.FlashPrice) * lp.Quantity
		lp.UnitPrice, lp.Discount, lp.Total = fl.FlashPrice, off, fl.FlashPrice*lp.Quantity
		lp.FlashItemID = fl.ItemID
		lp.Explanation = []string{fmt.Sprintf("秒杀 %s: %s", fl.Sale, yuan(fl.FlashPrice))}
		byLine[lp.SKUID] = lp
		out.ItemsTotal += lp.ListPrice * lp.Quantity
		out.Discount += off
		out.CostTotal += lp.UnitCost * lp.Quantity
		out.Applied = append(out.Applied, price.Applied{Kind: "flash_sale", PromotionID: fl.SaleID, Name: fl.Sale, Off: off})
		out.Explanation = append(out.Explanation, fmt.Sprintf("秒杀 %s: %s × %d", fl.Sale, yuan(fl.FlashPrice), lp.Quantity))
	}
	// Flash lines first, in the buyer's order, then the engine's (its
	// gifts last).
	lines := make([]price.LinePrice, 0, len(r.Lines)+len(out.Lines))
	for i, l := range r.Lines {
		if _, ok := flashAt[i]; ok {
			lines = append(lines, byLine[l.SKUID])
		}
	}
	lines = append(lines, out.Lines...)
	out.Lines = lines
	out.Total = out.ItemsTotal - out.Discount
	return out, nil
}
