// Package order turns a priced basket into an order and carries it through
// its life: checkout reserves stock in the same transaction that writes the
// order, paying commits the sale, cancelling or closing gives the stock
// back, and every change of status is an event. The state machine is the
// plain table in status.go.
package order

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/payment"
	"github.com/storeops/storeops/internal/settings"
)

// Shipping: orders whose goods total (after discounts) reaches
// FreeShippingFrom ship free (满99包邮), others pay ShippingFee. The
// Service's fields override both.
const (
	FreeShippingFrom = 9900
	ShippingFee      = 1000
)

// PaymentWindow is how long an unpaid order holds its stock before it
// closes, unless the Service sets another.
const PaymentWindow = 30 * time.Minute

const (
	maxNote    = 200
	maxCarrier = 50
	maxTrack   = 64
)

// Order is an order with, from Get, its lines, events and payments.
// Money is in 分. CostTotal is what the goods cost the shop (for the margin).
type Order struct {
	ID            int64             `json:"id"`
	No            string            `json:"order_no"`
	CustomerID    int64             `json:"customer_id"` // 0: none (an imported or anonymous order)
	Channel       string            `json:"channel"`
	Status        Status            `json:"status"`
	Currency      string            `json:"currency"`
	ItemsTotal    int64             `json:"items_total"`
	DiscountTotal int64             `json:"discount_total"`
	ShippingFee   int64             `json:"shipping_fee"`
	Total         int64             `json:"total"`
	RefundedTotal int64             `json:"refunded_total"`
	CostTotal     int64             `json:"cost_total"`
	ShipTo        ShipTo            `json:"ship_to"`
	BuyerNote     string            `json:"buyer_note"`
	Carrier       string            `json:"carrier"`
	TrackingNo    string            `json:"tracking_no"`
	CreatedAt     time.Time         `json:"created_at"`
	PayBy         *time.Time        `json:"pay_by"` // pending orders close at this instant
	PaidAt        *time.Time        `json:"paid_at"`
	PaidDay       int64             `json:"paid_day,omitempty"` // YYYYMMDD in the store's zone
	ShippedAt     *time.Time        `json:"shipped_at"`
	DeliveredAt   *time.Time        `json:"delivered_at"`
	CompletedAt   *time.Time        `json:"completed_at"`
	CancelledAt   *time.Time        `json:"cancelled_at"` // cancelled or closed
	UpdatedAt     time.Time         `json:"updated_at"`
	Lines         []Line            `json:"lines,omitempty"`
	Events        []Event           `json:"events,omitempty"`
	Payments      []payment.Payment `json:"payments,omitempty"`
	// PresaleRole: PresaleDeposit or PresaleTail for the two orders of a
	// presale purchase (预售), "" for any other; a deposit order carries
	// its Deposit (status, tail window).
	PresaleRole string   `json:"presale_role,omitempty" doc:"deposit or tail for a presale's orders"`
	Deposit     *Deposit `json:"deposit,omitempty" doc:"a deposit order's presale: deposit status and the tail window; status paid means deposit paid, tail due by tail_ends_at"`
}

// The presale roles of an order (orders.presale_role).
const (
	PresaleDeposit = "deposit"
	PresaleTail    = "tail"
)

// Line is one SKU of an order, priced when it was bought: refunds use these
// figures, never today's prices.
type Line struct {
	ID               int64  `json:"id"`
	SKUID            int64  `json:"sku_id"`
	ProductID        int64  `json:"product_id"`
	Title            string `json:"title"`
	Quantity         int64  `json:"quantity"`
	ListPrice        int64  `json:"list_price"`
	UnitPrice        int64  `json:"unit_price"`
	Discount         int64  `json:"discount"`   // off the whole line
	LineTotal        int64  `json:"line_total"` // what the buyer paid for the line
	UnitCost         int64  `json:"unit_cost"`
	RefundedQuantity int64  `json:"refunded_quantity"`
	// FlashItemID is the flash-sale item (秒杀) whose pool holds the
	// line's units; 0 for an ordinary line.
	FlashItemID int64 `json:"flash_item_id,omitempty"`
	// Stock is how the line treats stock (price.StockShelf, StockPool,
	// StockNone).
	Stock string `json:"stock,omitempty"`
}

// Event is one change of an order's status.
type Event struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	Action    Action    `json:"action"`
	From      string    `json:"from"` // "" for the order's creation
	To        Status    `json:"to"`
	ActorKind string    `json:"actor_kind"`
	ActorName string    `json:"actor_name"`
	Note      string    `json:"note"`
}

// ShipTo is where the parcel goes, copied into the order at checkout.
type ShipTo struct {
	Recipient string `json:"recipient"`
	Phone     string `json:"phone"`
	Province  string `json:"province"`
	City      string `json:"city"`
	District  string `json:"district"`
	Detail    string `json:"detail"`
	Postcode  string `json:"postcode"`
}

// Validate checks the address with the customer book's rules.
func (a ShipTo) Validate() error {
	return customer.AddressInput{Recipient: a.Recipient, Phone: a.Phone, Province: a.Province, City: a.City,
		District: a.District, Detail: a.Detail, Postcode: a.Postcode}.Validate()
}

// CheckoutInput is an order to place. Lines carry no prices: the Pricer
// decides them. When CartID is set, what is bought leaves that cart in the
// same transaction.
type CheckoutInput struct {
	CustomerID int64
	Channel    string // "": direct
	Lines      []price.Line
	CartID     int64
	ShipTo     ShipTo
	Note       string
	Coupons    []int64 // the buyer's coupons to use (price.Request.Coupons)
	Points     int64   // points to redeem
	// GroupBuy opens or joins a group (price.Request.GroupBuy); only
	// internal/groupbuy sets it.
	GroupBuy *price.GroupBuy
}

func (in CheckoutInput) validate() error {
	if in.Channel != "" && !customer.ValidChannel(in.Channel) {
		return apperr.Field("channel", "must be search, live, short_video, community, ads or direct, not %q", in.Channel)
	}
	if n := utf8.RuneCountInString(in.Note); n > maxNote {
		return apperr.Field("note", "at most %d characters (this is %d)", maxNote, n)
	}
	if err := price.CheckLines(in.Lines); err != nil {
		return err
	}
	if err := in.ShipTo.Validate(); err != nil {
		var fe *apperr.FieldError
		if errors.As(err, &fe) {
			return apperr.Field("ship_to."+fe.Field, "%s", fe.Message)
		}
		return err
	}
	return nil
}

// ShipInput is what the warehouse enters when the parcel leaves.
type ShipInput struct {
	Carrier    string `json:"carrier" doc:"the courier, e.g. 顺丰速运"`
	TrackingNo string `json:"tracking_no"`
	Note       string `json:"note"`
}

func (in ShipInput) validate() error {
	c, t := strings.TrimSpace(in.Carrier), strings.TrimSpace(in.TrackingNo)
	if c == "" || utf8.RuneCountInString(c) > maxCarrier {
		return apperr.Field("carrier", "name the courier (1 to %d characters)", maxCarrier)
	}
	if t == "" || len(t) > maxTrack || strings.ContainsFunc(t, func(r rune) bool { return r <= ' ' }) {
		return apperr.Field("tracking_no", "give the tracking number (1 to %d characters, no spaces)", maxTrack)
	}
	return checkNote(in.Note)
}

func checkNote(n string) error {
	if c := utf8.RuneCountInString(n); c > maxNote {
		return apperr.Field("note", "at most %d characters (this is %d)", maxNote, c)
	}
	return nil
}

// Shipping is the fee for goods worth goods after discounts.
func Shipping(goods, freeFrom, fee int64) int64 {
	if goods >= freeFrom {
		return 0
	}
	return fee
}

// NewOrderNo is SO, the day in the store's zone and ten random digits:
// unguessable, so one buyer's order number says nothing of the shop's
// volume, and longer than the demo's six-digit sequence, so the two never
// collide.
func NewOrderNo(t time.Time, loc *time.Location) string {
	var b [8]byte
	rand.Read(b[:])
	return fmt.Sprintf("SO%d%010d", settings.Day(t, loc), binary.BigEndian.Uint64(b[:])%10_000_000_000)
}
