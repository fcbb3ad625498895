package presale_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/audience"
	"github.com/storeops/storeops/internal/clv"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/event"
	"github.com/storeops/storeops/internal/event/eventtest"
	"github.com/storeops/storeops/internal/metric"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/presale"
	"github.com/storeops/storeops/internal/rfm"
)

// TestPresale_FiguresCountOnePurchase puts presale purchases in every state
// next to ordinary orders and checks the figures against what the test
// works out itself under docs/METRICS.md's rule (预售订单在尾款支付后计入成交):
// a deposit is no purchase; a paid tail is one, worth tail + deposit; a
// deposit's refund counts only once its tail was paid. The rollups,
// refreshed as the story goes and rebuilt at the end, agree with the raw
// definition.
func TestPresale_FiguresCountOnePurchase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		f.orders.Hooks = append(f.orders.Hooks, event.PurchaseRecorder{})
		sales := &metric.Rollup{DB: d, Now: f.clock.Now}
		ind := &metric.IndicatorRollup{DB: d, Now: f.clock.Now}
		refresh := func() {
			t.Helper()
			if _, err := sales.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := ind.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
		}
		psSKU := f.sku("PS-F", 149900, 100)
		plainSKU := f.sku("PLAIN-F", 5900, 100)
		p := f.presale(psSKU, 20, false)
		refSKU := f.sku("PS-R", 149900, 100)
		pr := f.presale(refSKU, 10, true)
		cs := f.customers(7)
		a, b, c, dd, e, fp, g := cs[0], cs[1], cs[2], cs[3], cs[4], cs[5], cs[6]

		// What the test expects, worked out from the orders it places.
		type buy struct {
			customer, day, value, units int64
			product, sales              int64 // the product's line total (+ deposit)
		}
		var buys []buy
		var countedRefunds int64
		productOf := func(sku int64) int64 {
			var id int64
			if err := d.QueryRow(ctx, `SELECT product_id FROM skus WHERE id = $1`, sku).Scan(&id); err != nil {
				t.Fatal(err)
			}
			return id
		}
		psProduct, plainProduct := productOf(psSKU), productOf(plainSKU)
		ordinary := func(cust, qty int64) order.Order {
			t.Helper()
			o, err := f.orders.Checkout(buyerCtx(cust), order.CheckoutInput{CustomerID: cust, ShipTo: home,
				Lines: []price.Line{{SKUID: plainSKU, Quantity: qty}}})
			if err != nil {
				t.Fatal(err)
			}
			f.pay(cust, o.ID)
			o = f.order(o.ID)
			buys = append(buys, buy{cust, o.PaidDay, o.Total, qty, plainProduct, o.Lines[0].LineTotal})
			return o
		}

		// Deposit window (20 Oct): ordinary orders of a and d; deposits of
		// c, d, e paid, f's left unpaid, g's in a refundable presale.
		ordinary(a, 1)
		ordinary(dd, 2)
		depC, doC := f.deposit(p, c, 1)
		f.pay(c, doC.ID)
		depD, doD := f.deposit(p, dd, 2)
		f.pay(dd, doD.ID)
		depE, doE := f.deposit(p, e, 1)
		f.pay(e, doE.ID)
		f.deposit(p, fp, 1)
		_, doG := f.deposit(pr, g, 1)
		f.pay(g, doG.ID)
		refresh()

		// Tail window (1 Nov): d and e pay their tails; b buys as usual.
		f.clock.Set(tailStart.Add(time.Hour))
		tail := func(dep presale.Deposit, do order.Order, cust int64) order.Order {
			t.Helper()
			_, to, err := f.ps.PayTail(buyerCtx(cust), cust, dep.ID, presale.TailInput{})
			if err != nil {
				t.Fatal(err)
			}
			f.pay(cust, to.ID)
			to = f.order(to.ID)
			var line int64
			for _, l := range to.Lines {
				if l.SKUID == psSKU {
					line += l.LineTotal
				}
			}
			buys = append(buys, buy{cust, to.PaidDay, to.Total + do.Total, dep.Quantity, psProduct, line + do.Total})
			return to
		}
		tail(depD, doD, dd)
		toE := tail(depE, doE, e)
		ordinary(b, 3)
		refresh()

		// e calls it off: the tail is refunded, the sweep refunds the
		// deposit; both count, the purchase having been counted.
		f.clock.Add(time.Hour)
		if _, err := f.orders.Cancel(opCtx(), toE.ID, "changed their mind"); err != nil {
			t.Fatal(err)
		}
		if r := f.sweep(); r.Refunded != 1 {
			t.Fatalf("sweep: %+v", r)
		}
		countedRefunds += toE.Total + doE.Total
		refresh()

		// After the tail window: c's deposit is forfeited (then given back
		// as goodwill), g's refundable one refunded; neither is in a figure.
		f.clock.Set(tailEnd.Add(time.Hour))
		if r := f.sweep(); r.Forfeited != 1 || r.Refunded != 1 {
			t.Fatalf("sweep after the tail window: %+v", r)
		}
		if got, _ := f.ps.DepositFor(ctx, c, depC.ID); got.Status != presale.DepositForfeited {
			t.Fatalf("c's deposit: %s", got.Status)
		}
		if _, err := f.orders.Cancel(opCtx(), doC.ID, "goodwill"); err != nil {
			t.Fatal(err)
		}
		if o := f.order(doC.ID); o.RefundedTotal != doC.Total {
			t.Fatalf("goodwill refund: %d", o.RefundedTotal)
		}
		refresh()

		// The independent computation.
		const from, to = 20261001, 20261130
		var want metric.Summary
		want.From, want.To = from, to
		buyers := map[int64]bool{}
		firstDay := map[int64]int64{}
		type cust struct{ freq, monetary int64 }
		perCustomer := map[int64]*cust{}
		perDay := map[int64][2]int64{} // orders, GMV
		var units [2]int64             // presale product, plain product
		var psSales int64
		for _, x := range buys {
			want.PaidOrders++
			want.GMV += x.value
			buyers[x.customer] = true
			if firstDay[x.customer] == 0 || x.day < firstDay[x.customer] {
				firstDay[x.customer] = x.day
			}
			if perCustomer[x.customer] == nil {
				perCustomer[x.customer] = &cust{}
			}
			perCustomer[x.customer].freq++
			perCustomer[x.customer].monetary += x.value
			pd := perDay[x.day]
			perDay[x.day] = [2]int64{pd[0] + 1, pd[1] + x.value}
			if x.product == psProduct {
				units[0] += x.units
				psSales += x.sales
			} else {
				units[1] += x.units
			}
		}
		perCustomer[e].monetary -= toE.Total + doE.Total
		want.Buyers = int64(len(buyers))
		want.NewCustomers = int64(len(firstDay))
		want.Refunds = countedRefunds
		want.NetSales = want.GMV - want.Refunds
		if want.PaidOrders != 5 || want.Buyers != 4 {
			t.Fatalf("the story: %d purchases by %d buyers, want 5 by 4", want.PaidOrders, want.Buyers)
		}
		wantAOV := (want.GMV + want.PaidOrders/2) / want.PaidOrders

		raw, err := metric.SummarizeRaw(ctx, d, from, to)
		if err != nil {
			t.Fatal(err)
		}
		if raw.PaidOrders != want.PaidOrders || raw.GMV != want.GMV || raw.Buyers != want.Buyers || raw.NewCustomers != want.NewCustomers ||
			raw.Refunds != want.Refunds || raw.NetSales != want.NetSales || raw.AOV != wantAOV {
			t.Errorf("raw figures %+v\nwant orders %d GMV %d buyers %d new %d refunds %d net %d AOV %d", raw, want.PaidOrders, want.GMV,
				want.Buyers, want.NewCustomers, want.Refunds, want.NetSales, wantAOV)
		}
		daily, err := metric.DailyRaw(ctx, d, from, to)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range daily {
			if w := perDay[x.Day]; x.PaidOrders != w[0] || x.GMV != w[1] {
				t.Errorf("day %d: %d orders, GMV %d; want %d, %d", x.Day, x.PaidOrders, x.GMV, w[0], w[1])
			}
		}

		// Repurchase and LTV: d bought twice (an ordinary order, a presale).
		ret, err := metric.RetentionOf(ctx, d, from, to)
		if err != nil {
			t.Fatal(err)
		}
		var net int64
		for _, w := range perCustomer {
			net += w.monetary
		}
		if ret.Customers != want.Buyers || ret.Repeaters != 1 || ret.LTV != (net+want.Buyers/2)/want.Buyers {
			t.Errorf("retention %+v; want %d customers, 1 repeater, LTV %d", ret, want.Buyers, (net+want.Buyers/2)/want.Buyers)
		}

		// first_paid_day: the first purchase, never a deposit.
		for _, id := range cs {
			var day *int64
			if err := d.QueryRow(ctx, `SELECT first_paid_day FROM customers WHERE id = $1`, id).Scan(&day); err != nil {
				t.Fatal(err)
			}
			got := int64(0)
			if day != nil {
				got = *day
			}
			if got != firstDay[id] {
				t.Errorf("customer %d: first_paid_day %d, want %d", id, got, firstDay[id])
			}
		}
		if n, err := customer.FirstPaidMismatches(ctx, d); err != nil || n != 0 {
			t.Errorf("%d first_paid_day mismatches, %v", n, err)
		}

		// RFM frequency and monetary; CLV's transactions.
		agg, _, err := rfm.Aggregate(ctx, d, 0, tailEnd.Add(2*time.Hour).UnixMilli())
		if err != nil {
			t.Fatal(err)
		}
		if len(agg) != len(perCustomer) {
			t.Errorf("RFM scored %d customers, want %d: %+v", len(agg), len(perCustomer), agg)
		}
		for _, x := range agg {
			w := perCustomer[x.ID]
			if w == nil || x.Frequency != w.freq || x.Monetary != w.monetary {
				t.Errorf("RFM customer %d: F %d M %d, want %+v", x.ID, x.Frequency, x.Monetary, w)
			}
		}
		ps, err := clv.LoadPurchases(ctx, d, to)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != len(perCustomer) {
			t.Errorf("CLV read %d customers, want %d", len(ps), len(perCustomer))
		}
		for _, x := range ps {
			w := perCustomer[x.CustomerID]
			var net int64
			for _, n := range x.Net {
				net += n
			}
			// Every customer here buys at most once a day.
			if w == nil || int64(len(x.Days)) != w.freq || net != w.monetary {
				t.Errorf("CLV customer %d: %d transactions, net %d; want %+v", x.CustomerID, len(x.Days), net, w)
			}
		}

		// Conversion's purchase events: one per purchase.
		var events int64
		eventtest.Copy(t, d)
		if err := d.QueryRow(ctx, `SELECT COUNT(*) FROM stored_events WHERE type = 'purchase'`).Scan(&events); err != nil {
			t.Fatal(err)
		}
		if events != want.PaidOrders {
			t.Errorf("%d purchase events, want %d", events, want.PaidOrders)
		}

		// The segment rules' per-customer facts (orders, spend).
		if err := audience.Refresh(ctx, d, true); err != nil {
			t.Fatal(err)
		}
		rows, err := d.Query(ctx, `SELECT customer_id, orders, spend FROM audience_facts`)
		if err != nil {
			t.Fatal(err)
		}
		facts := 0
		for rows.Next() {
			var id, n, spend int64
			if err := rows.Scan(&id, &n, &spend); err != nil {
				t.Fatal(err)
			}
			facts++
			if w := perCustomer[id]; w == nil || n != w.freq || spend != w.monetary {
				t.Errorf("segment facts of customer %d: %d orders, spend %d; want %+v", id, n, spend, w)
			}
		}
		rows.Close()
		if facts != len(perCustomer) {
			t.Errorf("segment facts of %d customers, want %d", facts, len(perCustomer))
		}

		// The rollups, refreshed along the way, agree with the raw figures
		// and with a rebuild; so do the products' units and sales.
		check := func(stage string) {
			t.Helper()
			got, err := metric.Summarize(ctx, d, from, to)
			if err != nil {
				t.Fatal(err)
			}
			if got != raw {
				t.Errorf("%s: rollup %+v\nraw %+v", stage, got, raw)
			}
			rolled, err := metric.Daily(ctx, d, from, to)
			if err != nil {
				t.Fatal(err)
			}
			for i := range daily {
				if rolled[i] != daily[i] {
					t.Errorf("%s day %d: rollup %+v raw %+v", stage, daily[i].Day, rolled[i], daily[i])
				}
			}
			chans, err := metric.ChannelGroups(ctx, d, from, to, 0)
			if err != nil {
				t.Fatal(err)
			}
			var chOrders, chGMV, chRefunds int64
			for _, g := range chans {
				chOrders, chGMV, chRefunds = chOrders+g.PaidOrders, chGMV+g.GMV, chRefunds+g.Refunds
			}
			if chOrders != want.PaidOrders || chGMV != want.GMV || chRefunds != want.Refunds {
				t.Errorf("%s: channels' orders %d GMV %d refunds %d; want %d, %d, %d", stage, chOrders, chGMV, chRefunds,
					want.PaidOrders, want.GMV, want.Refunds)
			}
			groups, err := metric.ProductGroups(ctx, d, from, to, metric.ByProduct, 10)
			if err != nil {
				t.Fatal(err)
			}
			byKey := map[string]metric.Group{}
			for _, g := range groups {
				byKey[g.Key] = g
			}
			gp, gl := byKey[strconv.FormatInt(psProduct, 10)], byKey[strconv.FormatInt(plainProduct, 10)]
			if gp.PaidOrders != 2 || gp.Units != units[0] || gp.Sales != psSales || gl.Units != units[1] {
				t.Errorf("%s: presale product %d orders, %d units, sales %d; plain %d units; want 2, %d, %d; %d",
					stage, gp.PaidOrders, gp.Units, gp.Sales, gl.Units, units[0], psSales, units[1])
			}
		}
		check("refreshed")
		if err := sales.Rebuild(ctx); err != nil {
			t.Fatal(err)
		}
		if err := ind.Rebuild(ctx); err != nil {
			t.Fatal(err)
		}
		check("rebuilt")
	})
}
