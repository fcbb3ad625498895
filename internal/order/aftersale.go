package order

import (
	"fmt"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
)

// After-sales (售后): a buyer asks for money back, goods back, or other
// goods, for some units of some lines of a paid order. The rules are plain
// functions here; the service is in aftersale_service.go.

// AfterSaleKind is what the buyer asks for.
type AfterSaleKind string

const (
	RefundOnly   AfterSaleKind = "refund_only"   // 仅退款: money back, the goods stay (or never left)
	ReturnRefund AfterSaleKind = "return_refund" // 退货退款: goods back, then money back
	Exchange     AfterSaleKind = "exchange"      // 换货: goods back, other units shipped
)

// AfterSaleReason is why. A quality complaint (质量问题) must be handled
// within QualityDeadline.
type AfterSaleReason string

const (
	ReasonQuality        AfterSaleReason = "quality"          // 质量问题
	ReasonWrongItem      AfterSaleReason = "wrong_item"       // 发错货
	ReasonSize           AfterSaleReason = "size"             // 尺码不合适
	ReasonNotAsDescribed AfterSaleReason = "not_as_described" // 与描述不符
	ReasonChangedMind    AfterSaleReason = "changed_mind"     // 七天无理由
	ReasonNotReceived    AfterSaleReason = "not_received"     // 未收到货
	ReasonOther          AfterSaleReason = "other"
)

// AfterSaleStatus is where a case stands.
type AfterSaleStatus string

const (
	CaseRequested      AfterSaleStatus = "requested"       // 待处理
	CaseApproved       AfterSaleStatus = "approved"        // 已同意
	CaseAwaitingReturn AfterSaleStatus = "awaiting_return" // 待退货: the buyer sent the goods back
	CaseGoodsReceived  AfterSaleStatus = "goods_received"  // 已收到退货
	CaseRefunded       AfterSaleStatus = "refunded"        // 已退款
	CaseExchanged      AfterSaleStatus = "exchanged"       // 已换货: the replacement left
	CaseClosed         AfterSaleStatus = "closed"          // 已关闭
	CaseRejected       AfterSaleStatus = "rejected"        // 已拒绝
)

// AfterSaleAction moves a case.
type AfterSaleAction string

const (
	CaseOpen         AfterSaleAction = "open"
	CaseApprove      AfterSaleAction = "approve"
	CaseReject       AfterSaleAction = "reject"
	CaseReturnSent   AfterSaleAction = "return_sent" // the buyer posted the goods back
	CaseReceive      AfterSaleAction = "receive"     // the warehouse has them
	CaseRefund       AfterSaleAction = "refund"
	CaseExchangeShip AfterSaleAction = "exchange_ship"
	CaseClose        AfterSaleAction = "close"
)

// QualityDeadline is how long a quality complaint may wait for a decision;
// DefaultAfterSaleDeadline is the same for every other reason, unless the
// store sets aftersale.due_hours.
const (
	QualityDeadline          = 48 * time.Hour
	DefaultAfterSaleDeadline = 72 * time.Hour
	afterSaleDueKey          = "aftersale.due_hours"
)

// AfterSaleKinds, AfterSaleReasons and AfterSaleStatuses list the values.
func AfterSaleKinds() []AfterSaleKind { return []AfterSaleKind{RefundOnly, ReturnRefund, Exchange} }

func AfterSaleReasons() []AfterSaleReason {
	return []AfterSaleReason{ReasonQuality, ReasonWrongItem, ReasonSize, ReasonNotAsDescribed, ReasonChangedMind, ReasonNotReceived, ReasonOther}
}

func AfterSaleStatuses() []AfterSaleStatus {
	return []AfterSaleStatus{CaseRequested, CaseApproved, CaseAwaitingReturn, CaseGoodsReceived, CaseRefunded, CaseExchanged, CaseClosed, CaseRejected}
}

func afterSaleActions() []AfterSaleAction {
	return []AfterSaleAction{CaseApprove, CaseReject, CaseReturnSent, CaseReceive, CaseRefund, CaseExchangeShip, CaseClose}
}

func validKind(k AfterSaleKind) bool {
	for _, v := range AfterSaleKinds() {
		if v == k {
			return true
		}
	}
	return false
}

func validReason(r AfterSaleReason) bool {
	for _, v := range AfterSaleReasons() {
		if v == r {
			return true
		}
	}
	return false
}

func validCaseStatus(s AfterSaleStatus) bool {
	for _, v := range AfterSaleStatuses() {
		if v == s {
			return true
		}
	}
	return false
}

// caseTransitions is the state machine shared by every kind; kindAllows
// narrows it: only goods that come back pass through awaiting_return and
// goods_received, only an exchange ends exchanged.
var caseTransitions = map[AfterSaleStatus]map[AfterSaleAction]AfterSaleStatus{
	CaseRequested:      {CaseApprove: CaseApproved, CaseReject: CaseRejected, CaseClose: CaseClosed},
	CaseApproved:       {CaseRefund: CaseRefunded, CaseReturnSent: CaseAwaitingReturn, CaseReceive: CaseGoodsReceived, CaseClose: CaseClosed},
	CaseAwaitingReturn: {CaseReceive: CaseGoodsReceived, CaseClose: CaseClosed},
	CaseGoodsReceived:  {CaseRefund: CaseRefunded, CaseExchangeShip: CaseExchanged},
	CaseRefunded:       {CaseClose: CaseClosed},
	CaseExchanged:      {CaseClose: CaseClosed},
}

func kindAllows(k AfterSaleKind, from AfterSaleStatus, a AfterSaleAction) bool {
	switch a {
	case CaseReturnSent, CaseReceive:
		return k != RefundOnly
	case CaseExchangeShip:
		return k == Exchange
	case CaseRefund:
		// Refund only pays once approved; a return pays once the goods
		// are back. An exchange never pays.
		return (k == RefundOnly && from == CaseApproved) || (k == ReturnRefund && from == CaseGoodsReceived)
	}
	return true
}

// ErrIllegalCaseTransition: the case's status does not allow the action.
var ErrIllegalCaseTransition = fmt.Errorf("not allowed in the after-sales case's current status: %w", apperr.ErrConflict)

// ErrOpenAfterSale refuses cancelling a paid order while an after-sales
// case holds some of its units.
var ErrOpenAfterSale = fmt.Errorf("an after-sales case is open on this order; finish or close it before cancelling: %w", apperr.ErrConflict)

// NextCase is the status action leads a case of kind k to from status
// from, or ErrIllegalCaseTransition naming what the case allows.
func NextCase(k AfterSaleKind, from AfterSaleStatus, a AfterSaleAction) (AfterSaleStatus, error) {
	if to, ok := caseTransitions[from][a]; ok && kindAllows(k, from, a) {
		return to, nil
	}
	var allowed []string
	for _, act := range afterSaleActions() {
		if _, ok := caseTransitions[from][act]; ok && kindAllows(k, from, act) {
			allowed = append(allowed, string(act))
		}
	}
	hint := "nothing more can happen to it"
	if len(allowed) > 0 {
		hint = "it can only " + strings.Join(allowed, ", ")
	}
	return "", fmt.Errorf("cannot %s a %s case that is %s (%s): %w", a, k, from, hint, ErrIllegalCaseTransition)
}

// CaseDue is when a case opened at opened must be approved or rejected: 48 h
// for a quality complaint, def for anything else.
func CaseDue(reason AfterSaleReason, opened time.Time, def time.Duration) time.Time {
	if reason == ReasonQuality {
		return opened.Add(QualityDeadline)
	}
	if def <= 0 {
		def = DefaultAfterSaleDeadline
	}
	return opened.Add(def)
}

// PaidForUnits is what the buyer paid for units from+1 … from+n of a line
// of quantity units that cost lineTotal together (what was paid for the
// line: unit price × quantity less the line's discount).
//
// The line's total is shared over its units by largest remainder: every
// unit carries lineTotal/quantity 分, and the lineTotal mod quantity 分 left
// over go one each to the first units (all remainders are equal, so the
// earlier unit wins the tie). Refunds take units in that order, so however
// a line is refunded — one unit at a time or all at once — the refunds add
// up to exactly lineTotal.
func PaidForUnits(lineTotal, quantity, from, n int64) int64 {
	if quantity <= 0 || n <= 0 {
		return 0
	}
	return paidForFirst(lineTotal, quantity, from+n) - paidForFirst(lineTotal, quantity, from)
}

func paidForFirst(lineTotal, quantity, m int64) int64 {
	m = max(0, min(m, quantity))
	return m*(lineTotal/quantity) + min(m, lineTotal%quantity)
}

// RefundShipping reports whether a refund returns the shipping fee too:
// only when it leaves no unit of the order unrefunded and the order never
// shipped (the shop paid no courier). A fully refunded order that shipped
// keeps its shipping fee: the parcel went out.
func RefundShipping(status Status, unitsLeftAfter int64) bool {
	return status == Paid && unitsLeftAfter == 0
}
