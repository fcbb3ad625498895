// Package purchase says in SQL which orders are purchases in the figures
// and what they are worth, so that every indicator counts a presale (预售)
// the same way (docs/METRICS.md, "Presale orders").
//
// A presale purchase is two orders: the deposit (定金, presale_role
// 'deposit') and the tail (尾款, 'tail'). As on Tmall (预售订单在尾款支付后
// 计入成交) it is one purchase, counted when the tail is paid, at the
// goods' value: the tail's total plus the deposit paid for it
// (orders.deposit_total). A deposit is never a purchase by itself; a
// forfeited deposit is not GMV.
//
// Each function takes the alias the query gives the table.
package purchase

// Is is true for an order that counts as a purchase (orders, buyers,
// units, first purchase, frequency…): every paid order but a deposit.
func Is(o string) string {
	return "(" + o + ".presale_role <> 'deposit')"
}

// Value is a purchase's value (GMV, monetary before refunds): its total,
// plus the deposit on a tail order.
func Value(o string) string {
	return "(" + o + ".total + " + o + ".deposit_total)"
}

// Net is a purchase's value less what was refunded of it: the order's own
// refunds and, on a tail order, its deposit's refunds (the deposit's
// refunds count once the tail is paid, and a tail is paid whenever this
// is read for a purchase). The deposit is read only for tail orders.
func Net(o string) string {
	return "(" + o + ".total + " + o + ".deposit_total - " + o + ".refunded_total - CASE WHEN " + o + ".presale_role = 'tail' THEN " +
		"COALESCE((SELECT pdo.refunded_total FROM presale_deposits pdd JOIN orders pdo ON pdo.id = pdd.deposit_order_id " +
		"WHERE pdd.tail_order_id = " + o + ".id), 0) ELSE 0 END)"
}

// Refund is true for a refund that reduces net sales: every refund but
// one of a deposit whose tail was never paid (that deposit was never in
// the figures). r is the refunds alias.
func Refund(r string) string {
	return "(NOT EXISTS (SELECT 1 FROM presale_deposits pdr LEFT JOIN orders pdt ON pdt.id = pdr.tail_order_id " +
		"WHERE pdr.deposit_order_id = " + r + ".order_id AND pdt.paid_day IS NULL))"
}
