package page

import "testing"

func TestParse(t *testing.T) {
	cases := []struct {
		limit, cursor string
		want          Request
		bad           bool
	}{
		{"", "", Request{Limit: 50}, false},
		{"10", "", Request{Limit: 10}, false},
		{"10", Cursor(42), Request{Limit: 10, After: 42}, false},
		{"0", "", Request{}, true},
		{"501", "", Request{}, true},
		{"abc", "", Request{}, true},
		{"", "!!!", Request{}, true},
		{"", Cursor(-1), Request{}, true},
	}
	for _, c := range cases {
		got, err := Parse(c.limit, c.cursor)
		if (err != nil) != c.bad || (!c.bad && got != c.want) {
			t.Errorf("Parse(%q, %q) = %+v, %v", c.limit, c.cursor, got, err)
		}
	}
	if Next(Request{Limit: 2}, 1, 5) != "" || Next(Request{Limit: 2}, 2, 5) != Cursor(5) {
		t.Error("Next")
	}
}
