// Package event collects traffic events — page views, product views,
// searches, add-to-cart, checkout starts and purchases — from the shop's
// pages and platforms, maps each to a channel (渠道) at ingest, and counts
// PV and UV per day and channel from them.
package event

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Event types.
const (
	PageView      = "page_view"
	ProductView   = "product_view"
	Search        = "search"
	AddToCart     = "add_to_cart"
	CheckoutStart = "checkout_start"
	Purchase      = "purchase"
)

var knownTypes = map[string]bool{PageView: true, ProductView: true, Search: true, AddToCart: true, CheckoutStart: true, Purchase: true}

// Reasons an event is refused, as counted in event_rejections.
const (
	ReasonInvalidJSON        = "invalid_json"
	ReasonUnknownType        = "unknown_type"
	ReasonMissingAnonymousID = "missing_anonymous_id"
	ReasonTooLarge           = "too_large"
	ReasonTooManyEvents      = "too_many_events"
	ReasonBot                = "bot"
	ReasonQueueFull          = "queue_full"
	ReasonWriteFailed        = "write_failed"
)

// Clock skew tolerated in a client's timestamp: a browser's clock may be a
// little ahead, and a page may send what it queued while offline, but never
// older than a day (the day would already be reported on).
const (
	MaxAhead = 5 * time.Minute
	MaxAge   = 24 * time.Hour
)

// Event is one stored traffic event. Absent ids are 0, absent text "".
type Event struct {
	EventID     string
	ReceivedAt  time.Time
	At          time.Time
	Day         int64
	Type        string
	AnonymousID string
	CustomerID  int64
	SessionID   string
	Channel     string
	Page        string
	ProductID   int64
	SKUID       int64
	SearchQuery string
	OrderNo     string
	Referrer    string
	UTMSource   string
	UTMMedium   string
	UTMCampaign string
}

// PurchaseEventID is the dedup key of a purchase: the page's purchase event
// and the one the server emits on payment share it, so the order counts once.
func PurchaseEventID(orderNo string) string { return "purchase:" + orderNo }

// wire is an event as the snippet and platforms send it.
type wire struct {
	ID          string  `json:"id"`
	Type        string  `json:"type"`
	At          flexInt `json:"at"`
	AnonymousID string  `json:"anonymous_id"`
	CustomerID  flexInt `json:"customer_id"`
	SessionID   string  `json:"session_id"`
	Page        string  `json:"page"`
	Referrer    string  `json:"referrer"`
	ProductID   flexInt `json:"product_id"`
	SKUID       flexInt `json:"sku_id"`
	Query       string  `json:"query"`
	OrderNo     string  `json:"order_no"`
	UTMSource   string  `json:"utm_source"`
	UTMMedium   string  `json:"utm_medium"`
	UTMCampaign string  `json:"utm_campaign"`
}

// flexInt takes a number or a numeric string, since templates often print
// ids quoted; null and "" are 0.
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*f = 0
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return err
	}
	*f = flexInt(n)
	return nil
}

// Text limits: longer values are cut, not refused, so one long URL does not
// lose a page view.
const (
	maxURL  = 2048
	maxText = 256
	maxID   = 128
)

func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	// cut on a rune boundary so the stored text stays valid UTF-8
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// ClampTime is the event time to store for a client's timestamp (unix ms,
// 0 when absent): the receive time when absent or too far ahead, at most a
// day before it otherwise.
func ClampTime(clientMS int64, received time.Time) time.Time {
	if clientMS <= 0 {
		return received
	}
	at := time.UnixMilli(clientMS)
	if at.After(received.Add(MaxAhead)) {
		return received
	}
	if oldest := received.Add(-MaxAge); at.Before(oldest) {
		return oldest
	}
	return at
}

// decode turns one wire event into an Event, or says why it is refused.
// Channel and Day are left for the collector, which knows the rules and the
// store's zone.
func decode(raw json.RawMessage, received time.Time) (Event, string) {
	var w wire
	if err := json.Unmarshal(raw, &w); err != nil {
		return Event{}, ReasonInvalidJSON
	}
	return fromWire(w, received)
}

// fromWire checks a wire event and turns it into an Event, or says why it
// is refused.
func fromWire(w wire, received time.Time) (Event, string) {
	typ := strings.TrimSpace(strings.ToLower(w.Type))
	if !knownTypes[typ] {
		return Event{}, ReasonUnknownType
	}
	anon := clip(w.AnonymousID, maxID)
	if anon == "" {
		return Event{}, ReasonMissingAnonymousID
	}
	e := Event{
		ReceivedAt:  received,
		At:          ClampTime(int64(w.At), received),
		Type:        typ,
		AnonymousID: anon,
		CustomerID:  max(int64(w.CustomerID), 0),
		SessionID:   clip(w.SessionID, maxID),
		Page:        clip(w.Page, maxURL),
		Referrer:    clip(w.Referrer, maxURL),
		ProductID:   max(int64(w.ProductID), 0),
		SKUID:       max(int64(w.SKUID), 0),
		SearchQuery: clip(w.Query, maxText),
		OrderNo:     clip(w.OrderNo, maxID),
		UTMSource:   strings.ToLower(clip(w.UTMSource, maxText)),
		UTMMedium:   strings.ToLower(clip(w.UTMMedium, maxText)),
		UTMCampaign: clip(w.UTMCampaign, maxText),
	}
	switch id := clip(w.ID, maxID); {
	case typ == Purchase && e.OrderNo != "":
		e.EventID = PurchaseEventID(e.OrderNo)
	case id != "":
		// prefixed so a client id can never take a server key such as
		// purchase:<order_no>
		e.EventID = "c:" + id
	default:
		e.EventID = "g:" + randomID()
	}
	return e, ""
}

func randomID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// host is the lower-case host of a URL, "" when it has none.
func host(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// botMarks are user-agent fragments of crawlers, preview fetchers and
// headless browsers; their requests would inflate PV and UV. HTTP libraries
// are not on the list: platforms post events from their servers.
var botMarks = []string{
	"bot", "spider", "crawl", "slurp", "headless", "phantomjs", "lighthouse",
	"facebookexternalhit", "scrapy",
}

// IsBot reports whether a user agent belongs to a robot (Baiduspider,
// Googlebot, bingbot, YisouSpider, Bytespider, HeadlessChrome …).
func IsBot(ua string) bool {
	l := strings.ToLower(ua)
	for _, m := range botMarks {
		if strings.Contains(l, m) {
			return true
		}
	}
	return false
}
