package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/event"
)

func TestParseRules_LinesAndMistakes(t *testing.T) {
	rules, err := parseRules("# 抖音\nutm_source douyin short_video\n\n  referrer_host baidu.com search  \n")
	if err != nil || len(rules) != 2 || rules[1] != (event.Rule{Field: "referrer_host", Pattern: "baidu.com", Channel: "search"}) {
		t.Fatalf("%+v %v", rules, err)
	}
	if _, err := parseRules("utm_source douyin"); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("two words: %v", err)
	}
}

func TestChannels_EditRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.addOperator("yunying", auth.RoleOperator)
		f.addOperator("guest", auth.RoleViewer)
		s := f.login("yunying")
		w := f.get("/channels", s)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "utm_medium cpc ads") {
			t.Fatalf("page: %d", w.Code)
		}
		w = f.post("/channels", url.Values{"rules": {"utm_source douyin short_video\nutm_source wecom Community"}}, s)
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "rules[1].channel") || !strings.Contains(w.Body.String(), "wecom Community") {
			t.Fatalf("bad channel name: %d", w.Code)
		}
		if w = f.post("/channels", url.Values{"rules": {"utm_source douyin short_video\nutm_source wecom community"}}, s); w.Code != http.StatusSeeOther {
			t.Fatalf("save: %d %s", w.Code, w.Body)
		}
		rules, _ := event.NewCollector(d, nil).Rules(context.Background())
		if len(rules) != 2 || rules[1].Channel != "community" {
			t.Errorf("stored rules %+v", rules)
		}
		if w = f.post("/channels", url.Values{"rules": {"utm_source x ads"}}, f.login("guest")); w.Code != http.StatusForbidden {
			t.Errorf("viewer saves rules: %d", w.Code)
		}
	})
}
