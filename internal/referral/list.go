package referral

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/db"
)

const invitationColumns = `i.id, i.inviter_id, COALESCE(a.name, ''), i.invitee_id, COALESCE(b.name, ''), i.code, i.status, i.review, i.flags,
	i.void_reason, i.note, COALESCE(i.order_id, 0), COALESCE(o.order_no, ''), i.order_total, COALESCE(o.refunded_total, 0),
	i.linked_at, i.paid_at, i.qualifies_at, i.rewarded_at, i.voided_at,
	COALESCE(i.inviter_coupon_id, 0), i.inviter_points, i.inviter_capped, COALESCE(i.invitee_coupon_id, 0), i.invitee_points`

const invitationFrom = ` FROM referral_invitations i
	LEFT JOIN customers a ON a.id = i.inviter_id
	LEFT JOIN customers b ON b.id = i.invitee_id
	LEFT JOIN orders o ON o.id = i.order_id`

func scanInvitation(row interface{ Scan(...any) error }) (Invitation, error) {
	var v Invitation
	var flags string
	var linked int64
	var paid, qualifies, rewarded, voided sql.NullInt64
	err := row.Scan(&v.ID, &v.InviterID, &v.InviterName, &v.InviteeID, &v.InviteeName, &v.Code, &v.Status, &v.Review, &flags,
		&v.VoidReason, &v.Note, &v.OrderID, &v.OrderNo, &v.OrderTotal, &v.Refunded,
		&linked, &paid, &qualifies, &rewarded, &voided,
		&v.Rewards.InviterCouponID, &v.Rewards.InviterPoints, &v.Rewards.InviterCapped, &v.Rewards.InviteeCouponID, &v.Rewards.InviteePoints)
	if err != nil {
		return v, err
	}
	v.Flags = splitFlags(flags)
	v.LinkedAt = time.UnixMilli(linked).UTC()
	v.PaidAt, v.QualifiesAt, v.RewardedAt, v.VoidedAt = optTime(paid), optTime(qualifies), optTime(rewarded), optTime(voided)
	return v, nil
}

func optTime(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := time.UnixMilli(n.Int64).UTC()
	return &t
}

func getInvitation(ctx context.Context, q db.Queryer, id int64) (Invitation, error) {
	v, err := scanInvitation(q.QueryRow(ctx, `SELECT `+invitationColumns+invitationFrom+` WHERE i.id = $1`, id))
	if db.IsNoRows(err) {
		return v, fmt.Errorf("invitation %d: %w", id, apperr.ErrNotFound)
	}
	if err != nil {
		return v, fmt.Errorf("invitation %d: %w", id, err)
	}
	return v, nil
}

// Get reads one invitation.
func (s *Service) Get(ctx context.Context, id int64) (Invitation, error) {
	return getInvitation(ctx, s.DB, id)
}

// Filter picks invitations for the console and the API.
type Filter struct {
	Status    Status // "": every status
	Review    Review // "": any; pending: the review queue
	InviterID int64  // 0: every inviter
	Flagged   bool   // only invitations with a flag
	Before    int64  // id to continue below (0: from the newest)
	Limit     int    // default 50, at most 200
}

// List reads invitations, newest first; next is the Before of the next
// page (0: no more).
func (s *Service) List(ctx context.Context, f Filter) (out []Invitation, next int64, err error) {
	if f.Status != "" && !ValidStatus(string(f.Status)) {
		return nil, 0, apperr.Field("status", "status is one of linked, paid, rewarded, void")
	}
	if f.Review != "" && f.Review != ReviewNone && f.Review != ReviewPending && f.Review != ReviewApproved {
		return nil, 0, apperr.Field("review", "review is one of none, pending, approved")
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.Status != "" {
		add("i.status = $%d", string(f.Status))
	}
	if f.Review != "" {
		add("i.review = $%d", string(f.Review))
	}
	if f.InviterID > 0 {
		add("i.inviter_id = $%d", f.InviterID)
	}
	if f.Flagged {
		where = append(where, "i.flags <> ''")
	}
	if f.Before > 0 {
		add("i.id < $%d", f.Before)
	}
	q := `SELECT ` + invitationColumns + invitationFrom
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, f.Limit)
	q += fmt.Sprintf(" ORDER BY i.id DESC LIMIT $%d", len(args))
	rows, err := s.DB.Query(ctx, q, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("invitations: %w", err)
	}
	defer rows.Close()
	out = []Invitation{}
	for rows.Next() {
		v, err := scanInvitation(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("invitations: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("invitations: %w", err)
	}
	if len(out) == f.Limit {
		next = out[len(out)-1].ID
	}
	return out, next, nil
}

// Mine is a customer's side of the programme for the storefront: their
// code, what the programme gives, who they invited and where each stands,
// and who invited them.
type Mine struct {
	Enabled     bool             `json:"enabled"`
	Code        string           `json:"code"`
	Programme   StoreProgramme   `json:"programme"`
	Invitations []MyInvitation   `json:"invitations"`
	Counts      map[Status]int64 `json:"counts"`
	InvitedBy   *MyInvitation    `json:"invited_by,omitempty" doc:"my own invitation, when I joined with a friend's code"`
}

// StoreProgramme is what a buyer is told of the programme.
type StoreProgramme struct {
	InviterPoints    int64  `json:"inviter_points"`
	InviterCoupon    string `json:"inviter_coupon,omitempty" doc:"name of the coupon the inviter gets"`
	InviteePoints    int64  `json:"invitee_points"`
	InviteeCoupon    string `json:"invitee_coupon,omitempty" doc:"name of the coupon the invitee gets"`
	HoldingDays      int64  `json:"holding_days"`
	MinOrderAmount   int64  `json:"min_order_amount"`
	NewCustomersOnly bool   `json:"new_customers_only"`
	MonthlyCap       int64  `json:"monthly_cap"`
}

// MyInvitation is one invitation as a buyer sees it: the other side's name
// masked, the state, and when rewards are due.
type MyInvitation struct {
	ID          int64      `json:"id"`
	Friend      string     `json:"friend" doc:"the other side's name, masked (张*)"`
	Status      Status     `json:"status"`
	UnderReview bool       `json:"under_review"`
	VoidReason  string     `json:"void_reason,omitempty"`
	LinkedAt    time.Time  `json:"linked_at"`
	PaidAt      *time.Time `json:"paid_at,omitempty"`
	QualifiesAt *time.Time `json:"qualifies_at,omitempty"`
	RewardedAt  *time.Time `json:"rewarded_at,omitempty"`
	Points      int64      `json:"points" doc:"points I got for it"`
	CouponID    int64      `json:"coupon_id,omitempty" doc:"the coupon I got for it"`
}

// Mask shows a name's first character and stars for the rest.
func Mask(name string) string {
	r := []rune(strings.TrimSpace(name))
	switch len(r) {
	case 0:
		return "*"
	case 1:
		return string(r) + "*"
	}
	return string(r[0]) + strings.Repeat("*", min(len(r)-1, 3))
}

// ForInviter is the invitation as its inviter sees it.
func (v Invitation) ForInviter() MyInvitation { return mine(v, true) }

// ForInvitee is the invitation as its invitee sees it.
func (v Invitation) ForInvitee() MyInvitation { return mine(v, false) }

func mine(v Invitation, asInviter bool) MyInvitation {
	m := MyInvitation{ID: v.ID, Status: v.Status, UnderReview: v.Review == ReviewPending, VoidReason: v.VoidReason, LinkedAt: v.LinkedAt,
		PaidAt: v.PaidAt, QualifiesAt: v.QualifiesAt, RewardedAt: v.RewardedAt}
	if asInviter {
		m.Friend, m.Points, m.CouponID = Mask(v.InviteeName), v.Rewards.InviterPoints, v.Rewards.InviterCouponID
	} else {
		m.Friend, m.Points, m.CouponID = Mask(v.InviterName), v.Rewards.InviteePoints, v.Rewards.InviteeCouponID
	}
	return m
}

// Mine reads the customer's code (making it on first ask), the programme
// and their invitations (the latest 200).
func (s *Service) Mine(ctx context.Context, customerID int64, device string) (Mine, error) {
	code, err := s.Code(ctx, customerID, device)
	if err != nil {
		return Mine{}, err
	}
	p, err := s.Programme(ctx)
	if err != nil {
		return Mine{}, err
	}
	out := Mine{Enabled: p.Enabled, Code: code, Counts: map[Status]int64{}, Invitations: []MyInvitation{},
		Programme: StoreProgramme{InviterPoints: p.InviterPoints, InviteePoints: p.InviteePoints, HoldingDays: p.HoldingDays,
			MinOrderAmount: p.MinOrderAmount, NewCustomersOnly: p.NewCustomersOnly, MonthlyCap: p.MonthlyCap}}
	if out.Programme.InviterCoupon, err = s.templateName(ctx, p.InviterCouponTemplateID); err != nil {
		return Mine{}, err
	}
	if out.Programme.InviteeCoupon, err = s.templateName(ctx, p.InviteeCouponTemplateID); err != nil {
		return Mine{}, err
	}
	vs, _, err := s.List(ctx, Filter{InviterID: customerID, Limit: 200})
	if err != nil {
		return Mine{}, err
	}
	for _, v := range vs {
		out.Invitations = append(out.Invitations, mine(v, true))
		out.Counts[v.Status]++
	}
	v, ok, err := invitationOf(ctx, s.DB, customerID)
	if err != nil {
		return Mine{}, err
	}
	if ok {
		m := mine(v, false)
		out.InvitedBy = &m
	}
	return out, nil
}

func (s *Service) templateName(ctx context.Context, id int64) (string, error) {
	if id == 0 {
		return "", nil
	}
	var name string
	err := s.DB.QueryRow(ctx, `SELECT name FROM coupon_templates WHERE id = $1`, id).Scan(&name)
	if err != nil && !db.IsNoRows(err) {
		return "", fmt.Errorf("coupon template %d: %w", id, err)
	}
	return name, nil
}

// CustomerSummary is a customer's side of the programme, for the console's
// customer page: their code (if they asked for one), their invitations by
// state, and the invitation they joined by.
type CustomerSummary struct {
	Code      string
	Counts    map[Status]int64
	Invited   int64 // invitations in all
	Rewarded  int64 // of which rewarded
	InvitedBy *Invitation
}

// OfCustomer reads the customer's side of the programme without making a
// code.
func (s *Service) OfCustomer(ctx context.Context, customerID int64) (CustomerSummary, error) {
	out := CustomerSummary{Counts: map[Status]int64{}}
	err := s.DB.QueryRow(ctx, `SELECT code FROM referral_codes WHERE customer_id = $1`, customerID).Scan(&out.Code)
	if err != nil && !db.IsNoRows(err) {
		return out, fmt.Errorf("invite code of %d: %w", customerID, err)
	}
	rows, err := s.DB.Query(ctx, `SELECT status, COUNT(*) FROM referral_invitations WHERE inviter_id = $1 GROUP BY status`, customerID)
	if err != nil {
		return out, fmt.Errorf("invitations of %d: %w", customerID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var st Status
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return out, err
		}
		out.Counts[st], out.Invited = n, out.Invited+n
	}
	out.Rewarded = out.Counts[Rewarded]
	if err := rows.Err(); err != nil {
		return out, err
	}
	v, ok, err := invitationOf(ctx, s.DB, customerID)
	if ok {
		out.InvitedBy = &v
	}
	return out, err
}

// invitationOf is the invitation the customer joined by; ok is false when
// they joined without one.
func invitationOf(ctx context.Context, q db.Queryer, customerID int64) (v Invitation, ok bool, err error) {
	v, err = scanInvitation(q.QueryRow(ctx, `SELECT `+invitationColumns+invitationFrom+` WHERE i.invitee_id = $1`, customerID))
	if db.IsNoRows(err) {
		return v, false, nil
	}
	if err != nil {
		return v, false, fmt.Errorf("invitation of customer %d: %w", customerID, err)
	}
	return v, true, nil
}
