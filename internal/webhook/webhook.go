// Package webhook sends the shop's events to other systems (an ERP, a CRM,
// a marketplace connector) as signed HTTP POSTs.
//
// It is a transactional outbox: Emit writes the event, and one delivery per
// subscribed endpoint, with the caller's own transaction, so an event is sent
// if and only if the change it reports committed. A worker (Service.Run)
// claims due deliveries under a lease, POSTs them, and records every attempt;
// a failure is retried with exponential backoff and jitter until MaxAttempts,
// then the delivery is dead and waits for a replay. Delivery is at least
// once: a receiver dedupes by the Storeops-Event-Id header.
package webhook

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
)

// Event types emitted today. Endpoints subscribe to types, to a family
// ("order.*") or to everything ("*"); other packages may emit types not in
// this list (Known is what the console offers as checkboxes).
const (
	OrderPaid      = "order.paid"
	OrderShipped   = "order.shipped"
	OrderDelivered = "order.delivered"
	OrderCompleted = "order.completed"
	OrderCancelled = "order.cancelled"
	OrderClosed    = "order.closed"
	OrderRefunded  = "order.refunded"
	BriefCreated   = "brief.created"
	// CustomerCreated: a customer joined (signed up, or was added in the
	// console or the API); imported and synced buyers do not count.
	CustomerCreated = "customer.created"
	// Test is what "send a test" posts; it goes to the one endpoint asked.
	Test = "webhook.test"
	// After-sales (售后) cases: aftersale.<status> when a case reaches a
	// status (AfterSaleEvent); a refund also emits order.refunded.
	AfterSaleRequested = "aftersale.requested"
	AfterSaleApproved  = "aftersale.approved"
	AfterSaleRejected  = "aftersale.rejected"
	AfterSaleReturned  = "aftersale.goods_received"
	AfterSaleRefunded  = "aftersale.refunded"
	AfterSaleExchanged = "aftersale.exchanged"
	AfterSaleClosed    = "aftersale.closed"
	// Referral programme (邀请有礼) invitations: linked to a code, first
	// order paid (holding), held for review, rewarded, voided.
	ReferralLinked   = "referral.linked"
	ReferralPaid     = "referral.paid"
	ReferralHeld     = "referral.held"
	ReferralRewarded = "referral.rewarded"
	ReferralVoided   = "referral.voided"
)

// AfterSaleData is the data of an aftersale.* event.
type AfterSaleData struct {
	ID             int64     `json:"id"`
	OrderID        int64     `json:"order_id"`
	OrderNo        string    `json:"order_no"`
	CustomerID     int64     `json:"customer_id,omitempty"`
	Kind           string    `json:"kind" doc:"refund_only, return_refund or exchange"`
	Status         string    `json:"status"`
	PreviousStatus string    `json:"previous_status"`
	Action         string    `json:"action"`
	Amount         int64     `json:"amount" doc:"what the case refunds, in minor units (分)"`
	At             time.Time `json:"at"`
}

// AfterSaleEvent is the event type of a case reaching status, or "" for a
// step no one subscribes to by name (the buyer posting the goods back).
func AfterSaleEvent(status string) string {
	switch status {
	case "requested", "approved", "rejected", "goods_received", "refunded", "exchanged", "closed":
		return "aftersale." + status
	}
	return ""
}

// OrderData is the data of an order.* event, whoever changed the order
// (the order service, or a marketplace's order sync).
type OrderData struct {
	ID             int64     `json:"id"`
	OrderNo        string    `json:"order_no"`
	ExternalID     string    `json:"external_id,omitempty" doc:"source:id of an order synced or imported from a marketplace"`
	CustomerID     int64     `json:"customer_id,omitempty"`
	Status         string    `json:"status"`
	PreviousStatus string    `json:"previous_status"`
	Action         string    `json:"action"`
	Channel        string    `json:"channel"`
	Currency       string    `json:"currency"`
	Total          int64     `json:"total" doc:"what the buyer paid, in minor units (分)"`
	RefundedTotal  int64     `json:"refunded_total"`
	Carrier        string    `json:"carrier,omitempty"`
	TrackingNo     string    `json:"tracking_no,omitempty"`
	At             time.Time `json:"at"`
	// Refunded is the amount of this refund, on order.refunded.
	Refunded int64 `json:"refunded,omitempty"`
}

// OrderEvent is the event type of an order reaching status, or "".
func OrderEvent(status string) string {
	switch status {
	case "paid", "shipped", "delivered", "completed", "cancelled", "closed":
		return "order." + status
	}
	return ""
}

// Known lists the event types a shop can subscribe to by name.
func Known() []string {
	return []string{OrderPaid, OrderShipped, OrderDelivered, OrderCompleted, OrderCancelled, OrderClosed, OrderRefunded,
		AfterSaleRequested, AfterSaleApproved, AfterSaleRejected, AfterSaleReturned, AfterSaleRefunded, AfterSaleExchanged, AfterSaleClosed,
		CustomerCreated, BriefCreated, ReferralLinked, ReferralPaid, ReferralHeld, ReferralRewarded, ReferralVoided}
}

var typeRE = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)

// ValidType reports whether t is a well-formed event type: dotted lower-case
// words, "order.paid".
func ValidType(t string) bool { return len(t) <= 100 && typeRE.MatchString(t) }

// validPattern: a type, "family.*" or "*".
func validPattern(p string) bool {
	if p == "*" {
		return true
	}
	if fam, ok := strings.CutSuffix(p, ".*"); ok {
		return ValidType(fam + ".x")
	}
	return ValidType(p)
}

// Matches reports whether an endpoint subscribed to patterns wants event
// type t.
func Matches(patterns []string, t string) bool {
	for _, p := range patterns {
		if p == "*" || p == t {
			return true
		}
		if fam, ok := strings.CutSuffix(p, ".*"); ok && strings.HasPrefix(t, fam+".") {
			return true
		}
	}
	return false
}

// Endpoint is a URL the shop posts events to.
type Endpoint struct {
	ID          int64     `json:"id"`
	URL         string    `json:"url"`
	Description string    `json:"description"`
	Events      []string  `json:"events" doc:"event types, a family such as order.* or * for all"`
	Active      bool      `json:"active"`
	SecretHint  string    `json:"secret_hint" doc:"the last characters of the signing secret"`
	Secret      string    `json:"secret,omitempty" doc:"the signing secret: only in the replies to create and rotate-secret"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// EndpointInput is what an operator enters for an endpoint.
type EndpointInput struct {
	URL         string   `json:"url" doc:"http:// or https://; private and loopback addresses are refused unless the server allows them"`
	Description string   `json:"description"`
	Events      []string `json:"events" doc:"event types to receive, e.g. [\"order.paid\", \"order.refunded\"], or [\"*\"]"`
	Active      *bool    `json:"active" doc:"default true; a paused endpoint keeps its deliveries pending"`
}

func (in *EndpointInput) normalize() {
	in.URL = strings.TrimSpace(in.URL)
	in.Description = strings.TrimSpace(in.Description)
	var evs []string
	for _, e := range in.Events {
		for _, p := range strings.FieldsFunc(e, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' }) {
			if !slices.Contains(evs, p) {
				evs = append(evs, p)
			}
		}
	}
	in.Events = evs
}

func (in EndpointInput) validateFields() error {
	if len([]rune(in.Description)) > 200 {
		return fieldErr("description", "at most 200 characters")
	}
	if len(in.Events) == 0 {
		return fieldErr("events", "choose at least one event type (or * for all)")
	}
	for _, e := range in.Events {
		if !validPattern(e) {
			return fieldErr("events", "%q is not an event type such as order.paid, a family such as order.*, or *", e)
		}
	}
	return nil
}

// Delivery statuses.
const (
	StatusPending   = "pending"
	StatusSucceeded = "succeeded"
	StatusDead      = "dead"
)

// Delivery is one event for one endpoint, with its attempts so far.
type Delivery struct {
	ID             int64      `json:"id"`
	EventID        int64      `json:"event_id"`
	EventType      string     `json:"event_type"`
	EndpointID     int64      `json:"endpoint_id"`
	EndpointURL    string     `json:"endpoint_url"`
	ReplayOf       int64      `json:"replay_of,omitempty" doc:"the delivery this one replays"`
	Status         string     `json:"status" doc:"pending, succeeded or dead (given up after the last retry)"`
	Attempts       int64      `json:"attempts"`
	NextAttemptAt  *time.Time `json:"next_attempt_at" doc:"when a pending delivery is tried next"`
	LastStatusCode int64      `json:"last_status_code"`
	LastError      string     `json:"last_error"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	Payload        string     `json:"payload,omitempty" doc:"the body sent (in the reply for one delivery)"`
	Log            []Attempt  `json:"log,omitempty"`
}

// Attempt is one HTTP request of a delivery.
type Attempt struct {
	Attempt    int64     `json:"attempt"`
	At         time.Time `json:"at"`
	StatusCode int64     `json:"status_code" doc:"0: no HTTP response (see error)"`
	LatencyMS  int64     `json:"latency_ms"`
	Response   string    `json:"response" doc:"the first 1 KiB of the response body"`
	Error      string    `json:"error"`
}

func fieldErr(field, format string, args ...any) error {
	return apperr.Field(field, format, args...)
}
