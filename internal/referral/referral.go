// Package referral is the shop's referral programme (邀请有礼): every
// customer has a stable invite code; a new customer links to a code (at
// sign-up, at checkout, or later); the invitee's first paid order after
// linking qualifies the invitation, and when that order has gone the
// programme's holding period without being refunded, both sides are
// rewarded — a coupon and/or points each — exactly once.
//
// An invitation moves linked → paid (first order paid, holding) → rewarded,
// or to void: refunded in the holding period, a self-referral (the
// inviter's own phone, device or shipping address), a first order below the
// minimum or not the customer's first, or rejected on review. An invitee
// who shares a device, phone or address with other invitees of the same
// inviter is flagged, and from the programme's threshold on held for an
// operator to approve or reject.
//
// The order hook notices the first payment and refunds in the orders' own
// transactions (it only touches the database, so a rerun is harmless); a
// job rewards what is due. The reward is written in the transaction that
// moves the invitation paid → rewarded with a conditional UPDATE, so a job
// running twice, or on several instances at once, rewards once.
package referral

import (
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/webhook"
)

// Status is where an invitation stands.
type Status string

// The statuses of an invitation.
const (
	Linked   Status = "linked"   // 已绑定: the invitee used the code, no paid order yet
	Paid     Status = "paid"     // 首单已付: the first order is paid, in its holding period
	Rewarded Status = "rewarded" // 已奖励: both sides got their rewards
	Void     Status = "void"     // 已作废: VoidReason says why
)

// Statuses lists the statuses in the order an invitation moves.
func Statuses() []Status { return []Status{Linked, Paid, Rewarded, Void} }

// ValidStatus reports whether s names a status.
func ValidStatus(s string) bool { return slices.Contains(Statuses(), Status(s)) }

// CanMove reports whether an invitation may move from s to to: forward
// only, and nothing leaves rewarded or void.
func (s Status) CanMove(to Status) bool {
	switch s {
	case Linked:
		return to == Paid || to == Void
	case Paid:
		return to == Rewarded || to == Void
	}
	return false
}

// Review is an operator's hold on an invitation.
type Review string

// The review states: pending invitations are held (the job does not
// reward them) until approved or rejected (which voids them).
const (
	ReviewNone     Review = "none"
	ReviewPending  Review = "pending"
	ReviewApproved Review = "approved"
)

// Why an invitation is void.
const (
	VoidRefunded      = "refunded"            // the first order was refunded in its holding period
	VoidSelfReferral  = "self_referral"       // the invitee is the inviter under another account
	VoidNotNew        = "not_new_customer"    // the customer had paid orders before
	VoidBelowMinimum  = "below_minimum"       // the first order paid less than the programme's minimum
	VoidRejected      = "rejected"            // an operator rejected it on review
	FlagSharedDevice  = "shared_device"       // the same device as another invitee of the inviter
	FlagSharedPhone   = "shared_phone"        // the same phone as another invitee of the inviter
	FlagSharedAddress = "shared_address"      // the same shipping address as another invitee
	FlagInviterDevice = "inviter_device"      // the device the inviter asked for their code from
	FlagInviterPhone  = "inviter_phone"       // the inviter's phone on the first order
	FlagInviterAddr   = "inviter_address"     // one of the inviter's addresses on the first order
	FlagCapped        = "inviter_cap_reached" // the inviter had reached the monthly cap: only the invitee was rewarded
)

// Webhook events; each carries the Invitation.
const (
	EventLinked   = webhook.ReferralLinked
	EventPaid     = webhook.ReferralPaid
	EventHeld     = webhook.ReferralHeld
	EventRewarded = webhook.ReferralRewarded
	EventVoided   = webhook.ReferralVoided
)

// Limits of the programme's settings.
const (
	MaxHoldingDays = 90
	MaxPoints      = 1_000_000
	MaxMonthlyCap  = 1000
	MaxThreshold   = 100
	MaxMinOrder    = 100_000_000 // ¥1,000,000
)

// Programme is the shop's referral settings.
type Programme struct {
	Enabled bool `json:"enabled"`
	// The inviter's (邀请人) reward: a coupon of a template and/or points.
	InviterCouponTemplateID int64 `json:"inviter_coupon_template_id" doc:"coupon template given to the inviter; 0: none"`
	InviterPoints           int64 `json:"inviter_points"`
	// The invitee's (被邀请人) reward.
	InviteeCouponTemplateID int64     `json:"invitee_coupon_template_id" doc:"coupon template given to the invitee; 0: none"`
	InviteePoints           int64     `json:"invitee_points"`
	HoldingDays             int64     `json:"holding_days" doc:"days the first order must go without a refund before rewards are given"`
	MonthlyCap              int64     `json:"monthly_cap" doc:"invitations a customer is rewarded for per month; 0: no cap"`
	NewCustomersOnly        bool      `json:"new_customers_only" doc:"only customers without a paid order may use a code"`
	MinOrderAmount          int64     `json:"min_order_amount" doc:"the least the first order must pay, 分; 0: any paid order"`
	ReviewThreshold         int64     `json:"review_threshold" doc:"an invitee sharing a device, phone or address with this many other invitees of the inviter is held for review"`
	UpdatedAt               time.Time `json:"updated_at"`
}

// DefaultProgramme is the programme before an operator saves one: off,
// 7 days' holding (the usual 7天无理由 return window), new customers only,
// and held for review from 2 look-alike invitees.
func DefaultProgramme() Programme {
	return Programme{HoldingDays: 7, NewCustomersOnly: true, ReviewThreshold: 2}
}

// HasReward reports whether the programme gives anyone anything.
func (p Programme) HasReward() bool {
	return p.InviterCouponTemplateID > 0 || p.InviterPoints > 0 || p.InviteeCouponTemplateID > 0 || p.InviteePoints > 0
}

// Validate checks the settings, naming the field at fault.
func (p Programme) Validate() error {
	switch {
	case p.InviterCouponTemplateID < 0:
		return apperr.Field("inviter_coupon_template_id", "choose a coupon template, or none")
	case p.InviteeCouponTemplateID < 0:
		return apperr.Field("invitee_coupon_template_id", "choose a coupon template, or none")
	case p.InviterPoints < 0 || p.InviterPoints > MaxPoints:
		return apperr.Field("inviter_points", "give between 0 and %d points", MaxPoints)
	case p.InviteePoints < 0 || p.InviteePoints > MaxPoints:
		return apperr.Field("invitee_points", "give between 0 and %d points", MaxPoints)
	case p.HoldingDays < 0 || p.HoldingDays > MaxHoldingDays:
		return apperr.Field("holding_days", "hold rewards between 0 and %d days after the first order is paid", MaxHoldingDays)
	case p.MonthlyCap < 0 || p.MonthlyCap > MaxMonthlyCap:
		return apperr.Field("monthly_cap", "cap rewarded invitations at 0 (no cap) to %d a month", MaxMonthlyCap)
	case p.MinOrderAmount < 0 || p.MinOrderAmount > MaxMinOrder:
		return apperr.Field("min_order_amount", "set a minimum first order between ¥0 and ¥%d", MaxMinOrder/100)
	case p.ReviewThreshold < 1 || p.ReviewThreshold > MaxThreshold:
		return apperr.Field("review_threshold", "hold for review from 1 to %d look-alike invitees", MaxThreshold)
	case p.Enabled && !p.HasReward():
		return apperr.Field("inviter_points", "give the inviter or the invitee a reward (a coupon or points) before turning the programme on")
	}
	return nil
}

// Invitation is one invitee linked to one inviter.
type Invitation struct {
	ID          int64      `json:"id"`
	InviterID   int64      `json:"inviter_id"`
	InviterName string     `json:"inviter_name"`
	InviteeID   int64      `json:"invitee_id"`
	InviteeName string     `json:"invitee_name"`
	Code        string     `json:"code"`
	Status      Status     `json:"status"`
	Review      Review     `json:"review"`
	Flags       []string   `json:"flags"`
	VoidReason  string     `json:"void_reason,omitempty"`
	Note        string     `json:"note,omitempty"`
	OrderID     int64      `json:"order_id,omitempty"`
	OrderNo     string     `json:"order_no,omitempty"`
	OrderTotal  int64      `json:"order_total"`
	Refunded    int64      `json:"refunded" doc:"refunded on the first order so far, 分"`
	LinkedAt    time.Time  `json:"linked_at"`
	PaidAt      *time.Time `json:"paid_at,omitempty"`
	QualifiesAt *time.Time `json:"qualifies_at,omitempty" doc:"when the holding period ends and rewards are due"`
	RewardedAt  *time.Time `json:"rewarded_at,omitempty"`
	VoidedAt    *time.Time `json:"voided_at,omitempty"`
	Rewards     Rewards    `json:"rewards"`
}

// Rewards is what an invitation gave.
type Rewards struct {
	InviterCouponID int64 `json:"inviter_coupon_id,omitempty"`
	InviterPoints   int64 `json:"inviter_points"`
	InviterCapped   bool  `json:"inviter_capped" doc:"the inviter had reached the monthly cap and got nothing for this one"`
	InviteeCouponID int64 `json:"invitee_coupon_id,omitempty"`
	InviteePoints   int64 `json:"invitee_points"`
}

// Fingerprint is what tells one buyer from another beyond their account:
// the device the storefront knows them by, the phone and the shipping
// address of their first order.
type Fingerprint struct {
	Device, Phone, Address string
}

// Shares reports which non-empty parts of f and g are the same.
func (f Fingerprint) Shares(g Fingerprint) (device, phone, address bool) {
	return f.Device != "" && f.Device == g.Device, f.Phone != "" && f.Phone == g.Phone, f.Address != "" && f.Address == g.Address
}

// AddressKey is a shipping address reduced to what identifies a place:
// province, city, district and detail, lower-cased, without spaces or
// punctuation, so "世纪大道 100 号" and "世纪大道100号" are one address.
func AddressKey(province, city, district, detail string) string {
	if strings.TrimSpace(detail) == "" {
		return ""
	}
	var b strings.Builder
	for _, r := range strings.ToLower(province + city + district + detail) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Inviter is what the programme knows of an inviter to tell a
// self-referral: every phone, device and address key they used.
type Inviter struct {
	Phones, Devices, Addresses []string
}

// SelfFlags are the signs that the invitee is the inviter: the inviter's
// phone, device or shipping address.
func SelfFlags(in Inviter, f Fingerprint) []string {
	var out []string
	if f.Device != "" && slices.Contains(in.Devices, f.Device) {
		out = append(out, FlagInviterDevice)
	}
	if f.Phone != "" && slices.Contains(in.Phones, f.Phone) {
		out = append(out, FlagInviterPhone)
	}
	if f.Address != "" && slices.Contains(in.Addresses, f.Address) {
		out = append(out, FlagInviterAddr)
	}
	return out
}

// SharedWith counts the other invitees of the same inviter whose
// fingerprint shares a part with f, and names the parts shared.
func SharedWith(f Fingerprint, others []Fingerprint) (count int, flags []string) {
	var dev, ph, addr bool
	for _, g := range others {
		d, p, a := f.Shares(g)
		if d || p || a {
			count++
		}
		dev, ph, addr = dev || d, ph || p, addr || a
	}
	if dev {
		flags = append(flags, FlagSharedDevice)
	}
	if ph {
		flags = append(flags, FlagSharedPhone)
	}
	if addr {
		flags = append(flags, FlagSharedAddress)
	}
	return count, flags
}

// FirstOrder is what the hook knows when the invitee's first order after
// linking is paid.
type FirstOrder struct {
	Paid      int64 // what the buyer paid, 分
	PriorPaid int64 // the customer's other paid orders
	Self      []string
	Shared    int // look-alike invitees of the same inviter
}

// Outcome is what becomes of an invitation.
type Outcome struct {
	Status     Status
	VoidReason string
	Review     Review
}

// Qualify decides an invitation at its first paid order: void when it is
// not the customer's first (and the programme wants new customers), pays
// less than the minimum (or nothing), or the invitee is the inviter; held
// for review when it looks like too many other invitees of the inviter;
// otherwise paid and waiting out the holding period.
func Qualify(p Programme, o FirstOrder) Outcome {
	switch {
	case p.NewCustomersOnly && o.PriorPaid > 0:
		return Outcome{Status: Void, VoidReason: VoidNotNew, Review: ReviewNone}
	case o.Paid <= 0 || o.Paid < p.MinOrderAmount:
		return Outcome{Status: Void, VoidReason: VoidBelowMinimum, Review: ReviewNone}
	case len(o.Self) > 0:
		return Outcome{Status: Void, VoidReason: VoidSelfReferral, Review: ReviewNone}
	case int64(o.Shared) >= p.ReviewThreshold:
		return Outcome{Status: Paid, Review: ReviewPending}
	}
	return Outcome{Status: Paid, Review: ReviewNone}
}

// RefundVoids reports whether refunds on the first order undo it: what is
// left paid is nothing, or below the programme's minimum.
func RefundVoids(p Programme, total, refunded int64) bool {
	left := total - refunded
	return left <= 0 || left < p.MinOrderAmount
}

// Month is the calendar month of t in loc as YYYYMM, the key of the
// monthly cap.
func Month(t time.Time, loc *time.Location) int64 {
	t = t.In(loc)
	return int64(t.Year())*100 + int64(t.Month())
}

// QualifiesAt is when a first order paid at paid has been held long
// enough.
func QualifiesAt(p Programme, paid time.Time) time.Time {
	return paid.Add(time.Duration(p.HoldingDays) * 24 * time.Hour)
}

// joinFlags keeps flags sorted and unique, for the comma-separated column.
func joinFlags(old string, add ...string) string {
	fs := splitFlags(old)
	for _, f := range add {
		if f != "" && !slices.Contains(fs, f) {
			fs = append(fs, f)
		}
	}
	slices.Sort(fs)
	return strings.Join(fs, ",")
}

func splitFlags(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}
