package promo

import (
	"fmt"

	"github.com/storeops/storeops/internal/order/price"
)

// ToPriced lays r over list, what a list pricer answered for the same
// lines (titles, codes, costs, currency), so that the engine can stand
// behind price.Pricer: discounts, totals and explanations come from r, the
// rest from list. Gift lines are appended at price 0 with their SKU and
// product only; the caller fills in what the catalog says about them.
func ToPriced(list price.Priced, r Result) (price.Priced, error) {
	byID := make(map[int64]LineResult, len(r.Lines))
	for _, l := range r.Lines {
		if !l.Gift {
			byID[l.SKUID] = l
		}
	}
	if len(byID) != len(list.Lines) {
		return price.Priced{}, fmt.Errorf("promo: priced %d lines, the list has %d", len(byID), len(list.Lines))
	}
	out := list
	out.Lines = make([]price.LinePrice, 0, len(r.Lines))
	out.ItemsTotal, out.Discount, out.CostTotal = 0, 0, 0
	for _, lp := range list.Lines {
		l, ok := byID[lp.SKUID]
		if !ok || l.Quantity != lp.Quantity || l.ListPrice != lp.ListPrice {
			return price.Priced{}, fmt.Errorf("promo: SKU %d ×%d at %d is not what was priced", lp.SKUID, lp.Quantity, lp.ListPrice)
		}
		lp.UnitPrice, lp.Discount, lp.Total, lp.Explanation = l.UnitPrice, l.Discount, l.Total, l.Explanation
		out.Lines = append(out.Lines, lp)
		out.ItemsTotal += lp.ListPrice * lp.Quantity
		out.Discount += lp.Discount
		out.CostTotal += lp.UnitCost * lp.Quantity
	}
	for _, l := range r.Lines {
		if l.Gift {
			out.Lines = append(out.Lines, price.LinePrice{SKUID: l.SKUID, ProductID: l.ProductID, Quantity: l.Quantity, Explanation: l.Explanation, Gift: true})
		}
	}
	out.Total = out.ItemsTotal - out.Discount
	out.Explanation = Explain(r)
	return out, nil
}

// Explain is r's story in the order it happened, one sentence a step,
// then what did not apply and why.
func Explain(r Result) []string {
	out := make([]string, 0, len(r.Steps)+len(r.NotApplied))
	for _, s := range r.Steps {
		e := fmt.Sprintf("%d. %s: %s −%s", len(out)+1, s.Stage, s.Name, yuan(s.Off))
		if s.Coupon != "" {
			e = fmt.Sprintf("%d. %s %s: %s −%s", len(out)+1, s.Stage, s.Coupon, s.Name, yuan(s.Off))
		}
		if s.Note != "" {
			e += " (" + s.Note + ")"
		}
		out = append(out, e)
	}
	for _, n := range r.NotApplied {
		name := n.Name
		if n.Coupon != "" {
			name = n.Coupon + " " + name
		}
		out = append(out, "not applied: "+name+": "+n.Reason)
	}
	return out
}
