package api

import (
	"context"
	"strconv"
	"time"

	"github.com/storeops/storeops/internal/metric"
	"github.com/storeops/storeops/internal/referral"
	"github.com/storeops/storeops/internal/settings"
)

func (a *API) referrals() *referral.Service { return &referral.Service{DB: a.DB} }

// referralRoutes are the referral programme (邀请有礼), in the promotions
// area: operators set the programme, see invitations and their flags,
// decide the held ones, and read the results; a buyer gets their invite
// code and invitations, and links to a friend's code (also at sign-up and
// checkout with invite_code).
func (a *API) referralRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/referrals/programme", Perm: permPromotionsRead, Tag: "referrals",
			Summary: "The referral programme: on/off, each side's reward (coupon template and/or points), holding period, monthly cap, new customers only, minimum first order, review threshold",
			Reply:   referral.Programme{}, handle: func(ctx context.Context, _ *request) (any, error) { return a.referrals().Programme(ctx) }},
		{Method: "PUT", Path: "/referrals/programme", Perm: permPromotionsWrite, Tag: "referrals",
			Summary: "Replace the referral programme; audited (422 names the field: no reward while on, an ended coupon template, a holding period over 90 days)",
			Body:    referral.Programme{}, Reply: referral.Programme{},
			Example: referral.Programme{Enabled: true, InviterCouponTemplateID: 1, InviterPoints: 500, InviteePoints: 300, HoldingDays: 7,
				MonthlyCap: 20, NewCustomersOnly: true, MinOrderAmount: 5000, ReviewThreshold: 2},
			handle: func(ctx context.Context, r *request) (any, error) {
				var in referral.Programme
				if err := decode(r.Request, &in); err != nil {
					return nil, err
				}
				return a.referrals().SaveProgramme(ctx, in)
			}},
		{Method: "GET", Path: "/referrals/invitations", Perm: permPromotionsRead, Tag: "referrals",
			Summary: "Invitations, newest first, with their state, flags and rewards; review=pending is the review queue",
			Query: []Param{{"status", "string", "linked, paid, rewarded or void"}, {"review", "string", "none, pending or approved"},
				{"inviter_id", "integer", "one inviter's invitations"}, {"flagged", "boolean", "true: only invitations with an abuse flag"},
				{"before", "integer", "only invitations older than this id (the reply's next)"}, {"limit", "integer", "1 to 200, 50 by default"}},
			Reply: Invitations{}, handle: a.invitations},
		{Method: "GET", Path: "/referrals/invitations/{id}", Perm: permPromotionsRead, Tag: "referrals", Summary: "An invitation",
			Reply: referral.Invitation{}, handle: func(ctx context.Context, r *request) (any, error) {
				id, err := r.id("id")
				if err != nil {
					return nil, err
				}
				return a.referrals().Get(ctx, id)
			}},
		{Method: "POST", Path: "/referrals/invitations/{id}/approve", Perm: permPromotionsWrite, Tag: "referrals",
			Summary: "Release an invitation held for review: it is rewarded when its holding period ends (409: not held)",
			Body:    ReviewInput{}, Reply: referral.Invitation{}, handle: byID(func(ctx context.Context, id int64, in ReviewInput) (any, error) {
				return a.referrals().Approve(ctx, id, in.Note)
			})},
		{Method: "POST", Path: "/referrals/invitations/{id}/reject", Perm: permPromotionsWrite, Tag: "referrals",
			Summary: "Reject an invitation held for review, with a note saying why: it is void and nobody is rewarded (409: not held)",
			Body:    ReviewInput{}, Reply: referral.Invitation{}, handle: byID(func(ctx context.Context, id int64, in ReviewInput) (any, error) {
				return a.referrals().Reject(ctx, id, in.Note)
			})},
		{Method: "GET", Path: "/referrals/results", Perm: permPromotionsRead, Tag: "referrals",
			Summary: "The programme's results over days in the store's zone: invitations by state, first orders, invitees' GMV, rewards and their cost",
			Query: []Param{{"from", "integer", "first day as YYYYMMDD (default: 29 days before to)"},
				{"to", "integer", "last day as YYYYMMDD (default: today)"}},
			Reply: referral.Results{}, handle: a.referralResults},
		{Method: "GET", Path: "/store/referral", Store: true, Tag: "storefront",
			Summary: "My invite code (made on first ask, the same ever after), what the programme gives, my invitations and their states, and who invited me",
			Query:   []Param{{"device_id", "string", "the storefront's id of this device (the event snippet's anonymous id), if it has one"}},
			Reply:   referral.Mine{}, handle: func(ctx context.Context, r *request) (any, error) {
				return a.referrals().Mine(ctx, r.customerID, r.URL.Query().Get("device_id"))
			}},
		{Method: "POST", Path: "/store/referral/link", Store: true, Tag: "storefront",
			Summary: "Use a friend's invite code (422 on invite_code: unknown, my own, programme off, already invited by someone else, not a new customer)",
			Body:    referral.LinkInput{}, Reply: referral.MyInvitation{}, handle: func(ctx context.Context, r *request) (any, error) {
				var in referral.LinkInput
				if err := decode(r.Request, &in); err != nil {
					return nil, err
				}
				in.CustomerID = r.customerID
				v, err := a.referrals().Link(ctx, in)
				if err != nil {
					return nil, err
				}
				return v.ForInvitee(), nil
			}},
	}
}

// Invitations is a page of invitations; Next is the before of the next
// page (0: no more).
type Invitations struct {
	Invitations []referral.Invitation `json:"invitations"`
	Next        int64                 `json:"next"`
}

// ReviewInput is an operator's decision on a held invitation.
type ReviewInput struct {
	Note string `json:"note" doc:"why; required to reject"`
}

func (a *API) invitations(ctx context.Context, r *request) (any, error) {
	q := r.URL.Query()
	f := referral.Filter{Status: referral.Status(q.Get("status")), Review: referral.Review(q.Get("review"))}
	var err error
	if f.InviterID, err = r.int64Query("inviter_id"); err != nil {
		return nil, err
	}
	if f.Before, err = r.int64Query("before"); err != nil {
		return nil, err
	}
	limit, err := r.int64Query("limit")
	if err != nil {
		return nil, err
	}
	if limit < 0 || limit > 200 {
		return nil, errBadRequest("limit", "limit must be 1 to 200, not %d", limit)
	}
	f.Limit = int(limit)
	if v := q.Get("flagged"); v != "" {
		if f.Flagged, err = strconv.ParseBool(v); err != nil {
			return nil, errBadRequest("flagged", "flagged must be true or false, not %q", v)
		}
	}
	vs, next, err := a.referrals().List(ctx, f)
	return Invitations{Invitations: vs, Next: next}, err
}

func (a *API) referralResults(ctx context.Context, r *request) (any, error) {
	st, err := settings.Cached(ctx, a.DB)
	if err != nil {
		return nil, err
	}
	loc := st.Location()
	to, err := dayParam(r, "to", settings.Day(time.Now().In(loc), loc))
	if err != nil {
		return nil, err
	}
	from, err := dayParam(r, "from", metric.AddDays(to, -29))
	if err != nil {
		return nil, err
	}
	if from > to {
		return nil, errBadRequest("from", "from (%d) must not be after to (%d)", from, to)
	}
	return a.referrals().Results(ctx, settings.DayTime(from, loc), settings.DayTime(metric.AddDays(to, 1), loc))
}
