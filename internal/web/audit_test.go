package web

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/db/dbtest"
)

func TestDiffJSON_ChangedKeysOnly(t *testing.T) {
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	cases := []struct {
		name          string
		before, after string
		want          []change
	}{
		{"one field changed", `{"title":"T恤","status":"draft","skus":[1,2]}`, `{"title":"T恤","status":"on_sale","skus":[1,2]}`,
			[]change{{"status", "draft", "on_sale"}}},
		{"nested value compared as a whole", `{"a":{"x":1,"y":2}}`, `{"a":{"y":2,"x":1}}`, nil},
		{"nested change shown compactly", `{"a":{"x":1}}`, `{"a":{"x": 2}}`, []change{{"a", `{"x":1}`, `{"x":2}`}}},
		{"created", ``, `{"name":"王小明","id":7}`, []change{{"id", "", "7"}, {"name", "", "王小明"}}},
		{"deleted key", `{"a":1,"b":2}`, `{"a":1}`, []change{{"b", "2", ""}}},
		{"not objects", `"x"`, `"y"`, []change{{"", "x", "y"}}},
		{"same", `{"a":1}`, `{"a":1}`, nil},
	}
	for _, c := range cases {
		got := diffJSON(raw(c.before), raw(c.after))
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: diff = %#v, want %#v", c.name, got, c.want)
		}
	}
	long := `{"d":"` + strings.Repeat("长", 500) + `"}`
	if got := diffJSON(nil, raw(long)); len([]rune(got[0].After)) != maxChangeText+1 {
		t.Errorf("long value not cut: %d runes", len([]rune(got[0].After)))
	}
}

func TestAuditPage_ShowsChangesAndFilters(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	f.addOperator("root", auth.RoleAdmin)
	s := f.login("root")
	if w := f.post("/settings", map[string][]string{"name": {"小店"}, "time_zone": {"Asia/Shanghai"}, "currency": {"CNY"}}, s); w.Code != http.StatusSeeOther {
		t.Fatalf("save settings: %d %s", w.Code, w.Body.String())
	}
	body := f.get("/audit?entity=settings", s).Body.String()
	mustContain(t, body, "settings.update", "<dt>name</dt>", "<del>storeops</del>", "<ins>小店</ins>")
	if strings.Contains(body, "<dt>currency</dt>") {
		t.Error("an unchanged key is listed as a change")
	}
	if strings.Contains(body, "operator.login") {
		t.Error("entity filter let a login entry through")
	}
	if strings.Contains(f.get("/audit?entity=product", s).Body.String(), "settings.update") {
		t.Error("entity filter ignored")
	}
}
