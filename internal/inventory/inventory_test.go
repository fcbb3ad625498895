package inventory_test

import (
	"errors"
	"testing"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/inventory"
)

func TestCheckAdjustment(t *testing.T) {
	cases := []struct {
		reason string
		delta  int64
		field  string // "" when allowed
	}{
		{"receipt", 10, ""},
		{"receipt", 0, "delta"},
		{"receipt", -1, "delta"},
		{"damage", -2, ""},
		{"damage", 2, "delta"},
		{"adjustment", 3, ""},
		{"adjustment", -3, ""},
		{"adjustment", 0, "delta"},
		{"count", 5, "reason"},
		{"sale", -1, "reason"},
		{"return", 1, "reason"},
		{"gift", 1, "reason"},
		{"", 1, "reason"},
	}
	for _, c := range cases {
		err := inventory.CheckAdjustment(c.reason, c.delta)
		if fieldOf(err) != c.field || (c.field == "" && err != nil) {
			t.Errorf("CheckAdjustment(%q, %d) = %v, want field %q", c.reason, c.delta, err, c.field)
		}
	}
}

func fieldOf(err error) string {
	var fe *apperr.FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	return ""
}
