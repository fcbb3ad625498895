// Package inventory keeps stock per SKU and the ledger of its movements:
// on_hand always equals the sum of the SKU's movements, and reserved (what
// unpaid and unshipped orders hold) never exceeds on_hand, so nothing is
// sold twice.
package inventory

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/storeops/storeops/internal/apperr"
)

// Reasons for a stock movement.
const (
	ReasonReceipt    = "receipt"    // 入库: goods arrived
	ReasonAdjustment = "adjustment" // a correction either way
	ReasonCount      = "count"      // 盘点: a stocktake, recorded by SetCount
	ReasonDamage     = "damage"     // 报损: broken, lost, expired
	ReasonSale       = "sale"       // shipped to a buyer (CommitSale)
	ReasonReturn     = "return"     // came back from a buyer (Restock)
)

var (
	// ErrOutOfStock: fewer units are available than an order asks for.
	ErrOutOfStock = fmt.Errorf("out of stock: %w", apperr.ErrConflict)
	// ErrBelowReserved: a change would leave fewer on hand than orders
	// have reserved, or fewer than none.
	ErrBelowReserved = fmt.Errorf("stock would fall below what orders reserved: %w", apperr.ErrConflict)
	// ErrNotReserved: an order releases or ships more than it reserved.
	ErrNotReserved = fmt.Errorf("more than is reserved: %w", apperr.ErrConflict)
)

const (
	maxRef  = 100
	maxNote = 500
)

// Level is a SKU's stock: Available = OnHand − Reserved is what can still
// be sold.
type Level struct {
	SKUID     int64 `json:"sku_id"`
	OnHand    int64 `json:"on_hand"`
	Reserved  int64 `json:"reserved"`
	Available int64 `json:"available"`
}

func level(skuID, onHand, reserved int64) Level {
	return Level{SKUID: skuID, OnHand: onHand, Reserved: reserved, Available: onHand - reserved}
}

// Item is a row of the stock list: a level with what the SKU is.
type Item struct {
	Level
	Code         string    `json:"code"`
	Spec         string    `json:"spec"`
	ProductID    int64     `json:"product_id"`
	ProductTitle string    `json:"product_title"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Movement is one entry of the stock ledger.
type Movement struct {
	ID          int64     `json:"id"`
	SKUID       int64     `json:"sku_id"`
	Delta       int64     `json:"delta"`
	Reason      string    `json:"reason"`
	Ref         string    `json:"ref"` // what caused it: an order number, a purchase order…
	Note        string    `json:"note"`
	Actor       string    `json:"actor"`
	OnHandAfter int64     `json:"on_hand_after"`
	At          time.Time `json:"at"`
}

// Mismatch is a SKU whose on_hand differs from the sum of its movements.
type Mismatch struct {
	SKUID     int64 `json:"sku_id"`
	OnHand    int64 `json:"on_hand"`
	LedgerSum int64 `json:"ledger_sum"`
}

// CheckAdjustment says whether an operator may move stock by delta for
// reason: receipts add, damage takes away, adjustments go either way.
// Stocktakes go through SetCount, sales and returns through orders.
func CheckAdjustment(reason string, delta int64) error {
	switch reason {
	case ReasonReceipt:
		if delta <= 0 {
			return apperr.Field("delta", "a receipt adds stock: give a positive quantity, not %d", delta)
		}
	case ReasonDamage:
		if delta >= 0 {
			return apperr.Field("delta", "damage takes stock away: give a negative quantity, not %d", delta)
		}
	case ReasonAdjustment:
		if delta == 0 {
			return apperr.Field("delta", "an adjustment of 0 changes nothing")
		}
	case ReasonCount:
		return apperr.Field("reason", "record a stocktake with the counted quantity (SetCount), not a difference")
	case ReasonSale, ReasonReturn:
		return apperr.Field("reason", "%s movements come from orders and after-sales, not from manual adjustments", reason)
	default:
		return apperr.Field("reason", "must be receipt, adjustment or damage, not %q", reason)
	}
	return nil
}

func checkMemo(ref, note string) error {
	if n := utf8.RuneCountInString(ref); n > maxRef {
		return apperr.Field("ref", "at most %d characters (this is %d)", maxRef, n)
	}
	if n := utf8.RuneCountInString(note); n > maxNote {
		return apperr.Field("note", "at most %d characters (this is %d)", maxNote, n)
	}
	return nil
}

func checkQuantity(n int64) error {
	if n <= 0 {
		return apperr.Field("quantity", "must be at least 1, not %d", n)
	}
	return nil
}
