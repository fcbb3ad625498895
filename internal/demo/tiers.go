package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/tier"
)

// writeTiers places the demo's customers on the default member ladder from
// their history, as if tiers had been kept all along: each paid order's
// growth at its payment, its refunds taken back, and every customer whose
// growth over the last 12 months (to end) reaches a tier upgraded to it,
// the change recorded at end. The tier discount promotion is left to the
// program's first start (internal/app), which makes it for any shop.
func writeTiers(ctx context.Context, d *db.DB, end time.Time) error {
	svc := &tier.Service{DB: d, Now: func() time.Time { return end }}
	if _, err := svc.Backfill(ctx); err != nil {
		return fmt.Errorf("demo tiers: %w", err)
	}
	return nil
}
