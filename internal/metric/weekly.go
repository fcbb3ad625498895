package metric

import (
	"context"
	"fmt"
	"time"

	"github.com/axiomhq/hyperloglog"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/settings"
)

// markIndWeeks says traffic_weekly has been built once (after the upgrade
// that added it); from then on a refresh rewrites the weeks of the days it
// recomputes.
const markIndWeeks = "indicators.weeks_built"

// weekOf is the Monday of day's store week.
func weekOf(day int64) int64 {
	t := settings.DayTime(day, time.UTC)
	return AddDays(day, -((int(t.Weekday()) + 6) % 7))
}

// weeksOf are the weeks of sorted days, each once.
func weeksOf(days []int64) []int64 {
	var out []int64
	for _, d := range days {
		if w := weekOf(d); len(out) == 0 || out[len(out)-1] != w {
			out = append(out, w)
		}
	}
	return out
}

// rebuildWeeks rewrites the visitors of weeks in traffic_weekly from the
// daily sketches; the first time, every week of traffic_daily.
func (r *IndicatorRollup) rebuildWeeks(ctx context.Context, weeks []int64) error {
	sr := r.rollup()
	_, built, err := sr.mark(ctx, markIndWeeks)
	if err != nil {
		return err
	}
	if !built {
		var lo, hi int64
		if err := r.DB.QueryRow(ctx, `SELECT COALESCE(MIN(day), 0), COALESCE(MAX(day), 0) FROM traffic_daily`).Scan(&lo, &hi); err != nil {
			return fmt.Errorf("weekly rollup: %w", err)
		}
		weeks = nil
		if lo > 0 {
			weeks = weeksOf(Days(lo, hi))
		}
	}
	now := r.now().UnixMilli()
	for _, w := range weeks {
		byCh := map[string]*visitorSketches{}
		rows, err := r.DB.Query(ctx, `SELECT channel, uv_sketch, converted_sketch FROM traffic_daily WHERE day BETWEEN $1 AND $2`, w, AddDays(w, 6))
		if err != nil {
			return fmt.Errorf("weekly rollup %d: %w", w, err)
		}
		for rows.Next() {
			var ch string
			var uvb, cb []byte
			if err := rows.Scan(&ch, &uvb, &cb); err != nil {
				rows.Close()
				return err
			}
			a := byCh[ch]
			if a == nil {
				a = newVisitorSketches()
				byCh[ch] = a
			}
			if err := a.merge(uvb, cb); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		err = r.DB.InTx(ctx, func(tx *db.Tx) error {
			if _, err := tx.Exec(ctx, "DELETE FROM traffic_weekly WHERE week = $1", w); err != nil {
				return err
			}
			for ch, a := range byCh {
				if _, err := tx.Exec(ctx, `INSERT INTO traffic_weekly (week, channel, uv, converted, refreshed_at) VALUES ($1, $2, $3, $4, $5)`,
					w, ch, int64(a.uv.Estimate()), int64(a.conv.Estimate()), now); err != nil {
					return fmt.Errorf("weekly rollup %d %s: %w", w, ch, err)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if !built {
		return sr.setMark(ctx, r.DB, markIndWeeks, 1)
	}
	return nil
}

// weeklyVisitors reads the visitors of the whole weeks among buckets from
// traffic_weekly, the all-channels rows, by the bucket's Monday.
func weeklyVisitors(ctx context.Context, q db.Queryer, buckets []Bucket) (map[int64][2]int64, error) {
	out := map[int64][2]int64{}
	var lo, hi int64
	for _, b := range buckets {
		if !wholeWeek(b) {
			continue
		}
		if lo == 0 {
			lo = b.From
		}
		hi = b.From
	}
	if lo == 0 {
		return out, nil
	}
	rows, err := q.Query(ctx, `SELECT week, uv, converted FROM traffic_weekly WHERE week BETWEEN $1 AND $2 AND channel = ''`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("weekly visitors: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var w, uv, conv int64
		if err := rows.Scan(&w, &uv, &conv); err != nil {
			return nil, err
		}
		out[w] = [2]int64{uv, conv}
	}
	return out, rows.Err()
}

// wholeWeek reports whether b is a store week, Monday to Sunday.
func wholeWeek(b Bucket) bool {
	return b.From == weekOf(b.From) && b.To == AddDays(b.From, 6)
}

// visitorSketches are the visitors and the converted visitors of days
// merged: a week's or a month's.
type visitorSketches struct{ uv, conv *hyperloglog.Sketch }

func newVisitorSketches() *visitorSketches {
	return &visitorSketches{uv: hyperloglog.New14(), conv: hyperloglog.New14()}
}

// merge adds a day's stored sketches (visitors, converted visitors).
func (v *visitorSketches) merge(uv, conv []byte) error {
	if err := mergeSketch(v.uv, uv); err != nil {
		return err
	}
	return mergeSketch(v.conv, conv)
}
