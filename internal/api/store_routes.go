package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/cart"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/payment"
	"github.com/storeops/storeops/internal/promotion"
	"github.com/storeops/storeops/internal/referral"
	"github.com/storeops/storeops/internal/shopper"
)

// storeRoutes is the storefront API: what a shop's own front end (the
// reference storefront, a mini-program, an app) calls for its buyers.
func (a *API) storeRoutes() []Route {
	idem := "; send an Idempotency-Key header to make a retry safe"
	return []Route{
		{Method: "POST", Path: "/store/register", Store: true, Guest: true, Tag: "storefront",
			Summary: "Register with phone and password and sign in; a guest cart (X-Cart-Token) moves into the new account",
			Body:    StoreRegisterInput{}, Status: http.StatusCreated, Reply: StoreSession{}, handle: a.storeRegister},
		{Method: "POST", Path: "/store/sessions", Store: true, Guest: true, Tag: "storefront",
			Summary: "Sign in with phone and password; a guest cart (X-Cart-Token) merges into the customer's",
			Body:    SignInInput{}, Status: http.StatusCreated, Reply: StoreSession{}, handle: a.storeSignIn},
		{Method: "DELETE", Path: "/store/sessions", Store: true, Tag: "storefront", Summary: "Sign out", handle: a.storeSignOut},
		{Method: "GET", Path: "/store/cart", Store: true, Guest: true, Tag: "storefront", Summary: "The cart, priced now",
			Reply: cart.View{}, handle: a.storeCart},
		{Method: "POST", Path: "/store/cart/items", Store: true, Guest: true, Tag: "storefront",
			Summary: "Add to the cart (a guest without X-Cart-Token gets a new cart and its token in the reply)",
			Body:    CartItemInput{}, Reply: cart.View{}, handle: a.storeAddToCart},
		{Method: "PUT", Path: "/store/cart/items/{sku_id}", Store: true, Guest: true, Tag: "storefront", Summary: "Change a cart line's quantity",
			Body: QuantityInput{}, Reply: cart.View{}, handle: a.storeSetQuantity},
		{Method: "DELETE", Path: "/store/cart/items/{sku_id}", Store: true, Guest: true, Tag: "storefront", Summary: "Remove a line from the cart",
			Reply: cart.View{}, handle: a.storeRemoveFromCart},
		{Method: "POST", Path: "/store/quote", Store: true, Guest: true, Tag: "storefront",
			Summary: "Price lines (or the cart) with shipping, as checkout would, without placing an order",
			Body:    QuoteInput{}, Reply: Quote{}, handle: a.storeQuote},
		{Method: "POST", Path: "/store/checkout", Store: true, Tag: "storefront",
			Summary: "Place an order from the cart (or from lines, to buy now); prices are the server's, stock is reserved until payment" + idem,
			Body:    StoreCheckoutInput{}, Status: http.StatusCreated, Reply: StoreOrder{}, Idempotent: true, handle: a.storeCheckout,
			replay: a.storeOrderByRef},
		{Method: "GET", Path: "/store/orders", Store: true, Tag: "storefront", Summary: "My orders, newest first",
			Query: append([]Param{{"status", "string", "only orders in this status"}}, pageParams...),
			Reply: List[StoreOrder]{}, handle: a.storeOrders},
		{Method: "GET", Path: "/store/orders/{id}", Store: true, Tag: "storefront", Summary: "One of my orders",
			Reply: StoreOrder{}, handle: a.storeOrder},
		{Method: "POST", Path: "/store/orders/{id}/pay", Store: true, Tag: "storefront",
			Summary: "Pay an order with the sandbox provider (outcome succeed, fail or pending)" + idem,
			Body:    order.PayInput{}, Reply: payment.Payment{}, Idempotent: true, handle: a.storePay,
			replay: a.storePaymentByRef},
		{Method: "POST", Path: "/store/orders/{id}/cancel", Store: true, Tag: "storefront",
			Summary: "Cancel my order before it ships (a paid one is refunded in full)" + idem,
			Body:    CancelInput{}, Reply: StoreOrder{}, Idempotent: true, handle: a.storeCancel},
		{Method: "POST", Path: "/payments/sandbox/callback", Public: true, Tag: "storefront",
			Summary: "Sandbox payment notification, signed: X-Sandbox-Timestamp (unix s) and X-Sandbox-Signature (hex HMAC-SHA256 of \"<timestamp>.<body>\")",
			Body:    payment.Callback{}, Reply: payment.Payment{}, handle: a.sandboxCallback},
	}
}

// StoreSession is a storefront sign-in: the bearer token to send as
// Authorization: Bearer cs_….
type StoreSession struct {
	Token      string    `json:"token"`
	CustomerID int64     `json:"customer_id"`
	Cart       cart.View `json:"cart"`
}

// SignInInput is a storefront sign-in.
type SignInInput struct {
	Phone    string `json:"phone"`
	Password string `json:"password"`
}

// CartItemInput adds units of a SKU to the cart.
type CartItemInput struct {
	SKUID    int64 `json:"sku_id"`
	Quantity int64 `json:"quantity"`
}

// QuantityInput is a cart line's new quantity.
type QuantityInput struct {
	Quantity int64 `json:"quantity"`
}

// StoreCheckoutInput places an order. It carries no price and no total:
// the server prices every line, and a client that sends one is refused as
// sending an unknown field.
type StoreCheckoutInput struct {
	Lines     []price.Line  `json:"lines" doc:"buy these now; leave out to check out the cart"`
	AddressID int64         `json:"address_id" doc:"one of my saved addresses; 0: ship_to, or my default address"`
	ShipTo    *order.ShipTo `json:"ship_to" doc:"a delivery address for this order"`
	Note      string        `json:"note"`
	Channel   string        `json:"channel" doc:"where the buyer came from: search, live, short_video, community, ads, direct"`
	Coupons   []int64       `json:"coupons" doc:"ids of my coupons to use"`
	Points    int64         `json:"points" doc:"points to redeem"`
	// InviteCode links me to a friend's code before the order is placed
	// (邀请有礼); a bad code refuses the checkout.
	InviteCode string `json:"invite_code" doc:"a friend's invite code to use with this order"`
	DeviceID   string `json:"device_id" doc:"the storefront's id of this device, with invite_code"`
}

// QuoteInput asks what lines would cost; no lines: the cart.
type QuoteInput struct {
	Lines   []price.Line `json:"lines"`
	Channel string       `json:"channel"`
	Coupons []int64      `json:"coupons" doc:"ids of the buyer's coupons to use"`
	Points  int64        `json:"points" doc:"points to redeem"`
}

// Quote is the server's price of a basket: every line with its
// explanation, the goods total, shipping, and what checkout would charge.
type Quote struct {
	price.Priced
	ShippingFee int64 `json:"shipping_fee"`
	PayTotal    int64 `json:"pay_total"`
}

func (a *API) storeQuote(ctx context.Context, r *request) (any, error) {
	var in QuoteInput
	if err := decode(r.Request, &in); err != nil {
		return nil, err
	}
	if len(in.Lines) == 0 {
		_, lines, err := a.Carts.Lines(ctx, r.owner())
		if err != nil {
			return nil, err
		}
		if len(lines) == 0 {
			return nil, apperr.Field("lines", "the cart is empty: add items, or send the lines to price")
		}
		in.Lines = lines
	}
	p, fee, err := a.Orders.Quote(ctx, price.Request{CustomerID: r.customerID, Channel: in.Channel, Lines: in.Lines, Coupons: in.Coupons, Points: in.Points})
	if err != nil {
		return nil, err
	}
	return Quote{Priced: p, ShippingFee: fee, PayTotal: p.Total + fee}, nil
}

// StoreOrder is an order as its buyer sees it: no costs, no staff names.
type StoreOrder struct {
	ID            int64        `json:"id"`
	No            string       `json:"order_no"`
	Status        order.Status `json:"status"`
	Currency      string       `json:"currency"`
	ItemsTotal    int64        `json:"items_total"`
	DiscountTotal int64        `json:"discount_total"`
	ShippingFee   int64        `json:"shipping_fee"`
	Total         int64        `json:"total"`
	RefundedTotal int64        `json:"refunded_total"`
	ShipTo        order.ShipTo `json:"ship_to"`
	Note          string       `json:"note"`
	Carrier       string       `json:"carrier"`
	TrackingNo    string       `json:"tracking_no"`
	CreatedAt     time.Time    `json:"created_at"`
	PayBy         *time.Time   `json:"pay_by"`
	PaidAt        *time.Time   `json:"paid_at"`
	ShippedAt     *time.Time   `json:"shipped_at"`
	DeliveredAt   *time.Time   `json:"delivered_at"`
	CompletedAt   *time.Time   `json:"completed_at"`
	CancelledAt   *time.Time   `json:"cancelled_at"`
	Lines         []StoreLine  `json:"lines,omitempty"`
	Events        []StoreEvent `json:"events,omitempty"`
	// Promotions: what each promotion took off this order (on checkout's
	// reply and the order's page).
	Promotions []promotion.OrderPromotion `json:"promotions,omitempty"`
}

// StoreLine is a line of the buyer's order.
type StoreLine struct {
	SKUID            int64  `json:"sku_id"`
	ProductID        int64  `json:"product_id"`
	Title            string `json:"title"`
	Quantity         int64  `json:"quantity"`
	ListPrice        int64  `json:"list_price"`
	UnitPrice        int64  `json:"unit_price"`
	Discount         int64  `json:"discount"`
	LineTotal        int64  `json:"line_total"`
	RefundedQuantity int64  `json:"refunded_quantity"`
}

// StoreEvent is a step of the buyer's order.
type StoreEvent struct {
	At     time.Time    `json:"at"`
	Action order.Action `json:"action"`
	To     order.Status `json:"to"`
}

func toStoreOrder(o order.Order) StoreOrder {
	s := StoreOrder{ID: o.ID, No: o.No, Status: o.Status, Currency: o.Currency, ItemsTotal: o.ItemsTotal, DiscountTotal: o.DiscountTotal,
		ShippingFee: o.ShippingFee, Total: o.Total, RefundedTotal: o.RefundedTotal, ShipTo: o.ShipTo, Note: o.BuyerNote,
		Carrier: o.Carrier, TrackingNo: o.TrackingNo, CreatedAt: o.CreatedAt, PayBy: o.PayBy, PaidAt: o.PaidAt,
		ShippedAt: o.ShippedAt, DeliveredAt: o.DeliveredAt, CompletedAt: o.CompletedAt, CancelledAt: o.CancelledAt}
	for _, l := range o.Lines {
		s.Lines = append(s.Lines, StoreLine{SKUID: l.SKUID, ProductID: l.ProductID, Title: l.Title, Quantity: l.Quantity,
			ListPrice: l.ListPrice, UnitPrice: l.UnitPrice, Discount: l.Discount, LineTotal: l.LineTotal, RefundedQuantity: l.RefundedQuantity})
	}
	for _, e := range o.Events {
		s.Events = append(s.Events, StoreEvent{At: e.At, Action: e.Action, To: e.To})
	}
	return s
}

func (r *request) owner() cart.Owner {
	if r.customerID > 0 {
		return cart.Owner{CustomerID: r.customerID}
	}
	return cart.Owner{Token: r.cartToken}
}

// StoreRegisterInput is a sign-up, optionally with a friend's invite code
// (邀请有礼).
type StoreRegisterInput struct {
	shopper.Registration
	InviteCode string `json:"invite_code" doc:"a friend's invite code; a bad one refuses the sign-up (422 on invite_code)"`
	DeviceID   string `json:"device_id" doc:"the storefront's id of this device, if it has one (for the referral programme's abuse checks)"`
}

func (a *API) storeRegister(ctx context.Context, r *request) (any, error) {
	var in StoreRegisterInput
	if err := decode(r.Request, &in); err != nil {
		return nil, err
	}
	// The code is checked before the account is made, so a bad code
	// refuses the sign-up rather than leaving an account without it.
	if in.InviteCode != "" {
		if err := a.referrals().CheckCode(ctx, in.InviteCode, customer.NormalizePhone(in.Phone)); err != nil {
			return nil, err
		}
	}
	c, token, err := a.Shoppers.Register(ctx, in.Registration)
	if err != nil {
		return nil, err
	}
	if in.InviteCode != "" {
		// Only a race (the programme turned off meanwhile) fails here;
		// the account stands, and the buyer may link later.
		if _, err := a.referrals().Link(ctx, referral.LinkInput{CustomerID: c.ID, Code: in.InviteCode, DeviceID: in.DeviceID}); err != nil {
			a.Log.Warn("link invite code at sign-up", "customer", c.ID, "err", err)
		}
	}
	return a.session(ctx, r, c.ID, token)
}

func (a *API) storeSignIn(ctx context.Context, r *request) (any, error) {
	var in SignInInput
	if err := decode(r.Request, &in); err != nil {
		return nil, err
	}
	id, token, err := a.Shoppers.SignIn(ctx, in.Phone, in.Password)
	var limited *auth.RateLimitedError
	switch {
	case errors.Is(err, shopper.ErrBadCredentials):
		return nil, errUnauthorized(err.Error())
	case errors.As(err, &limited):
		return nil, &httpError{http.StatusTooManyRequests, ErrorDetail{Code: "rate_limited", Message: limited.Error()}}
	}
	if err != nil {
		return nil, err
	}
	return a.session(ctx, r, id, token)
}

// session answers a sign-in, moving the guest's cart into the customer's.
func (a *API) session(ctx context.Context, r *request, customerID int64, token string) (StoreSession, error) {
	var v cart.View
	var err error
	if r.cartToken != "" {
		v, err = a.Carts.Merge(ctx, r.cartToken, customerID)
	} else {
		v, err = a.Carts.Get(ctx, cart.Owner{CustomerID: customerID})
	}
	return StoreSession{Token: token, CustomerID: customerID, Cart: v}, err
}

func (a *API) storeSignOut(ctx context.Context, r *request) (any, error) {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return nil, a.Shoppers.SignOut(ctx, strings.TrimSpace(token))
}

func (a *API) storeCart(ctx context.Context, r *request) (any, error) {
	return a.Carts.Get(ctx, r.owner())
}

func (a *API) storeAddToCart(ctx context.Context, r *request) (any, error) {
	var in CartItemInput
	if err := decode(r.Request, &in); err != nil {
		return nil, err
	}
	return a.Carts.Add(ctx, r.owner(), in.SKUID, in.Quantity)
}

func (a *API) storeSetQuantity(ctx context.Context, r *request) (any, error) {
	id, err := r.id("sku_id")
	if err != nil {
		return nil, err
	}
	var in QuantityInput
	if err := decode(r.Request, &in); err != nil {
		return nil, err
	}
	return a.Carts.SetQuantity(ctx, r.owner(), id, in.Quantity)
}

func (a *API) storeRemoveFromCart(ctx context.Context, r *request) (any, error) {
	id, err := r.id("sku_id")
	if err != nil {
		return nil, err
	}
	return a.Carts.Remove(ctx, r.owner(), id)
}

func (a *API) storeCheckout(ctx context.Context, r *request) (any, error) {
	var in StoreCheckoutInput
	if err := decode(r.Request, &in); err != nil {
		return nil, err
	}
	if in.InviteCode != "" {
		if _, err := a.referrals().Link(ctx, referral.LinkInput{CustomerID: r.customerID, Code: in.InviteCode, DeviceID: in.DeviceID}); err != nil {
			return nil, err
		}
	}
	co := order.CheckoutInput{CustomerID: r.customerID, Channel: in.Channel, Lines: in.Lines, Note: in.Note, Coupons: in.Coupons, Points: in.Points}
	if len(co.Lines) == 0 {
		cartID, lines, err := a.Carts.Lines(ctx, r.owner())
		if err != nil {
			return nil, err
		}
		if len(lines) == 0 {
			return nil, apperr.Field("lines", "the cart is empty: add items, or send the lines to buy now")
		}
		co.CartID, co.Lines = cartID, lines
	}
	var err error
	if co.ShipTo, err = a.shipTo(ctx, r.customerID, in); err != nil {
		return nil, err
	}
	o, err := a.Orders.Checkout(ctx, co)
	if err != nil {
		return nil, err
	}
	return a.withPromotions(ctx, toStoreOrder(o))
}

// withPromotions adds what each promotion took off the order.
func (a *API) withPromotions(ctx context.Context, so StoreOrder) (StoreOrder, error) {
	ps, err := a.promotions().OnOrder(ctx, so.ID)
	if err != nil {
		return so, err
	}
	so.Promotions = ps
	return so, nil
}

// shipTo is the checkout's address: a saved one by id, the one given, or
// the customer's default.
func (a *API) shipTo(ctx context.Context, customerID int64, in StoreCheckoutInput) (order.ShipTo, error) {
	if in.ShipTo != nil && in.AddressID == 0 {
		return *in.ShipTo, nil
	}
	c, err := a.Customers.Get(ctx, customerID)
	if err != nil {
		return order.ShipTo{}, err
	}
	for _, ad := range c.Addresses {
		if (in.AddressID == 0 && ad.IsDefault) || ad.ID == in.AddressID {
			return order.ShipTo{Recipient: ad.Recipient, Phone: ad.Phone, Province: ad.Province, City: ad.City,
				District: ad.District, Detail: ad.Detail, Postcode: ad.Postcode}, nil
		}
	}
	if in.AddressID != 0 {
		return order.ShipTo{}, apperr.Field("address_id", "you have no address %d", in.AddressID)
	}
	return order.ShipTo{}, apperr.Field("ship_to", "give a delivery address (ship_to) or save one first")
}

func (a *API) storeOrders(ctx context.Context, r *request) (any, error) {
	p, err := r.page()
	if err != nil {
		return nil, err
	}
	items, next, err := a.Orders.List(ctx, order.Filter{CustomerID: r.customerID, Status: r.URL.Query().Get("status"), Request: p})
	if err != nil {
		return nil, err
	}
	out := make([]StoreOrder, len(items))
	for i, o := range items {
		out[i] = toStoreOrder(o)
	}
	return listOf(out, next), nil
}

func (a *API) storeOrder(ctx context.Context, r *request) (any, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	o, err := a.Orders.GetForCustomer(ctx, r.customerID, id)
	if err != nil {
		return nil, err
	}
	return a.withPromotions(ctx, toStoreOrder(o))
}

func (a *API) storePay(ctx context.Context, r *request) (any, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	var in order.PayInput
	if err := decode(r.Request, &in); err != nil {
		return nil, err
	}
	return a.Orders.Pay(ctx, r.customerID, id, in)
}

// storeOrderByRef and storePaymentByRef answer a retried checkout or
// payment whose first answer was not kept (see runClaimed).
func (a *API) storeOrderByRef(ctx context.Context, r *request, ref int64) (any, error) {
	o, err := a.Orders.GetForCustomer(ctx, r.customerID, ref)
	if err != nil {
		return nil, err
	}
	return toStoreOrder(o), nil
}

func (a *API) storePaymentByRef(ctx context.Context, r *request, ref int64) (any, error) {
	return a.Orders.PaymentForCustomer(ctx, r.customerID, ref)
}

func (a *API) storeCancel(ctx context.Context, r *request) (any, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	var in CancelInput
	if err := decode(r.Request, &in); err != nil {
		return nil, err
	}
	o, err := a.Orders.CancelForCustomer(ctx, r.customerID, id, in.Reason)
	if err != nil {
		return nil, err
	}
	return toStoreOrder(o), nil
}

func (a *API) sandboxCallback(ctx context.Context, r *request) (any, error) {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, 64<<10))
	if err != nil {
		return nil, decodeError(err)
	}
	return a.Orders.SandboxCallback(ctx, r.Header.Get(payment.HeaderTimestamp), r.Header.Get(payment.HeaderSignature), body)
}
