package api

import (
	"context"
	"net/http"

	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/coupon"
)

// The coupon routes live in the promotions area of the permission matrix.
var (
	permCouponsRead  = auth.Read("promotions")
	permCouponsWrite = auth.Write("promotions")
)

func (a *API) coupons() *coupon.Service { return &coupon.Service{DB: a.DB} }

// couponRoutes: coupon templates for operators, and the buyer's coupons on
// the storefront.
func (a *API) couponRoutes() []Route {
	idem := "; send an Idempotency-Key header to make a retry safe"
	return []Route{
		{Method: "GET", Path: "/coupon-templates", Perm: permCouponsRead, Tag: "coupons", Summary: "List coupon templates, newest first",
			Query: append([]Param{{"status", "string", "active, paused or ended"}, {"q", "string", "part of the name"}}, pageParams...),
			Reply: List[coupon.Template]{}, handle: a.listCouponTemplates},
		{Method: "POST", Path: "/coupon-templates", Perm: permCouponsWrite, Tag: "coupons",
			Summary: "Create a coupon template (active at once): the rule (fixed_off, percent_off with cap, tiered_off; threshold, scope, channels, first order only), a fixed window or days from claim, limits and how it is handed out",
			Body:    coupon.Input{}, Status: http.StatusCreated, Reply: coupon.Template{}, handle: a.createCouponTemplate},
		{Method: "GET", Path: "/coupon-templates/{id}", Perm: permCouponsRead, Tag: "coupons", Summary: "A coupon template with its results",
			Reply: CouponTemplateView{}, handle: a.couponTemplate},
		{Method: "PUT", Path: "/coupon-templates/{id}", Perm: permCouponsWrite, Tag: "coupons",
			Summary: "Change a coupon template; once coupons were issued only the name, description, limits (not below issued), claimability and shared code may change",
			Body:    coupon.Input{}, Reply: coupon.Template{}, handle: byID(func(ctx context.Context, id int64, in coupon.Input) (any, error) {
				return a.coupons().UpdateTemplate(ctx, id, in)
			})},
		{Method: "POST", Path: "/coupon-templates/{id}/pause", Perm: permCouponsWrite, Tag: "coupons",
			Summary: "Stop issuing coupons of the template until resumed; issued coupons keep working",
			Reply:   coupon.Template{}, handle: a.couponStatus((*coupon.Service).Pause)},
		{Method: "POST", Path: "/coupon-templates/{id}/resume", Perm: permCouponsWrite, Tag: "coupons", Summary: "Issue coupons of a paused template again",
			Reply: coupon.Template{}, handle: a.couponStatus((*coupon.Service).Resume)},
		{Method: "POST", Path: "/coupon-templates/{id}/end", Perm: permCouponsWrite, Tag: "coupons",
			Summary: "End the template for good: it issues nothing more and its unused coupons expire (those held by an unpaid order stay with it)",
			Reply:   coupon.Template{}, handle: a.couponStatus((*coupon.Service).End)},
		{Method: "POST", Path: "/coupon-templates/{id}/push", Perm: permCouponsWrite, Tag: "coupons",
			Summary: "Give one coupon to every customer of an audience (an RFM segment, tier, quadrant or lifecycle stage of the latest run, a tag, or listed customers), within the limits",
			Body:    coupon.Audience{}, Reply: coupon.PushResult{}, handle: byID(func(ctx context.Context, id int64, in coupon.Audience) (any, error) {
				return a.coupons().Push(ctx, id, in)
			})},
		{Method: "POST", Path: "/coupon-templates/{id}/codes", Perm: permCouponsWrite, Tag: "coupons",
			Summary: "Generate a batch of one-time codes, each redeemable once; the reply lists them (export them as CSV in the console)",
			Body:    CodesInput{}, Status: http.StatusCreated, Reply: coupon.Batch{}, handle: byID(func(ctx context.Context, id int64, in CodesInput) (any, error) {
				return a.coupons().GenerateCodes(ctx, id, in.Count, in.Prefix)
			})},
		// Unredeemed codes are as good as coupons: listing them takes the
		// permission to make them.
		{Method: "GET", Path: "/coupon-templates/{id}/codes", Perm: permCouponsWrite, Tag: "coupons",
			Summary: "The template's one-time codes and which were redeemed, by whom (needs promotions:write: an unredeemed code is as good as a coupon)",
			Query:   []Param{{"batch", "integer", "only this batch"}},
			Reply:   []coupon.Code{}, handle: a.couponCodes},
		{Method: "GET", Path: "/coupon-templates/{id}/coupons", Perm: permCouponsRead, Tag: "coupons", Summary: "Coupons issued from the template, newest first",
			Query: append([]Param{{"state", "string", "issued, locked, used or expired"}}, pageParams...),
			Reply: List[coupon.Coupon]{}, handle: a.templateCoupons},
		{Method: "GET", Path: "/coupon-templates/{id}/stats", Perm: permCouponsRead, Tag: "coupons",
			Summary: "Issued, used, used rate, discount given and GMV of the orders that used the template's coupons",
			Reply:   coupon.Stats{}, handle: a.couponStats},
		// Customer service answers "where is my coupon": it reads with the
		// customers permission, not the promotions one.
		{Method: "GET", Path: "/customers/{id}/coupons", Perm: permCustomersRead, Tag: "coupons", Summary: "A customer's coupons, newest first",
			Query: append([]Param{{"state", "string", "issued, locked, used or expired"}}, pageParams...),
			Reply: List[coupon.Coupon]{}, handle: a.customerCoupons},

		{Method: "GET", Path: "/store/coupon-templates", Store: true, Guest: true, Tag: "storefront",
			Summary: "Coupons I may claim (领券中心), with how many of each I have",
			Reply:   []coupon.Claimable{}, handle: a.storeClaimable},
		{Method: "POST", Path: "/store/coupon-templates/{id}/claim", Store: true, Tag: "storefront",
			Summary: "Claim a coupon" + idem, Status: http.StatusCreated, Reply: coupon.Coupon{}, Idempotent: true, handle: a.storeClaim},
		{Method: "POST", Path: "/store/coupons/redeem", Store: true, Tag: "storefront",
			Summary: "Redeem a coupon code (a shared code once per customer, a one-time code once ever)" + idem,
			Body:    RedeemInput{}, Status: http.StatusCreated, Reply: coupon.Coupon{}, Idempotent: true, handle: a.storeRedeem},
		{Method: "GET", Path: "/store/coupons", Store: true, Tag: "storefront", Summary: "My coupons, newest first; use their ids in quote and checkout",
			Query: append([]Param{{"state", "string", "issued (usable), locked, used or expired"}}, pageParams...),
			Reply: List[coupon.Coupon]{}, handle: a.storeCoupons},
	}
}

// CouponTemplateView is a template with its results.
type CouponTemplateView struct {
	coupon.Template
	Stats coupon.Stats `json:"stats"`
}

// CodesInput asks for a batch of one-time codes.
type CodesInput struct {
	Count  int    `json:"count" doc:"1 to 10000"`
	Prefix string `json:"prefix" doc:"up to 8 letters or digits before each code, such as VIP"`
}

// RedeemInput is a code the buyer typed.
type RedeemInput struct {
	Code string `json:"code"`
}

func (a *API) listCouponTemplates(ctx context.Context, r *request) (any, error) {
	p, err := r.page()
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	st := q.Get("status")
	if st != "" && st != string(coupon.StatusActive) && st != string(coupon.StatusPaused) && st != string(coupon.StatusEnded) {
		return nil, errBadRequest("status", "status must be active, paused or ended, not %q", st)
	}
	items, next, err := a.coupons().ListTemplates(ctx, coupon.TemplateFilter{Status: coupon.Status(st), Query: q.Get("q"), Request: p})
	if err != nil {
		return nil, err
	}
	return listOf(items, next), nil
}

func (a *API) createCouponTemplate(ctx context.Context, r *request) (any, error) {
	var in coupon.Input
	if err := decode(r.Request, &in); err != nil {
		return nil, err
	}
	return a.coupons().CreateTemplate(ctx, in)
}

func (a *API) couponTemplate(ctx context.Context, r *request) (any, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	s := a.coupons()
	t, err := s.GetTemplate(ctx, id)
	if err != nil {
		return nil, err
	}
	st, err := s.Stats(ctx, id)
	if err != nil {
		return nil, err
	}
	return CouponTemplateView{Template: t, Stats: st}, nil
}

func (a *API) couponStatus(move func(*coupon.Service, context.Context, int64) (coupon.Template, error)) func(context.Context, *request) (any, error) {
	return func(ctx context.Context, r *request) (any, error) {
		id, err := r.id("id")
		if err != nil {
			return nil, err
		}
		return move(a.coupons(), ctx, id)
	}
}

func (a *API) couponCodes(ctx context.Context, r *request) (any, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	batch, err := r.int64Query("batch")
	if err != nil {
		return nil, err
	}
	return a.coupons().Codes(ctx, id, batch)
}

func (a *API) templateCoupons(ctx context.Context, r *request) (any, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	if _, err := a.coupons().GetTemplate(ctx, id); err != nil {
		return nil, err
	}
	return a.listCoupons(ctx, r, coupon.Filter{TemplateID: id})
}

func (a *API) listCoupons(ctx context.Context, r *request, f coupon.Filter) (any, error) {
	p, err := r.page()
	if err != nil {
		return nil, err
	}
	f.Request, f.State = p, coupon.State(r.URL.Query().Get("state"))
	items, next, err := a.coupons().List(ctx, f)
	if err != nil {
		return nil, err
	}
	return listOf(items, next), nil
}

func (a *API) customerCoupons(ctx context.Context, r *request) (any, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	if _, err := a.Customers.Get(ctx, id); err != nil {
		return nil, err
	}
	return a.listCoupons(ctx, r, coupon.Filter{CustomerID: id})
}

func (a *API) couponStats(ctx context.Context, r *request) (any, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	return a.coupons().Stats(ctx, id)
}

func (a *API) storeClaimable(ctx context.Context, r *request) (any, error) {
	return a.coupons().ListClaimable(ctx, r.customerID)
}

func (a *API) storeClaim(ctx context.Context, r *request) (any, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	return a.coupons().Claim(ctx, r.customerID, id)
}

func (a *API) storeRedeem(ctx context.Context, r *request) (any, error) {
	var in RedeemInput
	if err := decode(r.Request, &in); err != nil {
		return nil, err
	}
	return a.coupons().Redeem(ctx, r.customerID, in.Code)
}

func (a *API) storeCoupons(ctx context.Context, r *request) (any, error) {
	return a.listCoupons(ctx, r, coupon.Filter{CustomerID: r.customerID})
}
