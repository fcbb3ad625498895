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
	"github.com/storeops/storeops/internal/lifecycle"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/page"
	"github.com/storeops/storeops/internal/promo"
	"github.com/storeops/storeops/internal/promotion"
	"github.com/storeops/storeops/internal/rfm"
)

func (c *Console) promotions() *promotion.Service {
	if c.Promotions != nil {
		return c.Promotions
	}
	return &promotion.Service{DB: c.DB}
}

var promotionKinds = []promo.Kind{promo.KindTieredOff, promo.KindPercentOff, promo.KindFixedOff, promo.KindBuyNGetM,
	promo.KindBundle, promo.KindGift, promo.KindMemberDiscount}

type promotionsPage struct {
	Status   string
	Statuses []promotion.Status
	Rows     []promotion.Promotion
	Next     string
}

func (c *Console) promotionList(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	q := r.URL.Query()
	pg := promotionsPage{Status: q.Get("status"), Statuses: promotion.Statuses()}
	if !slices.Contains(pg.Statuses, promotion.Status(pg.Status)) {
		pg.Status = ""
	}
	req, err := page.Parse("", q.Get("cursor"))
	if err != nil {
		req = page.Request{Limit: page.DefaultLimit}
	}
	rows, err := c.promotions().List(r.Context(), promotion.Filter{Status: promotion.Status(pg.Status), Limit: req.Limit, After: req.After})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	pg.Rows = rows
	if len(rows) > 0 {
		if next := page.Next(req, len(rows), rows[len(rows)-1].ID); next != "" {
			pg.Next = "/promotions?" + withCursor(q, next)
		}
	}
	c.render(w, r, http.StatusOK, "promotions", tr(v, "nav.promotions"), "promotions", pg)
}

// promotionForm is the form as typed: money in 元, rates in %, times in the
// store's zone; a refused form shows back what was typed.
type promotionForm struct {
	ID          int64
	Name        string
	Kind        string
	Priority    string
	Group       string
	Exclusive   bool
	StartsAt    string // 2006-01-02T15:04 in the store's zone
	EndsAt      string
	Weekdays    []string
	MonthDays   string
	Channels    []string
	Segments    []string // audience names: RFM segments, stages, custom:12
	FirstOrder  bool
	Scope       string
	ProductIDs  string
	CategoryIDs string
	Levels      string // "300 50" per line, 元
	Repeat      bool
	Rate        string // % off
	Amount      string
	PerUnit     bool
	Cap         string
	Threshold   string
	BuyN        string
	GetM        string
	BundleSKUs  string
	BundlePrice string
	TierRates   string // "gold 5" per line: tier, % off
	GiftSKU     string
	GiftQty     string
	Note        string

	Kinds       []promo.Kind
	Scopes      []promo.Scope
	AllChannels []string
	Audiences   []audienceChoice
	Days        []int // 0..6
	Errors      map[string]string
	Error       string
}

const formTime = "2006-01-02T15:04"

func newPromotionForm() *promotionForm {
	return &promotionForm{Kind: string(promo.KindTieredOff), Scope: string(promo.ScopeOrder), Priority: "0", GiftQty: "1"}
}

func (f *promotionForm) fill(p promotion.Promotion, loc *time.Location) {
	f.ID, f.Name, f.Kind, f.Priority, f.Group, f.Exclusive = p.ID, p.Name, string(p.Kind), strconv.Itoa(p.Priority), p.Group, p.Exclusive
	if !p.StartsAt.IsZero() {
		f.StartsAt = p.StartsAt.In(loc).Format(formTime)
	}
	if !p.EndsAt.IsZero() {
		f.EndsAt = p.EndsAt.In(loc).Format(formTime)
	}
	for _, d := range p.Schedule.Weekdays {
		f.Weekdays = append(f.Weekdays, strconv.Itoa(int(d)))
	}
	var md []string
	for _, d := range p.Schedule.MonthDays {
		md = append(md, strconv.Itoa(d))
	}
	f.MonthDays = strings.Join(md, ", ")
	f.Channels, f.Segments, f.FirstOrder, f.Scope = p.Channels, p.Segments, p.FirstOrderOnly, string(p.Scope)
	f.ProductIDs, f.CategoryIDs = joinIDs(p.ProductIDs), joinIDs(p.CategoryIDs)
	var lv []string
	for _, l := range p.Levels {
		lv = append(lv, formatYuan(l.Threshold)+" "+formatYuan(l.Off))
	}
	f.Levels, f.Repeat = strings.Join(lv, "\n"), p.Repeat
	if p.RateBP > 0 {
		f.Rate = trimZeros(formatYuan(p.RateBP))
	}
	f.Amount, f.PerUnit, f.Cap, f.Threshold = yuanOrEmpty(p.Amount), p.PerUnit, yuanOrEmpty(p.Cap), yuanOrEmpty(p.Threshold)
	if p.BuyN > 0 {
		f.BuyN, f.GetM = strconv.FormatInt(p.BuyN, 10), strconv.FormatInt(p.GetM, 10)
	}
	f.BundleSKUs, f.BundlePrice = joinIDs(p.BundleSKUs), yuanOrEmpty(p.BundlePrice)
	var rates []string
	for tier, bp := range p.TierRatesBP {
		rates = append(rates, tier+" "+trimZeros(formatYuan(bp)))
	}
	slices.Sort(rates)
	f.TierRates = strings.Join(rates, "\n")
	if p.Gift.SKUID > 0 {
		f.GiftSKU, f.GiftQty = strconv.FormatInt(p.Gift.SKUID, 10), strconv.FormatInt(p.Gift.Quantity, 10)
	}
	f.Note = p.Note
}

func trimZeros(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

func (f *promotionForm) read(p url.Values) {
	g := func(k string) string { return strings.TrimSpace(p.Get(k)) }
	f.Name, f.Kind, f.Priority, f.Group, f.Exclusive = g("name"), g("kind"), g("priority"), g("group"), p.Get("exclusive") != ""
	f.StartsAt, f.EndsAt, f.Weekdays, f.MonthDays = g("starts_at"), g("ends_at"), p["weekdays"], g("month_days")
	f.Channels, f.Segments, f.FirstOrder, f.Scope = p["channels"], p["segments"], p.Get("first_order_only") != "", g("scope")
	f.ProductIDs, f.CategoryIDs, f.Levels, f.Repeat = g("product_ids"), g("category_ids"), g("levels"), p.Get("repeat") != ""
	f.Rate, f.Amount, f.PerUnit, f.Cap, f.Threshold = g("rate"), g("amount"), p.Get("per_unit") != "", g("cap"), g("threshold")
	f.BuyN, f.GetM, f.BundleSKUs, f.BundlePrice = g("buy_n"), g("get_m"), g("bundle_skus"), g("bundle_price")
	f.TierRates, f.GiftSKU, f.GiftQty, f.Note = g("tier_rates"), g("gift.sku_id"), g("gift.quantity"), g("note")
}

// input converts the typed form; a value that is not a number, an id or a
// time is an error on its field before the service sees anything. Only the
// fields of the chosen kind are taken, so a hidden leftover does not count.
func (f *promotionForm) input(v *viewer, loc *time.Location) promotion.Input {
	in := promotion.Input{Note: f.Note}
	p := &in.Promotion
	p.Name, p.Kind, p.Group, p.Exclusive = f.Name, promo.Kind(f.Kind), f.Group, f.Exclusive
	p.Channels, p.Segments, p.FirstOrderOnly, p.Scope = f.Channels, f.Segments, f.FirstOrder, promo.Scope(f.Scope)
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
			f.Errors[field] = tr(v, "promotions.form.whole_number")
		}
		return n
	}
	ids := func(field, s string) []int64 {
		var out []int64
		for _, part := range strings.FieldsFunc(s, func(c rune) bool { return c == ',' || c == ' ' || c == '，' || c == '\n' }) {
			n, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
			if err != nil || n <= 0 {
				f.Errors[field] = tr(v, "promotions.form.ids")
				return nil
			}
			out = append(out, n)
		}
		return out
	}
	at := func(field, s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		t, err := time.ParseInLocation(formTime, s, loc)
		if err != nil {
			f.Errors[field] = tr(v, "promotions.form.time")
		}
		return t
	}
	p.Priority = int(whole("priority", f.Priority))
	p.StartsAt, p.EndsAt = at("starts_at", f.StartsAt), at("ends_at", f.EndsAt)
	for _, d := range f.Weekdays {
		n, err := strconv.Atoi(d)
		if err == nil && n >= 0 && n <= 6 {
			p.Schedule.Weekdays = append(p.Schedule.Weekdays, time.Weekday(n))
		}
	}
	for _, d := range ids("month_days", f.MonthDays) {
		p.Schedule.MonthDays = append(p.Schedule.MonthDays, int(d))
	}
	switch p.Scope {
	case promo.ScopeProducts:
		p.ProductIDs = ids("product_ids", f.ProductIDs)
	case promo.ScopeCategories:
		p.CategoryIDs = ids("category_ids", f.CategoryIDs)
	}
	switch p.Kind {
	case promo.KindTieredOff:
		for i, line := range strings.Split(f.Levels, "\n") {
			parts := strings.Fields(line)
			if len(parts) == 0 {
				continue
			}
			if len(parts) != 2 {
				f.Errors["levels"] = tr(v, "promotions.form.levels_format")
				break
			}
			p.Levels = append(p.Levels, promo.Level{Threshold: money(fmt.Sprintf("levels[%d].threshold", i), parts[0]),
				Off: money(fmt.Sprintf("levels[%d].off", i), parts[1])})
		}
		p.Repeat = f.Repeat
	case promo.KindPercentOff:
		// A percentage with up to two decimals is basis points read the
		// way 元 are read in 分: 12.5 → 1250.
		p.RateBP = money("rate", f.Rate)
	case promo.KindFixedOff:
		p.Amount, p.PerUnit = money("amount", f.Amount), f.PerUnit
	case promo.KindBuyNGetM:
		p.BuyN, p.GetM = whole("buy_n", f.BuyN), whole("get_m", f.GetM)
	case promo.KindBundle:
		p.BundleSKUs, p.BundlePrice = ids("bundle_skus", f.BundleSKUs), money("bundle_price", f.BundlePrice)
	case promo.KindGift:
		p.Gift = promo.Gift{SKUID: whole("gift.sku_id", f.GiftSKU), Quantity: whole("gift.quantity", f.GiftQty)}
	case promo.KindMemberDiscount:
		p.TierRatesBP = map[string]int64{}
		for _, line := range strings.Split(f.TierRates, "\n") {
			parts := strings.Fields(line)
			if len(parts) == 0 {
				continue
			}
			if len(parts) != 2 {
				f.Errors["tier_rates"] = tr(v, "promotions.form.tier_rates_format")
				break
			}
			p.TierRatesBP[parts[0]] = money("tier_rates", parts[1])
		}
	}
	if p.Kind != promo.KindTieredOff && p.Kind != promo.KindBundle {
		p.Threshold = money("threshold", f.Threshold)
	}
	if p.Kind == promo.KindPercentOff || p.Kind == promo.KindFixedOff || p.Kind == promo.KindTieredOff || p.Kind == promo.KindBuyNGetM {
		p.Cap = money("cap", f.Cap)
	}
	return in
}

// formPromotionField maps the service's field to the form's.
func formPromotionField(field string) string {
	for _, prefix := range []string{"levels", "product_ids", "category_ids", "bundle_skus"} {
		if strings.HasPrefix(field, prefix) {
			return prefix
		}
	}
	switch {
	case field == "rate_bp":
		return "rate"
	case strings.HasPrefix(field, "tier_rates_bp"):
		return "tier_rates"
	case strings.HasPrefix(field, "schedule.weekdays"):
		return "weekdays"
	case strings.HasPrefix(field, "schedule.month_days"):
		return "month_days"
	case strings.HasPrefix(field, "segments"):
		return "segments"
	}
	return field
}

func (c *Console) promotionFormPage(w http.ResponseWriter, r *http.Request, status int, f *promotionForm) {
	v := viewerFrom(r.Context())
	f.Kinds = promotionKinds
	f.Scopes = []promo.Scope{promo.ScopeOrder, promo.ScopeProducts, promo.ScopeCategories}
	f.AllChannels = couponChannels
	f.Days = []int{1, 2, 3, 4, 5, 6, 0}
	var err error
	if f.Audiences, err = c.audienceChoices(r); err != nil {
		c.fail(w, r, err)
		return
	}
	title := tr(v, "promotions.new")
	if f.ID != 0 {
		title = f.Name
	}
	c.render(w, r, status, "promotion_form", title, "promotions", f)
}

func (c *Console) newPromotion(w http.ResponseWriter, r *http.Request) {
	c.promotionFormPage(w, r, http.StatusOK, newPromotionForm())
}

func (c *Console) editPromotion(w http.ResponseWriter, r *http.Request) {
	p, err := c.promotions().Get(r.Context(), parseID(r.PathValue("id")))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	f := &promotionForm{}
	f.fill(p, viewerFrom(r.Context()).Store.Location())
	c.promotionFormPage(w, r, http.StatusOK, f)
}

func (c *Console) createPromotion(w http.ResponseWriter, r *http.Request) { c.savePromotion(w, r, 0) }

func (c *Console) updatePromotion(w http.ResponseWriter, r *http.Request) {
	id := parseID(r.PathValue("id"))
	if id == 0 {
		c.notFound(w, r)
		return
	}
	c.savePromotion(w, r, id)
}

// savePromotion reads the form and saves; a refused field shows the form
// again with the service's explanation next to it, and nothing is saved.
func (c *Console) savePromotion(w http.ResponseWriter, r *http.Request, id int64) {
	v := viewerFrom(r.Context())
	if err := r.ParseForm(); err != nil {
		c.renderError(w, r, http.StatusBadRequest, "err.bad_form")
		return
	}
	f := &promotionForm{ID: id, Errors: map[string]string{}}
	f.read(r.PostForm)
	in := f.input(v, v.Store.Location())
	if len(f.Errors) == 0 {
		var p promotion.Promotion
		var err error
		if id == 0 {
			p, err = c.promotions().Create(r.Context(), in)
		} else {
			p, err = c.promotions().Update(r.Context(), id, in)
		}
		if err == nil {
			c.redirect(w, r, fmt.Sprintf("/promotions/%d", p.ID), "flash.promotion_saved")
			return
		}
		var fe *apperr.FieldError
		switch {
		case errors.As(err, &fe):
			f.Errors[formPromotionField(fe.Field)] = fieldMessage(v, fe)
		case errors.Is(err, apperr.ErrConflict):
			f.Error = err.Error()
		default:
			c.fail(w, r, err)
			return
		}
	}
	if f.Error == "" {
		f.Error = tr(v, "form.fix_errors")
	}
	c.promotionFormPage(w, r, http.StatusUnprocessableEntity, f)
}

type promotionPage struct {
	P         promotion.Promotion
	Results   promotion.Results
	Notice    string
	Audiences []string // the promotion's segments as the operator reads them
}

func (c *Console) promotionDetail(w http.ResponseWriter, r *http.Request) {
	c.promotionPage(w, r, http.StatusOK, "")
}

func (c *Console) promotionPage(w http.ResponseWriter, r *http.Request, status int, notice string) {
	ctx := r.Context()
	id := parseID(r.PathValue("id"))
	p, err := c.promotions().Get(ctx, id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	res, err := c.promotions().Results(ctx, id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	choices, err := c.audienceChoices(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	pg := promotionPage{P: p, Results: res, Notice: notice}
	for _, s := range p.Segments {
		pg.Audiences = append(pg.Audiences, audienceLabel(viewerFrom(ctx), choices, s))
	}
	c.render(w, r, status, "promotion", p.Name, "promotions", pg)
}

// movePromotion is the handler of a status button: a refusal (an
// overlapping exclusive promotion, a window already over) is shown on the
// promotion's page with the reason.
func (c *Console) movePromotion(call func(*promotion.Service, *http.Request, int64) (promotion.Promotion, error), flash string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := parseID(r.PathValue("id"))
		_, err := call(c.promotions(), r, id)
		var fe *apperr.FieldError
		switch {
		case err == nil:
			c.redirect(w, r, fmt.Sprintf("/promotions/%d", id), flash)
		case errors.As(err, &fe):
			c.promotionPage(w, r, http.StatusUnprocessableEntity, fieldMessage(viewerFrom(r.Context()), fe))
		case errors.Is(err, apperr.ErrConflict):
			c.promotionPage(w, r, http.StatusConflict, err.Error())
		default:
			c.fail(w, r, err)
		}
	}
}

func (c *Console) schedulePromotion() http.HandlerFunc {
	return c.movePromotion(func(s *promotion.Service, r *http.Request, id int64) (promotion.Promotion, error) {
		return s.Schedule(r.Context(), id)
	}, "flash.promotion_scheduled")
}

func (c *Console) pausePromotion() http.HandlerFunc {
	return c.movePromotion(func(s *promotion.Service, r *http.Request, id int64) (promotion.Promotion, error) {
		return s.Pause(r.Context(), id)
	}, "flash.promotion_paused")
}

func (c *Console) resumePromotion() http.HandlerFunc {
	return c.movePromotion(func(s *promotion.Service, r *http.Request, id int64) (promotion.Promotion, error) {
		return s.Resume(r.Context(), id)
	}, "flash.promotion_resumed")
}

func (c *Console) endPromotion() http.HandlerFunc {
	return c.movePromotion(func(s *promotion.Service, r *http.Request, id int64) (promotion.Promotion, error) {
		return s.End(r.Context(), id)
	}, "flash.promotion_ended")
}

// tryPage is the try-a-cart form and, once a cart is given, the engine's
// answer.
type tryPage struct {
	Lines      string // "code-or-id quantity" per line
	CustomerID string
	Channel    string
	At         string
	With       string
	Channels   []string
	Errors     map[string]string
	Preview    *promotion.Preview
}

// promotionTry prices a cart the operator types (GET, so a tried cart can
// be bookmarked and shared with a colleague).
func (c *Console) promotionTry(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	loc := v.Store.Location()
	q := r.URL.Query()
	pg := tryPage{Lines: strings.TrimSpace(q.Get("lines")), CustomerID: strings.TrimSpace(q.Get("customer_id")), Channel: q.Get("channel"),
		At: strings.TrimSpace(q.Get("at")), With: strings.TrimSpace(q.Get("with")), Channels: couponChannels, Errors: map[string]string{}}
	if pg.At == "" {
		pg.At = time.Now().In(loc).Format(formTime)
	}
	if pg.Lines == "" {
		c.render(w, r, http.StatusOK, "promotion_try", tr(v, "promotions.try"), "promotions", pg)
		return
	}
	in := promotion.PreviewInput{Channel: pg.Channel}
	for i, line := range strings.Split(pg.Lines, "\n") {
		parts := strings.Fields(line)
		if len(parts) == 0 {
			continue
		}
		qty := int64(1)
		if len(parts) > 1 {
			n, err := strconv.ParseInt(strings.TrimPrefix(parts[1], "×"), 10, 64)
			if err != nil {
				pg.Errors["lines"] = tr(v, "promotions.try.line_format", i+1)
				break
			}
			qty = n
		}
		id, err := c.skuByCodeOrID(r, parts[0])
		if err != nil {
			pg.Errors["lines"] = tr(v, "promotions.try.unknown_sku", parts[0])
			break
		}
		in.Lines = append(in.Lines, price.Line{SKUID: id, Quantity: qty})
	}
	if pg.CustomerID != "" {
		if n, err := strconv.ParseInt(pg.CustomerID, 10, 64); err == nil && n > 0 {
			in.CustomerID = n
		} else {
			pg.Errors["customer_id"] = tr(v, "promotions.form.whole_number")
		}
	}
	if t, err := time.ParseInLocation(formTime, pg.At, loc); err == nil {
		in.At = &t
	} else {
		pg.Errors["at"] = tr(v, "promotions.form.time")
	}
	for _, s := range strings.FieldsFunc(pg.With, func(c rune) bool { return c == ',' || c == ' ' }) {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
			in.With = append(in.With, n)
		} else {
			pg.Errors["with"] = tr(v, "promotions.form.ids")
		}
	}
	status := http.StatusOK
	if len(pg.Errors) == 0 {
		pv, err := c.promotions().Preview(r.Context(), in)
		var fe *apperr.FieldError
		switch {
		case err == nil:
			pg.Preview = &pv
		case errors.As(err, &fe):
			field := fe.Field
			if strings.HasPrefix(field, "lines") {
				field = "lines"
			}
			pg.Errors[field] = fieldMessage(v, fe)
		case errors.Is(err, apperr.ErrConflict):
			pg.Errors["lines"] = err.Error()
		default:
			c.fail(w, r, err)
			return
		}
	}
	if len(pg.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	c.render(w, r, status, "promotion_try", tr(v, "promotions.try"), "promotions", pg)
}

func (c *Console) skuByCodeOrID(r *http.Request, s string) (int64, error) {
	var id int64
	err := c.DB.QueryRow(r.Context(), `SELECT id FROM skus WHERE code = $1`, s).Scan(&id)
	if err == nil {
		return id, nil
	}
	if n, perr := strconv.ParseInt(s, 10, 64); perr == nil && n > 0 {
		return n, nil
	}
	return 0, err
}

// calendarPage is a month as a grid of weeks: each day lists the
// promotions running on it (their window and themed days), and the month's
// promotions are listed below.
type calendarPage struct {
	Month      string // 2006-01
	Prev, Next string
	Weekdays   []int
	Weeks      [][]calendarDay
	Promotions []promotion.Promotion
}

type calendarDay struct {
	Day     int // 0: a day of another month
	Date    string
	Today   bool
	Running []promotion.Promotion
}

func (c *Console) promotionCalendar(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	loc := v.Store.Location()
	now := time.Now().In(loc)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc)
	if m, err := time.ParseInLocation("2006-01", r.URL.Query().Get("month"), loc); err == nil {
		first = m
	}
	next := first.AddDate(0, 1, 0)
	ps, err := c.promotions().Calendar(r.Context(), first, next)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	pg := calendarPage{Month: first.Format("2006-01"), Prev: first.AddDate(0, -1, 0).Format("2006-01"), Next: next.Format("2006-01"),
		Weekdays: []int{1, 2, 3, 4, 5, 6, 0}, Promotions: ps}
	pg.Weeks = monthGrid(first, loc, now, ps)
	c.render(w, r, http.StatusOK, "promotion_calendar", tr(v, "promotions.calendar"), "promotions", pg)
}

// monthGrid lays the month starting at first out in weeks from Monday.
func monthGrid(first time.Time, loc *time.Location, now time.Time, ps []promotion.Promotion) [][]calendarDay {
	var weeks [][]calendarDay
	week := make([]calendarDay, (int(first.Weekday())+6)%7)
	for d := first; d.Month() == first.Month(); d = d.AddDate(0, 0, 1) {
		day := calendarDay{Day: d.Day(), Date: d.Format("2006-01-02"), Today: d.Year() == now.Year() && d.YearDay() == now.YearDay()}
		end := d.AddDate(0, 0, 1)
		for _, p := range ps {
			if (p.StartsAt.IsZero() || p.StartsAt.Before(end)) && (p.EndsAt.IsZero() || p.EndsAt.After(d)) && p.Schedule.On(d.Add(12*time.Hour), loc) {
				day.Running = append(day.Running, p)
			}
		}
		week = append(week, day)
		if len(week) == 7 {
			weeks = append(weeks, week)
			week = nil
		}
	}
	if len(week) > 0 {
		for len(week) < 7 {
			week = append(week, calendarDay{})
		}
		weeks = append(weeks, week)
	}
	return weeks
}

// audienceChoice is one audience a promotion can be for: an RFM segment, a
// lifecycle stage or a saved custom segment (value custom:12).
type audienceChoice struct {
	Group string // segment, stage, custom
	Value string
	Key   string // catalog key of the label; "" for a custom segment
	Name  string // a custom segment's name
}

// audienceGroup is the form's audience choices of one group, in order.
type audienceChoiceGroup struct {
	Group   string
	Choices []audienceChoice
}

// AudienceGroups are the picker's groups: RFM segments, stages, custom
// segments (listed even when the store has none saved, to say so).
func (f *promotionForm) AudienceGroups() []audienceChoiceGroup {
	out := []audienceChoiceGroup{{Group: "segment"}, {Group: "stage"}, {Group: "custom"}}
	for _, a := range f.Audiences {
		for i := range out {
			if out[i].Group == a.Group {
				out[i].Choices = append(out[i].Choices, a)
			}
		}
	}
	return out
}

// audienceChoices lists what the promotion form's audience picker offers.
// A stage named like a segment (new) is one choice: the engine matches
// names, so ticking either means the same.
func (c *Console) audienceChoices(r *http.Request) ([]audienceChoice, error) {
	var out []audienceChoice
	for _, s := range rfm.Segments {
		out = append(out, audienceChoice{Group: "segment", Value: string(s), Key: "segment." + string(s)})
	}
	for _, s := range lifecycle.Stages {
		if !slices.ContainsFunc(out, func(a audienceChoice) bool { return a.Value == string(s) }) {
			out = append(out, audienceChoice{Group: "stage", Value: string(s), Key: "stage." + string(s)})
		}
	}
	custom, err := c.audiences().List(r.Context())
	if err != nil {
		return nil, err
	}
	for _, g := range custom {
		out = append(out, audienceChoice{Group: "custom", Value: promotion.CustomSegment(g.ID), Name: g.Name})
	}
	return out, nil
}

// audienceLabel is how the promotion's page names an audience.
func audienceLabel(v *viewer, choices []audienceChoice, s string) string {
	for _, a := range choices {
		if a.Value == s {
			if a.Key != "" {
				return tr(v, a.Key)
			}
			return tr(v, "promotions.audience.custom_named", a.Name)
		}
	}
	return tr(v, "promotions.audience.unknown", s)
}
