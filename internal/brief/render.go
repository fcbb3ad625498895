package brief

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/i18n"
	"github.com/storeops/storeops/internal/metric"
)

// Formats a brief renders to.
const (
	FormatMarkdown = "md"
	FormatHTML     = "html"
)

// formatFragment is the HTML brief without its document, for a page
// that has its own.
const formatFragment = "fragment"

// RenderFragment is the brief as an HTML fragment (escaped by html/template)
// for the console's page.
func RenderFragment(b Brief, lang string) (htmltemplate.HTML, error) {
	s, err := Render(b, lang, formatFragment)
	return htmltemplate.HTML(s), err
}

// line is one row of the key figures as a reader sees it.
type line struct {
	Label, Value, PoP, YoY string
	PoPGood, YoYGood       string // good, bad or flat
}

type moverLine struct {
	Dimension, Name, Metric, Before, Now, Change string
}

type alertLine struct{ Text, Severity string }

type watchLine struct{ Text, Playbook string }

type view struct {
	Title, Period, Compared, Generated string
	WatchBase                          string
	Sep                                string // after a label's colon: a space in English, none after 「：」
	L                                  func(key string, args ...any) string
	Lines                              []line
	Movers                             []moverLine
	Alerts                             []alertLine
	Watch                              []watchLine
}

func dayText(lang string, day int64) string {
	t := time.Date(int(day/10000), time.Month(day/100%100), int(day%100), 0, 0, 0, 0, time.UTC)
	return i18n.FormatDate(lang, t, time.UTC)
}

func figureLabel(key string) string {
	if key == "paid_orders" {
		return "dash.paid_orders"
	}
	return "analytics." + key
}

// Render writes the brief in lang ("zh-CN" or "en") as Markdown or HTML.
func Render(b Brief, lang, format string) (string, error) {
	if format != FormatMarkdown && format != FormatHTML && format != formatFragment {
		return "", apperr.Field("format", "must be md or html, not %q", format)
	}
	if !slices.Contains(i18n.Supported, lang) {
		return "", apperr.Field("lang", "must be zh-CN or en, not %q", lang)
	}
	d := b.Data
	l := func(key string, args ...any) string { return i18n.T(lang, key, args...) }
	v := view{L: l}
	if lang == "en" {
		v.Sep = " "
	}
	if d.Kind == Weekly {
		v.Title = l("brief.title.weekly", d.StoreName, dayText(lang, d.From), dayText(lang, d.To))
		v.Period = l("brief.period", dayText(lang, d.From), dayText(lang, d.To))
	} else {
		v.Title = l("brief.title.daily", d.StoreName, dayText(lang, d.To))
		v.Period = l("brief.period", dayText(lang, d.From), dayText(lang, d.To))
	}
	v.Compared = l("brief.compared", dayText(lang, d.PreviousFrom), dayText(lang, d.PreviousTo), dayText(lang, d.YearAgoFrom), dayText(lang, d.YearAgoTo))
	if d.WatchFrom != 0 {
		v.WatchBase = l("brief.watch_base", dayText(lang, d.WatchFrom), dayText(lang, d.WatchTo))
	}
	if !b.CreatedAt.IsZero() {
		v.Generated = l("brief.generated", i18n.FormatDateTime(lang, b.CreatedAt, time.UTC))
	}
	format1 := func(kind string, n int64) string {
		switch kind {
		case KindMoney:
			return i18n.FormatMoney(lang, n, d.Currency)
		case KindRate:
			return i18n.FormatPercent(lang, n)
		}
		return i18n.FormatInt(lang, n)
	}
	change := func(f Figure, base int64, ok bool) (string, string) {
		if !ok {
			return "—", "flat"
		}
		var diff int64
		var s string
		if f.Kind == KindRate {
			diff = f.Value - base
			s = l("brief.points", signed(strings.TrimSuffix(i18n.FormatPercent(lang, diff), "%"), diff))
		} else {
			bp, ok := metric.ChangeBP(f.Value, base)
			if !ok {
				return "—", "flat"
			}
			diff = bp
			s = signed(i18n.FormatPercent(lang, bp), bp)
		}
		switch {
		case diff == 0:
			return s, "flat"
		case (diff > 0) == f.RiseIsGood:
			return s, "good"
		}
		return s, "bad"
	}
	for _, f := range d.Figures {
		ln := line{Label: l(figureLabel(f.Key)), Value: format1(f.Kind, f.Value)}
		ln.PoP, ln.PoPGood = change(f, f.Previous, f.HasPrev)
		ln.YoY, ln.YoYGood = change(f, f.YearAgo, f.HasYearAgo)
		v.Lines = append(v.Lines, ln)
	}
	for _, m := range d.Movers {
		name := m.Label
		if m.Dimension == "channel" {
			name = channelName(lang, m.Key)
		}
		kind := KindCount
		if m.Metric != "uv" {
			kind = KindMoney
		}
		c := "—"
		if bp, ok := m.Change(); ok {
			c = signed(i18n.FormatPercent(lang, bp), bp)
		}
		v.Movers = append(v.Movers, moverLine{Dimension: l("brief.dim." + m.Dimension), Name: name, Metric: l("brief.metric." + m.Metric),
			Before: format1(kind, m.Previous), Now: format1(kind, m.Value), Change: c})
	}
	for _, a := range d.Alerts {
		ch := l("brief.whole_shop")
		if a.Channel != "" {
			ch = channelName(lang, a.Channel)
		}
		v.Alerts = append(v.Alerts, alertLine{Severity: a.Severity,
			Text: l("brief.alert", dayText(lang, a.Day), ch, l("alert.metric."+a.Metric), l("alert.severity."+a.Severity))})
	}
	for _, w := range d.Watch {
		subject := w.Subject
		if w.Issue == "traffic_drop" {
			subject = channelName(lang, w.Subject)
		}
		var args []any
		switch w.Issue {
		case "traffic_drop", "product_drop":
			args = []any{subject, w.Value}
		case "conversion_drop", "gmv_drop", "refund_spike":
			args = []any{w.Value}
		}
		wl := watchLine{Text: l("brief.issue."+w.Issue, args...)}
		if w.Playbook != "none" {
			wl.Playbook = l("brief.playbook." + w.Playbook)
		}
		v.Watch = append(v.Watch, wl)
	}
	var buf bytes.Buffer
	var err error
	switch format {
	case FormatMarkdown:
		err = mdTemplate.Execute(&buf, v)
	case formatFragment:
		err = htmlTemplate.ExecuteTemplate(&buf, "fragment", v)
	default:
		err = htmlTemplate.Execute(&buf, v)
	}
	if err != nil {
		return "", fmt.Errorf("render brief %d: %w", b.ID, err)
	}
	return buf.String(), nil
}

func channelName(lang, ch string) string {
	key := "channel." + ch
	if s := i18n.T(lang, key); s != key {
		return s
	}
	return ch
}

func signed(s string, n int64) string {
	if n > 0 {
		return "+" + s
	}
	return s
}

// mdCell keeps a table cell on one line and its pipes literal.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

var mdTemplate = template.Must(template.New("md").Funcs(template.FuncMap{"cell": mdCell}).Parse(`# {{.Title}}

{{.Period}} · {{.Compared}}

## {{call .L "brief.key_figures"}}

| {{call .L "brief.col.figure"}} | {{call .L "brief.col.value"}} | {{call .L "brief.col.pop"}} | {{call .L "brief.col.yoy"}} |
|---|---:|---:|---:|
{{range .Lines}}| {{cell .Label}} | {{cell .Value}} | {{cell .PoP}} | {{cell .YoY}} |
{{end}}
## {{call .L "brief.movers"}}
{{if .Movers}}
| {{call .L "brief.col.dimension"}} | {{call .L "brief.col.name"}} | {{call .L "brief.col.metric"}} | {{call .L "brief.col.before"}} | {{call .L "brief.col.now"}} | {{call .L "brief.col.change"}} |
|---|---|---|---:|---:|---:|
{{range .Movers}}| {{cell .Dimension}} | {{cell .Name}} | {{cell .Metric}} | {{cell .Before}} | {{cell .Now}} | {{cell .Change}} |
{{end}}{{else}}
{{call .L "brief.no_movers"}}
{{end}}
## {{call .L "brief.alerts"}}

{{range .Alerts}}- {{.Text}}
{{else}}{{call .L "brief.no_alerts"}}
{{end}}
## {{call .L "brief.watch"}}
{{if .WatchBase}}
{{.WatchBase}}
{{end}}
{{range .Watch}}- {{.Text}}{{if .Playbook}}
  - {{call $.L "brief.playbook"}}{{$.Sep}}{{.Playbook}}{{end}}
{{end}}{{if .Generated}}
---
{{.Generated}}
{{end}}`))

var htmlTemplate = htmltemplate.Must(htmltemplate.New("html").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body style="font-family:-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;color:#1f2933;max-width:760px;margin:0 auto;padding:16px">
{{template "fragment" .}}
</body></html>
{{define "fragment"}}<div class="brief">
<h1 style="font-size:20px">{{.Title}}</h1>
<p style="color:#52606d">{{.Period}} · {{.Compared}}</p>
<h2 style="font-size:16px">{{call .L "brief.key_figures"}}</h2>
<table style="border-collapse:collapse;width:100%;margin-bottom:16px" class="brief-figures">
<thead><tr><th align="left">{{call .L "brief.col.figure"}}</th><th align="right">{{call .L "brief.col.value"}}</th><th align="right">{{call .L "brief.col.pop"}}</th><th align="right">{{call .L "brief.col.yoy"}}</th></tr></thead>
<tbody>
{{range .Lines}}<tr><td>{{.Label}}</td><td align="right"><strong>{{.Value}}</strong></td><td align="right" class="{{.PoPGood}}" style="color:{{if eq .PoPGood "good"}}#1f7a3a{{else if eq .PoPGood "bad"}}#b42318{{else}}#52606d{{end}}">{{.PoP}}</td><td align="right" class="{{.YoYGood}}" style="color:{{if eq .YoYGood "good"}}#1f7a3a{{else if eq .YoYGood "bad"}}#b42318{{else}}#52606d{{end}}">{{.YoY}}</td></tr>
{{end}}</tbody></table>
<h2 style="font-size:16px">{{call .L "brief.movers"}}</h2>
{{if .Movers}}<table style="border-collapse:collapse;width:100%;margin-bottom:16px">
<thead><tr><th align="left">{{call .L "brief.col.dimension"}}</th><th align="left">{{call .L "brief.col.name"}}</th><th align="left">{{call .L "brief.col.metric"}}</th><th align="right">{{call .L "brief.col.before"}}</th><th align="right">{{call .L "brief.col.now"}}</th><th align="right">{{call .L "brief.col.change"}}</th></tr></thead>
<tbody>
{{range .Movers}}<tr><td>{{.Dimension}}</td><td>{{.Name}}</td><td>{{.Metric}}</td><td align="right">{{.Before}}</td><td align="right">{{.Now}}</td><td align="right">{{.Change}}</td></tr>
{{end}}</tbody></table>{{else}}<p>{{call .L "brief.no_movers"}}</p>{{end}}
<h2 style="font-size:16px">{{call .L "brief.alerts"}}</h2>
{{if .Alerts}}<ul>{{range .Alerts}}<li>{{.Text}}</li>{{end}}</ul>{{else}}<p>{{call .L "brief.no_alerts"}}</p>{{end}}
<h2 style="font-size:16px">{{call .L "brief.watch"}}</h2>
{{if .WatchBase}}<p style="color:#52606d">{{.WatchBase}}</p>{{end}}
<ul>{{range .Watch}}<li>{{.Text}}{{if .Playbook}}<br><span style="color:#52606d">{{call $.L "brief.playbook"}}{{$.Sep}}{{.Playbook}}</span>{{end}}</li>{{end}}</ul>
{{if .Generated}}<p style="color:#9aa5b1;font-size:12px">{{.Generated}}</p>{{end}}
</div>{{end}}`))
