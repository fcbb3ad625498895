package demo

import (
	"fmt"
	"math"
	"time"
)

const (
	freeShippingFrom = 9900 // 满99包邮
	shippingFee      = 1000
	never            = math.MaxInt64
)

type orderLine struct {
	sku      *sku
	qty      int64
	gross    int64 // list price × quantity
	discount int64
	refunded int64 // units
	// flashItem is 1 + the index of the past flash sale's item the line
	// was sold from at its flash price (0: an ordinary line).
	flashItem int
}

func (l *orderLine) total() int64 { return l.gross - l.discount }

// unitPrice is what the line's unit sold at: the list price, or the flash
// price of a flash line (the order service records the same).
func (l *orderLine) unitPrice() int64 {
	if l.flashItem > 0 {
		return l.total() / l.qty
	}
	return l.sku.price
}

// refundOf is what k refunded units of l are worth: the line's paid total
// prorated, and exact when the whole line goes back.
func (l *orderLine) refundOf(k int64) int64 {
	if k >= l.qty {
		return l.total()
	}
	return l.total() * k / l.qty
}

// refund kinds (售后).
const (
	refundNone        = iota
	refundBeforeShip  // 仅退款 before shipping: everything back, goods never left
	refundReturn      // 退货退款: goods come back to the warehouse
	refundQualityOnly // 仅退款 for a damaged or missing item: nothing comes back
)

var (
	beforeShipReasons = []string{"不想要了", "拍错了/多拍了", "地址填写错误", "发货太慢"}
	returnReasons     = []string{"不喜欢/不想要了", "与描述不符", "七天无理由退货"}
	qualityReasons    = []string{"质量问题", "商品破损", "少件/漏发"}
)

// basket fills an order's lines: mostly from the customer's favourite
// department, distinct SKUs, mostly one of each.
func (h *history) basket(b *buyer) []orderLine {
	r := h.r
	n := min(1+poissonRand(r, 0.55*b.basket), 4)
	lines := h.lines[:0]
	for tries := 0; len(lines) < n && tries < 12; tries++ {
		var j int
		if r.Float64() < 0.55 && !h.byTop[b.fav].empty() {
			j = h.byTop[b.fav].pick(r)
		} else {
			j = h.all.pick(r)
		}
		s := h.cat.skus[j]
		dup := false
		for _, l := range lines {
			if l.sku == s {
				dup = true
			}
		}
		if dup {
			continue
		}
		qty := int64(1)
		x := r.Float64()
		if s.product.role == traffic {
			// cheap staples go in twos and threes
			switch {
			case x > 0.93:
				qty = 3
			case x > 0.75:
				qty = 2
			}
		} else {
			switch {
			case x > 0.985:
				qty = 3
			case x > 0.91:
				qty = 2
			}
		}
		lines = append(lines, orderLine{sku: s, qty: qty, gross: s.price * qty})
	}
	h.lines = lines
	return lines
}

// discountFor is what promotions take off an order: the day's 满减 when a
// big promotion runs, otherwise a new-customer coupon, the Wednesday member
// day or an ordinary coupon for some.
func (h *history) discountFor(b *buyer, i int, items int64) int64 {
	r := h.r
	in := h.tl.info[i]
	var d int64
	switch {
	case in.promo != nil:
		d = in.promo.discount(items)
	case b.paid == 0 && r.Float64() < 0.35:
		if items >= 5900 {
			d = 1000 // 新人券 满59减10
		}
	case h.tl.dates[i].weekday() == time.Wednesday && b.paid > 0 && r.Float64() < 0.4:
		d = items * 5 / 100 // 周三会员日 95折
	case r.Float64() < 0.12:
		switch {
		case items >= 19900:
			d = 2500
		case items >= 9900:
			d = 1000
		}
	}
	return min(d, items)
}

func (h *history) channelFor(b *buyer, i int) uint8 {
	r := h.r
	if b.paid == 0 {
		return b.channel
	}
	switch x := r.Float64(); {
	case x < 0.4:
		return b.channel
	case x < 0.55 && b.wecom:
		return chCommunity // 私域: brought back by the WeCom group
	}
	return pickChannel(r, channelMix(float64(i)/float64(h.tl.days), h.tl.info[i]))
}

// shipAfter is when the warehouse ships an order paid at t: within a day and
// a half usually, days during a big promotion, and not while couriers stop
// for 春节.
func (h *history) shipAfter(t int64) int64 {
	r, tl := h.r, h.tl
	lag := between(r, 3*hour, 36*hour)
	if tl.infoAt(t).big {
		lag = between(r, 20*hour, 80*hour)
	}
	s := t + lag
	if tl.infoAt(s).shutdown {
		i := tl.dayIndex(s)
		for k := 1; k < 15; k++ {
			if i+k >= len(tl.info) || !tl.info[i+k].shutdown {
				return tl.localClock(i+k, 10, 0) + between(r, 0, 8*hour)
			}
		}
	}
	return s
}

// order writes one order of b placed at instant at on day i, with its lines,
// the movements it causes and any refund it gets.
func (h *history) order(b *buyer, at int64, i int, pay bool) {
	if h.all.empty() {
		return
	}
	r, tl := h.r, h.tl
	lines := h.preset
	if lines == nil {
		lines = h.basket(b)
	}
	var items, cost int64
	gross := make([]int64, len(lines))
	apparel := false
	for k, l := range lines {
		items += l.gross
		cost += l.sku.cost * l.qty
		gross[k] = l.gross
		apparel = apparel || l.sku.apparel
	}
	var discount int64
	if h.preset != nil {
		// A flash line takes its flash price and no other promotion.
		for _, l := range lines {
			discount += l.discount
		}
	} else {
		discount = h.discountFor(b, i, items)
		for k, d := range allocate(discount, gross) {
			lines[k].discount = d
		}
	}
	ship := int64(shippingFee)
	if items-discount >= freeShippingFrom {
		ship = 0
	}
	total := items - discount + ship
	channel := h.channelFor(b, i)

	id := h.ids.next(tOrders)
	h.daySeq++
	no := fmt.Sprintf("SO%d%06d", tl.dates[i].yyyymmdd(), h.daySeq)
	h.sum.Orders++
	h.sum.OrderLines += int64(len(lines))

	paidAt, shippedAt, deliveredAt, completedAt, cancelledAt := int64(never), int64(never), int64(never), int64(never), int64(never)
	status := ""
	if !pay {
		switch x := r.Float64(); {
		case x < 0.35:
			status, cancelledAt = "cancelled", at+between(r, 1*minute, 6*hour) // the buyer cancels
		case x < 0.6:
			status, cancelledAt = "closed", at+30*minute // flash and promotion items close after 30 minutes
		default:
			status, cancelledAt = "closed", at+72*hour // everything else after three days
		}
	} else {
		paidAt = at + 5*second + int64(r.ExpFloat64()*float64(75*second))
		if r.Float64() < 0.06 {
			paidAt += between(r, 3*minute, 40*minute)
		}
		if h.preset != nil {
			paidAt = min(paidAt, at+4*minute) // within the flash sale's 5-minute payment window
		}
		shippedAt = h.shipAfter(paidAt)
		deliveredAt = shippedAt + between(r, 20*hour, 72*hour)
		if b.remote {
			deliveredAt += between(r, 24*hour, 72*hour)
		}
		if r.Float64() < 0.4 {
			completedAt = deliveredAt + between(r, 4*hour, 96*hour) // the buyer confirms receipt
		} else {
			completedAt = deliveredAt + 7*day + between(r, 0, 6*hour) // confirmed automatically
		}
	}

	// 售后: decided now, happens only if its day comes before the cutoff.
	kind, refundAt, reason := refundNone, int64(never), ""
	if pay {
		pA, pB, pC := 0.018, 0.03, 0.01
		if apparel {
			pB *= 1.7 // sizes that don't fit
		} else {
			pB *= 0.6
		}
		if tl.infoAt(paidAt).big {
			pA, pB = pA*1.4, pB*1.3 // impulse buys
		}
		switch x := r.Float64(); {
		case x < pA:
			kind = refundBeforeShip
			refundAt = paidAt + int64(uniform(r, 0.05, 0.9)*float64(shippedAt-paidAt))
			reason = pick(r, beforeShipReasons)
			shippedAt, deliveredAt, completedAt = never, never, never
		case x < pA+pB:
			kind = refundReturn
			refundAt = deliveredAt + between(r, 2*day, 9*day)
			reason = pick(r, returnReasons)
			if apparel && r.Float64() < 0.6 {
				reason = "尺码不合适"
			}
		case x < pA+pB+pC:
			kind = refundQualityOnly
			refundAt = deliveredAt + between(r, 12*hour, 5*day)
			reason = pick(r, qualityReasons)
		}
	}
	var refund int64
	if kind != refundNone && refundAt < tl.cutoff && paidAt < tl.cutoff {
		switch kind {
		case refundBeforeShip:
			for k := range lines {
				lines[k].refunded = lines[k].qty
			}
			refund = total
		case refundReturn:
			all := r.Float64() < 0.3
			one := r.IntN(len(lines))
			for k := range lines {
				if all || k == one {
					n := lines[k].qty
					if n > 1 && r.Float64() < 0.3 {
						n = 1
					}
					lines[k].refunded = n
					refund += lines[k].refundOf(n)
				}
			}
		case refundQualityOnly:
			k := r.IntN(len(lines))
			lines[k].refunded = 1
			refund = lines[k].refundOf(1)
		}
		if refund == 0 {
			kind = refundNone
			for k := range lines {
				lines[k].refunded = 0
			}
		}
	} else {
		kind = refundNone
	}

	reached := func(t int64) bool { return t < tl.cutoff }
	updated := at
	switch {
	case !pay && !reached(cancelledAt), pay && !reached(paidAt):
		status = "pending_payment"
		paidAt, shippedAt, deliveredAt, completedAt, cancelledAt = never, never, never, never, never
		for _, l := range lines {
			l.sku.reserved += l.qty // held until the buyer pays or the order times out
		}
	case !pay:
		updated = cancelledAt
	default:
		updated = paidAt
		status = "paid"
		for _, t := range []int64{shippedAt, deliveredAt, completedAt} {
			if reached(t) {
				updated = t
			}
		}
		switch {
		case kind == refundBeforeShip:
			status, cancelledAt = "closed", refundAt // 交易关闭: refunded in full before shipping
		case reached(completedAt):
			status = "completed"
		case reached(deliveredAt):
			status = "delivered"
		case reached(shippedAt):
			status = "shipped"
		}
		if kind != refundNone {
			updated = max(updated, refundAt)
		}
	}
	opt := func(t int64) any {
		if t == never || !reached(t) {
			return nil
		}
		return t
	}
	var paidDay any
	if opt(paidAt) != nil {
		paidDay = tl.localDay(paidAt)
		h.sum.GMV += total
		b.paid++
	}
	h.emit(tOrders, id, no, b.id, channels[channel], status, "CNY", items, discount, ship, total, refund, cost,
		at, opt(paidAt), paidDay, opt(shippedAt), opt(deliveredAt), opt(completedAt), opt(cancelledAt), updated)
	for _, l := range lines {
		s := l.sku
		lineID := h.ids.next(tLines)
		h.emit(tLines, lineID, id, s.id, s.product.id, s.product.seed.title, l.qty, s.price, l.unitPrice(),
			l.discount, l.total(), s.cost, l.refunded)
		if l.flashItem > 0 {
			h.flash.sold(l.flashItem-1, lineID, b.id, l.qty, paidDay != nil)
		}
		if paidDay != nil {
			h.led.schedule(move{at: paidAt, sku: int32(s.index), delta: -l.qty, reason: reasonSale, ref: no})
		}
		if (kind == refundBeforeShip || kind == refundReturn) && l.refunded > 0 {
			note := "退货入库：" + reason
			if kind == refundBeforeShip {
				note = "未发货退款，取消出库：" + reason
			}
			h.led.schedule(move{at: refundAt, sku: int32(s.index), delta: l.refunded, reason: reasonReturn, ref: no, note: note})
		}
	}
	if kind != refundNone {
		h.emit(tRefunds, h.ids.next(tRefunds), id, refund, reason, refundAt, tl.localDay(refundAt))
		h.sum.Refunds++
	}
}
