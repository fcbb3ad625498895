package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/event"
	"github.com/storeops/storeops/internal/metric"
	"github.com/storeops/storeops/internal/settings"
)

// The channel mapping (渠道归因规则) the collector applies at ingest, one
// rule a line, and what it refused lately.

type channelsPage struct {
	Rules      []event.Rule
	Text       string
	Rejections map[string]int64
	Error      string
}

func rulesText(rules []event.Rule) string {
	var b strings.Builder
	for _, r := range rules {
		fmt.Fprintf(&b, "%s %s %s\n", r.Field, r.Pattern, r.Channel)
	}
	return b.String()
}

// parseRules reads "field pattern channel" lines; blank lines and lines
// starting with # are skipped.
func parseRules(text string) ([]event.Rule, error) {
	rules := []event.Rule{}
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			return nil, apperr.Field("rules", "line %d: write a field, a pattern and a channel separated by spaces, such as \"utm_source douyin short_video\", not %q", n+1, line)
		}
		rules = append(rules, event.Rule{Field: f[0], Pattern: f[1], Channel: f[2]})
	}
	return rules, nil
}

func (c *Console) channelPage(w http.ResponseWriter, r *http.Request, status int, text, errMsg string) {
	v := viewerFrom(r.Context())
	col := event.NewCollector(c.DB, nil)
	rules, err := col.Rules(r.Context())
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	loc := v.Store.Location()
	today := settings.Day(time.Now(), loc)
	rej, err := event.Rejections(r.Context(), c.DB, metric.AddDays(today, -6), today)
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	if text == "" {
		text = rulesText(rules)
	}
	c.render(w, r, status, "channels", tr(v, "channels.title"), "channels", channelsPage{Rules: rules, Text: text, Rejections: rej, Error: errMsg})
}

func (c *Console) channels(w http.ResponseWriter, r *http.Request) {
	c.channelPage(w, r, http.StatusOK, "", "")
}

// saveChannels replaces the rules. The collector of this process reloads
// its copy within a minute (event.Collector caches them).
func (c *Console) saveChannels(w http.ResponseWriter, r *http.Request) {
	text := r.PostFormValue("rules")
	rules, err := parseRules(text)
	if err == nil {
		err = event.NewCollector(c.DB, nil).SaveRules(r.Context(), rules)
	}
	var fe *apperr.FieldError
	if errors.As(err, &fe) {
		c.channelPage(w, r, http.StatusUnprocessableEntity, text, fe.Error())
		return
	}
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.redirect(w, r, "/channels", "channels.saved")
}
