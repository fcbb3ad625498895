package web

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audience"
	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/coupon"
	"github.com/storeops/storeops/internal/export"
	"github.com/storeops/storeops/internal/page"
)

// The segment builder (自定义人群). The rule tree travels in the form as
// flat names: the top group's match is "match", its rules "r0.field",
// "r0.op", "r0.value" …, a subgroup's "g1.match", "g1.r0.field" and so on.
// Every change re-renders the builder on the server (htmx swaps it in,
// and without JavaScript the same buttons post the whole page), and every
// edit re-counts the preview.

func (c *Console) audiences() *audience.Service { return &audience.Service{DB: c.DB} }

type audiencesPage struct {
	Segments []audience.Segment
}

func (c *Console) audienceList(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	gs, err := c.audiences().List(r.Context())
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "audiences", tr(v, "nav.audiences"), "audiences", audiencesPage{Segments: gs})
}

// audiencePage is the builder: a new segment or a saved one.
type audiencePage struct {
	ID          int64
	Name        string
	Description string
	Tree        groupView
	Preview     *audience.Preview
	PreviewErr  string
	Segment     *audience.Segment // saved: its stored size
	Templates   []coupon.Template // active coupon templates, to push
	Errors      map[string]string
	Error       string
	Notice      string
}

type groupView struct {
	Prefix  string
	Match   string
	Rules   []ruleView
	Groups  []groupView
	CanNest bool
	Error   string
}

type ruleView struct {
	Prefix    string
	Field     string
	Op        string
	Value     string // as typed: ¥ for money
	Value2    string
	Text      string   // list fields without a closed set: comma-separated
	Selected  []string // closed-set fields: the chosen values
	Kind      string   // number, money, date, fraction, choice, text
	Ops       []string
	Choices   []choice
	Error     string
	FieldList []string
}

type choice struct {
	Value, Label string
	Checked      bool
}

// kindOf names a field's input for the template.
func kindOf(f audience.Field) string {
	switch {
	case f.Kind == audience.KindMoney:
		return "money"
	case f.Kind == audience.KindDate:
		return "date"
	case f.Kind == audience.KindFraction:
		return "fraction"
	case f.Kind == audience.KindChoice, f.Name == "category", f.Name == "source_channel":
		return "choice"
	case f.Kind == audience.KindList:
		return "text"
	}
	return "number"
}

func fieldNames() []string {
	out := make([]string, len(audience.Fields))
	for i, f := range audience.Fields {
		out[i] = f.Name
	}
	return out
}

// formTree reads the rule tree from the form; errs gets the console's own
// errors (an amount in 元 that does not read).
func formTree(v *viewer, form url.Values, prefix string, errs map[string]string) audience.Group {
	g := audience.Group{Match: form.Get(prefix + "match")}
	for i := 0; form.Has(fmt.Sprintf("%sr%d.field", prefix, i)); i++ {
		p := fmt.Sprintf("%sr%d.", prefix, i)
		r := audience.Rule{Field: form.Get(p + "field"), Op: form.Get(p + "op")}
		f, ok := audience.FieldNamed(r.Field)
		if !ok {
			g.Rules = append(g.Rules, r)
			continue
		}
		val := func(s string) string {
			s = strings.TrimSpace(s)
			if f.Kind != audience.KindMoney || s == "" {
				return s
			}
			fen, err := parseYuan(s)
			if err != nil {
				errs[p] = tr(v, yuanErrorKey(err))
				return s
			}
			return strconv.FormatInt(fen, 10)
		}
		switch {
		case r.Op == "between":
			r.Values = []string{val(form.Get(p + "value")), val(form.Get(p + "value2"))}
		case r.Op == "in" || r.Op == "not_in":
			if kindOf(f) == "choice" {
				r.Values = form[p+"values"]
			} else {
				r.Values = splitList(form.Get(p + "text"))
			}
		default:
			r.Value = audience.Text(val(form.Get(p + "value")))
		}
		g.Rules = append(g.Rules, r)
	}
	for j := 0; form.Has(fmt.Sprintf("%sg%d.match", prefix, j)); j++ {
		g.Groups = append(g.Groups, formTree(v, form, fmt.Sprintf("%sg%d.", prefix, j), errs))
	}
	return g
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == '\n' || r == ';' }) {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// edit applies a builder button: add a rule or a group at a prefix, or
// remove the rule or group at one.
func edit(g *audience.Group, action, at string) {
	target, rest := g, at
	for rest != "" {
		m := stepRE.FindStringSubmatch(rest)
		if m == nil {
			return
		}
		i, _ := strconv.Atoi(m[2])
		switch {
		case m[1] == "g" && rest == m[0] && action == "remove":
			if i < len(target.Groups) {
				target.Groups = slices.Delete(target.Groups, i, i+1)
			}
			return
		case m[1] == "r" && rest == m[0] && action == "remove":
			if i < len(target.Rules) {
				target.Rules = slices.Delete(target.Rules, i, i+1)
			}
			return
		case m[1] == "g" && i < len(target.Groups):
			target = &target.Groups[i]
		default:
			return
		}
		rest = rest[len(m[0]):]
	}
	switch action {
	case "add_rule":
		target.Rules = append(target.Rules, audience.Rule{Field: "orders", Op: "gte", Value: "1"})
	case "add_group":
		target.Groups = append(target.Groups, audience.Group{Match: audience.MatchAny,
			Rules: []audience.Rule{{Field: "tag", Op: "in"}}})
	}
}

var stepRE = regexp.MustCompile(`^([gr])(\d+)\.`)

// fitRule keeps a rule sensible after its field changed: an operator the
// new field does not take becomes its first, and values of another kind
// go.
func fitRule(r *audience.Rule, prev string) {
	f, ok := audience.FieldNamed(r.Field)
	if !ok {
		return
	}
	if !slices.Contains(audience.Ops(f.Kind), r.Op) {
		r.Op = audience.Ops(f.Kind)[0]
		r.Value, r.Values = "", nil
	}
	if prev != "" && prev != r.Field {
		r.Value, r.Values = "", nil
	}
}

// choicesFor reads the closed sets the builder offers: member tiers,
// categories, RFM segments, stages and source channels, labelled.
func (c *Console) choicesFor(r *http.Request) (map[string][]choice, error) {
	v := viewerFrom(r.Context())
	out := map[string][]choice{}
	cfg, err := c.tiers().Config(r.Context())
	if err != nil {
		return nil, err
	}
	for _, l := range cfg.Levels {
		label := l.NameZh
		if v.Lang != "zh-CN" {
			label = l.NameEn
		}
		out["tier"] = append(out["tier"], choice{Value: l.Code, Label: label})
	}
	cats, err := c.Catalog.ListCategories(r.Context())
	if err != nil {
		return nil, err
	}
	for _, ct := range cats {
		out["category"] = append(out["category"], choice{Value: strconv.FormatInt(ct.ID, 10), Label: strings.Repeat("　", ct.Depth) + ct.Name})
	}
	for _, f := range audience.Fields {
		key := map[string]string{"rfm_segment": "segment.", "stage": "stage."}[f.Name]
		for _, ch := range f.Choices {
			out[f.Name] = append(out[f.Name], choice{Value: ch, Label: tr(v, key+ch)})
		}
	}
	for _, ch := range customerChannels {
		out["source_channel"] = append(out["source_channel"], choice{Value: ch, Label: tr(v, "channel."+ch)})
	}
	return out, nil
}

// builderData turns the tree into what the template draws, with the
// choices of the closed-set fields and each rule's error.
func builderData(g audience.Group, prefix string, depth int, errs map[string]string, choices map[string][]choice) groupView {
	gv := groupView{Prefix: prefix, Match: g.Match, CanNest: depth < audience.MaxDepth}
	for _, k := range []string{"match", "rules", "groups"} {
		if msg, ok := errs[prefix+k]; ok {
			gv.Error = msg
		}
	}
	if gv.Match == "" {
		gv.Match = audience.MatchAll
	}
	for i, rule := range g.Rules {
		p := fmt.Sprintf("%sr%d.", prefix, i)
		rv := ruleView{Prefix: p, Field: rule.Field, Op: rule.Op, Value: string(rule.Value), Selected: rule.Values, FieldList: fieldNames()}
		f, ok := audience.FieldNamed(rule.Field)
		if !ok {
			f = audience.Fields[0]
			rv.Field = f.Name
		}
		rv.Kind, rv.Ops = kindOf(f), audience.Ops(f.Kind)
		money := func(s string) string {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil && f.Kind == audience.KindMoney {
				return formatYuan(n)
			}
			return s
		}
		rv.Value = money(rv.Value)
		if rule.Op == "between" && len(rule.Values) == 2 {
			rv.Value, rv.Value2 = money(rule.Values[0]), money(rule.Values[1])
		}
		if rv.Kind == "text" {
			rv.Text = strings.Join(rule.Values, ", ")
		}
		for _, ch := range choices[f.Name] {
			ch.Checked = slices.Contains(rule.Values, ch.Value)
			rv.Choices = append(rv.Choices, ch)
		}
		for k, msg := range errs {
			if strings.HasPrefix(k, p) {
				rv.Error = msg
			}
		}
		gv.Rules = append(gv.Rules, rv)
	}
	for j, sub := range g.Groups {
		gv.Groups = append(gv.Groups, builderData(sub, fmt.Sprintf("%sg%d.", prefix, j), depth+1, errs, choices))
	}
	return gv
}

// formErrors maps a service error's field (rules.groups[0].rules[1].op)
// to the form's names (g0.r1.op).
func formErrors(v *viewer, err error, errs map[string]string) bool {
	var fe *apperr.FieldError
	if !errors.As(err, &fe) {
		return false
	}
	f := fe.Field
	if rest, ok := strings.CutPrefix(f, "rules."); ok {
		f = rest
	}
	f = groupStepRE.ReplaceAllString(f, "g$1.")
	f = ruleStepRE.ReplaceAllString(f, "r$1.")
	errs[f] = fieldMessage(v, fe)
	return true
}

var (
	groupStepRE = regexp.MustCompile(`groups\[(\d+)\]\.`)
	ruleStepRE  = regexp.MustCompile(`rules\[(\d+)\]\.`)
)

// defaultTree is what a new segment starts from: customers with a paid
// order.
func defaultTree() audience.Group {
	return audience.Group{Match: audience.MatchAll, Rules: []audience.Rule{{Field: "orders", Op: "gte", Value: "1"}}}
}

func (c *Console) newAudience(w http.ResponseWriter, r *http.Request) {
	c.audiencePage(w, r, http.StatusOK, &audiencePage{}, defaultTree(), map[string]string{})
}

func (c *Console) audienceDetail(w http.ResponseWriter, r *http.Request) {
	g, err := c.audiences().Get(r.Context(), parseID(r.PathValue("id")))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.audiencePage(w, r, http.StatusOK, &audiencePage{ID: g.ID, Name: g.Name, Description: g.Description, Segment: &g}, g.Rules, map[string]string{})
}

// audiencePage draws the builder with a fresh preview of tree.
func (c *Console) audiencePage(w http.ResponseWriter, r *http.Request, status int, pg *audiencePage, tree audience.Group, errs map[string]string) {
	v := viewerFrom(r.Context())
	if err := c.fillBuilder(r, pg, tree, errs, true); err != nil {
		c.serverError(w, r, err)
		return
	}
	if pg.ID != 0 && v.Can(auth.Write("promotions")) {
		ts, _, err := c.coupons().ListTemplates(r.Context(), coupon.TemplateFilter{Status: coupon.StatusActive, Request: page.Request{Limit: 100}})
		if err != nil {
			c.serverError(w, r, err)
			return
		}
		pg.Templates = ts
	}
	title := tr(v, "audiences.new")
	if pg.ID != 0 {
		title = pg.Name
	}
	c.render(w, r, status, "audience", title, "audiences", pg)
}

// fillBuilder counts the tree (unless the form already has errors) and
// lays it out; inline puts each error on its rule too (a whole page: a
// save refused), not on htmx redraws, where the operator's next keystroke
// redraws only the preview and a message on the rule would go stale.
func (c *Console) fillBuilder(r *http.Request, pg *audiencePage, tree audience.Group, errs map[string]string, inline bool) error {
	v := viewerFrom(r.Context())
	pg.Errors = errs
	if len(errs) == 0 {
		p, err := c.audiences().Preview(r.Context(), tree)
		switch {
		case err == nil:
			pg.Preview = &p
		case formErrors(v, err, errs):
		default:
			return err
		}
	}
	if len(errs) > 0 {
		// The preview names what is wrong: while the operator types only
		// the preview is redrawn, so a message on the rule itself would
		// be stale; the rules show theirs when the builder is redrawn.
		keys := slices.Sorted(maps.Keys(errs))
		pg.PreviewErr = errs[keys[0]]
	}
	choices, err := c.choicesFor(r)
	if err != nil {
		return err
	}
	if !inline {
		errs = nil
	}
	pg.Tree = builderData(tree, "", 1, errs, choices)
	return nil
}

// readBuilder reads the name, description and tree of a posted builder,
// applying the button pressed (action "add_rule@g0.": what, where) and fitting rules whose field
// changed.
func readBuilder(v *viewer, r *http.Request) (*audiencePage, audience.Group, map[string]string, bool) {
	if err := r.ParseForm(); err != nil {
		return nil, audience.Group{}, nil, false
	}
	errs := map[string]string{}
	f := r.PostForm
	tree := formTree(v, f, "", errs)
	fitAll(&tree, f, "")
	if a, at, ok := strings.Cut(f.Get("action"), "@"); ok {
		edit(&tree, a, at)
		// The tree changed shape: errors keyed by position may no longer
		// point at the same rule, and the re-render checks it again.
		clear(errs)
	}
	pg := &audiencePage{ID: parseID(f.Get("id")), Name: f.Get("name"), Description: f.Get("description")}
	return pg, tree, errs, true
}

func fitAll(g *audience.Group, f url.Values, prefix string) {
	for i := range g.Rules {
		fitRule(&g.Rules[i], f.Get(fmt.Sprintf("%sr%d.prev_field", prefix, i)))
	}
	for j := range g.Groups {
		fitAll(&g.Groups[j], f, fmt.Sprintf("%sg%d.", prefix, j))
	}
}

// audienceBuilder answers a builder button or a change of field: the
// builder again, and the preview out of band.
func (c *Console) audienceBuilder(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	pg, tree, errs, ok := readBuilder(v, r)
	if !ok {
		c.renderError(w, r, http.StatusBadRequest, "err.bad_form")
		return
	}
	if r.Header.Get("HX-Request") != "true" {
		c.audiencePage(w, r, http.StatusOK, pg, tree, errs)
		return
	}
	if err := c.fillBuilder(r, pg, tree, errs, false); err != nil {
		c.serverError(w, r, err)
		return
	}
	c.renderBlock(w, r, http.StatusOK, "audience", "aud_builder_oob", tr(v, "nav.audiences"), "audiences", pg)
}

// audiencePreview re-counts the rules as they are being edited.
func (c *Console) audiencePreview(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	pg, tree, errs, ok := readBuilder(v, r)
	if !ok {
		c.renderError(w, r, http.StatusBadRequest, "err.bad_form")
		return
	}
	if err := c.fillBuilder(r, pg, tree, errs, false); err != nil {
		c.serverError(w, r, err)
		return
	}
	c.renderBlock(w, r, http.StatusOK, "audience", "aud_preview", tr(v, "nav.audiences"), "audiences", pg)
}

// saveAudience creates (no id) or updates a segment.
func (c *Console) saveAudience(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	pg, tree, errs, ok := readBuilder(v, r)
	if !ok {
		c.renderError(w, r, http.StatusBadRequest, "err.bad_form")
		return
	}
	if id := parseID(r.PathValue("id")); id != 0 {
		pg.ID = id
	}
	if len(errs) > 0 {
		c.audiencePage(w, r, http.StatusUnprocessableEntity, pg, tree, errs)
		return
	}
	in := audience.Input{Name: pg.Name, Description: pg.Description, Rules: tree}
	var g audience.Segment
	var err error
	if pg.ID != 0 {
		g, err = c.audiences().Update(r.Context(), pg.ID, in)
	} else {
		g, err = c.audiences().Create(r.Context(), in)
	}
	if formErrors(v, err, errs) {
		pg.Error = tr(v, "audiences.not_saved")
		c.audiencePage(w, r, http.StatusUnprocessableEntity, pg, tree, errs)
		return
	}
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.redirect(w, r, fmt.Sprintf("/audiences/%d", g.ID), "flash.audience_saved")
}

func (c *Console) deleteAudience(w http.ResponseWriter, r *http.Request) {
	if err := c.audiences().Delete(r.Context(), parseID(r.PathValue("id"))); err != nil {
		c.fail(w, r, err)
		return
	}
	c.redirect(w, r, "/audiences", "flash.audience_deleted")
}

// exportAudience sends the segment's customers as CSV or XLSX, streamed
// from the query; cells that look like formulas are neutralised.
func (c *Console) exportAudience(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	g, err := c.audiences().Get(r.Context(), parseID(r.PathValue("id")))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	env, err := c.audiences().Env(r.Context())
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	format := r.URL.Query().Get("format")
	if format != "xlsx" {
		format = "csv"
	}
	// Stream: the query's rows go to the writer one at a time.
	rows := make(chan []string, 256)
	errc := make(chan error, 1)
	ctx := r.Context()
	loc := v.Store.Location()
	go func() {
		defer close(rows)
		errc <- audience.Members(ctx, c.DB, g.Rules, env, 0, func(m audience.Member) error {
			last := ""
			if m.LastPaidAt != nil {
				last = time.UnixMilli(*m.LastPaidAt).In(loc).Format("2006-01-02 15:04")
			}
			select {
			case rows <- []string{itoa(m.ID), m.Name, m.Phone, m.Email, m.SourceChannel, itoa(m.Orders), formatYuan(m.Spend), last}:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	next := func() ([]string, error) {
		if row, ok := <-rows; ok {
			return row, nil
		}
		return nil, <-errc
	}
	header := []string{tr(v, "audiences.col.id"), tr(v, "common.name"), tr(v, "common.phone"), tr(v, "common.email"),
		tr(v, "common.channel"), tr(v, "audiences.col.orders"), tr(v, "audiences.col.spend"), tr(v, "audiences.col.last_paid")}
	name := fmt.Sprintf("segment-%d-%s.%s", g.ID, time.Now().In(loc).Format("20060102"), format)
	h := w.Header()
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	if format == "xlsx" {
		h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		err = export.XLSX(w, "segment", header, next)
	} else {
		h.Set("Content-Type", "text/csv; charset=utf-8")
		err = export.CSV(w, header, next)
	}
	if err != nil {
		// Headers are gone; drain the producer and log.
		for range rows {
		}
		c.Log.Warn("export segment", "segment", g.ID, "err", err)
	}
}

// pushAudience gives each customer of the segment a coupon of the chosen
// template, as the coupon page's push does.
func (c *Console) pushAudience(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	id := parseID(r.PathValue("id"))
	g, err := c.audiences().Get(r.Context(), id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	pg := &audiencePage{ID: g.ID, Name: g.Name, Description: g.Description, Segment: &g}
	res, err := c.coupons().Push(r.Context(), parseID(r.FormValue("template_id")), coupon.Audience{Kind: coupon.AudienceCustom, SegmentID: id})
	var fe *apperr.FieldError
	switch {
	case errors.As(err, &fe), errors.Is(err, apperr.ErrConflict), errors.Is(err, apperr.ErrNotFound):
		pg.Error = tr(v, "coupons.push_failed", err.Error())
		c.audiencePage(w, r, http.StatusUnprocessableEntity, pg, g.Rules, map[string]string{})
		return
	case err != nil:
		c.fail(w, r, err)
		return
	}
	pg.Notice = tr(v, "coupons.pushed", res.Targeted, res.Issued, res.AtLimit)
	if res.SoldOut {
		pg.Notice += " " + tr(v, "coupons.push_sold_out")
	}
	c.audiencePage(w, r, http.StatusOK, pg, g.Rules, map[string]string{})
}
