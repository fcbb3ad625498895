package importer

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/webhook"
)

func ptr[T any](v T) *T { return &v }

var placed = time.Date(2026, 6, 18, 12, 15, 0, 0, time.UTC)

func syncBatch() SyncBatch {
	return SyncBatch{Source: "douyin", Orders: []SyncOrder{
		{ExternalID: "D1001", Status: "paid", Customer: SyncCustomer{Ref: "u88", Name: "小鱼儿", Phone: "13800000001"}, CreatedAt: placed,
			PaidAt: ptr(placed.Add(time.Minute)), ShippingFee: 1000,
			Lines: []SyncLine{{SKU: "DRESS-01-M", Title: "碎花连衣裙", Quantity: 1, Price: 9900}, {Title: "发圈", Quantity: 2, Price: 500, LineTotal: ptr[int64](800)}}},
		{ExternalID: "D1002", Status: "pending_payment", CreatedAt: placed, Lines: []SyncLine{{SKU: "TEE-01", Quantity: 1, Price: 5900}}},
		{ExternalID: "D1003", Status: "sent", CreatedAt: placed, Lines: []SyncLine{{SKU: "TEE-01", Quantity: 0, Price: 5900}}},
	}}
}

type snapshot struct{ orders, lines, customers, refunds, events, products, outbox, maxUpdated int64 }

func snap(t *testing.T, d *db.DB) snapshot {
	t.Helper()
	var s snapshot
	ctx := context.Background()
	for q, dst := range map[string]*int64{
		"SELECT COUNT(*) FROM orders": &s.orders, "SELECT COUNT(*) FROM order_lines": &s.lines, "SELECT COUNT(*) FROM customers": &s.customers,
		"SELECT COUNT(*) FROM refunds": &s.refunds, "SELECT COUNT(*) FROM order_events": &s.events, "SELECT COUNT(*) FROM products": &s.products,
		"SELECT COUNT(*) FROM webhook_events": &s.outbox, "SELECT COALESCE(MAX(updated_at), 0) FROM orders": &s.maxUpdated,
	} {
		if err := d.QueryRow(ctx, q).Scan(dst); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return s
}

func TestSync_CreatesThenAResentBatchChangesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clock := placed.Add(time.Hour)
		s := &Service{DB: d, Now: func() time.Time { return clock }}
		hooks := &webhook.Service{DB: d, AllowPrivate: true}
		if _, err := hooks.CreateEndpoint(ctx, webhook.EndpointInput{URL: "http://127.0.0.1:9/", Events: []string{"order.*"}}); err != nil {
			t.Fatal(err)
		}

		res, err := s.Sync(ctx, syncBatch())
		if err != nil {
			t.Fatal(err)
		}
		if res.Created != 2 || res.Failed != 1 || res.Items[0].Result != SyncCreated || res.Items[2].Result != SyncFailed {
			t.Fatalf("first sync %+v", res)
		}
		fields := map[string]bool{}
		for _, e := range res.Items[2].Errors {
			fields[e.Field] = true
		}
		if !fields["orders[2].status"] || !fields["orders[2].lines[0].quantity"] || len(fields) != 2 {
			t.Errorf("errors of the bad item: %+v", res.Items[2].Errors)
		}
		var status, channel string
		var total, items, discount, ship int64
		var paidDay int64
		var cust string
		err = d.QueryRow(ctx, `SELECT o.status, o.channel, o.total, o.items_total, o.discount_total, o.shipping_fee, o.paid_day, c.external_id
			FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.external_id = 'douyin:D1001'`).
			Scan(&status, &channel, &total, &items, &discount, &ship, &paidDay, &cust)
		if err != nil {
			t.Fatal(err)
		}
		// 99.00 + 2 × 5.00 listed, 8.00 paid for the hair ties, 10.00 shipping.
		if status != "paid" || channel != "douyin" || items != 10900 || discount != 200 || ship != 1000 || total != 11700 || paidDay != 20260618 || cust != "douyin:u88" {
			t.Errorf("order D1001: %s %s items=%d discount=%d ship=%d total=%d paid_day=%d customer=%s", status, channel, items, discount, ship, total, paidDay, cust)
		}
		before := snap(t, d)
		if before.orders != 2 || before.lines != 3 || before.customers != 1 || before.products != 3 || before.outbox != 1 {
			t.Errorf("after the first sync: %+v (want 2 orders, 3 lines, 1 customer, 3 placeholder products, 1 order.paid event)", before)
		}

		clock = clock.Add(time.Hour)
		again, err := s.Sync(ctx, syncBatch())
		if err != nil {
			t.Fatal(err)
		}
		if again.Created != 0 || again.Updated != 0 || again.Unchanged != 2 || again.Failed != 1 || again.Items[0].OrderID != res.Items[0].OrderID {
			t.Fatalf("re-sent batch %+v", again)
		}
		if after := snap(t, d); after != before {
			t.Errorf("a re-sent batch changed the store: %+v → %+v", before, after)
		}
	})
}

func TestSync_AChangedOrderUpdatesStatusAndRefunds(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clock := placed.Add(time.Hour)
		s := &Service{DB: d, Now: func() time.Time { return clock }}
		hooks := &webhook.Service{DB: d, AllowPrivate: true}
		hooks.CreateEndpoint(ctx, webhook.EndpointInput{URL: "http://127.0.0.1:9/", Events: []string{"*"}})
		b := syncBatch()
		b.Orders = b.Orders[:2]
		if _, err := s.Sync(ctx, b); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(24 * time.Hour)
		b.Orders[0].Status, b.Orders[0].Carrier, b.Orders[0].TrackingNo = "shipped", "顺丰速运", "SF123"
		b.Orders[0].RefundedTotal = 800 // the hair ties came back
		b.Orders[1].Status = "closed"
		res, err := s.Sync(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		if res.Updated != 2 || strings.Join(res.Items[0].Changes, ",") != "tracking,status,refunded_total" {
			t.Fatalf("update %+v", res)
		}
		var status, tracking string
		var refunded int64
		var shippedAt *int64
		d.QueryRow(ctx, `SELECT status, tracking_no, refunded_total, shipped_at FROM orders WHERE external_id = 'douyin:D1001'`).Scan(&status, &tracking, &refunded, &shippedAt)
		if status != "shipped" || tracking != "SF123" || refunded != 800 || shippedAt == nil || *shippedAt != clock.UnixMilli() {
			t.Errorf("D1001: %s %s refunded=%d shipped_at=%v", status, tracking, refunded, shippedAt)
		}
		var sum, events int64
		d.QueryRow(ctx, `SELECT COALESCE(SUM(amount), 0) FROM refunds`).Scan(&sum)
		d.QueryRow(ctx, `SELECT COUNT(*) FROM order_events WHERE note = 'synced from douyin'`).Scan(&events)
		if sum != 800 || events != 2 {
			t.Errorf("refunds %d, timeline events %d", sum, events)
		}
		var types []string
		rows, _ := d.Query(ctx, `SELECT type FROM webhook_events ORDER BY id`)
		for rows.Next() {
			var ty string
			rows.Scan(&ty)
			types = append(types, ty)
		}
		rows.Close()
		if got := strings.Join(types, ","); got != "order.paid,order.shipped,order.refunded,order.closed" {
			t.Errorf("webhook events %s", got)
		}

		// A batch from before the change arrives late: refused item by
		// item, nothing moves back.
		late := syncBatch()
		late.Orders = late.Orders[:2]
		late.Orders[0].RefundedTotal = 800
		res, err = s.Sync(ctx, late)
		if err != nil {
			t.Fatal(err)
		}
		if res.Failed != 2 || res.Items[0].Errors[0].Field != "orders[0].status" || !strings.Contains(res.Items[0].Errors[0].Message, "back") {
			t.Errorf("late batch %+v", res)
		}
		late = syncBatch()
		late.Orders = late.Orders[:1]
		late.Orders[0].Status = "shipped"
		res, _ = s.Sync(ctx, late)
		if res.Failed != 1 || res.Items[0].Errors[0].Field != "orders[0].refunded_total" {
			t.Errorf("a smaller refund: %+v", res)
		}
		d.QueryRow(ctx, `SELECT status, refunded_total FROM orders WHERE external_id = 'douyin:D1001'`).Scan(&status, &refunded)
		if status != "shipped" || refunded != 800 {
			t.Errorf("after late batches: %s %d", status, refunded)
		}
	})
}

// A shop imports its Taobao history from a file, then connects the live
// sync: the same orders, one key.
func TestSync_MeetsOrdersImportedFromAFile(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := &Service{DB: d}
		path := writeFile(t, "taobao.csv", gbk(t, taobaoCSV))
		if _, err := s.Import(ctx, Request{Kind: KindOrders, Preset: "taobao", Path: path}, nil); err != nil {
			t.Fatal(err)
		}
		before := snap(t, d)
		res, err := s.Sync(ctx, SyncBatch{Source: "taobao", Orders: []SyncOrder{{ExternalID: "2300000000000003", Status: "delivered",
			Customer: SyncCustomer{Ref: "小鱼儿"}, CreatedAt: time.Date(2024, 3, 10, 1, 30, 0, 0, time.UTC), Lines: []SyncLine{{SKU: "TEE-01", Quantity: 2, Price: 5900}}}}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Updated != 1 || res.Items[0].Changes[0] != "status" {
			t.Fatalf("%+v", res)
		}
		if after := snap(t, d); after.orders != before.orders || after.customers != before.customers || after.lines != before.lines {
			t.Errorf("the sync duplicated imported rows: %+v → %+v", before, after)
		}
	})
}

func TestSync_BatchErrors(t *testing.T) {
	s := &Service{}
	for name, b := range map[string]SyncBatch{
		"source":  {Source: "Tao Bao", Orders: syncBatch().Orders},
		"orders":  {Source: "jd"},
		"too big": {Source: "jd", Orders: make([]SyncOrder, MaxSyncOrders+1)},
	} {
		_, err := s.Sync(context.Background(), b)
		var fe *apperr.FieldError
		if !errors.As(err, &fe) || (fe.Field != "source" && fe.Field != "orders") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestSyncMove(t *testing.T) {
	cases := []struct {
		from, to string
		ok       bool
	}{
		{"pending_payment", "paid", true},
		{"paid", "paid", true},
		{"paid", "completed", true},
		{"shipped", "closed", true},
		{"pending_payment", "cancelled", true},
		{"shipped", "paid", false},
		{"completed", "delivered", false},
		{"closed", "paid", false},
		{"cancelled", "closed", false},
		{"closed", "closed", true},
	}
	for _, c := range cases {
		if err := SyncMove(c.from, c.to); (err == nil) != c.ok {
			t.Errorf("SyncMove(%s, %s) = %v, want ok=%v", c.from, c.to, err, c.ok)
		}
	}
}

func TestCheckSyncOrder_NamesTheField(t *testing.T) {
	good := SyncOrder{ExternalID: "A1", Status: "paid", CreatedAt: placed, Lines: []SyncLine{{SKU: "X", Quantity: 1, Price: 100}}}
	cases := []struct {
		field  string
		modify func(*SyncOrder)
	}{
		{"", func(*SyncOrder) {}},
		{"orders[4].external_id", func(o *SyncOrder) { o.ExternalID = " " }},
		{"orders[4].status", func(o *SyncOrder) { o.Status = "PAID" }},
		{"orders[4].created_at", func(o *SyncOrder) { o.CreatedAt = time.Time{} }},
		{"orders[4].created_at", func(o *SyncOrder) { o.CreatedAt = placed.Add(72 * time.Hour) }},
		{"orders[4].paid_at", func(o *SyncOrder) { o.PaidAt = ptr(placed.Add(-time.Hour)) }},
		{"orders[4].currency", func(o *SyncOrder) { o.Currency = "rmb" }},
		{"orders[4].lines", func(o *SyncOrder) { o.Lines = nil }},
		{"orders[4].lines[0].sku", func(o *SyncOrder) { o.Lines[0].SKU = "" }},
		{"orders[4].lines[0].price", func(o *SyncOrder) { o.Lines[0].Price = -1 }},
		{"orders[4].lines[0].line_total", func(o *SyncOrder) { o.Lines[0].LineTotal = ptr[int64](101) }},
		{"orders[4].refunded_total", func(o *SyncOrder) { o.RefundedTotal = 101 }},
		{"orders[4].shipping_fee", func(o *SyncOrder) { o.ShippingFee = -5 }},
		{"orders[4].customer.name", func(o *SyncOrder) { o.Customer.Name = "a\x00b" }},
	}
	for _, c := range cases {
		o := good
		o.Lines = append([]SyncLine(nil), good.Lines...)
		c.modify(&o)
		errs := CheckSyncOrder(o, 4, placed)
		if c.field == "" {
			if len(errs) != 0 {
				t.Errorf("a good order: %+v", errs)
			}
			continue
		}
		if len(errs) != 1 || errs[0].Field != c.field {
			t.Errorf("want one error on %s, got %+v", c.field, errs)
		}
	}
}

// Two connectors push the same new orders at the same moment: each order,
// customer and placeholder product is written once, and both answers say
// so without an error.
func TestSync_ConcurrentBatchesWriteEachOrderOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := &Service{DB: d, Now: func() time.Time { return placed.Add(time.Hour) }}
		b := syncBatch()
		b.Orders = b.Orders[:2]
		var wg sync.WaitGroup
		results := make([]SyncResult, 4)
		errs := make([]error, 4)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = s.Sync(context.Background(), b)
			}()
		}
		wg.Wait()
		created := 0
		for i, r := range results {
			if errs[i] != nil || r.Failed != 0 || r.Created+r.Unchanged != 2 {
				t.Errorf("sync %d: %+v %v", i, r, errs[i])
			}
			created += r.Created
		}
		got := snap(t, d)
		if created != 2 || got.orders != 2 || got.customers != 1 || got.products != 3 || got.lines != 3 {
			t.Errorf("created %d in all; store %+v", created, got)
		}
	})
}
