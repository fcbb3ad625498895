package event

import (
	"context"
	"fmt"

	"github.com/storeops/storeops/internal/db"
)

// Figures are the traffic of a period, a day or a channel: PV counts page
// views; UV counts distinct visitors with at least one event of any type.
type Figures struct {
	PV int64 `json:"pv"`
	UV int64 `json:"uv"`
}

// DayFigures is the traffic of one store day (YYYYMMDD).
type DayFigures struct {
	Day int64 `json:"day"`
	Figures
}

// ChannelFigures is the traffic of one channel over the period. A visitor
// who came through two channels counts in both, so channel UVs may add up to
// more than the period's UV; channel share is UV ÷ the period's UV.
type ChannelFigures struct {
	Channel string `json:"channel"`
	Figures
}

// Report is the traffic layer of days from..to.
type Report struct {
	From, To int64 `json:"-"`
	Figures
	Days     []DayFigures     `json:"days"`
	Channels []ChannelFigures `json:"channels"`
}

// visitors tags each event of the period with its visitor: the customer
// when the event or any event of the same anonymous id carries a customer
// id (so a visitor browsing anonymously and then logging in counts once),
// else the anonymous id. Should an anonymous id have logged in as several
// customers (a shared device), the highest customer id stands for it.
const visitors = `WITH known AS (
	SELECT anonymous_id, MAX(customer_id) AS customer_id FROM events
	WHERE customer_id IS NOT NULL
	  AND anonymous_id IN (SELECT anonymous_id FROM events WHERE day BETWEEN $1 AND $2)
	GROUP BY anonymous_id
), v AS (
	SELECT e.day, e.channel, e.type,
		CASE WHEN e.customer_id IS NOT NULL THEN 'c' || CAST(e.customer_id AS TEXT)
		     WHEN k.customer_id IS NOT NULL THEN 'c' || CAST(k.customer_id AS TEXT)
		     ELSE 'a' || e.anonymous_id END AS visitor
	FROM events e LEFT JOIN known k ON k.anonymous_id = e.anonymous_id
	WHERE e.day BETWEEN $1 AND $2
)
`

// Traffic computes PV and UV exactly from the events of days from..to
// (YYYYMMDD, inclusive): for the period (UV over a range is not the sum of
// daily UVs), per day, and per channel.
func Traffic(ctx context.Context, q db.Queryer, from, to int64) (Report, error) {
	r := Report{From: from, To: to, Days: []DayFigures{}, Channels: []ChannelFigures{}}
	const figures = "SUM(CASE WHEN type = 'page_view' THEN 1 ELSE 0 END), COUNT(DISTINCT visitor)"
	var pv, uv *int64
	if err := q.QueryRow(ctx, visitors+"SELECT "+figures+" FROM v", from, to).Scan(&pv, &uv); err != nil {
		return r, fmt.Errorf("traffic %d–%d: %w", from, to, err)
	}
	if pv != nil {
		r.PV = *pv
	}
	if uv != nil {
		r.UV = *uv
	}
	rows, err := q.Query(ctx, visitors+"SELECT day, "+figures+" FROM v GROUP BY day ORDER BY day", from, to)
	if err != nil {
		return r, fmt.Errorf("traffic per day %d–%d: %w", from, to, err)
	}
	for rows.Next() {
		var d DayFigures
		if err := rows.Scan(&d.Day, &d.PV, &d.UV); err != nil {
			rows.Close()
			return r, err
		}
		r.Days = append(r.Days, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return r, err
	}
	rows, err = q.Query(ctx, visitors+"SELECT channel, "+figures+" FROM v GROUP BY channel ORDER BY 3 DESC, channel", from, to)
	if err != nil {
		return r, fmt.Errorf("traffic per channel %d–%d: %w", from, to, err)
	}
	defer rows.Close()
	for rows.Next() {
		var c ChannelFigures
		if err := rows.Scan(&c.Channel, &c.PV, &c.UV); err != nil {
			return r, err
		}
		r.Channels = append(r.Channels, c)
	}
	return r, rows.Err()
}

// PV is the page views of one store day.
func PV(ctx context.Context, q db.Queryer, day int64) (int64, error) {
	r, err := Traffic(ctx, q, day, day)
	return r.PV, err
}

// UV is the distinct visitors of one store day.
func UV(ctx context.Context, q db.Queryer, day int64) (int64, error) {
	r, err := Traffic(ctx, q, day, day)
	return r.UV, err
}
