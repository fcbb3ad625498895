package groupbuy_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/groupbuy"
	"github.com/storeops/storeops/internal/inventory"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
)

func TestMain(m *testing.M) {
	auth.UseCheapHashesForTests()
	os.Exit(m.Run())
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type fixture struct {
	t      testing.TB
	d      *db.DB
	clock  *clock
	inv    *inventory.Service
	gb     *groupbuy.Service
	orders *order.Service
}

var start = time.Date(2026, 11, 10, 16, 0, 0, 0, time.UTC)

func opCtx() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{Kind: "operator", ID: 1, Name: "小王"})
}

func buyerCtx(id int64) context.Context {
	return audit.WithActor(context.Background(), audit.Actor{Kind: "customer", ID: id, Name: "buyer"})
}

func newFixture(t testing.TB, d *db.DB) *fixture {
	c := &clock{t: start}
	inv := &inventory.Service{DB: d, Now: c.Now}
	gb := &groupbuy.Service{DB: d, Now: c.Now}
	orders := &order.Service{DB: d, Inventory: inv, Now: c.Now,
		Pricer: groupbuy.Pricer{GroupBuys: gb, Next: price.ListPricer{DB: d}},
		Hooks:  []order.Hook{groupbuy.Hook{GroupBuys: gb}}}
	gb.Orders = orders
	return &fixture{t: t, d: d, clock: c, inv: inv, gb: gb, orders: orders}
}

func (f *fixture) sku(code string, listPrice, stock int64) int64 {
	f.t.Helper()
	cat := &catalog.Service{DB: f.d, Now: f.clock.Now}
	p, err := cat.CreateProduct(opCtx(), catalog.ProductInput{Title: "商品 " + code, Status: catalog.StatusOnSale,
		SKUs: []catalog.SKUInput{{Code: code, Spec: "默认", ListPrice: listPrice, CostPrice: listPrice / 3}}})
	if err != nil {
		f.t.Fatal(err)
	}
	id := p.SKUs[0].ID
	if _, err := f.inv.Adjust(opCtx(), id, stock, inventory.ReasonReceipt, "PO-1", ""); err != nil {
		f.t.Fatal(err)
	}
	return id
}

func (f *fixture) customers(n int) []int64 {
	f.t.Helper()
	cs := &customer.Service{DB: f.d, Now: f.clock.Now}
	out := make([]int64, n)
	for i := range n {
		c, err := cs.Create(opCtx(), customer.Profile{Name: fmt.Sprintf("团员%d", i), Phone: fmt.Sprintf("138%08d", i)})
		if err != nil {
			f.t.Fatal(err)
		}
		out[i] = c.ID
	}
	return out
}

var home = order.ShipTo{Recipient: "李四", Phone: "13800138000", Province: "浙江", City: "杭州", District: "西湖区", Detail: "文三路 1 号"}

func buy(customerID, sku, qty int64) groupbuy.BuyInput {
	return groupbuy.BuyInput{CustomerID: customerID, ShipTo: home, Lines: []price.Line{{SKUID: sku, Quantity: qty}}}
}

func (f *fixture) campaign(sku, groupPrice, leaderPrice, size, limit int64) groupbuy.Campaign {
	f.t.Helper()
	c, err := f.gb.Create(opCtx(), groupbuy.CampaignInput{Name: "三人团 试用装", GroupSize: size, TimeLimit: groupbuy.Duration(24 * time.Hour),
		PerCustomerLimit: limit, StartsAt: start, EndsAt: start.Add(7 * 24 * time.Hour),
		Items: []groupbuy.ItemInput{{SKUID: sku, GroupPrice: groupPrice, LeaderPrice: leaderPrice}}})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *fixture) open(c groupbuy.Campaign, customerID, sku int64) (groupbuy.Group, order.Order) {
	f.t.Helper()
	g, o, err := f.gb.Open(buyerCtx(customerID), c.ID, buy(customerID, sku, 1))
	if err != nil {
		f.t.Fatal(err)
	}
	return g, o
}

func (f *fixture) pay(customerID, orderID int64) {
	f.t.Helper()
	if _, err := f.orders.Pay(buyerCtx(customerID), customerID, orderID, order.PayInput{}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) group(code string) groupbuy.Group {
	f.t.Helper()
	g, err := f.gb.GroupByCode(context.Background(), code)
	if err != nil {
		f.t.Fatal(err)
	}
	return g
}

func (f *fixture) level(sku int64) inventory.Level {
	f.t.Helper()
	l, err := f.inv.Get(context.Background(), sku)
	if err != nil {
		f.t.Fatal(err)
	}
	return l
}

func isField(err error, field string) bool {
	var fe *apperr.FieldError
	return errors.As(err, &fe) && fe.Field == field
}

func TestCreate_RefusesWhatCannotWork(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		sku := f.sku("GB-1", 19900, 50)
		ok := func() groupbuy.CampaignInput {
			return groupbuy.CampaignInput{Name: "拼团", GroupSize: 3, StartsAt: start, EndsAt: start.Add(time.Hour),
				Items: []groupbuy.ItemInput{{SKUID: sku, GroupPrice: 9900}}}
		}
		cases := []struct {
			name  string
			edit  func(*groupbuy.CampaignInput)
			field string
		}{
			{"no name", func(in *groupbuy.CampaignInput) { in.Name = " " }, "name"},
			{"group of one", func(in *groupbuy.CampaignInput) { in.GroupSize = 1 }, "group_size"},
			{"group of 51", func(in *groupbuy.CampaignInput) { in.GroupSize = 51 }, "group_size"},
			{"dates reversed", func(in *groupbuy.CampaignInput) { in.EndsAt = start.Add(-time.Hour) }, "ends_at"},
			{"ended already", func(in *groupbuy.CampaignInput) {
				in.StartsAt, in.EndsAt = start.Add(-2*time.Hour), start.Add(-time.Hour)
			}, "ends_at"},
			{"time limit too short", func(in *groupbuy.CampaignInput) { in.TimeLimit = groupbuy.Duration(time.Minute) }, "time_limit"},
			{"time limit too long", func(in *groupbuy.CampaignInput) { in.TimeLimit = groupbuy.Duration(8 * 24 * time.Hour) }, "time_limit"},
			{"negative limit", func(in *groupbuy.CampaignInput) { in.PerCustomerLimit = -1 }, "per_customer_limit"},
			{"no items", func(in *groupbuy.CampaignInput) { in.Items = nil }, "items"},
			{"unknown SKU", func(in *groupbuy.CampaignInput) { in.Items[0].SKUID = 999999 }, "items[0].sku_id"},
			{"price not below list", func(in *groupbuy.CampaignInput) { in.Items[0].GroupPrice = 19900 }, "items[0].group_price"},
			{"leader above group", func(in *groupbuy.CampaignInput) { in.Items[0].LeaderPrice = 9901 }, "items[0].leader_price"},
			{"SKU twice", func(in *groupbuy.CampaignInput) { in.Items = append(in.Items, in.Items[0]) }, "items[1].sku_id"},
		}
		for _, c := range cases {
			in := ok()
			c.edit(&in)
			if _, err := f.gb.Create(opCtx(), in); !isField(err, c.field) {
				t.Errorf("%s: %v, want a field error on %s", c.name, err, c.field)
			}
		}
		c, err := f.gb.Create(opCtx(), ok())
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != groupbuy.Active || c.PerCustomerLimit != 1 || time.Duration(c.TimeLimit) != 24*time.Hour || len(c.Items) != 1 {
			t.Errorf("defaults: %+v", c)
		}
		if _, err := f.gb.Create(opCtx(), ok()); !isField(err, "items[0].sku_id") {
			t.Errorf("a second campaign of the SKU at the same time: %v", err)
		}
	})
}

// A group of 3: the leader opens at the leader's price, two join at the
// group price; it succeeds at the third payment, not before; its orders
// ship only then; a fourth buyer is refused.
func TestGroup_SucceedsAtNPaidAndShipsOnlyThen(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		sku := f.sku("GB-2", 9900, 20)
		c := f.campaign(sku, 5900, 4900, 3, 1)
		b := f.customers(4)
		g, lo := f.open(c, b[0], sku)
		if lo.Lines[0].UnitPrice != 4900 || g.Status != groupbuy.Forming || g.Joined != 1 || !g.Members[0].Leader || len(g.Code) != 8 {
			t.Fatalf("opened: %+v, order line %+v", g, lo.Lines[0])
		}
		f.pay(b[0], lo.ID)
		var orders []order.Order
		for _, cu := range b[1:3] {
			_, o, err := f.gb.Join(buyerCtx(cu), " "+g.Code[:4]+"-"+g.Code[4:]+" ", buy(cu, sku, 1))
			if err != nil {
				t.Fatal(err)
			}
			if o.Lines[0].UnitPrice != 5900 {
				t.Errorf("joined at %d, want the group price 5900", o.Lines[0].UnitPrice)
			}
			orders = append(orders, o)
		}
		if _, _, err := f.gb.Join(buyerCtx(b[3]), g.Code, buy(b[3], sku, 1)); !errors.Is(err, groupbuy.ErrFull) {
			t.Errorf("a fourth buyer joined a full group: %v", err)
		}
		if _, _, err := f.gb.Join(buyerCtx(b[1]), g.Code, buy(b[1], sku, 1)); !errors.Is(err, apperr.ErrConflict) {
			t.Errorf("a member joined twice: %v", err)
		}
		f.pay(b[1], orders[0].ID)
		if got := f.group(g.Code); got.Status != groupbuy.Forming || got.Paid != 2 {
			t.Fatalf("after 2 of 3 paid: %+v", got)
		}
		if _, err := f.orders.Ship(ctx, lo.ID, order.ShipInput{Carrier: "顺丰速运", TrackingNo: "SF100"}); !errors.Is(err, groupbuy.ErrNotSucceeded) {
			t.Errorf("shipping a forming group's order: %v", err)
		}
		f.pay(b[2], orders[1].ID)
		got := f.group(g.Code)
		if got.Status != groupbuy.Succeeded || got.Paid != 3 || got.ClosedAt == nil {
			t.Fatalf("after 3 of 3 paid: %+v", got)
		}
		if _, err := f.orders.Ship(ctx, lo.ID, order.ShipInput{Carrier: "顺丰速运", TrackingNo: "SF100"}); err != nil {
			t.Errorf("shipping a succeeded group's order: %v", err)
		}
		if _, _, err := f.gb.Join(buyerCtx(b[3]), g.Code, buy(b[3], sku, 1)); !errors.Is(err, groupbuy.ErrGroupClosed) {
			t.Errorf("joining a succeeded group: %v", err)
		}
		// A sweep after the time limit leaves a succeeded group alone.
		f.clock.Add(25 * time.Hour)
		if failed, off, err := f.gb.Sweep(ctx, f.orders); err != nil || failed != 0 || off != 0 {
			t.Errorf("sweep of a succeeded group: %d failed, %d called off, %v", failed, off, err)
		}
	})
}

// 20 buyers race to join (and pay in) a group of 5 whose leader paid:
// exactly 4 get in, the group succeeds with exactly 5 paid members, the
// others are refused as full or closed.
func TestGroup_RaceFillsExactlyN(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		sku := f.sku("GB-RACE", 9900, 100)
		c := f.campaign(sku, 5900, 0, 5, 1)
		b := f.customers(21)
		g, lo := f.open(c, b[0], sku)
		f.pay(b[0], lo.ID)
		var in, refused atomic.Int64
		var wg sync.WaitGroup
		for _, cu := range b[1:] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, o, err := f.gb.Join(buyerCtx(cu), g.Code, buy(cu, sku, 1))
				switch {
				case err == nil:
					in.Add(1)
					if _, err := f.orders.Pay(buyerCtx(cu), cu, o.ID, order.PayInput{}); err != nil {
						t.Error(err)
					}
				case errors.Is(err, groupbuy.ErrFull), errors.Is(err, groupbuy.ErrGroupClosed):
					refused.Add(1)
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if in.Load() != 4 || refused.Load() != 16 {
			t.Fatalf("%d joined, %d refused; want 4 and 16", in.Load(), refused.Load())
		}
		got := f.group(g.Code)
		paid := 0
		for _, m := range got.Members {
			if m.Status == groupbuy.MemberPaid && m.OrderStatus == string(order.Paid) {
				paid++
			}
		}
		if got.Status != groupbuy.Succeeded || got.Paid != 5 || got.Joined != 5 || paid != 5 || len(got.Members) != 5 {
			t.Errorf("group after the race: %+v (%d members paid)", got, paid)
		}
		if l := f.level(sku); l.OnHand != 95 || l.Reserved != 0 {
			t.Errorf("stock after 5 paid: %+v", l)
		}
	})
}

// A group that does not fill in time fails: every paid member is refunded
// in full, the unpaid member's order closes, the goods go back on the
// shelf, and the buyers may buy again.
func TestGroup_FailedRefundsEveryone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		sku := f.sku("GB-FAIL", 9900, 10)
		c := f.campaign(sku, 5900, 4900, 4, 1)
		b := f.customers(3)
		g, lo := f.open(c, b[0], sku)
		f.pay(b[0], lo.ID)
		_, o1, err := f.gb.Join(buyerCtx(b[1]), g.Code, buy(b[1], sku, 1))
		if err != nil {
			t.Fatal(err)
		}
		f.pay(b[1], o1.ID)
		_, o2, err := f.gb.Join(buyerCtx(b[2]), g.Code, buy(b[2], sku, 1))
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Add(23 * time.Hour)
		if failed, off, err := f.gb.Sweep(ctx, f.orders); err != nil || failed != 0 || off != 0 {
			t.Fatalf("sweep inside the time limit: %d %d %v", failed, off, err)
		}
		f.clock.Add(time.Hour)
		failed, off, err := f.gb.Sweep(ctx, f.orders)
		if err != nil || failed != 1 || off != 3 {
			t.Fatalf("sweep after the time limit: %d failed, %d called off, %v; want 1 and 3", failed, off, err)
		}
		for _, id := range []int64{lo.ID, o1.ID} {
			o, err := f.orders.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if o.Status != order.Closed || o.RefundedTotal != o.Total || o.Total == 0 {
				t.Errorf("paid member's order %s: %s, refunded %d of %d", o.No, o.Status, o.RefundedTotal, o.Total)
			}
		}
		if o, _ := f.orders.Get(ctx, o2.ID); o.Status != order.Closed || o.RefundedTotal != 0 {
			t.Errorf("unpaid member's order: %s, refunded %d", o.Status, o.RefundedTotal)
		}
		got := f.group(g.Code)
		if got.Status != groupbuy.Failed || got.ClosedAt == nil {
			t.Errorf("group: %+v", got)
		}
		want := map[int64]string{b[0]: groupbuy.MemberRefunded, b[1]: groupbuy.MemberRefunded, b[2]: groupbuy.MemberLeft}
		for _, m := range got.Members {
			if m.Status != want[m.CustomerID] {
				t.Errorf("member %d is %s, want %s", m.CustomerID, m.Status, want[m.CustomerID])
			}
		}
		if l := f.level(sku); l.OnHand != 10 || l.Reserved != 0 {
			t.Errorf("stock after the refunds: %+v, want all 10 back", l)
		}
		if failed, off, err := f.gb.Sweep(ctx, f.orders); err != nil || failed != 0 || off != 0 {
			t.Errorf("a second sweep: %d %d %v", failed, off, err)
		}
		// The refunded leader's unit of the limit came back.
		if _, _, err := f.gb.Open(buyerCtx(b[0]), c.ID, buy(b[0], sku, 1)); err != nil {
			t.Errorf("the refunded leader opens again: %v", err)
		}
	})
}

// A member whose order closes unpaid gives the slot back to the next
// buyer.
func TestGroup_UnpaidMemberGivesTheSlotBack(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		sku := f.sku("GB-SLOT", 9900, 10)
		c := f.campaign(sku, 5900, 0, 2, 1)
		b := f.customers(3)
		g, lo := f.open(c, b[0], sku)
		_, o1, err := f.gb.Join(buyerCtx(b[1]), g.Code, buy(b[1], sku, 1))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.gb.Join(buyerCtx(b[2]), g.Code, buy(b[2], sku, 1)); !errors.Is(err, groupbuy.ErrFull) {
			t.Fatalf("joining a group whose slots are held: %v", err)
		}
		if err := f.orders.CloseUnpaid(ctx, o1.ID, "unpaid"); err != nil {
			t.Fatal(err)
		}
		if got := f.group(g.Code); got.Joined != 1 || got.OpenSlots != 1 {
			t.Fatalf("after the member's order closed: %+v", got)
		}
		_, o2, err := f.gb.Join(buyerCtx(b[2]), g.Code, buy(b[2], sku, 1))
		if err != nil {
			t.Fatalf("the freed slot: %v", err)
		}
		f.pay(b[0], lo.ID)
		f.pay(b[2], o2.ID)
		if got := f.group(g.Code); got.Status != groupbuy.Succeeded {
			t.Errorf("group: %+v", got)
		}
		mine, err := f.gb.GroupsOf(ctx, b[1])
		if err != nil || len(mine) != 1 || mine[0].Members[0].CustomerID == b[1] && mine[0].Members[0].Status != groupbuy.MemberLeft {
			t.Errorf("the leaver's groups: %+v %v", mine, err)
		}
	})
}

// One buyer opens groups 6 times at once with a limit of 2 units per
// customer: exactly 2 orders are placed.
func TestLimit_HoldsUnderRaces(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		sku := f.sku("GB-LIM", 9900, 50)
		c := f.campaign(sku, 5900, 0, 3, 2)
		cu := f.customers(1)[0]
		var ok, limited atomic.Int64
		var wg sync.WaitGroup
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, err := f.gb.Open(buyerCtx(cu), c.ID, buy(cu, sku, 1))
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, groupbuy.ErrLimit):
					limited.Add(1)
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 2 || limited.Load() != 4 {
			t.Fatalf("%d placed, %d refused; want 2 and 4", ok.Load(), limited.Load())
		}
		if _, _, err := f.gb.Open(buyerCtx(cu), c.ID, buy(cu, sku, 3)); !isField(err, "lines[0].quantity") {
			t.Errorf("3 units with a limit of 2: %v", err)
		}
	})
}

// Bad requests: unknown code, a SKU not in the campaign, a campaign not
// running, more than one line.
func TestOpenJoin_Refusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		sku := f.sku("GB-R", 9900, 10)
		other := f.sku("GB-O", 9900, 10)
		c := f.campaign(sku, 5900, 0, 2, 1)
		cu := f.customers(1)[0]
		if _, _, err := f.gb.Join(buyerCtx(cu), "NOPE2345", buy(cu, sku, 1)); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("unknown code: %v", err)
		}
		if _, _, err := f.gb.Open(buyerCtx(cu), c.ID, buy(cu, other, 1)); !isField(err, "lines[0].sku_id") {
			t.Errorf("a SKU outside the campaign: %v", err)
		}
		two := buy(cu, sku, 1)
		two.Lines = append(two.Lines, price.Line{SKUID: other, Quantity: 1})
		if _, _, err := f.gb.Open(buyerCtx(cu), c.ID, two); !isField(err, "lines") {
			t.Errorf("two lines: %v", err)
		}
		if _, err := f.gb.End(opCtx(), c.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.gb.Open(buyerCtx(cu), c.ID, buy(cu, sku, 1)); !errors.Is(err, groupbuy.ErrNotRunning) {
			t.Errorf("opening in an ended campaign: %v", err)
		}
		// An ordinary checkout of the SKU is priced as before.
		o, err := f.orders.Checkout(buyerCtx(cu), buy(cu, sku, 1))
		if err != nil || o.Lines[0].UnitPrice != 9900 {
			t.Errorf("ordinary checkout: %+v %v", o, err)
		}
		if _, err := f.gb.GroupByOrder(ctx, o.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("an ordinary order's group: %v", err)
		}
		if err := f.gb.Delete(opCtx(), c.ID); err != nil {
			t.Errorf("deleting a campaign without groups: %v", err)
		}
	})
}

// A payment after the time limit does not make the group succeed, even as
// its Nth; the sweep fails the group and refunds that payment too. A paid
// member who cancels while the group forms leaves it and is refunded.
func TestGroup_LatePaymentAndCancelWhileForming(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		sku := f.sku("GB-LATE", 9900, 10)
		c := f.campaign(sku, 5900, 0, 3, 1)
		b := f.customers(4)
		g, lo := f.open(c, b[0], sku)
		f.pay(b[0], lo.ID)
		_, o1, err := f.gb.Join(buyerCtx(b[1]), g.Code, buy(b[1], sku, 1))
		if err != nil {
			t.Fatal(err)
		}
		f.pay(b[1], o1.ID)
		if _, err := f.orders.Cancel(buyerCtx(b[1]), o1.ID, "changed my mind"); err != nil {
			t.Fatal(err)
		}
		if got := f.group(g.Code); got.Paid != 1 || got.Joined != 1 || got.Status != groupbuy.Forming {
			t.Fatalf("after a paid member cancelled: %+v", got)
		}
		if o, _ := f.orders.Get(ctx, o1.ID); o.Status != order.Closed || o.RefundedTotal != o.Total {
			t.Errorf("the cancelled member's order: %s, refunded %d of %d", o.Status, o.RefundedTotal, o.Total)
		}
		var pending []order.Order
		for _, cu := range b[2:] {
			_, o, err := f.gb.Join(buyerCtx(cu), g.Code, buy(cu, sku, 1))
			if err != nil {
				t.Fatal(err)
			}
			pending = append(pending, o)
		}
		f.pay(b[2], pending[0].ID)
		f.clock.Add(24 * time.Hour) // the limit passes before the last payment
		f.pay(b[3], pending[1].ID)
		if got := f.group(g.Code); got.Status != groupbuy.Forming || got.Paid != 2 {
			t.Fatalf("a payment after the limit counted: %+v", got)
		}
		if failed, off, err := f.gb.Sweep(ctx, f.orders); err != nil || failed != 1 || off != 3 {
			t.Fatalf("sweep: %d failed, %d called off, %v; want 1 and 3", failed, off, err)
		}
		for _, id := range []int64{lo.ID, pending[0].ID, pending[1].ID} {
			if o, _ := f.orders.Get(ctx, id); o.Status != order.Closed || o.RefundedTotal != o.Total {
				t.Errorf("order %s after the group failed: %s, refunded %d of %d", o.No, o.Status, o.RefundedTotal, o.Total)
			}
		}
		if l := f.level(sku); l.OnHand != 10 || l.Reserved != 0 {
			t.Errorf("stock: %+v, want all 10 back", l)
		}
	})
}

// The group-buy checkout is named in the price request itself: a quote of
// the same line is at the leader's price to open, the group price to join,
// and at list price without it (a context carries nothing any more).
func TestPricer_ReadsTheGroupBuyFromTheRequest(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		sku := f.sku("GB-REQ", 9900, 10)
		c := f.campaign(sku, 5900, 4900, 3, 2)
		b := f.customers(2)
		g, _ := f.open(c, b[0], sku)
		p := groupbuy.Pricer{GroupBuys: f.gb, Next: price.ListPricer{DB: d}}
		for _, tc := range []struct {
			gb   *price.GroupBuy
			want int64
		}{
			{&price.GroupBuy{CampaignID: c.ID, Code: "NEWCODE2", Open: true}, 4900},
			{&price.GroupBuy{Code: g.Code}, 5900},
			{nil, 9900},
		} {
			q, err := p.Price(buyerCtx(b[1]), price.Request{CustomerID: b[1], Lines: []price.Line{{SKUID: sku, Quantity: 1}}, At: start, GroupBuy: tc.gb})
			if err != nil {
				t.Fatalf("%+v: %v", tc.gb, err)
			}
			if q.Lines[0].UnitPrice != tc.want {
				t.Errorf("%+v: unit price %d, want %d", tc.gb, q.Lines[0].UnitPrice, tc.want)
			}
		}
	})
}
