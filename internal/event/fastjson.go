package event

import (
	"strconv"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// The fast path of POST /collect: a body whose events are all well formed
// is decoded in one pass by the json v2 decoder (github.com/go-json-experiment/json,
// the Go team's prototype of encoding/json/v2), about four times faster
// than encoding/json's two passes (split into raw events, then decode each)
// — at 100,000 events a second that is most of a core. Anything it does not
// take (a malformed event, a wrong type, a member it does not know, a
// single event without "events")
// goes the careful way, which names the reason per event.

// v1Like makes the v2 decoder read what encoding/json reads — repeated
// names (the last wins), invalid UTF-8 replaced — or refuse: any member
// that is not exactly one of wire's names sends the body the careful way,
// since encoding/json matches names in any case and v2's case-insensitive
// matching also ignores underscores.
var v1Like = jsonv2.JoinOptions(
	jsonv2.RejectUnknownMembers(true),
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
)

// decodeBatch decodes a body of the two batch forms, [...] and
// {"events": [...]}; ok is false when it cannot take the whole body.
func decodeBatch(body []byte) (ws []wire, ok bool) {
	switch body[0] {
	case '[':
		if err := jsonv2.Unmarshal(body, &ws, v1Like); err != nil {
			return nil, false
		}
		return ws, true
	case '{':
		var b struct {
			Events []wire `json:"events"`
		}
		if err := jsonv2.Unmarshal(body, &b, v1Like); err != nil || b.Events == nil {
			return nil, false
		}
		return b.Events, true
	}
	return nil, false
}

// UnmarshalJSONFrom is UnmarshalJSON for the v2 decoder, with the same
// rules: a number, a numeric string, or null / "" for 0.
func (f *flexInt) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	var s string
	switch tok.Kind() {
	case 'n':
		*f = 0
		return nil
	case '0':
		s = tok.String()
	case '"':
		s = tok.String()
		if s == "" || s == "null" {
			*f = 0
			return nil
		}
	default:
		return strconv.ErrSyntax
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return err
	}
	*f = flexInt(n)
	return nil
}
