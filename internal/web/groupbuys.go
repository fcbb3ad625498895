package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/groupbuy"
)

// groupBuys is the service the API and the pricer use; nil: one over DB
// (the console only creates, ends and reads campaigns; it places no
// orders).
func (c *Console) groupBuys() *groupbuy.Service {
	if c.GroupBuys != nil {
		return c.GroupBuys
	}
	return &groupbuy.Service{DB: c.DB, Orders: c.Orders}
}

// groupBuyRow is a campaign with the figures the pages show.
type groupBuyRow struct {
	groupbuy.Campaign
	Closed    bool  // ended by an operator (or its time is over and End confirmed it)
	Hours     int64 // the time limit in whole hours, or 0 when it is not whole
	Minutes   int64 // the time limit in minutes
	SuccessBP int64 // succeeded ÷ (succeeded + failed), basis points; -1: none decided yet
}

func newGroupBuyRow(c groupbuy.Campaign) groupBuyRow {
	d := time.Duration(c.TimeLimit)
	r := groupBuyRow{Campaign: c, Closed: c.EndedAt != nil, Minutes: int64(d / time.Minute), SuccessBP: -1}
	if d%time.Hour == 0 {
		r.Hours = int64(d / time.Hour)
	}
	if n := c.Groups.Succeeded + c.Groups.Failed; n > 0 {
		r.SuccessBP = c.Groups.Succeeded * 10000 / n
	}
	return r
}

// groupRow is a group with what the operator needs at a glance: the time
// left while it forms.
type groupRow struct {
	groupbuy.Group
	LeftHours, LeftMinutes int64
	Expired                bool // forming past its limit: the next sweep fails it
}

func newGroupRow(g groupbuy.Group, now time.Time) groupRow {
	r := groupRow{Group: g}
	if g.Status == groupbuy.Forming {
		left := g.ExpiresAt.Sub(now)
		if left <= 0 {
			r.Expired = true
		} else {
			r.LeftHours, r.LeftMinutes = int64(left/time.Hour), int64(left%time.Hour/time.Minute)
		}
	}
	return r
}

func (c *Console) groupBuyList(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	cs, err := c.groupBuys().List(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	rows := make([]groupBuyRow, len(cs))
	for i, x := range cs {
		rows[i] = newGroupBuyRow(x)
	}
	c.render(w, r, http.StatusOK, "group_buys", tr(v, "nav.group_buys"), "group_buys", rows)
}

// groupBuyPage is a campaign with its groups, filtered by state.
type groupBuyPage struct {
	groupBuyRow
	Filter string
	List   []groupRow // the groups shown (Groups are the campaign's counts)
}

func (c *Console) groupBuyDetail(w http.ResponseWriter, r *http.Request) {
	id := parseID(r.PathValue("id"))
	if id == 0 {
		c.notFound(w, r)
		return
	}
	cp, err := c.groupBuys().Get(r.Context(), id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	filter := r.URL.Query().Get("status")
	switch groupbuy.GroupStatus(filter) {
	case "", groupbuy.Forming, groupbuy.Succeeded, groupbuy.Failed:
	default:
		filter = ""
	}
	gs, err := c.groupBuys().Groups(r.Context(), id, groupbuy.GroupStatus(filter))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	now := time.Now()
	p := groupBuyPage{groupBuyRow: newGroupBuyRow(cp), Filter: filter, List: make([]groupRow, len(gs))}
	for i, g := range gs {
		p.List[i] = newGroupRow(g, now)
	}
	c.render(w, r, http.StatusOK, "group_buy", cp.Name, "group_buys", p)
}

// endGroupBuy ends a campaign now; ending one that has ended already
// changes nothing and says the same.
func (c *Console) endGroupBuy(w http.ResponseWriter, r *http.Request) {
	id := parseID(r.PathValue("id"))
	if id == 0 {
		c.notFound(w, r)
		return
	}
	if _, err := c.groupBuys().End(r.Context(), id); err != nil {
		c.fail(w, r, err)
		return
	}
	c.redirect(w, r, fmt.Sprintf("/group-buys/%d", id), "group_buys.ended")
}

// groupBuyForm is the create form as typed: prices in 元, times in the
// store's zone, the time limit in hours.
type groupBuyForm struct {
	Name, StartsAt, EndsAt, Size, Hours, Limit string
	Rows                                       []groupBuyFormRow
	Errors                                     map[string]string
	Error                                      string
}

// groupBuyFormRow is one item as typed: a SKU code or id, the group price
// and the optional leader price in 元.
type groupBuyFormRow struct {
	SKU, Price, Leader string
}

const (
	groupBuyFormRows    = 3
	groupBuyFormMaxRows = 50
)

func newGroupBuyForm(loc *time.Location, now time.Time) *groupBuyForm {
	// From tomorrow 00:00 for a week; groups of 3 with 24 hours each.
	t := now.In(loc)
	start := time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
	return &groupBuyForm{StartsAt: start.Format(formTime), EndsAt: start.AddDate(0, 0, 7).Format(formTime),
		Size: "3", Hours: "24", Limit: "1", Rows: make([]groupBuyFormRow, groupBuyFormRows), Errors: map[string]string{}}
}

func (f *groupBuyForm) read(p url.Values) {
	g := func(k string) string { return strings.TrimSpace(p.Get(k)) }
	f.Name, f.StartsAt, f.EndsAt = g("name"), g("starts_at"), g("ends_at")
	f.Size, f.Hours, f.Limit = g("group_size"), g("time_limit_hours"), g("per_customer_limit")
	f.Rows = nil
	for i := 0; i < groupBuyFormMaxRows; i++ {
		k := func(name string) string { return fmt.Sprintf("items[%d].%s", i, name) }
		_, a := p[k("sku")]
		_, b := p[k("group_price")]
		_, c := p[k("leader_price")]
		if !a && !b && !c {
			break
		}
		f.Rows = append(f.Rows, groupBuyFormRow{SKU: g(k("sku")), Price: g(k("group_price")), Leader: g(k("leader_price"))})
	}
}

// input converts the typed form; what is not a number, a SKU or a time is
// an error on its field before the service sees anything. rows maps the
// service's items[i] back to the form's row.
func (f *groupBuyForm) input(v *viewer, loc *time.Location, sku func(string) (int64, error)) (in groupbuy.CampaignInput, rows []int) {
	in.Name = f.Name
	at := func(field, s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		t, err := time.ParseInLocation(formTime, s, loc)
		if err != nil {
			f.Errors[field] = tr(v, "group_buys.form.time")
		}
		return t
	}
	whole := func(field, s string) int64 {
		if s == "" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			f.Errors[field] = tr(v, "group_buys.form.whole_number")
		}
		return n
	}
	in.StartsAt, in.EndsAt = at("starts_at", f.StartsAt), at("ends_at", f.EndsAt)
	in.GroupSize = whole("group_size", f.Size)
	in.PerCustomerLimit = whole("per_customer_limit", f.Limit)
	if h := whole("time_limit", f.Hours); h != 0 {
		in.TimeLimit = groupbuy.Duration(time.Duration(h) * time.Hour)
	}
	for i, row := range f.Rows {
		if row.SKU == "" && row.Price == "" && row.Leader == "" {
			continue
		}
		field := func(name string) string { return fmt.Sprintf("items[%d].%s", i, name) }
		it := groupbuy.ItemInput{}
		if row.SKU == "" {
			f.Errors[field("sku")] = tr(v, "group_buys.form.sku_required")
		} else if id, err := sku(row.SKU); err != nil {
			f.Errors[field("sku")] = tr(v, "group_buys.form.unknown_sku", row.SKU)
		} else {
			it.SKUID = id
		}
		if n, err := parseYuan(row.Price); err != nil {
			f.Errors[field("group_price")] = tr(v, yuanErrorKey(err))
		} else {
			it.GroupPrice = n
		}
		if row.Leader != "" {
			if n, err := parseYuan(row.Leader); err != nil {
				f.Errors[field("leader_price")] = tr(v, yuanErrorKey(err))
			} else {
				it.LeaderPrice = n
			}
		}
		in.Items = append(in.Items, it)
		rows = append(rows, i)
	}
	return in, rows
}

var groupBuyItemField = regexp.MustCompile(`^items\[(\d+)\]\.(sku_id|group_price|leader_price)$`)

// formGroupBuyField maps the service's field to the form's.
func formGroupBuyField(field string, rows []int) string {
	if field == "time_limit" {
		return "time_limit"
	}
	return formItemField(groupBuyItemField, field, rows)
}

func (c *Console) groupBuyFormPage(w http.ResponseWriter, r *http.Request, status int, f *groupBuyForm) {
	v := viewerFrom(r.Context())
	c.render(w, r, status, "group_buy_form", tr(v, "group_buys.new"), "group_buys", f)
}

func (c *Console) newGroupBuy(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	c.groupBuyFormPage(w, r, http.StatusOK, newGroupBuyForm(v.Store.Location(), time.Now()))
}

// createGroupBuy reads the form and creates the campaign; a refused field
// shows the form again with the service's explanation next to it.
func (c *Console) createGroupBuy(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	if err := r.ParseForm(); err != nil {
		c.renderError(w, r, http.StatusBadRequest, "err.bad_form")
		return
	}
	f := &groupBuyForm{Errors: map[string]string{}}
	f.read(r.PostForm)
	if r.PostForm.Get("more") != "" {
		for range groupBuyFormRows {
			if len(f.Rows) < groupBuyFormMaxRows {
				f.Rows = append(f.Rows, groupBuyFormRow{})
			}
		}
		c.groupBuyFormPage(w, r, http.StatusOK, f)
		return
	}
	in, rows := f.input(v, v.Store.Location(), func(s string) (int64, error) { return c.skuByCodeOrID(r, s) })
	if len(f.Errors) == 0 && c.created(w, r, "group_buys.created", func() (string, error) {
		cp, err := c.groupBuys().Create(r.Context(), in)
		return fmt.Sprintf("/group-buys/%d", cp.ID), err
	}, f.Errors, &f.Error, func(field string) string { return formGroupBuyField(field, rows) }) {
		return
	}
	if len(f.Rows) == 0 {
		f.Rows = make([]groupBuyFormRow, groupBuyFormRows)
	}
	if f.Error == "" {
		f.Error = tr(v, "form.fix_errors")
	}
	c.groupBuyFormPage(w, r, http.StatusUnprocessableEntity, f)
}
