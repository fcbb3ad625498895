package api

import (
	"context"
	"net/http"
	"time"

	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/presale"
	"github.com/storeops/storeops/internal/settings"
)

// presaleRoutes are presales (预售, 定金膨胀): operators create, change and
// end presales and see their deposits; buyers see the presales, put down a
// deposit (an order of the deposit, paid through /store/orders/{id}/pay)
// and, in the tail window, place the tail order and pay it the same way.
func (a *API) presaleRoutes() []Route {
	const idem = "; send an Idempotency-Key header to make a retry safe"
	return []Route{
		{Method: "GET", Path: "/presales", Perm: permPromotionsRead, Tag: "presales",
			Summary: "Presales whose tail window has not passed, then the latest finished, with their stock and deposits by status",
			Reply:   Presales{}, handle: func(ctx context.Context, r *request) (any, error) {
				ps, err := a.presales().List(ctx)
				return Presales{Presales: ps}, err
			}},
		{Method: "POST", Path: "/presales", Perm: permPromotionsWrite, Tag: "presales",
			Summary: "Create a presale and carve its stock out of the SKU (422 names the field at fault: a deposit value below the deposit, windows out of order, more stock than is available)",
			Body:    presale.Input{}, Status: http.StatusCreated, Reply: presale.Presale{}, handle: func(ctx context.Context, r *request) (any, error) {
				var in presale.Input
				if err := decode(r.Request, &in); err != nil {
					return nil, err
				}
				return a.presales().Create(ctx, in)
			}},
		{Method: "GET", Path: "/presales/{id}", Perm: permPromotionsRead, Tag: "presales", Summary: "A presale",
			Reply: presale.Presale{}, handle: func(ctx context.Context, r *request) (any, error) {
				id, err := r.id("id")
				if err != nil {
					return nil, err
				}
				return a.presales().Get(ctx, id)
			}},
		{Method: "PATCH", Path: "/presales/{id}", Perm: permPromotionsWrite, Tag: "presales",
			Summary: "Change a presale's name, per-customer limit, or move its tail window's end later (prices stay: buyers paid on them)",
			Body:    presale.Patch{}, Reply: presale.Presale{}, handle: byID(func(ctx context.Context, id int64, in presale.Patch) (any, error) {
				return a.presales().Update(ctx, id, in)
			})},
		{Method: "POST", Path: "/presales/{id}/end", Perm: permPromotionsWrite, Tag: "presales",
			Summary: "Stop taking deposits now; the free units go back to the SKU, paid deposits keep their tail window",
			Reply:   presale.Presale{}, handle: func(ctx context.Context, r *request) (any, error) {
				id, err := r.id("id")
				if err != nil {
					return nil, err
				}
				return a.presales().End(ctx, id)
			}},
		{Method: "GET", Path: "/presales/{id}/deposits", Perm: permPromotionsRead, Tag: "presales",
			Summary: "A presale's deposits, newest first, with their orders and what each owes (at most 500)",
			Query:   []Param{{"status", "string", "pending, paid, completed, closed, forfeited or refunded; empty: all"}},
			Reply:   PresaleDeposits{}, handle: func(ctx context.Context, r *request) (any, error) {
				id, err := r.id("id")
				if err != nil {
					return nil, err
				}
				ds, err := a.presales().Deposits(ctx, id, r.URL.Query().Get("status"))
				return PresaleDeposits{Deposits: ds}, err
			}},
		{Method: "GET", Path: "/orders/{id}/presale", Perm: permOrdersRead, Tag: "presales",
			Summary: "The presale deposit an order is the deposit or the tail of (404: not a presale order); a deposit order never ships",
			Reply:   presale.Deposit{}, handle: func(ctx context.Context, r *request) (any, error) {
				id, err := r.id("id")
				if err != nil {
					return nil, err
				}
				return a.presales().DepositOfOrder(ctx, id)
			}},
		{Method: "GET", Path: "/store/presales", Store: true, Guest: true, Tag: "storefront",
			Summary: "Presales taking deposits or tails now: the deposit, what it counts as, the tail, the windows and what happens to an unpaid tail's deposit",
			Reply:   StorePresales{}, handle: a.storePresales},
		{Method: "POST", Path: "/store/presales/{id}/deposit", Store: true, Tag: "storefront",
			Summary: "Put down a deposit: places the deposit order, to pay through /store/orders/{id}/pay (409: not taking deposits, sold out, or a deposit held already)" + idem,
			Body:    StorePresaleDepositInput{}, Status: http.StatusCreated, Reply: StorePresaleOrder{}, Idempotent: true,
			handle: func(ctx context.Context, r *request) (any, error) {
				id, err := r.id("id")
				if err != nil {
					return nil, err
				}
				var in StorePresaleDepositInput
				if err := decode(r.Request, &in); err != nil {
					return nil, err
				}
				if in.Quantity == 0 {
					in.Quantity = 1
				}
				p, err := a.presales().Get(ctx, id)
				if err != nil {
					return nil, err
				}
				shipTo, err := a.shipTo(ctx, r.customerID, StoreCheckoutInput{AddressID: in.AddressID, ShipTo: in.ShipTo})
				if err != nil {
					return nil, err
				}
				d, o, err := a.presales().Deposit(ctx, id, presale.DepositInput{CustomerID: r.customerID, Channel: in.Channel, Note: in.Note,
					ShipTo: shipTo, Lines: []price.Line{{SKUID: p.SKUID, Quantity: in.Quantity}}})
				if err != nil {
					return nil, err
				}
				return StorePresaleOrder{Deposit: d, Order: toStoreOrder(o)}, nil
			}, replay: a.storePresaleByRef},
		{Method: "GET", Path: "/store/presale-deposits", Store: true, Tag: "storefront",
			Summary: "My presale deposits, newest first, with the tail due, its window and whether it can be paid now (at most 100)",
			Reply:   PresaleDeposits{}, handle: func(ctx context.Context, r *request) (any, error) {
				ds, err := a.presales().DepositsOf(ctx, r.customerID)
				return PresaleDeposits{Deposits: ds}, err
			}},
		{Method: "POST", Path: "/store/presale-deposits/{id}/tail", Store: true, Tag: "storefront",
			Summary: "Pay the tail (尾款) of my paid deposit in the tail window: places the tail order, to pay through /store/orders/{id}/pay (409: the window is not open, or a tail order waits already)" + idem,
			Body:    StorePresaleTailInput{}, Status: http.StatusCreated, Reply: StorePresaleOrder{}, Idempotent: true,
			handle: func(ctx context.Context, r *request) (any, error) {
				id, err := r.id("id")
				if err != nil {
					return nil, err
				}
				var in StorePresaleTailInput
				if err := decode(r.Request, &in); err != nil {
					return nil, err
				}
				tin := presale.TailInput{Note: in.Note, Channel: in.Channel, Coupons: in.Coupons, Points: in.Points}
				if in.AddressID > 0 || in.ShipTo != nil {
					if tin.ShipTo, err = a.shipTo(ctx, r.customerID, StoreCheckoutInput{AddressID: in.AddressID, ShipTo: in.ShipTo}); err != nil {
						return nil, err
					}
				}
				d, o, err := a.presales().PayTail(ctx, r.customerID, id, tin)
				if err != nil {
					return nil, err
				}
				return StorePresaleOrder{Deposit: d, Order: toStoreOrder(o)}, nil
			}, replay: a.storePresaleByRef},
	}
}

// Presales lists presales.
type Presales struct {
	Presales []presale.Presale `json:"presales"`
}

// PresaleDeposits lists deposits.
type PresaleDeposits struct {
	Deposits []presale.Deposit `json:"deposits"`
}

// StorePresaleDepositInput puts down a deposit on the presale's SKU.
type StorePresaleDepositInput struct {
	Quantity  int64         `json:"quantity" doc:"units, default 1, at most the presale's per-customer limit"`
	AddressID int64         `json:"address_id" doc:"one of my saved addresses; 0: ship_to, or my default address"`
	ShipTo    *order.ShipTo `json:"ship_to" doc:"where the goods ship after the tail is paid"`
	Note      string        `json:"note"`
	Channel   string        `json:"channel" doc:"where the buyer came from: search, live, short_video, community, ads, direct"`
}

// StorePresaleTailInput places the tail order; no address: the deposit's.
type StorePresaleTailInput struct {
	AddressID int64         `json:"address_id" doc:"one of my saved addresses; 0 and no ship_to: the deposit order's address"`
	ShipTo    *order.ShipTo `json:"ship_to"`
	Note      string        `json:"note"`
	Channel   string        `json:"channel"`
	Coupons   []int64       `json:"coupons" doc:"ids of my coupons to use on the tail"`
	Points    int64         `json:"points" doc:"points to redeem on the tail"`
}

// StorePresaleOrder is the answer to deposit and tail: the deposit and the
// order to pay.
type StorePresaleOrder struct {
	Deposit presale.Deposit `json:"deposit"`
	Order   StoreOrder      `json:"order"`
}

// StorePresale is a presale as buyers see it.
type StorePresale struct {
	ID                int64         `json:"id"`
	Name              string        `json:"name"`
	SKUID             int64         `json:"sku_id"`
	Title             string        `json:"title"`
	ListPrice         int64         `json:"list_price"`
	PresalePrice      int64         `json:"presale_price"`
	Deposit           int64         `json:"deposit" doc:"分 per unit, paid now"`
	DepositValue      int64         `json:"deposit_value" doc:"分 per unit the deposit counts toward the presale price"`
	TailDiscount      int64         `json:"tail_discount"`
	Tail              int64         `json:"tail" doc:"分 per unit due in the tail window"`
	PaidInAll         int64         `json:"paid_in_all"`
	PerCustomerLimit  int64         `json:"per_customer_limit"`
	Phase             presale.Phase `json:"phase" doc:"deposit, awaiting_tail or tail"`
	Left              int64         `json:"left" doc:"units still free for deposits"`
	DepositRefundable bool          `json:"deposit_refundable"`
	ForfeitRule       string        `json:"forfeit_rule"`
	ForfeitRuleZH     string        `json:"forfeit_rule_zh"`
	presale.Windows
}

// StorePresales lists them.
type StorePresales struct {
	Presales []StorePresale `json:"presales"`
}

func (a *API) storePresales(ctx context.Context, r *request) (any, error) {
	all, err := a.presales().List(ctx)
	if err != nil {
		return nil, err
	}
	loc := time.UTC
	if st, err := settings.Cached(ctx, a.DB); err == nil {
		loc = st.Location()
	}
	out := StorePresales{Presales: []StorePresale{}}
	for _, p := range all {
		if p.Phase == presale.Scheduled || p.Phase == presale.Finished {
			continue
		}
		zh, en := presale.ForfeitRule(p.DepositRefundable, p.TailEndsAt, loc)
		out.Presales = append(out.Presales, StorePresale{ID: p.ID, Name: p.Name, SKUID: p.SKUID, Title: p.Title, ListPrice: p.ListPrice,
			PresalePrice: p.PresalePrice, Deposit: p.Deposit, DepositValue: p.DepositValue, TailDiscount: p.TailDiscount, Tail: p.Tail,
			PaidInAll: p.PaidInAll, PerCustomerLimit: p.PerCustomerLimit, Phase: p.Phase, Left: p.Left, DepositRefundable: p.DepositRefundable,
			ForfeitRule: en, ForfeitRuleZH: zh, Windows: p.Windows})
	}
	return out, nil
}

// storePresaleByRef answers a retried deposit or tail whose first answer
// was not kept: the order it placed and its deposit.
func (a *API) storePresaleByRef(ctx context.Context, r *request, ref int64) (any, error) {
	o, err := a.Orders.GetForCustomer(ctx, r.customerID, ref)
	if err != nil {
		return nil, err
	}
	d, err := a.presales().DepositOfOrder(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	return StorePresaleOrder{Deposit: d, Order: toStoreOrder(o)}, nil
}

func (a *API) presales() *presale.Service {
	if a.Presales != nil {
		return a.Presales
	}
	return &presale.Service{DB: a.DB, Orders: a.Orders}
}
