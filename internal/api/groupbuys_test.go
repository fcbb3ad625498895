package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/api"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/groupbuy"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
)

// An operator creates a group buy of 2; a buyer opens a group (a retry with
// the same key gets the same group), a second joins by code, a third is
// refused; both pay and the group succeeds, which the operator sees on the
// campaign's groups and on the order.
func TestGroupBuysAPI_OpenJoinPaySucceed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newStoreFixture(t, d)
		svc := &groupbuy.Service{DB: d, Orders: f.a.Orders}
		f.a.GroupBuys = svc
		f.a.Orders.Pricer = groupbuy.Pricer{GroupBuys: svc, Next: price.ListPricer{DB: d}}
		f.a.Orders.Hooks = []order.Hook{groupbuy.Hook{GroupBuys: svc}}
		now := time.Now().UTC()
		in := map[string]any{"name": "两人团", "group_size": 2, "time_limit": "24h", "starts_at": now.Add(-time.Minute), "ends_at": now.Add(time.Hour),
			"items": []map[string]any{{"sku_id": f.sku, "group_price": 3900, "leader_price": 2900}}}
		if st, b := f.call("viewer", "POST", "/api/v1/group-buys", in); st != http.StatusForbidden {
			t.Errorf("viewer creates a group buy: %d %s", st, b)
		}
		bad := map[string]any{"name": "太贵", "group_size": 2, "starts_at": now, "ends_at": now.Add(time.Hour),
			"items": []map[string]any{{"sku_id": f.sku, "group_price": 5900}}}
		if st, b := f.call("operator", "POST", "/api/v1/group-buys", bad); st != 422 || !strings.Contains(string(b), `"field":"items[0].group_price"`) {
			t.Errorf("group price not below list: %d %s", st, b)
		}
		st, b := f.call("operator", "POST", "/api/v1/group-buys", in)
		if st != http.StatusCreated {
			t.Fatalf("create: %d %s", st, b)
		}
		c := decodeAs[groupbuy.Campaign](t, b)
		st, b = f.call("operator", "PATCH", "/api/v1/group-buys/"+itoa(c.ID), map[string]any{"name": "两人团 限时", "per_customer_limit": 2})
		if p := decodeAs[groupbuy.Campaign](t, b); st != 200 || p.Name != "两人团 限时" || p.PerCustomerLimit != 2 || p.GroupSize != 2 {
			t.Errorf("patch: %d %s", st, b)
		}
		if st, b := f.call("operator", "PATCH", "/api/v1/group-buys/"+itoa(c.ID), map[string]any{"ends_at": now.Add(-2 * time.Minute)}); st != 422 ||
			!strings.Contains(string(b), `"field":"ends_at"`) {
			t.Errorf("patch ends_at before starts_at: %d %s", st, b)
		}
		st, b = f.storeCall("", nil, "GET", "/api/v1/store/group-buys", nil)
		if list := decodeAs[api.StoreGroupBuys](t, b); st != 200 || len(list.Campaigns) != 1 || list.Campaigns[0].Items[0].GroupPrice != 3900 {
			t.Fatalf("storefront list: %d %s", st, b)
		}
		body := map[string]any{"sku_id": f.sku, "ship_to": shipTo}
		leader := f.shopper("张团长", "13800138011", nil)
		key := map[string]string{api.HeaderIdempotencyKey: "gb-open-1"}
		st, b = f.storeCall(leader.Token, key, "POST", "/api/v1/store/group-buys/"+itoa(c.ID)+"/open", body)
		opened := decodeAs[api.StoreGroupBuy](t, b)
		if st != 201 || opened.Order.ItemsTotal-opened.Order.DiscountTotal != 2900 || opened.Group.OpenSlots != 1 || opened.Group.Mine == nil {
			t.Fatalf("open: %d %s", st, b)
		}
		st, b = f.storeCall(leader.Token, key, "POST", "/api/v1/store/group-buys/"+itoa(c.ID)+"/open", body)
		if again := decodeAs[api.StoreGroupBuy](t, b); st != 201 || again.Order.ID != opened.Order.ID || again.Group.Code != opened.Group.Code {
			t.Errorf("retried open: %d %s", st, b)
		}
		code := opened.Group.Code
		st, b = f.storeCall("", nil, "GET", "/api/v1/store/group-buys/groups/"+code, nil)
		if g := decodeAs[api.StoreGroup](t, b); st != 200 || len(g.Members) != 1 || g.Members[0].Name != "张**" || g.Mine != nil {
			t.Errorf("the group by code, as a guest: %d %s", st, b)
		}
		member := f.shopper("李四", "13800138012", nil)
		st, b = f.storeCall(member.Token, nil, "POST", "/api/v1/store/group-buys/groups/"+code+"/join", body)
		joined := decodeAs[api.StoreGroupBuy](t, b)
		if st != 201 || joined.Order.ItemsTotal-joined.Order.DiscountTotal != 3900 {
			t.Fatalf("join: %d %s", st, b)
		}
		late := f.shopper("王五", "13800138013", nil)
		if st, b := f.storeCall(late.Token, nil, "POST", "/api/v1/store/group-buys/groups/"+code+"/join", body); st != http.StatusConflict || !strings.Contains(string(b), "full") {
			t.Errorf("joining a full group: %d %s", st, b)
		}
		if st, b := f.storeCall(late.Token, nil, "POST", "/api/v1/store/group-buys/groups/NOSUCH23/join", body); st != http.StatusNotFound {
			t.Errorf("an unknown code: %d %s", st, b)
		}
		for _, p := range []struct {
			tok string
			id  int64
		}{{leader.Token, opened.Order.ID}, {member.Token, joined.Order.ID}} {
			if st, b := f.storeCall(p.tok, nil, "POST", "/api/v1/store/orders/"+itoa(p.id)+"/pay", map[string]any{}); st != 200 {
				t.Fatalf("pay: %d %s", st, b)
			}
		}
		st, b = f.call("viewer", "GET", "/api/v1/group-buys/"+itoa(c.ID)+"/groups?status=succeeded", nil)
		if gs := decodeAs[api.Groups](t, b); st != 200 || len(gs.Groups) != 1 || gs.Groups[0].Paid != 2 || len(gs.Groups[0].Members) != 2 {
			t.Errorf("the campaign's groups: %d %s", st, b)
		}
		st, b = f.call("operator", "GET", "/api/v1/orders/"+itoa(joined.Order.ID)+"/group-buy", nil)
		if g := decodeAs[groupbuy.Group](t, b); st != 200 || g.Status != groupbuy.Succeeded {
			t.Errorf("the order's group: %d %s", st, b)
		}
		st, b = f.storeCall(member.Token, nil, "GET", "/api/v1/store/group-buys/mine", nil)
		if mine := decodeAs[api.StoreGroups](t, b); st != 200 || len(mine.Groups) != 1 || mine.Groups[0].Mine == nil || mine.Groups[0].Mine.Status != groupbuy.MemberPaid {
			t.Errorf("my groups: %d %s", st, b)
		}
		if st, b := f.call("operator", "DELETE", "/api/v1/group-buys/"+itoa(c.ID), nil); st != http.StatusConflict {
			t.Errorf("deleting a campaign with groups: %d %s", st, b)
		}
		st, b = f.call("operator", "POST", "/api/v1/group-buys/"+itoa(c.ID)+"/end", nil)
		if ended := decodeAs[groupbuy.Campaign](t, b); st != 200 || ended.Status != groupbuy.Ended || ended.Groups.Succeeded != 1 {
			t.Errorf("end: %d %s", st, b)
		}
	})
}
