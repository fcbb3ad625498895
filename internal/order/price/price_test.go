package price_test

import (
	"testing"

	"errors"
	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/order/price"
)

func TestCheckLines(t *testing.T) {
	many := make([]price.Line, 101)
	for i := range many {
		many[i] = price.Line{SKUID: int64(i + 1), Quantity: 1}
	}
	cases := []struct {
		name  string
		lines []price.Line
		field string
	}{
		{"ok", []price.Line{{1, 1}, {2, 999}}, ""},
		{"empty", nil, "lines"},
		{"zero", []price.Line{{1, 0}}, "lines[0].quantity"},
		{"negative", []price.Line{{1, 1}, {2, -1}}, "lines[1].quantity"},
		{"1000", []price.Line{{1, 1000}}, "lines[0].quantity"},
		{"bad sku", []price.Line{{0, 1}}, "lines[0].sku_id"},
		{"duplicate", []price.Line{{1, 1}, {1, 1}}, "lines[1].sku_id"},
		{"101 lines", many, "lines"},
		{"100 lines", many[:100], ""},
	}
	for _, c := range cases {
		err := price.CheckLines(c.lines)
		var fe *apperr.FieldError
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.field != "" && (!errors.As(err, &fe) || fe.Field != c.field):
			t.Errorf("%s: %v, want a field error on %s", c.name, err, c.field)
		}
	}
}
