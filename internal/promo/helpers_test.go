package promo_test

import (
	"fmt"

	orderprice "github.com/storeops/storeops/internal/order/price"
)

type pricedList []struct{ sku, listPrice, qty, cost int64 }

// priced is what price.ListPricer would answer for these lines.
func (pl pricedList) priced() orderprice.Priced {
	p := orderprice.Priced{Currency: "CNY", Explanation: []string{}}
	for _, l := range pl {
		p.Lines = append(p.Lines, orderprice.LinePrice{SKUID: l.sku, ProductID: l.sku * 10, Title: fmt.Sprintf("SKU %d", l.sku), Quantity: l.qty,
			ListPrice: l.listPrice, UnitPrice: l.listPrice, Total: l.listPrice * l.qty, UnitCost: l.cost, Explanation: []string{"list price"}})
		p.ItemsTotal += l.listPrice * l.qty
		p.CostTotal += l.cost * l.qty
	}
	p.Total = p.ItemsTotal
	return p
}
