package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"

	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/page"
)

// auditEntities are the entities the filter offers; any other value typed
// into the URL still filters.
var auditEntities = []string{"product", "category", "customer", "stock", "operator", "api_token", "settings"}

type auditRow struct {
	audit.Entry
	Changes []change
}

// change is one top-level key that differs between before and after.
type change struct {
	Key, Before, After string
}

type auditPage struct {
	Entity    string
	EntityID  string
	ActorID   int64
	Entities  []string
	Operators []auth.Operator
	Rows      []auditRow
	Next      string
}

const auditPageSize = 50

func (c *Console) auditLog(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	q := r.URL.Query()
	pg := auditPage{Entity: q.Get("entity"), EntityID: q.Get("entity_id"), ActorID: parseID(q.Get("actor")), Entities: auditEntities}
	req, err := page.Parse("", q.Get("cursor"))
	if err != nil {
		req = page.Request{}
	}
	entries, err := audit.List(r.Context(), c.DB, audit.Filter{
		Entity: pg.Entity, EntityID: pg.EntityID, ActorID: pg.ActorID, BeforeID: req.After, Limit: auditPageSize,
	})
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	for _, e := range entries {
		pg.Rows = append(pg.Rows, auditRow{Entry: e, Changes: diffJSON(e.Before, e.After)})
	}
	if len(entries) == auditPageSize {
		pg.Next = "/audit?" + withCursor(q, page.Cursor(entries[len(entries)-1].ID))
	}
	if pg.Operators, err = c.Auth.ListOperators(r.Context()); err != nil {
		c.serverError(w, r, err)
		return
	}
	if pg.Entity != "" && !slices.Contains(pg.Entities, pg.Entity) {
		pg.Entities = append(pg.Entities, pg.Entity)
	}
	c.render(w, r, http.StatusOK, "audit", tr(v, "nav.audit"), "audit", pg)
}

// maxChangeText keeps one value of the diff readable in a table cell.
const maxChangeText = 160

// diffJSON lists the top-level keys whose values differ between two JSON
// objects, sorted by key; a record that is not an object on both sides
// shows as one change of the whole value. Nested values are compared and
// shown as compact JSON.
func diffJSON(before, after json.RawMessage) []change {
	var b, a map[string]json.RawMessage
	okB := len(before) == 0 || json.Unmarshal(before, &b) == nil
	okA := len(after) == 0 || json.Unmarshal(after, &a) == nil
	if !okB || !okA {
		if bytes.Equal(before, after) {
			return nil
		}
		return []change{{Key: "", Before: compact(before), After: compact(after)}}
	}
	keys := make([]string, 0, len(a)+len(b))
	for k := range b {
		keys = append(keys, k)
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []change
	for _, k := range keys {
		bv, inB := b[k]
		av, inA := a[k]
		if inA && inB && jsonEqual(bv, av) {
			continue
		}
		ch := change{Key: k}
		if inB {
			ch.Before = compact(bv)
		}
		if inA {
			ch.After = compact(av)
		}
		out = append(out, ch)
	}
	return out
}

func jsonEqual(x, y json.RawMessage) bool {
	var a, b any
	if json.Unmarshal(x, &a) != nil || json.Unmarshal(y, &b) != nil {
		return bytes.Equal(x, y)
	}
	ja, _ := json.Marshal(a) // maps marshal with sorted keys
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// compact shows a JSON value briefly: strings without quotes, everything
// else as compact JSON, cut at maxChangeText characters.
func compact(v json.RawMessage) string {
	if len(v) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return cut(s)
	}
	var buf bytes.Buffer
	if json.Compact(&buf, v) != nil {
		return cut(string(v))
	}
	return cut(buf.String())
}

func cut(s string) string {
	r := []rune(s)
	if len(r) <= maxChangeText {
		return s
	}
	return string(r[:maxChangeText]) + "…"
}
