package event

import (
	"reflect"
	"testing"
	"time"
)

// careful decodes a body the way that names reasons per event.
func careful(body []byte, received time.Time) ([]Event, []string, string) {
	raws, reason := split(body, nil)
	if reason != "" {
		return nil, nil, reason
	}
	var es []Event
	var whys []string
	for _, raw := range raws {
		e, why := decode(raw, received)
		if why != "" {
			whys = append(whys, why)
			continue
		}
		e.EventID = stableID(e.EventID)
		es = append(es, e)
	}
	return es, whys, ""
}

// stableID blanks the random part of a generated id so two decodings of
// one body compare equal.
func stableID(id string) string {
	if len(id) > 2 && id[:2] == "g:" {
		return "g:"
	}
	return id
}

// Whatever the one-pass decoder takes, it reads exactly as encoding/json
// does, event by event.
func FuzzDecodeBatch(f *testing.F) {
	for _, s := range []string{
		`{"events":[{"id":"a1","type":"page_view","anonymous_id":"v1","page":"https://shop.example/","at":1700000000000}]}`,
		`[{"type":"product_view","anonymous_id":"v2","product_id":"42","sku_id":7,"customer_id":null},{"type":"search","anonymous_id":"v2","query":"连衣裙"}]`,
		`[{"TYPE":"page_view","Anonymous_ID":"v3","type":"add_to_cart"}]`,
		`[{"type":"page_view","anonymous_id":"v4","product_id":1.5}]`,
		`[{"type":"page_view","anonymous_id":"v5","utm_source":"Douyin","order_no":"SO1"}, 3]`,
		"[{\"type\":\"page_view\",\"anonymous_id\":\"\xff\xfe\"}]",
		`{"events":null}`, `[]`, `{"type":"page_view","anonymous_id":"v6"}`,
	} {
		f.Add([]byte(s))
	}
	received := time.UnixMilli(1700000100000)
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) == 0 {
			return
		}
		ws, ok := decodeBatch(body)
		if !ok {
			return
		}
		want, wantWhys, reason := careful(body, received)
		if reason != "" {
			t.Fatalf("one pass took a body encoding/json refuses (%s): %q", reason, body)
		}
		var got []Event
		var whys []string
		for _, w := range ws {
			e, why := fromWire(w, received)
			if why != "" {
				whys = append(whys, why)
				continue
			}
			e.EventID = stableID(e.EventID)
			got = append(got, e)
		}
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(whys, wantWhys) {
			t.Fatalf("body %q:\none pass %+v %v\ncareful  %+v %v", body, got, whys, want, wantWhys)
		}
	})
}
