// Package presale runs presales (预售) with deposit inflation (定金膨胀): a
// presale sells one SKU in two payments. During the deposit window a buyer
// pays a deposit of X per unit that counts as Y ≥ X toward the presale
// price P; during the tail window they pay the tail (尾款), P − Y less the
// tail discount (尾款立减). A deposit whose tail is not paid by the end of
// the tail window is forfeited, or refunded when the presale says its
// deposit is refundable; the buyer is shown which before paying.
//
// Money model. The deposit and the tail are two ordinary orders, so each
// payment goes through the order service's provider path (one live
// payment per order: a deposit is never charged twice) and each refund is
// exact to the 分:
//
//   - the deposit order has one line of the SKU at unit price X, total X×q,
//     free shipping; its line moves no goods (price.StockNone) and the
//     order never ships (the hook refuses it);
//   - the tail order has one line of the SKU at its list price L, unit
//     price P − Y − tail discount, total (P − Y − d)×q plus shipping; its
//     units come from the presale's pool (price.StockPool) and it ships.
//
// The buyer pays X×q + (P − Y − d)×q = (P − (Y − X) − d)×q in all: the
// inflation Y − X is what the shop gives for paying early. Refunding a
// presale refunds the tail order (its balance, in full or per unit by
// after-sales) and then the deposit order (X per unit), each through its
// own payment.
//
// Stock: the pool (stock units) is carved out of the SKU's stock when the
// presale is created (reserved, as flash sales do); a deposit takes units
// from the pool with one conditional UPDATE, so concurrent deposits never
// take more than it holds. When the deposit window ends the free units go
// back to the SKU; a deposit that closes unpaid, is forfeited or refunded
// gives its units back too.
package presale

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/storeops/storeops/internal/apperr"
)

// Bounds.
const (
	maxName  = 100
	maxLimit = 99
	maxStock = 1_000_000
)

// Terms are what a presale sells its SKU on, in 分 per unit.
type Terms struct {
	PresalePrice int64 // P: the price the buyer pays in all, before inflation
	Deposit      int64 // X: paid in the deposit window
	DepositValue int64 // Y ≥ X: what the deposit counts toward P (定金膨胀)
	TailDiscount int64 // d: taken off the tail (尾款立减)
}

// TailUnit is the tail of one unit: P − Y − d.
func (t Terms) TailUnit() int64 { return t.PresalePrice - t.DepositValue - t.TailDiscount }

// PaidUnit is what the buyer pays for one unit in all: X + tail.
func (t Terms) PaidUnit() int64 { return t.Deposit + t.TailUnit() }

// Inflation is what the shop adds to each unit's deposit: Y − X.
func (t Terms) Inflation() int64 { return t.DepositValue - t.Deposit }

// Check refuses terms that cannot be sold, naming the field to fix;
// listPrice is the SKU's.
func (t Terms) Check(listPrice int64) error {
	switch {
	case t.PresalePrice <= 0:
		return apperr.Field("presale_price", "must be above 0")
	case listPrice > 0 && t.PresalePrice > listPrice:
		return apperr.Field("presale_price", "%s is above the list price %s; a presale sells at or below it", yuan(t.PresalePrice), yuan(listPrice))
	case t.Deposit <= 0:
		return apperr.Field("deposit", "must be above 0")
	case t.DepositValue < t.Deposit:
		return apperr.Field("deposit_value", "the deposit %s must count as at least itself, not %s", yuan(t.Deposit), yuan(t.DepositValue))
	case t.TailDiscount < 0:
		return apperr.Field("tail_discount", "must not be negative")
	case t.DepositValue >= t.PresalePrice:
		return apperr.Field("deposit_value", "%s would pay the whole presale price %s; keep it below so a tail is left to pay", yuan(t.DepositValue), yuan(t.PresalePrice))
	case t.TailUnit() <= 0:
		return apperr.Field("tail_discount", "%s leaves no tail: the presale price %s less the deposit value %s is %s",
			yuan(t.TailDiscount), yuan(t.PresalePrice), yuan(t.DepositValue), yuan(t.PresalePrice-t.DepositValue))
	}
	return nil
}

// Windows are a presale's deposit and tail windows: deposits are taken in
// [DepositStartsAt, DepositEndsAt), tails in [TailStartsAt, TailEndsAt).
type Windows struct {
	DepositStartsAt time.Time `json:"deposit_starts_at"`
	DepositEndsAt   time.Time `json:"deposit_ends_at"`
	TailStartsAt    time.Time `json:"tail_starts_at"`
	TailEndsAt      time.Time `json:"tail_ends_at"`
}

// Check refuses windows out of order, naming the field to fix.
func (w Windows) Check(now time.Time) error {
	switch {
	case w.DepositStartsAt.IsZero():
		return apperr.Field("deposit_starts_at", "give when deposits open")
	case w.DepositEndsAt.IsZero():
		return apperr.Field("deposit_ends_at", "give when deposits close")
	case w.TailStartsAt.IsZero():
		return apperr.Field("tail_starts_at", "give when the tail payment opens")
	case w.TailEndsAt.IsZero():
		return apperr.Field("tail_ends_at", "give when the tail payment closes")
	case !w.DepositEndsAt.After(w.DepositStartsAt):
		return apperr.Field("deposit_ends_at", "must be after deposit_starts_at (%s); the dates look reversed", w.DepositStartsAt.Format(time.RFC3339))
	case w.TailStartsAt.Before(w.DepositEndsAt):
		return apperr.Field("tail_starts_at", "must not be before deposits close (%s)", w.DepositEndsAt.Format(time.RFC3339))
	case !w.TailEndsAt.After(w.TailStartsAt):
		return apperr.Field("tail_ends_at", "must be after tail_starts_at (%s); the dates look reversed", w.TailStartsAt.Format(time.RFC3339))
	case !w.DepositEndsAt.After(now):
		return apperr.Field("deposit_ends_at", "is in the past; a presale must take deposits in the future")
	}
	return nil
}

// Phase is where a presale stands at an instant.
type Phase string

const (
	Scheduled   Phase = "scheduled"     // before the deposit window
	DepositOpen Phase = "deposit"       // 付定金: deposits taken
	AwaitTail   Phase = "awaiting_tail" // deposits closed, tail not open yet
	TailOpen    Phase = "tail"          // 付尾款
	Finished    Phase = "finished"      // the tail window passed
)

// PhaseAt is the presale's phase at now; an ended presale takes no more
// deposits but its paid deposits keep their tail window.
func (w Windows) PhaseAt(now time.Time, ended bool) Phase {
	switch {
	case !now.Before(w.TailEndsAt):
		return Finished
	case !now.Before(w.TailStartsAt):
		return TailOpen
	case !now.Before(w.DepositEndsAt) || ended:
		return AwaitTail
	case !now.Before(w.DepositStartsAt):
		return DepositOpen
	}
	return Scheduled
}

// ForfeitRule says in words what happens to a deposit whose tail is not
// paid, for the buyer before they pay (zh-CN and English).
func ForfeitRule(refundable bool, tailEnds time.Time, loc *time.Location) (zh, en string) {
	at := tailEnds.In(loc).Format("2006-01-02 15:04")
	if refundable {
		return fmt.Sprintf("尾款须在 %s 前支付；逾期未付，定金原路退还", at),
			fmt.Sprintf("Pay the balance before %s; if you do not, the deposit is refunded", at)
	}
	return fmt.Sprintf("尾款须在 %s 前支付；逾期未付，定金不退", at),
		fmt.Sprintf("Pay the balance before %s; if you do not, the deposit is forfeited", at)
}

func checkName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > maxName {
		return "", apperr.Field("name", "give the presale a name of 1 to %d characters", maxName)
	}
	return name, nil
}

func yuan(fen int64) string { return fmt.Sprintf("¥%d.%02d", fen/100, fen%100) }
