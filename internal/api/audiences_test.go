package api_test

import (
	"bytes"
	"testing"

	"github.com/storeops/storeops/internal/api"
	"github.com/storeops/storeops/internal/audience"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
)

func TestAudiencesAPI_PreviewSaveEditDelete(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.loadSpec()
		seedBuyers(t, d)
		st, body := f.call("viewer", "GET", "/api/v1/segments/custom/fields", nil)
		fields := decodeAs[api.AudienceFields](t, body)
		if st != 200 || len(fields.Fields) != len(audience.Fields) || fields.Fields[7].Name != "tier" || len(fields.Fields[7].Choices) != 4 {
			t.Fatalf("fields: %d %s", st, body)
		}
		// seedBuyers: 40 buyers, the last purchase within the week for the
		// regular ones; every fourth stopped after three purchases.
		rules := map[string]any{"match": "all", "rules": []map[string]any{{"field": "orders", "op": "lte", "value": 3}}}
		st, body = f.call("viewer", "POST", "/api/v1/segments/custom/preview", rules)
		p := decodeAs[audience.Preview](t, body)
		if st != 200 || p.Customers == 0 || p.Customers > 40 || len(p.Sample) != int(min(p.Customers, audience.SampleSize)) {
			t.Fatalf("preview: %d %s", st, body)
		}
		for _, m := range p.Sample {
			if m.Orders > 3 || m.LastPaidAt == nil || m.Spend <= 0 {
				t.Fatalf("sample member %+v does not match orders ≤ 3 or lacks its figures", m)
			}
		}
		bad := map[string]any{"match": "all", "groups": []map[string]any{{"match": "any", "rules": []map[string]any{{"field": "spend", "op": "in", "values": []string{"1"}}}}}}
		st, body = f.call("viewer", "POST", "/api/v1/segments/custom/preview", bad)
		if st != 422 || !bytes.Contains(body, []byte(`"field":"groups[0].rules[0].op"`)) {
			t.Fatalf("bad operator: %d %s", st, body)
		}
		// Viewers preview but do not save.
		in := map[string]any{"name": "少量购买", "rules": rules}
		if st, body = f.call("viewer", "POST", "/api/v1/segments/custom", in); st != 403 {
			t.Fatalf("viewer saves: %d %s", st, body)
		}
		st, body = f.call("operator", "POST", "/api/v1/segments/custom", in)
		seg := decodeAs[audience.Segment](t, body)
		if st != 201 || seg.Customers != p.Customers || seg.CountedAt == 0 {
			t.Fatalf("create: %d %s", st, body)
		}
		if st, body = f.call("operator", "POST", "/api/v1/segments/custom", in); st != 422 || !bytes.Contains(body, []byte(`"field":"name"`)) {
			t.Fatalf("same name twice: %d %s", st, body)
		}
		in["rules"] = bad
		if st, body = f.call("operator", "PUT", "/api/v1/segments/custom/"+itoa(seg.ID), in); st != 422 || !bytes.Contains(body, []byte(`"field":"rules.groups[0].rules[0].op"`)) {
			t.Fatalf("bad rules saved: %d %s", st, body)
		}
		in["name"], in["rules"] = "全部买家", map[string]any{"match": "any", "rules": []map[string]any{{"field": "orders", "op": "gte", "value": "1"}}}
		st, body = f.call("operator", "PUT", "/api/v1/segments/custom/"+itoa(seg.ID), in)
		if seg = decodeAs[audience.Segment](t, body); st != 200 || seg.Name != "全部买家" || seg.Customers != 40 {
			t.Fatalf("update: %d %s", st, body)
		}
		st, body = f.call("viewer", "GET", "/api/v1/segments/custom", nil)
		if list := decodeAs[api.CustomSegments](t, body); st != 200 || len(list.Segments) != 1 || list.Segments[0].Rules.Rules[0].Value != "1" {
			t.Fatalf("list: %d %s", st, body)
		}
		if st, body = f.call("viewer", "POST", "/api/v1/segments/custom/"+itoa(seg.ID)+"/count", nil); st != 200 || decodeAs[audience.Segment](t, body).Customers != 40 {
			t.Fatalf("recount: %d %s", st, body)
		}
		if st, _ = f.call("operator", "DELETE", "/api/v1/segments/custom/"+itoa(seg.ID), nil); st != 204 {
			t.Fatalf("delete: %d", st)
		}
		if st, _ = f.call("viewer", "GET", "/api/v1/segments/custom/"+itoa(seg.ID), nil); st != 404 {
			t.Fatalf("deleted segment: %d", st)
		}
	})
}
