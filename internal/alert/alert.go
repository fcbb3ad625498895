package alert

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/metric"
	"github.com/storeops/storeops/internal/settings"
)

// Statuses of an alert.
const (
	Open         = "open"
	Acknowledged = "acknowledged"
	Resolved     = "resolved"
)

// Alert is one anomaly: a metric of a channel ("" the whole shop) out of
// its band on a day. Value, Baseline, Low and High are in the metric's
// unit: a count, 分, or basis points for rates.
type Alert struct {
	ID        int64     `json:"id"`
	Day       int64     `json:"day"`
	Metric    string    `json:"metric"`
	Channel   string    `json:"channel"`
	Value     int64     `json:"value"`
	Baseline  int64     `json:"baseline"`
	Low       int64     `json:"low"`
	High      int64     `json:"high"`
	Severity  string    `json:"severity"`
	Status    string    `json:"status"`
	Playbook  string    `json:"playbook"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Notes     []Note    `json:"notes,omitempty"`
}

// Note is one change of an alert's status, or a remark.
type Note struct {
	At    time.Time `json:"at"`
	Actor string    `json:"actor"`
	From  string    `json:"from"`
	To    string    `json:"to"`
	Note  string    `json:"note"`
}

// point is one metric × channel on one day.
type point struct {
	metric, channel string
	value, noise    float64 // in the stored unit (counts, 分, basis points)
}

// dayValues reads every watched metric of each day of days.
func dayValues(ctx context.Context, q db.Queryer, days []int64) (map[int64][]point, error) {
	out := map[int64][]point{}
	if len(days) == 0 {
		return out, nil
	}
	ph := make([]string, len(days))
	args := make([]any, len(days))
	for i, d := range days {
		ph[i] = fmt.Sprintf("$%d", i+1)
		args[i] = d
	}
	in := "(" + strings.Join(ph, ", ") + ")"
	rows, err := q.Query(ctx, "SELECT day, channel, uv, converted FROM traffic_daily WHERE day IN "+in, args...)
	if err != nil {
		return nil, fmt.Errorf("alert: traffic: %w", err)
	}
	for rows.Next() {
		var day, uv, conv int64
		var ch string
		if err := rows.Scan(&day, &ch, &uv, &conv); err != nil {
			rows.Close()
			return nil, err
		}
		out[day] = append(out[day], point{MetricUV, ch, float64(uv), math.Sqrt(float64(uv))})
		if uv > 0 {
			p := float64(conv) / float64(uv)
			out[day] = append(out[day], point{MetricConversion, ch, p * 10000, math.Sqrt(p*(1-p)/float64(uv)) * 10000})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.Query(ctx, "SELECT day, gmv, refunds FROM sales_daily WHERE day IN "+in, args...)
	if err != nil {
		return nil, fmt.Errorf("alert: sales: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var day, gmv, refunds int64
		if err := rows.Scan(&day, &gmv, &refunds); err != nil {
			return nil, err
		}
		out[day] = append(out[day], point{MetricGMV, "", float64(gmv), 0})
		if gmv > 0 {
			out[day] = append(out[day], point{MetricRefundRate, "", float64(refunds) * 10000 / float64(gmv), 0})
		}
	}
	return out, rows.Err()
}

// Detector finds the anomalies of a day.
type Detector struct {
	DB  *db.DB
	Now func() time.Time
	// PromotionDay reports days of a promotion, left out of baselines
	// (nil: none; PromotionCalendar reads the promotions).
	PromotionDay func(day int64) bool
	// ConversionBenchmarkBP is a floor for the shop's conversion rate
	// (e.g. the category's average), in basis points; 0: none. A day under
	// it is an alert even when its own baseline is as low.
	ConversionBenchmarkBP int64
}

// Finding is an out-of-band value before it is stored.
type Finding struct {
	Metric, Channel, Severity string
	Value                     float64
	Band                      Band
}

// Check judges every metric × channel of day against its same-weekday
// baseline, without storing anything.
func (d *Detector) Check(ctx context.Context, day int64) ([]Finding, error) {
	days := []int64{day}
	for k := 1; k <= LookbackWeeks; k++ {
		h := metric.AddDays(day, -7*k)
		if d.PromotionDay != nil && d.PromotionDay(h) {
			continue
		}
		days = append(days, h)
	}
	vals, err := dayValues(ctx, d.DB, days)
	if err != nil {
		return nil, err
	}
	type key struct{ metric, channel string }
	hist := map[key][]float64{}
	for _, h := range days[1:] {
		for _, p := range vals[h] {
			k := key{p.metric, p.channel}
			hist[k] = append(hist[k], p.value)
		}
	}
	var out []Finding
	for _, p := range vals[day] {
		b, ok := BandFor(p.metric, hist[key{p.metric, p.channel}], p.noise)
		bad, sev := false, ""
		if ok {
			bad, sev = Judge(p.metric, b, p.value)
		}
		if bench := float64(d.ConversionBenchmarkBP); !bad && bench > 0 && p.metric == MetricConversion && p.channel == "" && p.value < bench {
			// Under the configured benchmark: the band's floor is the
			// benchmark, the baseline the shop's own (or the benchmark
			// when there is too little history).
			if !ok {
				b = Band{Baseline: bench, High: bench}
			}
			b.Low = bench
			bad, sev = true, Warning
			if p.value < bench/2 {
				sev = Critical
			}
		}
		if bad {
			out = append(out, Finding{Metric: p.metric, Channel: p.channel, Severity: sev, Value: p.value, Band: b})
		}
	}
	// A channel with no visit at all that day has no row: its traffic fell
	// to zero, the clearest drop there is.
	present := map[string]bool{}
	for _, p := range vals[day] {
		if p.metric == MetricUV {
			present[p.channel] = true
		}
	}
	for k, h := range hist {
		if k.metric != MetricUV || present[k.channel] {
			continue
		}
		if b, ok := BandFor(MetricUV, h, 0); ok {
			out = append(out, Finding{Metric: MetricUV, Channel: k.channel, Severity: Critical, Value: 0, Band: b})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Metric != out[j].Metric {
			return out[i].Metric < out[j].Metric
		}
		return out[i].Channel < out[j].Channel
	})
	return out, nil
}

func (d *Detector) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// Detect checks day and stores a new open alert for each finding; a
// finding already alerted for that day is left as it is (acknowledged or
// resolved stays so).
func (d *Detector) Detect(ctx context.Context, day int64) ([]Alert, error) {
	fs, err := d.Check(ctx, day)
	if err != nil {
		return nil, err
	}
	now := d.now().UnixMilli()
	var out []Alert
	err = d.DB.InTx(ctx, func(tx *db.Tx) error {
		out = out[:0]
		for _, f := range fs {
			a := Alert{Day: day, Metric: f.Metric, Channel: f.Channel, Value: int64(math.Round(f.Value)), Baseline: int64(math.Round(f.Band.Baseline)),
				Low: int64(math.Round(f.Band.Low)), High: int64(math.Round(f.Band.High)), Severity: f.Severity, Status: Open, Playbook: Playbook(f.Metric)}
			err := tx.QueryRow(ctx, `INSERT INTO alerts (day, metric, channel, value, baseline, low, high, severity, status, playbook, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) ON CONFLICT (day, metric, channel) DO NOTHING RETURNING id`,
				a.Day, a.Metric, a.Channel, a.Value, a.Baseline, a.Low, a.High, a.Severity, a.Status, a.Playbook, now).Scan(&a.ID)
			if db.IsNoRows(err) {
				continue
			}
			if err != nil {
				return fmt.Errorf("store alert %s/%s of %d: %w", f.Metric, f.Channel, day, err)
			}
			out = append(out, a)
		}
		return nil
	})
	return out, err
}

// DetectYesterday refreshes nothing itself: call it after the rollups.
func (d *Detector) DetectYesterday(ctx context.Context) ([]Alert, error) {
	st, err := settings.Load(ctx, d.DB)
	if err != nil {
		return nil, err
	}
	y := settings.Day(d.now().In(st.Location()).AddDate(0, 0, -1), st.Location())
	return d.Detect(ctx, y)
}

// PromotionCalendar reads the days covered by promotions that ran (not
// drafts) for a few weeks at most — the big promotions whose traffic is
// no baseline for an ordinary day.
func PromotionCalendar(ctx context.Context, q db.Queryer) (func(day int64) bool, error) {
	st, err := settings.Load(ctx, q)
	if err != nil {
		return nil, err
	}
	loc := st.Location()
	rows, err := q.Query(ctx, `SELECT starts_at, ends_at FROM promotions
		WHERE status <> 'draft' AND starts_at IS NOT NULL AND ends_at IS NOT NULL AND ends_at - starts_at <= $1`, int64(31*24*time.Hour/time.Millisecond))
	if err != nil {
		return nil, fmt.Errorf("promotion calendar: %w", err)
	}
	defer rows.Close()
	days := map[int64]bool{}
	for rows.Next() {
		var s, e int64
		if err := rows.Scan(&s, &e); err != nil {
			return nil, err
		}
		last := settings.Day(time.UnixMilli(e), loc)
		for dd := settings.Day(time.UnixMilli(s), loc); dd <= last; dd = metric.AddDays(dd, 1) {
			days[dd] = true
		}
	}
	return func(day int64) bool { return days[day] }, rows.Err()
}

// next is the workflow: open → acknowledged → resolved, or open → resolved.
func next(from, to string) bool {
	switch {
	case from == Open && (to == Acknowledged || to == Resolved):
		return true
	case from == Acknowledged && to == Resolved:
		return true
	}
	return false
}

// Move changes an alert's status with a note, audited.
func Move(ctx context.Context, d *db.DB, id int64, to, note string, now time.Time) (Alert, error) {
	note = strings.TrimSpace(note)
	if len(note) > 2000 {
		return Alert{}, apperr.Field("note", "at most 2000 characters")
	}
	if to == Resolved && note == "" {
		return Alert{}, apperr.Field("note", "say what was done about it (the cause and the response) before resolving")
	}
	err := d.InTx(ctx, func(tx *db.Tx) error {
		a, err := get(ctx, tx, id)
		if err != nil {
			return err
		}
		if !next(a.Status, to) {
			return fmt.Errorf("alert %d is %s; it cannot become %s: %w", id, a.Status, to, apperr.ErrConflict)
		}
		res, err := tx.Exec(ctx, "UPDATE alerts SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4", to, now.UnixMilli(), id, a.Status)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("alert %d changed meanwhile: %w", id, apperr.ErrConflict)
		}
		actor := audit.ActorFrom(ctx)
		if _, err := tx.Exec(ctx, `INSERT INTO alert_notes (alert_id, at, actor, from_status, to_status, note) VALUES ($1, $2, $3, $4, $5, $6)`,
			id, now.UnixMilli(), actor.Name, a.Status, to, note); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "alert."+to, "alert", id, map[string]any{"status": a.Status}, map[string]any{"status": to, "note": note})
	})
	if err != nil {
		return Alert{}, err
	}
	return Get(ctx, d, id)
}

// Get reads an alert with its notes.
func Get(ctx context.Context, q db.Queryer, id int64) (Alert, error) {
	a, err := get(ctx, q, id)
	if err != nil {
		return a, err
	}
	rows, err := q.Query(ctx, "SELECT at, actor, from_status, to_status, note FROM alert_notes WHERE alert_id = $1 ORDER BY id", id)
	if err != nil {
		return a, err
	}
	defer rows.Close()
	for rows.Next() {
		var n Note
		var at int64
		if err := rows.Scan(&at, &n.Actor, &n.From, &n.To, &n.Note); err != nil {
			return a, err
		}
		n.At = time.UnixMilli(at).UTC()
		a.Notes = append(a.Notes, n)
	}
	return a, rows.Err()
}

const alertColumns = "id, day, metric, channel, value, baseline, low, high, severity, status, playbook, created_at, updated_at"

func scanAlert(s interface{ Scan(...any) error }) (Alert, error) {
	var a Alert
	var c, u int64
	err := s.Scan(&a.ID, &a.Day, &a.Metric, &a.Channel, &a.Value, &a.Baseline, &a.Low, &a.High, &a.Severity, &a.Status, &a.Playbook, &c, &u)
	a.CreatedAt, a.UpdatedAt = time.UnixMilli(c).UTC(), time.UnixMilli(u).UTC()
	return a, err
}

func get(ctx context.Context, q db.Queryer, id int64) (Alert, error) {
	a, err := scanAlert(q.QueryRow(ctx, "SELECT "+alertColumns+" FROM alerts WHERE id = $1", id))
	if db.IsNoRows(err) {
		return a, fmt.Errorf("alert %d: %w", id, apperr.ErrNotFound)
	}
	return a, err
}

// List is the alerts with status (all when ""), open first, newest first.
func List(ctx context.Context, q db.Queryer, status string, limit int) ([]Alert, error) {
	where, args := "", []any{limit}
	if status != "" {
		where, args = "WHERE status = $2", append(args, status)
	}
	rows, err := q.Query(ctx, "SELECT "+alertColumns+` FROM alerts `+where+`
		ORDER BY CASE status WHEN 'open' THEN 0 WHEN 'acknowledged' THEN 1 ELSE 2 END, day DESC, id DESC LIMIT $1`, args...)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	defer rows.Close()
	out := []Alert{}
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Evidence is the metric's daily values around an alert with the band of
// each day, for its chart: the last eight weeks up to the alert's day.
type Evidence struct {
	Days                []int64
	Values              []int64
	Baseline, Low, High []int64
}

// EvidenceFor computes the evidence series of an alert.
func (d *Detector) EvidenceFor(ctx context.Context, a Alert) (Evidence, error) {
	var e Evidence
	for i := 55; i >= 0; i-- {
		day := metric.AddDays(a.Day, -i)
		fs, err := d.valueAndBand(ctx, day, a.Metric, a.Channel)
		if err != nil {
			return e, err
		}
		e.Days = append(e.Days, day)
		e.Values = append(e.Values, int64(math.Round(fs[0])))
		e.Baseline = append(e.Baseline, int64(math.Round(fs[1])))
		e.Low = append(e.Low, int64(math.Round(fs[2])))
		e.High = append(e.High, int64(math.Round(fs[3])))
	}
	return e, nil
}

// valueAndBand is a day's value of one metric × channel and its band
// (zeros when there is no band).
func (d *Detector) valueAndBand(ctx context.Context, day int64, m, ch string) ([4]float64, error) {
	var out [4]float64
	days := []int64{day}
	for k := 1; k <= LookbackWeeks; k++ {
		h := metric.AddDays(day, -7*k)
		if d.PromotionDay == nil || !d.PromotionDay(h) {
			days = append(days, h)
		}
	}
	vals, err := dayValues(ctx, d.DB, days)
	if err != nil {
		return out, err
	}
	var hist []float64
	var noise float64
	for _, h := range days[1:] {
		for _, p := range vals[h] {
			if p.metric == m && p.channel == ch {
				hist = append(hist, p.value)
			}
		}
	}
	for _, p := range vals[day] {
		if p.metric == m && p.channel == ch {
			out[0], noise = p.value, p.noise
		}
	}
	if b, ok := BandFor(m, hist, noise); ok || len(hist) >= MinPoints {
		out[1], out[2], out[3] = b.Baseline, b.Low, b.High
	}
	return out, nil
}
