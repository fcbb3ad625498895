// Package brief writes the data brief (数据简报): each morning yesterday's
// key figures with 环比 and 同比, the channels, products and categories that
// moved most, the open alerts, and what to look at — the seeds' 数据-问题-
// 策略 loop (a channel's traffic falls → find why → act); each Monday the
// weekly review of the seven days before. A brief stores its figures as
// generated and is rendered in zh-CN or English, as HTML or Markdown.
package brief

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/metric"
	"github.com/storeops/storeops/internal/webhook"
)

// Kinds of brief.
const (
	Daily  = "daily"
	Weekly = "weekly"
)

// Kinds of figure, for formatting.
const (
	KindCount = "count"
	KindMoney = "money"
	KindRate  = "rate" // basis points; changes in percentage points
)

// Figure is one key figure of the period and what it compares with.
type Figure struct {
	Key        string `json:"key"` // the indicator's name in docs/METRICS.md: uv, gmv, conversion …
	Kind       string `json:"kind"`
	Value      int64  `json:"value"`
	Previous   int64  `json:"previous"`
	YearAgo    int64  `json:"year_ago"`
	HasPrev    bool   `json:"has_previous"`
	HasYearAgo bool   `json:"has_year_ago"`
	RiseIsGood bool   `json:"rise_is_good"`
}

// Mover is a channel, product or category whose figure changed most
// against the period before.
type Mover struct {
	Dimension string `json:"dimension"` // channel, product, category
	Key       string `json:"key"`
	Label     string `json:"label"`
	Metric    string `json:"metric"` // uv, gmv or sales
	Value     int64  `json:"value"`
	Previous  int64  `json:"previous"`
}

// Change is the mover's change in basis points (false when it had none
// before).
func (m Mover) Change() (int64, bool) { return metric.ChangeBP(m.Value, m.Previous) }

// Watch is one thing to look at, with the playbook that answers it.
type Watch struct {
	Issue    string   `json:"issue"`    // traffic_drop, conversion_drop, refund_spike, gmv_drop, product_drop, all_clear
	Subject  string   `json:"subject"`  // channel or product label, "" for the shop
	Value    string   `json:"value"`    // the evidence, already formatted (a change in %)
	Playbook string   `json:"playbook"` // traffic, conversion, supply, none
	Args     []string `json:"args,omitempty"`
}

// Alert is an open anomaly alert listed in the brief.
type Alert struct {
	ID       int64  `json:"id"`
	Day      int64  `json:"day"`
	Metric   string `json:"metric"`
	Channel  string `json:"channel"`
	Severity string `json:"severity"`
	Value    int64  `json:"value"`
	Baseline int64  `json:"baseline"`
}

// Data is what a brief says.
type Data struct {
	Kind         string `json:"kind"`
	From         int64  `json:"from"`
	To           int64  `json:"to"`
	PreviousFrom int64  `json:"previous_from"`
	PreviousTo   int64  `json:"previous_to"`
	YearAgoFrom  int64  `json:"year_ago_from"`
	YearAgoTo    int64  `json:"year_ago_to"`
	// WatchFrom..WatchTo is what the watch list compared with.
	WatchFrom int64    `json:"watch_from"`
	WatchTo   int64    `json:"watch_to"`
	Currency  string   `json:"currency"`
	StoreName string   `json:"store_name"`
	Figures   []Figure `json:"figures"`
	Movers    []Mover  `json:"movers"`
	Alerts    []Alert  `json:"alerts"`
	Watch     []Watch  `json:"watch"`
}

// Brief is a stored brief.
type Brief struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	From      int64     `json:"from"`
	To        int64     `json:"to"`
	CreatedAt time.Time `json:"created_at"`
	Data      Data      `json:"data"`
}

// Period is the days a brief of kind covers when it ends on day to: that
// day, or the seven days ending on it.
func Period(kind string, to int64) (int64, int64) {
	if kind == Weekly {
		return metric.AddDays(to, -6), to
	}
	return to, to
}

// Compute works out the brief of kind ending on day to from the rollups
// (refresh them first). Year-ago periods are 364 days back, weekday for
// weekday.
func Compute(ctx context.Context, q db.Queryer, kind string, to int64, currency, storeName string) (Data, error) {
	if kind != Daily && kind != Weekly {
		return Data{}, apperr.Field("kind", "must be daily or weekly, not %q", kind)
	}
	from, to := Period(kind, to)
	d := Data{Kind: kind, From: from, To: to, Currency: currency, StoreName: storeName, Movers: []Mover{}, Alerts: []Alert{}, Watch: []Watch{}}
	d.PreviousFrom, d.PreviousTo = metric.PreviousPeriod(from, to)
	d.YearAgoFrom, d.YearAgoTo = metric.YearAgo(from, to, metric.GrainDay)
	cur, err := metric.PeriodFigures(ctx, q, from, to)
	if err != nil {
		return d, err
	}
	prev, err := metric.PeriodFigures(ctx, q, d.PreviousFrom, d.PreviousTo)
	if err != nil {
		return d, err
	}
	yago, err := metric.PeriodFigures(ctx, q, d.YearAgoFrom, d.YearAgoTo)
	if err != nil {
		return d, err
	}
	hasPrev, hasYago := prev.UV > 0 || prev.PaidOrders > 0, yago.UV > 0 || yago.PaidOrders > 0
	for _, s := range []struct {
		key, kind string
		get       func(metric.Figures) int64
		good      bool
	}{
		{"uv", KindCount, func(f metric.Figures) int64 { return f.UV }, true},
		{"pv", KindCount, func(f metric.Figures) int64 { return f.PV }, true},
		{"conversion", KindRate, func(f metric.Figures) int64 { return f.ConversionBP }, true},
		{"paid_orders", KindCount, func(f metric.Figures) int64 { return f.PaidOrders }, true},
		{"gmv", KindMoney, func(f metric.Figures) int64 { return f.GMV }, true},
		{"aov", KindMoney, func(f metric.Figures) int64 { return f.AOV }, true},
		{"net_sales", KindMoney, func(f metric.Figures) int64 { return f.NetSales }, true},
		{"refund_rate", KindRate, func(f metric.Figures) int64 { return f.RefundRateBP }, false},
		{"new_customers", KindCount, func(f metric.Figures) int64 { return f.NewCustomers }, true},
		{"gross_margin", KindRate, func(f metric.Figures) int64 { return f.GrossMarginBP }, true},
	} {
		d.Figures = append(d.Figures, Figure{Key: s.key, Kind: s.kind, Value: s.get(cur), Previous: s.get(prev), YearAgo: s.get(yago),
			HasPrev: hasPrev, HasYearAgo: hasYago, RiseIsGood: s.good})
	}
	if err := d.movers(ctx, q); err != nil {
		return d, err
	}
	if d.Alerts, err = openAlerts(ctx, q); err != nil {
		return d, err
	}
	// What to look at is judged against the same weekday a week before
	// for a daily brief (a Saturday against a Friday would flag the
	// weekly rhythm), against the week before for the weekly review.
	baseFrom, baseTo := d.PreviousFrom, d.PreviousTo
	if kind == Daily {
		baseFrom, baseTo = metric.AddDays(from, -7), metric.AddDays(to, -7)
	}
	d.WatchFrom, d.WatchTo = baseFrom, baseTo
	base, err := metric.PeriodFigures(ctx, q, baseFrom, baseTo)
	if err != nil {
		return d, err
	}
	changes, err := watchMovers(ctx, q, from, to, baseFrom, baseTo)
	if err != nil {
		return d, err
	}
	d.Watch = watchList(cur, base, base.UV > 0 || base.PaidOrders > 0, changes)
	return d, nil
}

// watchMovers is every channel's UV and every product's sales in the
// period and in the base period the watch list compares with.
func watchMovers(ctx context.Context, q db.Queryer, from, to, baseFrom, baseTo int64) ([]Mover, error) {
	cur, err := metric.ChannelGroups(ctx, q, from, to, 0)
	if err != nil {
		return nil, err
	}
	base, err := metric.ChannelGroups(ctx, q, baseFrom, baseTo, 0)
	if err != nil {
		return nil, err
	}
	var out []Mover
	now := map[string]int64{}
	for _, g := range cur {
		now[g.Key] = g.UV
	}
	for _, g := range base {
		out = append(out, Mover{Dimension: "channel", Key: g.Key, Label: g.Key, Metric: "uv", Value: now[g.Key], Previous: g.UV})
	}
	pc, err := metric.ProductGroups(ctx, q, from, to, metric.ByProduct, 10000)
	if err != nil {
		return nil, err
	}
	pb, err := metric.ProductGroups(ctx, q, baseFrom, baseTo, metric.ByProduct, 10000)
	if err != nil {
		return nil, err
	}
	sales := map[string]int64{}
	for _, g := range pc {
		sales[g.Key] = g.Sales
	}
	var drops []Mover
	for _, g := range pb {
		drops = append(drops, Mover{Dimension: metric.ByProduct, Key: g.Key, Label: g.Label, Metric: "sales", Value: sales[g.Key], Previous: g.Sales})
	}
	// The three products that lost most.
	slices.SortFunc(drops, func(a, b Mover) int {
		return cmp.Compare(a.Value-a.Previous, b.Value-b.Previous)
	})
	return append(out, drops[:min(3, len(drops))]...), nil
}

// movers finds the three channels whose UV and the three whose GMV moved
// most, and the three products and categories whose sales did, against the
// period before.
func (d *Data) movers(ctx context.Context, q db.Queryer) error {
	cur, err := metric.ChannelGroups(ctx, q, d.From, d.To, 0)
	if err != nil {
		return err
	}
	prev, err := metric.ChannelGroups(ctx, q, d.PreviousFrom, d.PreviousTo, 0)
	if err != nil {
		return err
	}
	before := map[string]metric.Group{}
	for _, g := range prev {
		before[g.Key] = g
	}
	var uv, gmv []Mover
	for _, g := range cur {
		p := before[g.Key]
		uv = append(uv, Mover{Dimension: "channel", Key: g.Key, Label: g.Key, Metric: "uv", Value: g.UV, Previous: p.UV})
		gmv = append(gmv, Mover{Dimension: "channel", Key: g.Key, Label: g.Key, Metric: "gmv", Value: g.GMV, Previous: p.GMV})
	}
	for _, g := range prev {
		if !slices.ContainsFunc(cur, func(c metric.Group) bool { return c.Key == g.Key }) {
			uv = append(uv, Mover{Dimension: "channel", Key: g.Key, Label: g.Key, Metric: "uv", Previous: g.UV})
			gmv = append(gmv, Mover{Dimension: "channel", Key: g.Key, Label: g.Key, Metric: "gmv", Previous: g.GMV})
		}
	}
	d.Movers = append(d.Movers, top(uv, 3)...)
	d.Movers = append(d.Movers, top(gmv, 3)...)
	for _, by := range []string{metric.ByCategory, metric.ByProduct} {
		cur, err := metric.ProductGroups(ctx, q, d.From, d.To, by, 10000)
		if err != nil {
			return err
		}
		prev, err := metric.ProductGroups(ctx, q, d.PreviousFrom, d.PreviousTo, by, 10000)
		if err != nil {
			return err
		}
		all := map[string]*Mover{}
		for _, g := range cur {
			all[g.Key] = &Mover{Dimension: by, Key: g.Key, Label: g.Label, Metric: "sales", Value: g.Sales}
		}
		for _, g := range prev {
			m := all[g.Key]
			if m == nil {
				m = &Mover{Dimension: by, Key: g.Key, Label: g.Label, Metric: "sales"}
				all[g.Key] = m
			}
			m.Previous = g.Sales
		}
		var ms []Mover
		for _, m := range all {
			ms = append(ms, *m)
		}
		d.Movers = append(d.Movers, top(ms, 3)...)
	}
	return nil
}

// top is the n movers with the largest absolute change, ties by key.
func top(ms []Mover, n int) []Mover {
	abs := func(m Mover) int64 {
		x := m.Value - m.Previous
		if x < 0 {
			return -x
		}
		return x
	}
	slices.SortFunc(ms, func(a, b Mover) int {
		if c := cmp.Compare(abs(b), abs(a)); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	var out []Mover
	for _, m := range ms {
		if len(out) == n || abs(m) == 0 {
			break
		}
		out = append(out, m)
	}
	return out
}

// Thresholds of what to look at, against the period before.
const (
	TrafficDropBP    = -2000 // a channel's UV 20% down
	MinChannelUV     = 50    // … when it had at least this many visitors
	ConversionDropBP = -1500 // conversion rate 15% down (relative)
	GMVDropBP        = -1500
	RefundRiseBP     = 200 // refund rate 2 points up
	ProductDropBP    = -4000
	MinProductSales  = 50000 // 500 元 before, so a one-off sale is not news
)

// watchList turns the changes into the things to look at: the seeds'
// 数据-问题-策略 loop, each with its playbook.
func watchList(cur, prev metric.Figures, hasPrev bool, movers []Mover) []Watch {
	out := []Watch{}
	if !hasPrev {
		return append(out, Watch{Issue: "no_baseline", Playbook: "none"})
	}
	pct := func(bp int64) string { return fmt.Sprintf("%+.1f%%", float64(bp)/100) }
	for _, m := range movers {
		c, ok := m.Change()
		switch {
		case !ok:
		case m.Dimension == "channel" && m.Metric == "uv" && m.Previous >= MinChannelUV && c <= TrafficDropBP:
			out = append(out, Watch{Issue: "traffic_drop", Subject: m.Key, Value: pct(c), Playbook: "traffic"})
		case m.Dimension == metric.ByProduct && m.Previous >= MinProductSales && c <= ProductDropBP:
			out = append(out, Watch{Issue: "product_drop", Subject: m.Label, Value: pct(c), Playbook: "supply"})
		}
	}
	if c, ok := metric.ChangeBP(cur.ConversionBP, prev.ConversionBP); ok && c <= ConversionDropBP {
		out = append(out, Watch{Issue: "conversion_drop", Value: pct(c), Playbook: "conversion"})
	}
	if c, ok := metric.ChangeBP(cur.GMV, prev.GMV); ok && c <= GMVDropBP {
		out = append(out, Watch{Issue: "gmv_drop", Value: pct(c), Playbook: "traffic"})
	}
	if d := cur.RefundRateBP - prev.RefundRateBP; d >= RefundRiseBP && cur.Refunds > 0 {
		out = append(out, Watch{Issue: "refund_spike", Value: fmt.Sprintf("%+.2f", float64(d)/100), Playbook: "supply"})
	}
	if len(out) == 0 {
		out = append(out, Watch{Issue: "all_clear", Playbook: "none"})
	}
	return out
}

// openAlerts lists the open and acknowledged anomaly alerts, newest first.
func openAlerts(ctx context.Context, q db.Queryer) ([]Alert, error) {
	rows, err := q.Query(ctx, `SELECT id, day, metric, channel, severity, value, baseline FROM alerts
		WHERE status <> 'resolved' ORDER BY day DESC, id DESC LIMIT 20`)
	if err != nil {
		return nil, fmt.Errorf("open alerts: %w", err)
	}
	defer rows.Close()
	out := []Alert{}
	for rows.Next() {
		var a Alert
		if err := rows.Scan(&a.ID, &a.Day, &a.Metric, &a.Channel, &a.Severity, &a.Value, &a.Baseline); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Store saves a brief (replacing one of the same kind and day) and, in
// the same transaction, emits brief.created to the webhooks that want it,
// with the brief in Markdown in both languages.
func Store(ctx context.Context, d *db.DB, data Data, now time.Time) (Brief, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return Brief{}, err
	}
	b := Brief{Kind: data.Kind, From: data.From, To: data.To, CreatedAt: now.UTC().Truncate(time.Millisecond), Data: data}
	err = d.InTx(ctx, func(tx *db.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO briefs (kind, period_from, period_to, data, created_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (kind, period_to) DO UPDATE SET period_from = excluded.period_from, data = excluded.data, created_at = excluded.created_at
			RETURNING id`, b.Kind, b.From, b.To, string(raw), now.UnixMilli()).Scan(&b.ID)
		if err != nil {
			return err
		}
		md := map[string]string{}
		for _, lang := range []string{"zh-CN", "en"} {
			if md[lang], err = Render(b, lang, FormatMarkdown); err != nil {
				return err
			}
		}
		return webhook.Emit(ctx, tx, webhook.BriefCreated, map[string]any{
			"id": b.ID, "kind": b.Kind, "from": b.From, "to": b.To, "markdown": md,
		})
	})
	if err != nil {
		return Brief{}, fmt.Errorf("store %s brief of %d: %w", data.Kind, data.To, err)
	}
	return b, nil
}

// Get reads one stored brief.
func Get(ctx context.Context, q db.Queryer, id int64) (Brief, error) {
	bs, err := list(ctx, q, "WHERE id = $1", id)
	if err != nil {
		return Brief{}, err
	}
	if len(bs) == 0 {
		return Brief{}, fmt.Errorf("brief %d: %w", id, apperr.ErrNotFound)
	}
	return bs[0], nil
}

// Find reads the stored brief of kind ending on day to.
func Find(ctx context.Context, q db.Queryer, kind string, to int64) (Brief, error) {
	bs, err := list(ctx, q, "WHERE kind = $1 AND period_to = $2", kind, to)
	if err != nil {
		return Brief{}, err
	}
	if len(bs) == 0 {
		return Brief{}, fmt.Errorf("%s brief of %d: %w", kind, to, apperr.ErrNotFound)
	}
	return bs[0], nil
}

// List is the latest stored briefs, newest period first.
func List(ctx context.Context, q db.Queryer, limit int) ([]Brief, error) {
	return list(ctx, q, "ORDER BY period_to DESC, kind LIMIT $1", limit)
}

func list(ctx context.Context, q db.Queryer, where string, args ...any) ([]Brief, error) {
	rows, err := q.Query(ctx, "SELECT id, kind, period_from, period_to, data, created_at FROM briefs "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("read briefs: %w", err)
	}
	defer rows.Close()
	out := []Brief{}
	for rows.Next() {
		var b Brief
		var raw string
		var created int64
		if err := rows.Scan(&b.ID, &b.Kind, &b.From, &b.To, &raw, &created); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(raw), &b.Data); err != nil {
			return nil, fmt.Errorf("brief %d: %w", b.ID, err)
		}
		b.CreatedAt = time.UnixMilli(created).UTC()
		out = append(out, b)
	}
	return out, rows.Err()
}

// ErrNotYet means the period has not ended yet in the store's zone.
var ErrNotYet = errors.New("the period has not ended yet")
