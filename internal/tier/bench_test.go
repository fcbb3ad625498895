package tier_test

import (
	"context"
	"testing"

	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/tier"
)

// BenchmarkFreeShipping is what tiers add to every quote and checkout of a
// signed-in buyer (the pricer's free-shipping check): the ladder read.
func BenchmarkFreeShipping(b *testing.B) {
	d := dbtest.SQLite(b)
	ctx := context.Background()
	for _, saved := range []bool{false, true} {
		name := "default-ladder"
		if saved {
			name = "saved-ladder"
			if _, err := (&tier.Service{DB: d}).Save(ctx, tier.Default()); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if free, _, err := tier.FreeShipping(ctx, d, "gold"); err != nil || !free {
					b.Fatal(free, err)
				}
			}
		})
	}
}
