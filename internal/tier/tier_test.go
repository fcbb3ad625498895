package tier_test

import (
	"strings"
	"testing"

	"github.com/storeops/storeops/internal/tier"
)

func TestEvaluate(t *testing.T) {
	c := tier.Default() // silver 500/300, gold 1500/900, platinum 3000/2000
	cases := []struct {
		name    string
		current string
		growth  int64
		kind    string
		to      string
		thresh  int64
	}{
		{"normal stays normal", "normal", 499, tier.Keep, "normal", 0},
		{"normal stays normal with refunds in the window", "normal", -349, tier.Keep, "normal", 0},
		{"normal crosses silver", "normal", 500, tier.Upgrade, "silver", 500},
		{"normal jumps to gold", "normal", 2000, tier.Upgrade, "gold", 1500},
		{"gold keeps at keep threshold", "gold", 900, tier.Keep, "gold", 900},
		{"gold keeps below its threshold", "gold", 1499, tier.Keep, "gold", 900},
		{"gold falls to silver", "gold", 899, tier.Downgrade, "silver", 900},
		{"gold falls to normal", "gold", 299, tier.Downgrade, "normal", 900},
		{"platinum falls two tiers", "platinum", 350, tier.Downgrade, "silver", 2000},
		{"silver upgraded by the evaluation", "silver", 3000, tier.Upgrade, "platinum", 3000},
		{"removed tier is placed by growth", "diamond", 600, tier.Upgrade, "silver", 500},
		{"removed tier with no growth", "diamond", 0, tier.Downgrade, "normal", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := c.Evaluate(tc.current, tc.growth)
			if d.Kind != tc.kind || d.To != tc.to || d.Threshold != tc.thresh {
				t.Fatalf("Evaluate(%s, %d) = %+v, want %s to %s at %d", tc.current, tc.growth, d, tc.kind, tc.to, tc.thresh)
			}
		})
	}
}

func TestOnPaymentNeverDowngrades(t *testing.T) {
	c := tier.Default()
	if d := c.OnPayment("platinum", 0); d.Kind != tier.Keep || d.To != "platinum" {
		t.Fatalf("payment decided %+v for a platinum customer with no window growth", d)
	}
	if d := c.OnPayment("silver", 1500); d.Kind != tier.Upgrade || d.To != "gold" {
		t.Fatalf("payment decided %+v at 1500", d)
	}
}

func TestGrowth(t *testing.T) {
	c := tier.Default()
	for fen, want := range map[int64]int64{0: 0, -500: 0, 99: 0, 100: 1, 9999: 99, 1234500: 12345} {
		if got := c.Growth(fen); got != want {
			t.Errorf("Growth(%d) = %d, want %d", fen, got, want)
		}
	}
	c.GrowthPerYuan = 2
	if got := c.Growth(150); got != 3 {
		t.Errorf("at 2 per ¥1, Growth(150) = %d, want 3", got)
	}
}

func TestValidate(t *testing.T) {
	ok := tier.Default()
	if err := ok.Validate(); err != nil {
		t.Fatalf("default ladder: %v", err)
	}
	cases := map[string]func(c *tier.Config){
		"growth_per_yuan":          func(c *tier.Config) { c.GrowthPerYuan = 0 },
		"window_months":            func(c *tier.Config) { c.WindowMonths = 0 },
		"levels":                   func(c *tier.Config) { c.Levels = c.Levels[:1] },
		"levels[0].threshold":      func(c *tier.Config) { c.Levels[0].Threshold = 10 },
		"levels[2].threshold":      func(c *tier.Config) { c.Levels[2].Threshold, c.Levels[2].KeepThreshold = 500, 300 },
		"levels[1].keep_threshold": func(c *tier.Config) { c.Levels[1].KeepThreshold = 501 },
		"levels[3].code":           func(c *tier.Config) { c.Levels[3].Code = "gold" },
		"levels[1].discount_bp":    func(c *tier.Config) { c.Levels[1].DiscountBP = 10000 },
		"levels[2].name_zh":        func(c *tier.Config) { c.Levels[2].NameZh = "" },
	}
	for field, mutate := range cases {
		c := tier.Default()
		mutate(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: got %v", field, err)
		}
	}
}
