package api

import (
	"context"
	"strconv"
	"time"

	"github.com/storeops/storeops/internal/alert"
	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/brief"
	"github.com/storeops/storeops/internal/metric"
	"github.com/storeops/storeops/internal/settings"
)

var permAnalyticsRead = auth.Read("analytics")

func (a *API) indicatorRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/indicators", Perm: permAnalyticsRead, Tag: "metrics",
			Summary: "The indicator system over a period: traffic, funnel, conversion, sales, retention and operations, with 环比 and 同比, a series by day, week or month, and a breakdown by channel, category or product (docs/METRICS.md)",
			Query: []Param{{"from", "integer", "first day as YYYYMMDD (default: 29 days before to)"},
				{"to", "integer", "last day as YYYYMMDD (default: yesterday in the store's zone)"},
				{"grain", "string", "series periods: day (default), week or month"},
				{"by", "string", "breakdown: channel (default), category, product, segment (the buyers' RFM segment in the latest run) or none"}},
			Reply: metric.Report{}, handle: a.indicators},
		{Method: "GET", Path: "/indicators/cohorts", Perm: permAnalyticsRead, Tag: "metrics",
			Summary: "Monthly cohorts of first-time buyers: retention, repurchase and cumulative net sales (LTV) per customer by month since the first purchase",
			Query: []Param{{"months", "integer", "cohorts to show, 1–36 (default 12)"},
				{"to", "integer", "last day followed, YYYYMMDD (default yesterday)"}},
			Reply: []metric.Cohort{}, handle: a.cohorts},
	}
}

func dayParam(r *request, name string, def int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 19700101 || n > 99991231 || metric.AddDays(n, 0) != n {
		return 0, errBadRequest(name, "%s must be a date as YYYYMMDD, not %q", name, v)
	}
	return n, nil
}

// yesterday is the last complete day in the store's zone.
func (a *API) yesterday(ctx context.Context) (int64, error) {
	st, err := settings.Load(ctx, a.DB)
	if err != nil {
		return 0, err
	}
	return settings.Day(time.Now().In(st.Location()).AddDate(0, 0, -1), st.Location()), nil
}

func (a *API) indicators(ctx context.Context, r *request) (any, error) {
	y, err := a.yesterday(ctx)
	if err != nil {
		return nil, err
	}
	to, err := dayParam(r, "to", y)
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
	if n := len(metric.Days(from, to)); n > metric.MaxIndicatorDays {
		return nil, errBadRequest("from", "the period has %d days; at most %d", n, metric.MaxIndicatorDays)
	}
	grain := r.URL.Query().Get("grain")
	switch grain {
	case "":
		grain = metric.GrainDay
	case metric.GrainDay, metric.GrainWeek, metric.GrainMonth:
	default:
		return nil, errBadRequest("grain", "grain must be day, week or month, not %q", grain)
	}
	if grain == metric.GrainDay && len(metric.Days(from, to)) > 400 {
		return nil, errBadRequest("grain", "a daily series covers at most 400 days; use week or month for %d–%d", from, to)
	}
	by := r.URL.Query().Get("by")
	switch by {
	case "":
		by = metric.ByChannel
	case metric.ByChannel, metric.ByCategory, metric.ByProduct, metric.BySegment, "none":
	default:
		return nil, errBadRequest("by", "by must be channel, category, product, segment or none, not %q", by)
	}
	if err := (&metric.IndicatorRollup{DB: a.DB, Wait: a.RefreshWait}).RefreshIfOlder(ctx, metric.FreshEnough); err != nil {
		return nil, err
	}
	if err := (&metric.Rollup{DB: a.DB, Wait: a.RefreshWait}).RefreshIfOlder(ctx, metric.FreshEnough); err != nil {
		return nil, err
	}
	return metric.IndicatorReport(ctx, a.DB, from, to, grain, by)
}

func (a *API) cohorts(ctx context.Context, r *request) (any, error) {
	y, err := a.yesterday(ctx)
	if err != nil {
		return nil, err
	}
	to, err := dayParam(r, "to", y)
	if err != nil {
		return nil, err
	}
	months := 12
	if v := r.URL.Query().Get("months"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 36 {
			return nil, errBadRequest("months", "months must be a whole number from 1 to 36, not %q", v)
		}
		months = n
	}
	if err := (&metric.Rollup{DB: a.DB, Wait: a.RefreshWait}).RefreshIfOlder(ctx, metric.FreshEnough); err != nil {
		return nil, err
	}
	return metric.Cohorts(ctx, a.DB, to, months)
}

// BriefText is a stored brief rendered in one language and format.
type BriefText struct {
	Brief  brief.Brief `json:"brief"`
	Lang   string      `json:"lang"`
	Format string      `json:"format"`
	Text   string      `json:"text"`
}

func (a *API) analyticsRoutes() []Route {
	permWrite := auth.Write("analytics")
	return []Route{
		{Method: "GET", Path: "/alerts", Perm: permAnalyticsRead, Tag: "metrics",
			Summary: "Anomaly alerts, open first, newest first",
			Query:   []Param{{"status", "string", "open, acknowledged or resolved (default all)"}},
			Reply:   []alert.Alert{}, handle: a.listAlerts},
		{Method: "GET", Path: "/alerts/{id}", Perm: permAnalyticsRead, Tag: "metrics",
			Summary: "One anomaly alert with its history of notes", Reply: alert.Alert{},
			handle: byID(func(ctx context.Context, id int64, _ struct{}) (any, error) { return alert.Get(ctx, a.DB, id) })},
		{Method: "POST", Path: "/alerts/{id}/acknowledge", Perm: permWrite, Tag: "metrics",
			Summary: "Acknowledge an open alert (someone is on it), with an optional note", Body: NoteInput{}, Reply: alert.Alert{},
			handle: byID(func(ctx context.Context, id int64, in NoteInput) (any, error) {
				return alert.Move(ctx, a.DB, id, alert.Acknowledged, in.Note, time.Now())
			})},
		{Method: "POST", Path: "/alerts/{id}/resolve", Perm: permWrite, Tag: "metrics",
			Summary: "Resolve an alert; the note (required) says the cause and what was done", Body: NoteInput{}, Reply: alert.Alert{},
			handle: byID(func(ctx context.Context, id int64, in NoteInput) (any, error) {
				return alert.Move(ctx, a.DB, id, alert.Resolved, in.Note, time.Now())
			})},
		{Method: "GET", Path: "/briefs", Perm: permAnalyticsRead, Tag: "metrics",
			Summary: "Stored data briefs (daily) and weekly reviews, newest first", Reply: []brief.Brief{},
			handle: func(ctx context.Context, r *request) (any, error) { return brief.List(ctx, a.DB, 120) }},
		{Method: "GET", Path: "/briefs/{id}", Perm: permAnalyticsRead, Tag: "metrics",
			Summary: "One data brief, rendered",
			Query:   []Param{{"lang", "string", "zh-CN (default) or en"}, {"format", "string", "md (default) or html"}},
			Reply:   BriefText{}, handle: a.getBrief},
	}
}

func (a *API) listAlerts(ctx context.Context, r *request) (any, error) {
	status := r.URL.Query().Get("status")
	switch status {
	case "", alert.Open, alert.Acknowledged, alert.Resolved:
	default:
		return nil, errBadRequest("status", "status must be open, acknowledged or resolved, not %q", status)
	}
	return alert.List(ctx, a.DB, status, 500)
}

func (a *API) getBrief(ctx context.Context, r *request) (any, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	lang, format := r.URL.Query().Get("lang"), r.URL.Query().Get("format")
	if lang == "" {
		lang = "zh-CN"
	}
	if format == "" {
		format = brief.FormatMarkdown
	}
	if lang != "zh-CN" && lang != "en" {
		return nil, errBadRequest("lang", "lang must be zh-CN or en, not %q", lang)
	}
	if format != brief.FormatMarkdown && format != brief.FormatHTML {
		return nil, errBadRequest("format", "format must be md or html, not %q", format)
	}
	b, err := brief.Get(ctx, a.DB, id)
	if err != nil {
		return nil, err
	}
	text, err := brief.Render(b, lang, format)
	if err != nil {
		return nil, err
	}
	return BriefText{Brief: b, Lang: lang, Format: format, Text: text}, nil
}
