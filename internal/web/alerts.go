package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/storeops/storeops/internal/alert"
	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/i18n"
	"github.com/storeops/storeops/internal/settings"
)

// The anomaly alerts (异常预警): the list, open first, and one alert with
// its evidence chart, playbook, notes and the workflow buttons.

type alertRow struct {
	alert.Alert
	DayText, Subject, MetricText string
	ValueText, BaselineText      string
	BandText                     string
}

func alertRowOf(v *viewer, a alert.Alert) alertRow {
	loc := v.Store.Location()
	subject := tr(v, "brief.whole_shop")
	if a.Channel != "" {
		subject = channelLabel(v, a.Channel)
	}
	f := func(n int64) string {
		switch a.Metric {
		case alert.MetricGMV:
			return i18n.FormatMoney(v.Lang, n, v.Store.Currency)
		case alert.MetricConversion, alert.MetricRefundRate:
			return i18n.FormatPercent(v.Lang, n)
		}
		return i18n.FormatInt(v.Lang, n)
	}
	return alertRow{Alert: a, DayText: i18n.FormatDate(v.Lang, settings.DayTime(a.Day, loc), loc), Subject: subject,
		MetricText: tr(v, "alert.metric."+a.Metric), ValueText: f(a.Value), BaselineText: f(a.Baseline),
		BandText: f(a.Low) + " – " + f(a.High)}
}

type alertsPage struct {
	Status string
	Alerts []alertRow
}

func (c *Console) alerts(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	status := r.URL.Query().Get("status")
	if status != alert.Open && status != alert.Acknowledged && status != alert.Resolved {
		status = ""
	}
	list, err := alert.List(r.Context(), c.DB, status, 200)
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	page := alertsPage{Status: status, Alerts: []alertRow{}}
	for _, a := range list {
		page.Alerts = append(page.Alerts, alertRowOf(v, a))
	}
	c.render(w, r, http.StatusOK, "alerts", tr(v, "alerts.title"), "alerts", page)
}

type alertPage struct {
	Row   alertRow
	Chart chart
	Notes []alert.Note
}

func (c *Console) alertDetail(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	a, err := alert.Get(r.Context(), c.DB, parseID(r.PathValue("id")))
	if errors.Is(err, apperr.ErrNotFound) {
		c.notFound(w, r)
		return
	}
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	cal, err := alert.PromotionCalendar(r.Context(), c.DB)
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	ev, err := (&alert.Detector{DB: c.DB, PromotionDay: cal}).EvidenceFor(r.Context(), a)
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	x := make([]string, len(ev.Days))
	for i, d := range ev.Days {
		x[i] = fmt.Sprintf("%02d-%02d", d/100%100, d%100)
	}
	ch := chart{ID: "chart-evidence", Title: tr(v, "alerts.evidence"), Kind: "line", X: x, Scale: 1, Lang: v.Lang,
		Series: []chartSeries{
			{Name: tr(v, "alert.metric."+a.Metric), Data: ev.Values},
			{Name: tr(v, "alerts.baseline"), Data: ev.Baseline},
			{Name: tr(v, "alerts.low"), Data: ev.Low},
			{Name: tr(v, "alerts.high"), Data: ev.High},
		}}
	switch a.Metric {
	case alert.MetricGMV:
		ch.Scale, ch.Currency = 100, v.Store.Currency
	case alert.MetricConversion, alert.MetricRefundRate:
		ch.Scale = 100 // basis points drawn as percent
	}
	c.render(w, r, http.StatusOK, "alert", tr(v, "alerts.title"), "alerts", alertPage{Row: alertRowOf(v, a), Chart: ch, Notes: a.Notes})
}

// moveAlert acknowledges or resolves an alert with the form's note.
func (c *Console) moveAlert(to string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := parseID(r.PathValue("id"))
		if _, err := alert.Move(r.Context(), c.DB, id, to, r.PostFormValue("note"), time.Now()); err != nil {
			c.fail(w, r, err)
			return
		}
		c.redirect(w, r, "/alerts/"+strconv.FormatInt(id, 10), "alerts.moved."+to)
	}
}
