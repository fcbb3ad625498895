package api

import (
	"context"
	"net/http"
	"time"

	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/page"
	"github.com/storeops/storeops/internal/promo"
	"github.com/storeops/storeops/internal/promotion"
	"github.com/storeops/storeops/internal/settings"
)

var (
	permPromotionsRead  = auth.Read("promotions")
	permPromotionsWrite = auth.Write("promotions")
)

// promotionRoutes are the shop's promotions (促销): the operator's side.
// The storefront sees them through /store/quote and checkout, whose price
// explains every step.
func (a *API) promotionRoutes() []Route {
	move := func(action string, call func(*promotion.Service, context.Context, int64) (promotion.Promotion, error)) func(context.Context, *request) (any, error) {
		return func(ctx context.Context, r *request) (any, error) {
			id, err := r.id("id")
			if err != nil {
				return nil, err
			}
			return call(a.promotions(), ctx, id)
		}
	}
	return []Route{
		{Method: "GET", Path: "/promotions", Perm: permPromotionsRead, Tag: "promotions", Summary: "List promotions, newest first",
			Query: append([]Param{
				{"status", "string", "draft, scheduled (not started yet), active (running now), paused or ended"},
				{"kind", "string", "member_discount, percent_off, fixed_off, buy_n_get_m, bundle, tiered_off or gift"},
			}, pageParams...),
			Reply: List[promotion.Promotion]{}, handle: a.listPromotions},
		{Method: "GET", Path: "/promotions/{id}", Perm: permPromotionsRead, Tag: "promotions", Summary: "A promotion",
			Reply: promotion.Promotion{}, handle: func(ctx context.Context, r *request) (any, error) {
				id, err := r.id("id")
				if err != nil {
					return nil, err
				}
				return a.promotions().Get(ctx, id)
			}},
		{Method: "POST", Path: "/promotions", Perm: permPromotionsWrite, Tag: "promotions",
			Summary: "Create a promotion as a draft; 422 names the field at fault (dates reversed, a discount not below its threshold, unknown products)",
			Body:    promotion.Input{}, Status: http.StatusCreated, Reply: promotion.Promotion{}, handle: a.createPromotion},
		{Method: "PUT", Path: "/promotions/{id}", Perm: permPromotionsWrite, Tag: "promotions",
			Summary: "Replace a promotion that has not ended; a scheduled one is checked against overlapping exclusive promotions",
			Body:    promotion.Input{}, Reply: promotion.Promotion{}, handle: byID(func(ctx context.Context, id int64, in promotion.Input) (any, error) {
				return a.promotions().Update(ctx, id, in)
			})},
		{Method: "POST", Path: "/promotions/{id}/schedule", Perm: permPromotionsWrite, Tag: "promotions",
			Summary: "Schedule a draft: it runs inside its window (409 when not a draft, 422 when its window is over or an exclusive promotion overlaps)",
			Reply:   promotion.Promotion{}, handle: move("schedule", (*promotion.Service).Schedule)},
		{Method: "POST", Path: "/promotions/{id}/pause", Perm: permPromotionsWrite, Tag: "promotions",
			Summary: "Pause a scheduled or running promotion", Reply: promotion.Promotion{}, handle: move("pause", (*promotion.Service).Pause)},
		{Method: "POST", Path: "/promotions/{id}/resume", Perm: permPromotionsWrite, Tag: "promotions",
			Summary: "Resume a paused promotion", Reply: promotion.Promotion{}, handle: move("resume", (*promotion.Service).Resume)},
		{Method: "POST", Path: "/promotions/{id}/end", Perm: permPromotionsWrite, Tag: "promotions",
			Summary: "End a promotion now; its results stay", Reply: promotion.Promotion{}, handle: move("end", (*promotion.Service).End)},
		{Method: "GET", Path: "/promotions/{id}/results", Perm: permPromotionsRead, Tag: "promotions",
			Summary: "What the promotion brought: paid orders, customers, GMV, discount cost and ROI (docs/METRICS.md)",
			Reply:   promotion.Results{}, handle: func(ctx context.Context, r *request) (any, error) {
				id, err := r.id("id")
				if err != nil {
					return nil, err
				}
				return a.promotions().Results(ctx, id)
			}},
		{Method: "POST", Path: "/promotions/preview", Perm: permPromotionsRead, Tag: "promotions",
			Summary: "Try a cart (试算): the engine's full answer with every step and every promotion that did not apply and why",
			Body:    promotion.PreviewInput{}, Reply: promotion.Preview{}, handle: a.previewPromotions},
		{Method: "GET", Path: "/promotions/calendar", Perm: permPromotionsRead, Tag: "promotions",
			Summary: "Promotions that run between two days (drafts left out), by start",
			Query: []Param{{"from", "string", "first day, YYYY-MM-DD in the store's time zone (default today)"},
				{"to", "string", "last day, YYYY-MM-DD, included (default 30 days after from)"}},
			Reply: Calendar{}, handle: a.promotionCalendar},
	}
}

// Calendar is what runs between two days.
type Calendar struct {
	From       string                `json:"from"`
	To         string                `json:"to"`
	Promotions []promotion.Promotion `json:"promotions"`
}

func (a *API) promotions() *promotion.Service {
	if a.Promotions != nil {
		return a.Promotions
	}
	return &promotion.Service{DB: a.DB}
}

func (a *API) listPromotions(ctx context.Context, r *request) (any, error) {
	p, err := r.page()
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	items, err := a.promotions().List(ctx, promotion.Filter{Status: promotion.Status(q.Get("status")), Kind: promo.Kind(q.Get("kind")),
		Limit: p.Limit, After: p.After})
	if err != nil {
		return nil, err
	}
	var last int64
	if len(items) > 0 {
		last = items[len(items)-1].ID
	}
	return listOf(items, page.Next(p, len(items), last)), nil
}

func (a *API) createPromotion(ctx context.Context, r *request) (any, error) {
	var in promotion.Input
	if err := decode(r.Request, &in); err != nil {
		return nil, err
	}
	return a.promotions().Create(ctx, in)
}

func (a *API) previewPromotions(ctx context.Context, r *request) (any, error) {
	var in promotion.PreviewInput
	if err := decode(r.Request, &in); err != nil {
		return nil, err
	}
	return a.promotions().Preview(ctx, in)
}

func (a *API) promotionCalendar(ctx context.Context, r *request) (any, error) {
	st, err := settings.Load(ctx, a.DB)
	if err != nil {
		return nil, err
	}
	loc := st.Location()
	day := func(name string, def time.Time) (time.Time, error) {
		v := r.URL.Query().Get(name)
		if v == "" {
			return def, nil
		}
		t, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil {
			return t, errBadRequest(name, "%s must be a day such as 2026-06-18, not %q", name, v)
		}
		return t, nil
	}
	now := time.Now().In(loc)
	from, err := day("from", time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc))
	if err != nil {
		return nil, err
	}
	to, err := day("to", from.AddDate(0, 0, 30))
	if err != nil {
		return nil, err
	}
	ps, err := a.promotions().Calendar(ctx, from, to.AddDate(0, 0, 1))
	if err != nil {
		return nil, err
	}
	return Calendar{From: from.Format("2006-01-02"), To: to.Format("2006-01-02"), Promotions: ps}, nil
}
