package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audience"
	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/coupon"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/lifecycle"
	"github.com/storeops/storeops/internal/page"
	"github.com/storeops/storeops/internal/promo"
	"github.com/storeops/storeops/internal/rfm"
)

func (c *Console) coupons() *coupon.Service { return &coupon.Service{DB: c.DB} }

// couponChannels are the channels a coupon may be limited to (直播间专属券
// is live only).
var couponChannels = []string{customer.ChannelLive, customer.ChannelShortVideo, customer.ChannelCommunity,
	customer.ChannelSearch, customer.ChannelAds, customer.ChannelDirect}

type couponsPage struct {
	Query    string
	Status   string
	Statuses []coupon.Status
	Rows     []coupon.Template
	Next     string
}

func (c *Console) couponTemplates(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	q := r.URL.Query()
	pg := couponsPage{Query: q.Get("q"), Status: q.Get("status"), Statuses: coupon.Statuses()}
	if !slices.Contains(pg.Statuses, coupon.Status(pg.Status)) {
		pg.Status = ""
	}
	req, err := page.Parse("", q.Get("cursor"))
	if err != nil {
		req = page.Request{}
	}
	list, next, err := c.coupons().ListTemplates(r.Context(), coupon.TemplateFilter{Status: coupon.Status(pg.Status), Query: q.Get("q"), Request: req})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	pg.Rows = list
	if next != "" {
		pg.Next = "/coupons?" + withCursor(q, next)
	}
	c.render(w, r, http.StatusOK, "coupons", tr(v, "nav.coupons"), "coupons", pg)
}

// couponForm is the template form as typed: amounts in 元 and rates in %
// stay text until saved, so a refused form shows back what was typed.
type couponForm struct {
	ID          int64
	Issued      int64
	Name        string
	Description string
	Kind        string
	Amount      string // 元
	Rate        string // % off
	Cap         string // 元
	Threshold   string // 元
	Levels      string // one "threshold off" pair in 元 per line
	Repeat      bool
	Scope       string
	ProductIDs  string
	CategoryIDs string
	Channels    []string
	FirstOrder  bool
	Exclusive   bool
	Group       string
	Validity    string // days or window
	ValidDays   string
	ValidFrom   string // YYYY-MM-DD in the store's zone
	ValidTo     string // last valid day, inclusive
	TotalLimit  string
	PerCustomer string
	Claimable   bool
	SharedCode  string

	Kinds       []promo.Kind
	Scopes      []promo.Scope
	AllChannels []string
	Errors      map[string]string // service field name → message
	Error       string
}

func newCouponForm() *couponForm {
	return &couponForm{Kind: string(promo.KindFixedOff), Scope: string(promo.ScopeOrder), Validity: "days", ValidDays: "30",
		PerCustomer: "1", TotalLimit: "0", Claimable: true}
}

func (f *couponForm) fill(t coupon.Template, loc *time.Location) {
	r := t.Rule
	f.ID, f.Issued, f.Name, f.Description, f.Kind = t.ID, t.Issued, t.Name, t.Description, string(r.Kind)
	f.Amount, f.Cap, f.Threshold = yuanOrEmpty(r.Amount), yuanOrEmpty(r.Cap), yuanOrEmpty(r.Threshold)
	if r.RateBP > 0 {
		f.Rate = strings.TrimSuffix(strings.TrimSuffix(formatYuan(r.RateBP), "0"), ".0")
	}
	var lv []string
	for _, l := range r.Levels {
		lv = append(lv, formatYuan(l.Threshold)+" "+formatYuan(l.Off))
	}
	f.Levels, f.Repeat, f.Scope = strings.Join(lv, "\n"), r.Repeat, string(r.Scope)
	f.ProductIDs, f.CategoryIDs = joinIDs(r.ProductIDs), joinIDs(r.CategoryIDs)
	f.Channels, f.FirstOrder, f.Exclusive, f.Group = r.Channels, r.FirstOrderOnly, r.Exclusive, r.Group
	f.Validity, f.ValidDays = "days", strconv.FormatInt(t.ValidDays, 10)
	if t.ValidDays == 0 && t.ValidFrom != nil && t.ValidTo != nil {
		f.Validity, f.ValidDays = "window", ""
		f.ValidFrom = t.ValidFrom.In(loc).Format(time.DateOnly)
		f.ValidTo = t.ValidTo.In(loc).AddDate(0, 0, -1).Format(time.DateOnly)
	}
	f.TotalLimit, f.PerCustomer = strconv.FormatInt(t.TotalLimit, 10), strconv.FormatInt(t.PerCustomerLimit, 10)
	f.Claimable, f.SharedCode = t.Claimable, t.SharedCode
}

func yuanOrEmpty(fen int64) string {
	if fen == 0 {
		return ""
	}
	return formatYuan(fen)
}

func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ", ")
}

// read takes the posted form.
func (f *couponForm) read(p url.Values) {
	g := func(k string) string { return strings.TrimSpace(p.Get(k)) }
	f.Name, f.Description, f.Kind = g("name"), g("description"), g("rule.kind")
	f.Amount, f.Rate, f.Cap, f.Threshold, f.Levels = g("rule.amount"), g("rule.rate"), g("rule.cap"), g("rule.threshold"), g("rule.levels")
	f.Repeat, f.Scope = p.Get("rule.repeat") != "", g("rule.scope")
	f.ProductIDs, f.CategoryIDs = g("rule.product_ids"), g("rule.category_ids")
	f.Channels = p["rule.channels"]
	f.FirstOrder, f.Exclusive, f.Group = p.Get("rule.first_order_only") != "", p.Get("rule.exclusive") != "", g("rule.group")
	f.Validity, f.ValidDays, f.ValidFrom, f.ValidTo = g("validity"), g("valid_days"), g("valid_from"), g("valid_to")
	f.TotalLimit, f.PerCustomer = g("total_limit"), g("per_customer_limit")
	f.Claimable, f.SharedCode = p.Get("claimable") != "", g("shared_code")
}

// input converts the typed form to the service's input; a value that is
// not a number or a date is an error on that field, before the service
// sees anything.
func (f *couponForm) input(v *viewer, loc *time.Location) coupon.Input {
	in := coupon.Input{Name: f.Name, Description: f.Description, Claimable: f.Claimable, SharedCode: f.SharedCode,
		Rule: coupon.Rule{Kind: promo.Kind(f.Kind), Repeat: f.Repeat, Scope: promo.Scope(f.Scope), Channels: f.Channels,
			FirstOrderOnly: f.FirstOrder, Exclusive: f.Exclusive, Group: f.Group}}
	money := func(field, s string) int64 {
		if s == "" {
			return 0
		}
		n, err := parseYuan(s)
		if err != nil {
			f.Errors[field] = tr(v, yuanErrorKey(err))
		}
		return n
	}
	whole := func(field, s string) int64 {
		if s == "" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			f.Errors[field] = tr(v, "coupons.form.whole_number")
		}
		return n
	}
	r := &in.Rule
	switch r.Kind {
	case promo.KindFixedOff:
		r.Amount = money("rule.amount", f.Amount)
	case promo.KindPercentOff:
		// A percentage with up to two decimals is basis points read the
		// way a price in 元 is read in 分: 12.5 → 1250.
		r.RateBP = money("rule.rate_bp", f.Rate)
		r.Cap = money("rule.cap", f.Cap)
	case promo.KindTieredOff:
		for i, line := range strings.Split(f.Levels, "\n") {
			parts := strings.Fields(line)
			if len(parts) == 0 {
				continue
			}
			if len(parts) != 2 {
				f.Errors["rule.levels"] = tr(v, "coupons.form.levels_format")
				break
			}
			r.Levels = append(r.Levels, promo.Level{Threshold: money(fmt.Sprintf("rule.levels[%d].threshold", i), parts[0]),
				Off: money(fmt.Sprintf("rule.levels[%d].off", i), parts[1])})
		}
	}
	if r.Kind != promo.KindTieredOff {
		r.Threshold = money("rule.threshold", f.Threshold)
	}
	ids := func(field, s string) []int64 {
		var out []int64
		for _, part := range strings.FieldsFunc(s, func(c rune) bool { return c == ',' || c == ' ' || c == '，' }) {
			n, err := strconv.ParseInt(part, 10, 64)
			if err != nil || n <= 0 {
				f.Errors[field] = tr(v, "coupons.form.ids")
				return nil
			}
			out = append(out, n)
		}
		return out
	}
	switch r.Scope {
	case promo.ScopeProducts:
		r.ProductIDs = ids("rule.product_ids", f.ProductIDs)
	case promo.ScopeCategories:
		r.CategoryIDs = ids("rule.category_ids", f.CategoryIDs)
	}
	if f.Validity == "window" {
		day := func(field, s string, next bool) *time.Time {
			d, err := time.ParseInLocation(time.DateOnly, s, loc)
			if err != nil {
				f.Errors[field] = tr(v, "coupons.form.date")
				return nil
			}
			if next {
				// The last valid day is shown inclusive; the window ends
				// at the start of the day after.
				d = d.AddDate(0, 0, 1)
			}
			return &d
		}
		in.ValidFrom, in.ValidTo = day("valid_from", f.ValidFrom, false), day("valid_to", f.ValidTo, true)
	} else {
		in.ValidDays = whole("valid_days", f.ValidDays)
	}
	in.TotalLimit = whole("total_limit", f.TotalLimit)
	in.PerCustomerLimit = whole("per_customer_limit", f.PerCustomer)
	return in
}

func (c *Console) couponFormPage(w http.ResponseWriter, r *http.Request, status int, f *couponForm) {
	v := viewerFrom(r.Context())
	f.Kinds = []promo.Kind{promo.KindFixedOff, promo.KindPercentOff, promo.KindTieredOff}
	f.Scopes = []promo.Scope{promo.ScopeOrder, promo.ScopeProducts, promo.ScopeCategories}
	f.AllChannels = couponChannels
	title := tr(v, "coupons.new")
	if f.ID != 0 {
		title = f.Name
	}
	c.render(w, r, status, "coupon_form", title, "coupons", f)
}

func (c *Console) newCouponTemplate(w http.ResponseWriter, r *http.Request) {
	c.couponFormPage(w, r, http.StatusOK, newCouponForm())
}

func (c *Console) editCouponTemplate(w http.ResponseWriter, r *http.Request) {
	t, err := c.coupons().GetTemplate(r.Context(), parseID(r.PathValue("id")))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	f := &couponForm{}
	f.fill(t, viewerFrom(r.Context()).Store.Location())
	c.couponFormPage(w, r, http.StatusOK, f)
}

func (c *Console) createCouponTemplate(w http.ResponseWriter, r *http.Request) {
	c.saveCouponTemplate(w, r, 0)
}

func (c *Console) updateCouponTemplate(w http.ResponseWriter, r *http.Request) {
	id := parseID(r.PathValue("id"))
	if id == 0 {
		c.notFound(w, r)
		return
	}
	c.saveCouponTemplate(w, r, id)
}

// saveCouponTemplate reads the form and saves; a refused field shows the
// form again with the message next to it, and nothing is saved.
func (c *Console) saveCouponTemplate(w http.ResponseWriter, r *http.Request, id int64) {
	v := viewerFrom(r.Context())
	if err := r.ParseForm(); err != nil {
		c.renderError(w, r, http.StatusBadRequest, "err.bad_form")
		return
	}
	f := &couponForm{ID: id, Errors: map[string]string{}}
	f.read(r.PostForm)
	in := f.input(v, v.Store.Location())
	if len(f.Errors) == 0 {
		var t coupon.Template
		var err error
		if id == 0 {
			t, err = c.coupons().CreateTemplate(r.Context(), in)
		} else {
			t, err = c.coupons().UpdateTemplate(r.Context(), id, in)
		}
		if err == nil {
			flash := "flash.coupon_saved"
			if id == 0 {
				flash = "flash.coupon_created"
			}
			c.redirect(w, r, fmt.Sprintf("/coupons/%d", t.ID), flash)
			return
		}
		var fe *apperr.FieldError
		switch {
		case errors.As(err, &fe):
			f.Errors[formCouponField(fe.Field)] = fieldMessage(v, fe)
		case errors.Is(err, apperr.ErrConflict):
			f.Error = err.Error()
		default:
			c.fail(w, r, err)
			return
		}
	}
	if id != 0 {
		if t, err := c.coupons().GetTemplate(r.Context(), id); err == nil {
			f.Issued = t.Issued
		}
	}
	if f.Error == "" {
		f.Error = tr(v, "form.fix_errors")
	}
	c.couponFormPage(w, r, http.StatusUnprocessableEntity, f)
}

// formCouponField maps the service's field to the form's: the rate is typed
// in %, and an error on one level, product, category or channel shows
// under its box.
func formCouponField(field string) string {
	if field == "rule.rate_bp" {
		return "rule.rate"
	}
	for _, box := range []string{"rule.levels", "rule.product_ids", "rule.category_ids", "rule.channels"} {
		if strings.HasPrefix(field, box) {
			return box
		}
	}
	return field
}

type couponPage struct {
	T         coupon.Template
	Stats     coupon.Stats
	Coupons   []coupon.Coupon
	Names     map[int64]string // customer id → name
	Batches   []codeBatch
	State     string
	States    []coupon.State
	Next      string
	Audiences []audienceGroup
	Custom    []audience.Segment // saved custom segments, also an audience
	Notice    string
	NoticeErr bool
}

type codeBatch struct {
	Batch, Codes, Redeemed int64
}

// audienceGroup is one group of the push form's audience picker.
type audienceGroup struct {
	Kind  string
	Names []string
}

func (c *Console) couponTemplate(w http.ResponseWriter, r *http.Request) {
	c.couponTemplatePage(w, r, http.StatusOK, "", false)
}

// couponTemplatePage shows a template with its results, coupons and code
// batches, and notice above them (what a push did, why codes were refused).
func (c *Console) couponTemplatePage(w http.ResponseWriter, r *http.Request, status int, notice string, noticeErr bool) {
	ctx := r.Context()
	s := c.coupons()
	id := parseID(r.PathValue("id"))
	t, err := s.GetTemplate(ctx, id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	pg := couponPage{T: t, States: coupon.States(), State: r.URL.Query().Get("state"), Notice: notice, NoticeErr: noticeErr}
	if !coupon.ValidState(pg.State) {
		pg.State = ""
	}
	if pg.Stats, err = s.Stats(ctx, id); err != nil {
		c.fail(w, r, err)
		return
	}
	req, err := page.Parse("", r.URL.Query().Get("cursor"))
	if err != nil {
		req = page.Request{}
	}
	req.Limit = 30
	list, next, err := s.List(ctx, coupon.Filter{TemplateID: id, State: coupon.State(pg.State), Request: req})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	pg.Coupons = list
	ids := make([]int64, len(list))
	for i, cp := range list {
		ids[i] = cp.CustomerID
	}
	if pg.Names, err = customer.Names(ctx, c.DB, ids); err != nil {
		c.fail(w, r, err)
		return
	}
	if next != "" {
		pg.Next = fmt.Sprintf("/coupons/%d?", id) + withCursor(r.URL.Query(), next)
	}
	codes, err := s.Codes(ctx, id, 0)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	for _, k := range codes {
		if len(pg.Batches) == 0 || pg.Batches[len(pg.Batches)-1].Batch != k.Batch {
			pg.Batches = append(pg.Batches, codeBatch{Batch: k.Batch})
		}
		b := &pg.Batches[len(pg.Batches)-1]
		b.Codes++
		if k.RedeemedAt != nil {
			b.Redeemed++
		}
	}
	pg.Audiences = []audienceGroup{
		{coupon.AudienceTier, audienceNames(rfm.Tiers)}, {coupon.AudienceSegment, audienceNames(rfm.Segments)},
		{coupon.AudienceQuadrant, audienceNames(rfm.Quadrants)}, {coupon.AudienceStage, audienceNames(lifecycle.Stages)},
	}
	if v := viewerFrom(ctx); v.Can(auth.Read("segments")) {
		if pg.Custom, err = c.audiences().List(ctx); err != nil {
			c.serverError(w, r, err)
			return
		}
	}
	c.render(w, r, status, "coupon", t.Name, "coupons", pg)
}

func audienceNames[T ~string](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

func (c *Console) couponMove(move func(*coupon.Service, *http.Request, int64) (coupon.Template, error), flash string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := parseID(r.PathValue("id"))
		if _, err := move(c.coupons(), r, id); err != nil {
			if errors.Is(err, apperr.ErrConflict) {
				c.redirect(w, r, fmt.Sprintf("/coupons/%d", id), "flash.error.coupon_changed")
				return
			}
			c.fail(w, r, err)
			return
		}
		c.redirect(w, r, fmt.Sprintf("/coupons/%d", id), flash)
	}
}

func (c *Console) pauseCoupon(w http.ResponseWriter, r *http.Request) {
	c.couponMove(func(s *coupon.Service, r *http.Request, id int64) (coupon.Template, error) {
		return s.Pause(r.Context(), id)
	}, "flash.coupon_paused")(w, r)
}

func (c *Console) resumeCoupon(w http.ResponseWriter, r *http.Request) {
	c.couponMove(func(s *coupon.Service, r *http.Request, id int64) (coupon.Template, error) {
		return s.Resume(r.Context(), id)
	}, "flash.coupon_resumed")(w, r)
}

func (c *Console) endCoupon(w http.ResponseWriter, r *http.Request) {
	c.couponMove(func(s *coupon.Service, r *http.Request, id int64) (coupon.Template, error) {
		return s.End(r.Context(), id)
	}, "flash.coupon_ended")(w, r)
}

// pushCoupon gives the chosen audience a coupon each and says, on the
// template page, how many got one.
func (c *Console) pushCoupon(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	id := parseID(r.PathValue("id"))
	if err := r.ParseForm(); err != nil {
		c.renderError(w, r, http.StatusBadRequest, "err.bad_form")
		return
	}
	a := coupon.Audience{}
	a.Kind, a.Name, _ = strings.Cut(r.PostForm.Get("audience"), ":")
	switch a.Kind {
	case coupon.AudienceCustom:
		a.SegmentID, a.Name = parseID(a.Name), ""
	case coupon.AudienceTag:
		a.Name = strings.TrimSpace(r.PostForm.Get("tag"))
	case coupon.AudienceCustomers:
		for _, part := range strings.FieldsFunc(r.PostForm.Get("customer_ids"), func(c rune) bool { return c == ',' || c == ' ' || c == '，' || c == '\n' }) {
			if n, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64); err == nil && n > 0 {
				a.CustomerIDs = append(a.CustomerIDs, n)
			}
		}
	}
	res, err := c.coupons().Push(r.Context(), id, a)
	var fe *apperr.FieldError
	switch {
	case errors.As(err, &fe), errors.Is(err, apperr.ErrConflict):
		c.couponTemplatePage(w, r, http.StatusUnprocessableEntity, tr(v, "coupons.push_failed", err.Error()), true)
		return
	case err != nil:
		c.fail(w, r, err)
		return
	}
	msg := tr(v, "coupons.pushed", res.Targeted, res.Issued, res.AtLimit)
	if res.Missing > 0 {
		msg += " " + tr(v, "coupons.push_missing", res.Missing)
	}
	if res.SoldOut {
		msg += " " + tr(v, "coupons.push_sold_out")
	}
	c.couponTemplatePage(w, r, http.StatusOK, msg, false)
}

// generateCodes makes a batch and sends it straight away as a CSV, the
// file the shop prints or hands to a partner.
func (c *Console) generateCodes(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	id := parseID(r.PathValue("id"))
	if err := r.ParseForm(); err != nil {
		c.renderError(w, r, http.StatusBadRequest, "err.bad_form")
		return
	}
	n, _ := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("count")))
	b, err := c.coupons().GenerateCodes(r.Context(), id, n, r.PostForm.Get("prefix"))
	var fe *apperr.FieldError
	switch {
	case errors.As(err, &fe), errors.Is(err, apperr.ErrConflict):
		c.couponTemplatePage(w, r, http.StatusUnprocessableEntity, tr(v, "coupons.codes_failed", err.Error()), true)
		return
	case err != nil:
		c.fail(w, r, err)
		return
	}
	c.redirect(w, r, fmt.Sprintf("/coupons/%d/codes.csv?batch=%d", id, b.Batch), "")
}

func (c *Console) couponCodesCSV(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	id := parseID(r.PathValue("id"))
	batch, _ := strconv.ParseInt(r.URL.Query().Get("batch"), 10, 64)
	codes, err := c.coupons().Codes(r.Context(), id, batch)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	loc := v.Store.Location()
	rows := make([][]string, len(codes))
	for i, k := range codes {
		redeemed, cust := "", ""
		if k.RedeemedAt != nil {
			redeemed = k.RedeemedAt.In(loc).Format(time.DateTime)
		}
		if k.CustomerID > 0 {
			cust = strconv.FormatInt(k.CustomerID, 10)
		}
		rows[i] = []string{csvCell(k.Code), strconv.FormatInt(k.Batch, 10), redeemed, cust}
	}
	name := fmt.Sprintf("coupon-%d-codes.csv", id)
	if batch > 0 {
		name = fmt.Sprintf("coupon-%d-batch-%d-codes.csv", id, batch)
	}
	if err := writeCSV(w, name, []string{"code", "batch", "redeemed_at", "customer_id"}, rows); err != nil {
		c.Log.Warn("coupon codes csv", "err", err)
	}
}
