package api

import (
	"context"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/groupbuy"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
)

// groupBuyRoutes are group buys (拼团): operators create, change, end and
// delete campaigns and see their groups; buyers open a group (and get its
// share code), join one by code, and see their groups. Buying in a group is
// a checkout at the group price.
func (a *API) groupBuyRoutes() []Route {
	const idem = "; send an Idempotency-Key header to make a retry safe"
	return []Route{
		{Method: "GET", Path: "/group-buys", Perm: permPromotionsRead, Tag: "group buys",
			Summary: "Group-buy campaigns not ended, then the latest ended, with their items and groups by state",
			Reply:   GroupBuys{}, handle: func(ctx context.Context, r *request) (any, error) {
				cs, err := a.groupBuys().List(ctx)
				if cs == nil {
					cs = []groupbuy.Campaign{}
				}
				return GroupBuys{Campaigns: cs}, err
			}},
		{Method: "POST", Path: "/group-buys", Perm: permPromotionsWrite, Tag: "group buys",
			Summary: "Create a group-buy campaign (422 names the field at fault: a group price not below list, a group size outside 2–50, dates reversed)",
			Body:    groupbuy.CampaignInput{}, Status: http.StatusCreated, Reply: groupbuy.Campaign{}, handle: func(ctx context.Context, r *request) (any, error) {
				var in groupbuy.CampaignInput
				if err := decode(r.Request, &in); err != nil {
					return nil, err
				}
				return a.groupBuys().Create(ctx, in)
			}},
		{Method: "GET", Path: "/group-buys/{id}", Perm: permPromotionsRead, Tag: "group buys", Summary: "A group-buy campaign",
			Reply: groupbuy.Campaign{}, handle: func(ctx context.Context, r *request) (any, error) {
				id, err := r.id("id")
				if err != nil {
					return nil, err
				}
				return a.groupBuys().Get(ctx, id)
			}},
		{Method: "PATCH", Path: "/group-buys/{id}", Perm: permPromotionsWrite, Tag: "group buys",
			Summary: "Change a campaign's name, end or per-customer limit (prices and group size stay: end it and create another)",
			Body:    groupbuy.CampaignPatch{}, Reply: groupbuy.Campaign{}, handle: byID(func(ctx context.Context, id int64, in groupbuy.CampaignPatch) (any, error) {
				return a.groupBuys().Update(ctx, id, in)
			})},
		{Method: "DELETE", Path: "/group-buys/{id}", Perm: permPromotionsWrite, Tag: "group buys",
			Summary: "Delete a campaign nobody has opened a group in (409 otherwise: end it instead)",
			handle: func(ctx context.Context, r *request) (any, error) {
				id, err := r.id("id")
				if err != nil {
					return nil, err
				}
				return nil, a.groupBuys().Delete(ctx, id)
			}},
		{Method: "POST", Path: "/group-buys/{id}/end", Perm: permPromotionsWrite, Tag: "group buys",
			Summary: "End a campaign now: no group opens after this; open groups may still fill within their time limit",
			Reply:   groupbuy.Campaign{}, handle: func(ctx context.Context, r *request) (any, error) {
				id, err := r.id("id")
				if err != nil {
					return nil, err
				}
				return a.groupBuys().End(ctx, id)
			}},
		{Method: "GET", Path: "/group-buys/{id}/groups", Perm: permPromotionsRead, Tag: "group buys",
			Summary: "A campaign's groups, newest first, with their state, members and orders (at most 500)",
			Query:   []Param{{"status", "string", "forming, succeeded or failed; empty: all"}},
			Reply:   Groups{}, handle: func(ctx context.Context, r *request) (any, error) {
				id, err := r.id("id")
				if err != nil {
					return nil, err
				}
				gs, err := a.groupBuys().Groups(ctx, id, groupbuy.GroupStatus(r.URL.Query().Get("status")))
				return Groups{Groups: gs}, err
			}},
		{Method: "GET", Path: "/orders/{id}/group-buy", Perm: permOrdersRead, Tag: "group buys",
			Summary: "The group an order bought in (404: not a group-buy order); ship it only when the group succeeded",
			Reply:   groupbuy.Group{}, handle: func(ctx context.Context, r *request) (any, error) {
				id, err := r.id("id")
				if err != nil {
					return nil, err
				}
				return a.groupBuys().GroupByOrder(ctx, id)
			}},
		{Method: "GET", Path: "/store/group-buys", Store: true, Guest: true, Tag: "storefront",
			Summary: "Group buys running now, with their items at the group (and leader) price",
			Reply:   StoreGroupBuys{}, handle: a.storeGroupBuys},
		{Method: "GET", Path: "/store/group-buys/groups/{code}", Store: true, Guest: true, Tag: "storefront",
			Summary: "A group by its share code: how many have paid, the places left and the time left",
			Reply:   StoreGroup{}, handle: func(ctx context.Context, r *request) (any, error) {
				g, err := a.groupBuys().GroupByCode(ctx, r.PathValue("code"))
				if err != nil {
					return nil, err
				}
				return toStoreGroup(g, r.customerID), nil
			}},
		{Method: "POST", Path: "/store/group-buys/{id}/open", Store: true, Tag: "storefront",
			Summary: "Open a group in a campaign with an order at the leader's (or group) price; the reply has the group's share code" + idem,
			Body:    StoreGroupBuyInput{}, Status: http.StatusCreated, Reply: StoreGroupBuy{}, Idempotent: true,
			handle: func(ctx context.Context, r *request) (any, error) {
				id, err := r.id("id")
				if err != nil {
					return nil, err
				}
				in, err := a.groupBuyInput(ctx, r)
				if err != nil {
					return nil, err
				}
				g, o, err := a.groupBuys().Open(ctx, id, in)
				if err != nil {
					return nil, err
				}
				return StoreGroupBuy{Group: toStoreGroup(g, r.customerID), Order: toStoreOrder(o)}, nil
			}, replay: a.storeGroupBuyByRef},
		{Method: "POST", Path: "/store/group-buys/groups/{code}/join", Store: true, Tag: "storefront",
			Summary: "Join a group by its share code with an order at the group price (409: full, succeeded, failed or your limit reached)" + idem,
			Body:    StoreGroupBuyInput{}, Status: http.StatusCreated, Reply: StoreGroupBuy{}, Idempotent: true,
			handle: func(ctx context.Context, r *request) (any, error) {
				in, err := a.groupBuyInput(ctx, r)
				if err != nil {
					return nil, err
				}
				g, o, err := a.groupBuys().Join(ctx, r.PathValue("code"), in)
				if err != nil {
					return nil, err
				}
				return StoreGroupBuy{Group: toStoreGroup(g, r.customerID), Order: toStoreOrder(o)}, nil
			}, replay: a.storeGroupBuyByRef},
		{Method: "GET", Path: "/store/group-buys/mine", Store: true, Tag: "storefront",
			Summary: "The groups I opened or joined, newest first (at most 100)",
			Reply:   StoreGroups{}, handle: func(ctx context.Context, r *request) (any, error) {
				gs, err := a.groupBuys().GroupsOf(ctx, r.customerID)
				if err != nil {
					return nil, err
				}
				out := StoreGroups{Groups: make([]StoreGroup, len(gs))}
				for i, g := range gs {
					out.Groups[i] = toStoreGroup(g, r.customerID)
				}
				return out, nil
			}},
	}
}

// GroupBuys lists campaigns.
type GroupBuys struct {
	Campaigns []groupbuy.Campaign `json:"campaigns"`
}

// Groups lists a campaign's groups.
type Groups struct {
	Groups []groupbuy.Group `json:"groups"`
}

// StoreGroupBuyInput buys in a group: one SKU of the campaign, where to
// send it. Like checkout, it carries no price.
type StoreGroupBuyInput struct {
	SKUID     int64         `json:"sku_id"`
	Quantity  int64         `json:"quantity" doc:"default 1"`
	AddressID int64         `json:"address_id" doc:"one of my saved addresses; 0: ship_to, or my default address"`
	ShipTo    *order.ShipTo `json:"ship_to" doc:"a delivery address for this order"`
	Note      string        `json:"note"`
	Channel   string        `json:"channel" doc:"where the buyer came from: search, live, short_video, community, ads, direct"`
}

// StoreGroupBuy is the answer to open and join: the group and the order to
// pay (through /store/orders/{id}/pay).
type StoreGroupBuy struct {
	Group StoreGroup `json:"group"`
	Order StoreOrder `json:"order"`
}

// StoreGroup is a group as buyers see it: members' names shortened.
type StoreGroup struct {
	Code       string               `json:"code"`
	CampaignID int64                `json:"campaign_id"`
	Campaign   string               `json:"campaign"`
	Size       int64                `json:"size"`
	Status     groupbuy.GroupStatus `json:"status"`
	Paid       int64                `json:"paid"`
	OpenSlots  int64                `json:"open_slots"`
	ExpiresAt  time.Time            `json:"expires_at"`
	Members    []StoreMember        `json:"members"`
	// Mine is my membership when I am in the group; nil otherwise.
	Mine *StoreMyMembership `json:"mine"`
}

// StoreMember is another buyer in the group.
type StoreMember struct {
	Name   string `json:"name"`
	Leader bool   `json:"leader"`
	Paid   bool   `json:"paid"`
}

// StoreMyMembership is the caller's place in a group.
type StoreMyMembership struct {
	Status  string `json:"status" doc:"pending, paid, left or refunded"`
	OrderID int64  `json:"order_id"`
	Leader  bool   `json:"leader"`
}

// StoreGroups lists my groups.
type StoreGroups struct {
	Groups []StoreGroup `json:"groups"`
}

// StoreGroupBuyCampaign is a running campaign as buyers see it.
type StoreGroupBuyCampaign struct {
	ID               int64             `json:"id"`
	Name             string            `json:"name"`
	GroupSize        int64             `json:"group_size"`
	TimeLimit        groupbuy.Duration `json:"time_limit"`
	PerCustomerLimit int64             `json:"per_customer_limit"`
	EndsAt           time.Time         `json:"ends_at"`
	Items            []groupbuy.Item   `json:"items"`
}

// StoreGroupBuys lists them.
type StoreGroupBuys struct {
	Campaigns []StoreGroupBuyCampaign `json:"campaigns"`
}

func (a *API) storeGroupBuys(ctx context.Context, r *request) (any, error) {
	all, err := a.groupBuys().List(ctx)
	if err != nil {
		return nil, err
	}
	out := StoreGroupBuys{Campaigns: []StoreGroupBuyCampaign{}}
	for _, c := range all {
		if c.Status != groupbuy.Active {
			continue
		}
		out.Campaigns = append(out.Campaigns, StoreGroupBuyCampaign{ID: c.ID, Name: c.Name, GroupSize: c.GroupSize, TimeLimit: c.TimeLimit,
			PerCustomerLimit: c.PerCustomerLimit, EndsAt: c.EndsAt, Items: c.Items})
	}
	return out, nil
}

func (a *API) groupBuyInput(ctx context.Context, r *request) (groupbuy.BuyInput, error) {
	var in StoreGroupBuyInput
	if err := decode(r.Request, &in); err != nil {
		return groupbuy.BuyInput{}, err
	}
	if in.Quantity == 0 {
		in.Quantity = 1
	}
	if in.SKUID <= 0 {
		return groupbuy.BuyInput{}, apperr.Field("sku_id", "choose a SKU of the campaign")
	}
	shipTo, err := a.shipTo(ctx, r.customerID, StoreCheckoutInput{AddressID: in.AddressID, ShipTo: in.ShipTo})
	if err != nil {
		return groupbuy.BuyInput{}, err
	}
	return groupbuy.BuyInput{CustomerID: r.customerID, Channel: in.Channel, Note: in.Note, ShipTo: shipTo,
		Lines: []price.Line{{SKUID: in.SKUID, Quantity: in.Quantity}}}, nil
}

// storeGroupBuyByRef answers a retried open or join whose first answer was
// not kept: the order it placed and its group.
func (a *API) storeGroupBuyByRef(ctx context.Context, r *request, ref int64) (any, error) {
	o, err := a.Orders.GetForCustomer(ctx, r.customerID, ref)
	if err != nil {
		return nil, err
	}
	g, err := a.groupBuys().GroupByOrder(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	return StoreGroupBuy{Group: toStoreGroup(g, r.customerID), Order: toStoreOrder(o)}, nil
}

// toStoreGroup shows a group to a buyer: members who left are not shown,
// names are cut to their first character (张**).
func toStoreGroup(g groupbuy.Group, me int64) StoreGroup {
	s := StoreGroup{Code: g.Code, CampaignID: g.CampaignID, Campaign: g.Campaign, Size: g.Size, Status: g.Status, Paid: g.Paid,
		OpenSlots: g.OpenSlots, ExpiresAt: g.ExpiresAt, Members: []StoreMember{}}
	for _, m := range g.Members {
		if me > 0 && m.CustomerID == me {
			s.Mine = &StoreMyMembership{Status: m.Status, OrderID: m.OrderID, Leader: m.Leader}
		}
		if m.Status == groupbuy.MemberLeft {
			continue
		}
		s.Members = append(s.Members, StoreMember{Name: shortName(m.Name), Leader: m.Leader, Paid: m.PaidAt != nil})
	}
	return s
}

func shortName(n string) string {
	if n == "" {
		return "**"
	}
	r, _ := utf8.DecodeRuneInString(n)
	return string(r) + "**"
}

func (a *API) groupBuys() *groupbuy.Service {
	if a.GroupBuys != nil {
		return a.GroupBuys
	}
	return &groupbuy.Service{DB: a.DB, Orders: a.Orders}
}
