package web

import (
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/brief"
	"github.com/storeops/storeops/internal/i18n"
	"github.com/storeops/storeops/internal/settings"
)

// The data briefs (数据简报): the list of stored daily briefs and weekly
// reviews, one brief in the console's language (or the other), its
// Markdown and HTML downloads, and writing one now.

type briefsPage struct {
	Briefs    []briefRow
	Yesterday string // YYYY-MM-DD, the default of the form
}

type briefRow struct {
	ID            int64
	Kind          string
	From, To      string
	Created       time.Time
	Watch, Alerts int
}

func (c *Console) briefs(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	list, err := brief.List(r.Context(), c.DB, 120)
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	loc := v.Store.Location()
	page := briefsPage{Briefs: []briefRow{}, Yesterday: time.Now().In(loc).AddDate(0, 0, -1).Format("2006-01-02")}
	day := func(d int64) string { return i18n.FormatDate(v.Lang, settings.DayTime(d, loc), loc) }
	for _, b := range list {
		watch := 0
		for _, w := range b.Data.Watch {
			if w.Playbook != "none" {
				watch++
			}
		}
		page.Briefs = append(page.Briefs, briefRow{ID: b.ID, Kind: b.Kind, From: day(b.From), To: day(b.To), Created: b.CreatedAt,
			Watch: watch, Alerts: len(b.Data.Alerts)})
	}
	c.render(w, r, http.StatusOK, "briefs", tr(v, "briefs.title"), "briefs", page)
}

type briefPage struct {
	Brief brief.Brief
	Lang  string
	Body  template.HTML
}

func (c *Console) loadBrief(w http.ResponseWriter, r *http.Request) (brief.Brief, bool) {
	b, err := brief.Get(r.Context(), c.DB, parseID(r.PathValue("id")))
	if errors.Is(err, apperr.ErrNotFound) {
		c.notFound(w, r)
		return b, false
	}
	if err != nil {
		c.serverError(w, r, err)
		return b, false
	}
	return b, true
}

// briefLang is the language asked for, else the console's.
func briefLang(r *http.Request, v *viewer) string {
	if l := r.URL.Query().Get("lang"); l == "zh-CN" || l == "en" {
		return l
	}
	return v.Lang
}

func (c *Console) briefDetail(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	b, ok := c.loadBrief(w, r)
	if !ok {
		return
	}
	lang := briefLang(r, v)
	body, err := brief.RenderFragment(b, lang)
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "brief", tr(v, "briefs.title"), "briefs", briefPage{Brief: b, Lang: lang, Body: body})
}

// briefDownload is the brief as a Markdown or HTML file.
func (c *Console) briefDownload(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	b, ok := c.loadBrief(w, r)
	if !ok {
		return
	}
	format := r.URL.Query().Get("format")
	lang := briefLang(r, v)
	out, err := brief.Render(b, lang, format)
	if err != nil {
		http.Error(w, "format must be md or html", http.StatusBadRequest)
		return
	}
	h := w.Header()
	if format == brief.FormatMarkdown {
		h.Set("Content-Type", "text/markdown; charset=utf-8")
	} else {
		h.Set("Content-Type", "text/html; charset=utf-8")
	}
	name := "brief-" + b.Kind + "-" + strconv.FormatInt(b.To, 10) + "-" + lang + "." + format
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	w.Write([]byte(out))
}

// writeBrief computes (again) the brief of a past day and shows it.
func (c *Console) writeBrief(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	kind := r.PostFormValue("kind")
	t, err := time.ParseInLocation("2006-01-02", r.PostFormValue("date"), v.Store.Location())
	if err != nil {
		c.fail(w, r, apperr.Field("date", "give a date as YYYY-MM-DD"))
		return
	}
	b, err := brief.Generate(r.Context(), c.DB, kind, settings.Day(t, v.Store.Location()), time.Now())
	if errors.Is(err, brief.ErrNotYet) {
		c.fail(w, r, apperr.Field("date", "pick a day that has ended; today's figures are still changing"))
		return
	}
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.redirect(w, r, "/briefs/"+strconv.FormatInt(b.ID, 10), "briefs.written")
}
