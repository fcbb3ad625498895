package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/coupon"
	"github.com/storeops/storeops/internal/page"
	"github.com/storeops/storeops/internal/referral"
)

func (c *Console) referrals() *referral.Service { return &referral.Service{DB: c.DB} }

// referralsPage is the programme: its settings and its results over the
// last 30 days.
type referralsPage struct {
	Programme referral.Programme
	MinOrder  string // the minimum first order as typed, in 元
	Templates []coupon.Template
	Results   referral.Results
	Errors    map[string]string
	Error     string
}

// referralPeriod is what the results cover: the last 30 days to now.
const referralPeriod = 30 * 24 * time.Hour

func (c *Console) referralProgramme(w http.ResponseWriter, r *http.Request) {
	p, err := c.referrals().Programme(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.renderReferrals(w, r, http.StatusOK, &referralsPage{Programme: p, MinOrder: formatYuan(p.MinOrderAmount)})
}

func (c *Console) renderReferrals(w http.ResponseWriter, r *http.Request, status int, pg *referralsPage) {
	v := viewerFrom(r.Context())
	ts, _, err := (&coupon.Service{DB: c.DB}).ListTemplates(r.Context(), coupon.TemplateFilter{Status: coupon.StatusActive, Request: page.Request{Limit: 200}})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	pg.Templates = ts
	now := time.Now()
	if pg.Results, err = c.referrals().Results(r.Context(), now.Add(-referralPeriod), now); err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, status, "referrals", tr(v, "nav.referrals"), "referrals", pg)
}

func (c *Console) saveReferralProgramme(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	pg := &referralsPage{Errors: map[string]string{}, MinOrder: r.PostFormValue("min_order_amount")}
	num := func(name string) int64 {
		s := strings.TrimSpace(r.PostFormValue(name))
		if s == "" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			pg.Errors[name] = tr(v, "referrals.whole_number")
		}
		return n
	}
	p := referral.Programme{Enabled: r.PostFormValue("enabled") == "1", NewCustomersOnly: r.PostFormValue("new_customers_only") == "1",
		InviterCouponTemplateID: num("inviter_coupon_template_id"), InviterPoints: num("inviter_points"),
		InviteeCouponTemplateID: num("invitee_coupon_template_id"), InviteePoints: num("invitee_points"),
		HoldingDays: num("holding_days"), MonthlyCap: num("monthly_cap"), ReviewThreshold: num("review_threshold")}
	if strings.TrimSpace(pg.MinOrder) != "" {
		fen, err := parseYuan(pg.MinOrder)
		if err != nil {
			pg.Errors["min_order_amount"] = tr(v, yuanErrorKey(err))
		}
		p.MinOrderAmount = fen
	}
	pg.Programme = p
	if len(pg.Errors) > 0 {
		pg.Error = tr(v, "form.fix_errors")
		c.renderReferrals(w, r, http.StatusUnprocessableEntity, pg)
		return
	}
	_, err := c.referrals().SaveProgramme(r.Context(), p)
	var fe *apperr.FieldError
	switch {
	case err == nil:
		c.redirect(w, r, "/referrals", "flash.referral_programme_saved")
	case errors.As(err, &fe):
		pg.Errors[fe.Field] = fieldMessage(v, fe)
		pg.Error = tr(v, "form.fix_errors")
		c.renderReferrals(w, r, http.StatusUnprocessableEntity, pg)
	default:
		c.fail(w, r, err)
	}
}

// invitationsPage lists invitations with the filters the operator chose.
type invitationsPage struct {
	List     []referral.Invitation
	Statuses []referral.Status
	Status   string
	Review   string
	Flagged  bool
	Next     string // the next page's URL, "" on the last
	Held     int64  // waiting for review now
}

func (c *Console) referralInvitations(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	q := r.URL.Query()
	f := referral.Filter{Status: referral.Status(q.Get("status")), Review: referral.Review(q.Get("review")), Flagged: q.Get("flagged") == "1",
		Before: parseID(q.Get("before")), InviterID: parseID(q.Get("inviter")), Limit: 50}
	list, next, err := c.referrals().List(r.Context(), f)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	pg := &invitationsPage{List: list, Statuses: referral.Statuses(), Status: string(f.Status), Review: string(f.Review), Flagged: f.Flagged}
	if next > 0 {
		nq := url.Values{}
		for k, vs := range q {
			nq[k] = vs
		}
		nq.Set("before", strconv.FormatInt(next, 10))
		pg.Next = "/referrals/invitations?" + nq.Encode()
	}
	if err := c.DB.QueryRow(r.Context(), `SELECT COUNT(*) FROM referral_invitations WHERE review = 'pending'`).Scan(&pg.Held); err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "referral_invitations", tr(v, "referrals.invitations"), "referrals", pg)
}

// decideInvitation approves or rejects a held invitation and goes back to
// the list the operator came from.
func (c *Console) decideInvitation(approve bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := parseID(r.PathValue("id"))
		note := r.PostFormValue("note")
		var err error
		flash := "flash.referral_approved"
		if approve {
			_, err = c.referrals().Approve(r.Context(), id, note)
		} else {
			flash = "flash.referral_rejected"
			_, err = c.referrals().Reject(r.Context(), id, note)
		}
		back := r.PostFormValue("back")
		if !strings.HasPrefix(back, "/referrals/invitations") {
			back = "/referrals/invitations?review=pending"
		}
		var fe *apperr.FieldError
		// A refusal goes back to the queue with its reason as the flash.
		switch {
		case err == nil:
			c.redirect(w, r, back, flash)
		case errors.As(err, &fe):
			c.redirect(w, r, back, "flash.error.referral_note")
		case errors.Is(err, referral.ErrNotPending):
			c.redirect(w, r, back, "flash.error.referral_not_pending")
		default:
			c.fail(w, r, fmt.Errorf("invitation %d: %w", id, err))
		}
	}
}

// referralOf is the customer page's 邀请有礼 card, for those who may read
// promotions.
func (c *Console) referralOf(ctx context.Context, v *viewer, id int64) (*referral.CustomerSummary, error) {
	if !v.Can(auth.Read("promotions")) {
		return nil, nil
	}
	s, err := c.referrals().OfCustomer(ctx, id)
	if err != nil {
		return nil, err
	}
	return &s, nil
}
