package brief

import (
	"context"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/metric"
	"github.com/storeops/storeops/internal/settings"
)

// Generate brings the rollups up to date, then computes and stores the
// brief of kind ending on day to (YYYYMMDD in the store's zone). A day that
// has not ended yet is refused: its figures would still change.
func Generate(ctx context.Context, d *db.DB, kind string, to int64, now time.Time) (Brief, error) {
	st, err := settings.Load(ctx, d)
	if err != nil {
		return Brief{}, err
	}
	if today := settings.Day(now, st.Location()); to >= today {
		return Brief{}, fmt.Errorf("brief of %d: %w (today is %d in %s)", to, ErrNotYet, today, st.TimeZone)
	}
	if _, err := (&metric.Rollup{DB: d, Now: func() time.Time { return now }}).Refresh(ctx); err != nil {
		return Brief{}, err
	}
	if _, err := (&metric.IndicatorRollup{DB: d, Now: func() time.Time { return now }}).Refresh(ctx); err != nil {
		return Brief{}, err
	}
	data, err := Compute(ctx, d, kind, to, st.Currency, st.Name)
	if err != nil {
		return Brief{}, err
	}
	return Store(ctx, d, data, now)
}

// Schedule says when briefs are written: yesterday's daily brief once the
// store's clock has passed Hour, and on Mondays the weekly review of the
// seven days before (Monday to Sunday).
type Schedule struct {
	Hour int // 0–23 in the store's zone
}

// Due reports whether the store's clock has passed the hour today.
func (s Schedule) Due(ctx context.Context, q db.Queryer, now time.Time) (bool, error) {
	st, err := settings.Load(ctx, q)
	if err != nil {
		return false, err
	}
	return now.In(st.Location()).Hour() >= s.Hour, nil
}

// RunDue writes the briefs the schedule says should exist by now and do
// not yet; several instances may run it, the unique (kind, day) keeps one.
func (s Schedule) RunDue(ctx context.Context, d *db.DB, now time.Time) ([]Brief, error) {
	st, err := settings.Load(ctx, d)
	if err != nil {
		return nil, err
	}
	local := now.In(st.Location())
	if local.Hour() < s.Hour {
		return nil, nil
	}
	yesterday := settings.Day(local.AddDate(0, 0, -1), st.Location())
	due := []string{Daily}
	if local.Weekday() == time.Monday {
		due = append(due, Weekly)
	}
	var out []Brief
	for _, kind := range due {
		var n int
		if err := d.QueryRow(ctx, "SELECT COUNT(*) FROM briefs WHERE kind = $1 AND period_to = $2", kind, yesterday).Scan(&n); err != nil {
			return out, err
		}
		if n > 0 {
			continue
		}
		b, err := Generate(ctx, d, kind, yesterday, now)
		if err != nil {
			return out, err
		}
		out = append(out, b)
	}
	return out, nil
}
