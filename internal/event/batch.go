package event

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"unsafe"

	"github.com/klauspost/compress/zstd"
)

// Raw events are stored in batches: one event_batches row holds a few
// thousand events of one store day, column by column, each column
// compressed on its own with zstd (github.com/klauspost/compress: it
// decodes at about a gigabyte a second in pure Go, several times faster than
// the standard library's flate, and the funnel and the rollups read every
// event of their days). A batch is one B-tree insert where a row per event
// was four, and a reader decodes only the columns it needs.
//
// Layout: version byte, uvarint event count, uvarint column count, one
// uvarint compressed length per column, then the compressed columns in
// column order. Integer columns are zig-zag varints of the difference to the
// previous value; text columns are the uvarint lengths of all values, then
// their bytes; the type column is one byte per event.

// Columns a reader asks a batch for (a bit set).
type Columns uint32

// The columns of a batch, in stored order.
const (
	ColEventID Columns = 1 << iota
	ColReceivedAt
	ColAt
	ColType
	ColAnonymousID
	ColCustomerID
	ColSessionID
	ColChannel
	ColPage
	ColProductID
	ColSKUID
	ColSearchQuery
	ColOrderNo
	ColReferrer
	ColUTMSource
	ColUTMMedium
	ColUTMCampaign

	numColumns = iota
	// AllColumns asks for every column.
	AllColumns Columns = 1<<numColumns - 1
)

const batchVersion = 1

// typeCodes number the event types in a batch; 0 is never stored.
var typeCodes = map[string]uint8{PageView: 1, ProductView: 2, Search: 3, AddToCart: 4, CheckoutStart: 5, Purchase: 6}

// TypeNames is the event type of a type code (Batch.Type).
var TypeNames = [...]string{"", PageView, ProductView, Search, AddToCart, CheckoutStart, Purchase}

// Type codes as Batch.Type holds them.
const (
	CodePageView uint8 = iota + 1
	CodeProductView
	CodeSearch
	CodeAddToCart
	CodeCheckoutStart
	CodePurchase
)

// Batch is the decoded columns of stored events of one day; columns not
// asked for are nil. Day is the store day every event of it belongs to.
type Batch struct {
	Day                               int64
	N                                 int
	EventID                           []string
	ReceivedAt, At                    []int64
	Type                              []uint8
	AnonymousID                       []string
	CustomerID                        []int64
	SessionID, Channel, Page          []string
	ProductID, SKUID                  []int64
	SearchQuery, OrderNo, Referrer    []string
	UTMSource, UTMMedium, UTMCampaign []string
}

// Event is the i-th event with the columns that were decoded.
func (b *Batch) Event(i int) Event {
	e := Event{Day: b.Day}
	str := func(c []string) string {
		if c == nil {
			return ""
		}
		return c[i]
	}
	num := func(c []int64) int64 {
		if c == nil {
			return 0
		}
		return c[i]
	}
	e.EventID = str(b.EventID)
	if b.ReceivedAt != nil {
		e.ReceivedAt = ms(b.ReceivedAt[i])
	}
	if b.At != nil {
		e.At = ms(b.At[i])
	}
	if b.Type != nil {
		e.Type = TypeNames[b.Type[i]]
	}
	e.AnonymousID = str(b.AnonymousID)
	e.CustomerID = num(b.CustomerID)
	e.SessionID = str(b.SessionID)
	e.Channel = str(b.Channel)
	e.Page = str(b.Page)
	e.ProductID = num(b.ProductID)
	e.SKUID = num(b.SKUID)
	e.SearchQuery = str(b.SearchQuery)
	e.OrderNo = str(b.OrderNo)
	e.Referrer = str(b.Referrer)
	e.UTMSource = str(b.UTMSource)
	e.UTMMedium = str(b.UTMMedium)
	e.UTMCampaign = str(b.UTMCampaign)
	return e
}

var (
	zenc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1), zstd.WithLowerEncoderMem(true))
	zdec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(1<<30))
)

// encodeBatch encodes events that all belong to one store day.
func encodeBatch(events []Event) ([]byte, error) {
	n := len(events)
	cols := make([][]byte, numColumns)
	var raw []byte
	text := func(get func(*Event) string) []byte {
		raw = raw[:0]
		size := 0
		for i := range events {
			s := get(&events[i])
			raw = binary.AppendUvarint(raw, uint64(len(s)))
			size += len(s)
		}
		raw = slices.Grow(raw, size)
		for i := range events {
			raw = append(raw, get(&events[i])...)
		}
		return raw
	}
	ints := func(get func(*Event) int64) []byte {
		raw = raw[:0]
		var prev int64
		for i := range events {
			v := get(&events[i])
			raw = binary.AppendVarint(raw, v-prev)
			prev = v
		}
		return raw
	}
	for c := range numColumns {
		var b []byte
		switch Columns(1) << c {
		case ColEventID:
			b = text(func(e *Event) string { return e.EventID })
		case ColReceivedAt:
			b = ints(func(e *Event) int64 { return e.ReceivedAt.UnixMilli() })
		case ColAt:
			b = ints(func(e *Event) int64 { return e.At.UnixMilli() })
		case ColType:
			raw = raw[:0]
			for i := range events {
				code := typeCodes[events[i].Type]
				if code == 0 {
					return nil, fmt.Errorf("encode events: unknown type %q", events[i].Type)
				}
				raw = append(raw, code)
			}
			b = raw
		case ColAnonymousID:
			b = text(func(e *Event) string { return e.AnonymousID })
		case ColCustomerID:
			b = ints(func(e *Event) int64 { return e.CustomerID })
		case ColSessionID:
			b = text(func(e *Event) string { return e.SessionID })
		case ColChannel:
			b = text(func(e *Event) string { return e.Channel })
		case ColPage:
			b = text(func(e *Event) string { return e.Page })
		case ColProductID:
			b = ints(func(e *Event) int64 { return e.ProductID })
		case ColSKUID:
			b = ints(func(e *Event) int64 { return e.SKUID })
		case ColSearchQuery:
			b = text(func(e *Event) string { return e.SearchQuery })
		case ColOrderNo:
			b = text(func(e *Event) string { return e.OrderNo })
		case ColReferrer:
			b = text(func(e *Event) string { return e.Referrer })
		case ColUTMSource:
			b = text(func(e *Event) string { return e.UTMSource })
		case ColUTMMedium:
			b = text(func(e *Event) string { return e.UTMMedium })
		case ColUTMCampaign:
			b = text(func(e *Event) string { return e.UTMCampaign })
		}
		cols[c] = zenc.EncodeAll(b, nil)
	}
	out := []byte{batchVersion}
	out = binary.AppendUvarint(out, uint64(n))
	out = binary.AppendUvarint(out, numColumns)
	for _, c := range cols {
		out = binary.AppendUvarint(out, uint64(len(c)))
	}
	for _, c := range cols {
		out = append(out, c...)
	}
	return out, nil
}

var errCorrupt = errors.New("corrupt event batch")

// decodeStored decodes the columns want of a stored batch of day.
func decodeStored(data []byte, day int64, want Columns) (*Batch, error) {
	b := &Batch{Day: day}
	if len(data) < 1 || data[0] != batchVersion {
		return nil, errCorrupt
	}
	p := 1
	uv := func() (uint64, bool) {
		v, k := binary.Uvarint(data[p:])
		if k <= 0 {
			return 0, false
		}
		p += k
		return v, true
	}
	n, ok1 := uv()
	nc, ok2 := uv()
	if !ok1 || !ok2 || nc != numColumns || n > 1<<24 {
		return nil, errCorrupt
	}
	b.N = int(n)
	var lens [numColumns]int
	for c := range lens {
		l, ok := uv()
		if !ok {
			return nil, errCorrupt
		}
		lens[c] = int(l)
	}
	for c := range numColumns {
		col := Columns(1) << c
		if p+lens[c] > len(data) || lens[c] < 0 {
			return nil, errCorrupt
		}
		comp := data[p : p+lens[c]]
		p += lens[c]
		if want&col == 0 {
			continue
		}
		raw, err := zdec.DecodeAll(comp, nil)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errCorrupt, err)
		}
		if err := b.setColumn(col, raw); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func (b *Batch) setColumn(col Columns, raw []byte) error {
	switch col {
	case ColType:
		if len(raw) != b.N {
			return errCorrupt
		}
		b.Type = raw
		return nil
	case ColReceivedAt, ColAt, ColCustomerID, ColProductID, ColSKUID:
		vals := make([]int64, b.N)
		var prev int64
		p := 0
		for i := range vals {
			d, k := binary.Varint(raw[p:])
			if k <= 0 {
				return errCorrupt
			}
			p += k
			prev += d
			vals[i] = prev
		}
		switch col {
		case ColReceivedAt:
			b.ReceivedAt = vals
		case ColAt:
			b.At = vals
		case ColCustomerID:
			b.CustomerID = vals
		case ColProductID:
			b.ProductID = vals
		case ColSKUID:
			b.SKUID = vals
		}
		return nil
	}
	// two passes over the lengths: the first finds where the text starts
	p, total := 0, 0
	for range b.N {
		l, k := binary.Uvarint(raw[p:])
		if k <= 0 {
			return errCorrupt
		}
		p += k
		total += int(l)
	}
	if p+total != len(raw) {
		return errCorrupt
	}
	// one string for the whole column; the values are slices of it
	all := unsafe.String(unsafe.SliceData(raw[p:]), total)
	vals := make([]string, b.N)
	q, off := 0, 0
	for i := range vals {
		l, k := binary.Uvarint(raw[q:])
		q += k
		vals[i] = all[off : off+int(l)]
		off += int(l)
	}
	switch col {
	case ColEventID:
		b.EventID = vals
	case ColAnonymousID:
		b.AnonymousID = vals
	case ColSessionID:
		b.SessionID = vals
	case ColChannel:
		b.Channel = vals
	case ColPage:
		b.Page = vals
	case ColSearchQuery:
		b.SearchQuery = vals
	case ColOrderNo:
		b.OrderNo = vals
	case ColReferrer:
		b.Referrer = vals
	case ColUTMSource:
		b.UTMSource = vals
	case ColUTMMedium:
		b.UTMMedium = vals
	case ColUTMCampaign:
		b.UTMCampaign = vals
	}
	return nil
}
