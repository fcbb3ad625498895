package metric

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/settings"
)

// Breakdowns of the indicators.
const (
	ByChannel  = "channel"
	ByCategory = "category"
	ByProduct  = "product"
)

// Group is one channel, category or product of a breakdown. ShareBP is its
// share of the shop's UV (channels) or of the period's product sales
// (categories, products).
type Group struct {
	Key     string `json:"key"`
	Label   string `json:"label"`
	ShareBP int64  `json:"share_bp"`
	Figures
}

// ChannelGroups is the indicators of each channel over days from..to:
// traffic and funnel from traffic_daily, sales from sales_channel_daily.
// A visitor who came through two channels counts in both.
func ChannelGroups(ctx context.Context, q db.Queryer, from, to int64, totalUV int64) ([]Group, error) {
	rows, err := q.Query(ctx, `SELECT channel FROM traffic_daily WHERE day BETWEEN $1 AND $2 AND channel <> ''
		UNION SELECT channel FROM sales_channel_daily WHERE day BETWEEN $1 AND $2`, from, to)
	if err != nil {
		return nil, fmt.Errorf("channels: %w", err)
	}
	var names []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return nil, err
		}
		names = append(names, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]Group, 0, len(names))
	for _, c := range names {
		f, err := trafficOf(ctx, q, from, to, c)
		if err != nil {
			return nil, err
		}
		err = q.QueryRow(ctx, `SELECT COALESCE(SUM(paid_orders), 0), COALESCE(SUM(gmv), 0), COALESCE(SUM(cogs), 0), COALESCE(SUM(refunds), 0)
			FROM sales_channel_daily WHERE day BETWEEN $1 AND $2 AND channel = $3`, from, to, c).Scan(&f.PaidOrders, &f.GMV, &f.COGS, &f.Refunds)
		if err != nil {
			return nil, fmt.Errorf("channel %s: %w", c, err)
		}
		f.finish()
		out = append(out, Group{Key: c, Label: c, ShareBP: divRound(f.UV*10000, totalUV), Figures: f})
	}
	slices.SortFunc(out, func(a, b Group) int {
		if a.UV != b.UV {
			return int(b.UV - a.UV)
		}
		return int(b.GMV - a.GMV)
	})
	return out, nil
}

// ProductGroups is the figures of each category (by = ByCategory) or the
// top `limit` products by sales (ByProduct) over days from..to, from
// product_daily: views, add-to-carts, orders, units, sales and their cost
// before refunds. A product counts in its current category.
func ProductGroups(ctx context.Context, q db.Queryer, from, to int64, by string, limit int) ([]Group, error) {
	// The calendar months the range holds whole come from product_monthly,
	// the days at its edges from product_daily.
	m1, m2, edges := split(from, to)
	parts := []string{"SELECT product_id, views, add_to_carts, orders, units, sales, cogs FROM product_monthly WHERE month BETWEEN $1 AND $2"}
	args := []any{m1, m2}
	for _, e := range edges {
		parts = append(parts, fmt.Sprintf("SELECT product_id, views, add_to_carts, orders, units, sales, cogs FROM product_daily WHERE day BETWEEN $%d AND $%d", len(args)+1, len(args)+2))
		args = append(args, e[0], e[1])
	}
	pd := "(" + strings.Join(parts, " UNION ALL ") + ") pd"
	lim := fmt.Sprintf("$%d", len(args)+1)
	var query string
	switch by {
	case ByCategory:
		query = `SELECT CAST(c.id AS TEXT), c.name, SUM(pd.views), SUM(pd.add_to_carts), SUM(pd.orders), SUM(pd.units), SUM(pd.sales), SUM(pd.cogs)
			FROM ` + pd + ` JOIN products p ON p.id = pd.product_id JOIN categories c ON c.id = p.category_id
			GROUP BY c.id, c.name ORDER BY 7 DESC, 1 LIMIT ` + lim
	case ByProduct:
		query = `SELECT CAST(p.id AS TEXT), p.title, SUM(pd.views), SUM(pd.add_to_carts), SUM(pd.orders), SUM(pd.units), SUM(pd.sales), SUM(pd.cogs)
			FROM ` + pd + ` JOIN products p ON p.id = pd.product_id
			GROUP BY p.id, p.title ORDER BY 7 DESC, 3 DESC, 1 LIMIT ` + lim
	default:
		return nil, fmt.Errorf("breakdown %q: use channel, category or product", by)
	}
	var total int64
	if err := q.QueryRow(ctx, "SELECT COALESCE(SUM(sales), 0) FROM "+pd, args...).Scan(&total); err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, query, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("%s breakdown: %w", by, err)
	}
	defer rows.Close()
	out := []Group{}
	for rows.Next() {
		var g Group
		if err := rows.Scan(&g.Key, &g.Label, &g.ProductViews, &g.AddToCarts, &g.PaidOrders, &g.Units, &g.Sales, &g.COGS); err != nil {
			return nil, err
		}
		g.ShareBP = divRound(g.Sales*10000, total)
		// Per product: orders ÷ product views is its page conversion, and
		// the margin is on sales before refunds.
		g.PageConversionBP = divRound(g.PaidOrders*10000, g.ProductViews)
		if g.Sales > 0 {
			g.GrossMarginBP = divRound((g.Sales-g.COGS)*10000, g.Sales)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// Retention is the 留存层 of a period, computed from paid orders.
type Retention struct {
	// Repurchase rate: customers with ≥ 2 paid orders in the period ÷
	// customers with ≥ 1.
	Customers        int64 `json:"customers"`
	Repeaters        int64 `json:"repeaters"`
	RepurchaseRateBP int64 `json:"repurchase_rate_bp"`
	// Churn: customers with a paid order in the LookbackDays before the
	// period and none in it ÷ those active before.
	LookbackDays int   `json:"lookback_days"`
	ActiveBefore int64 `json:"active_before"`
	Churned      int64 `json:"churned"`
	ChurnRateBP  int64 `json:"churn_rate_bp"`
	// LTV (historic): net sales (paid totals − refunds) of every paid order
	// up to the period's end ÷ customers with one, 分.
	LTV int64 `json:"ltv"`
}

// ChurnLookbackDays is the window "active before the period" looks back.
const ChurnLookbackDays = 90

// Operations is the 运营类 of a period.
type Operations struct {
	// Inventory turnover: COGS ÷ average inventory value at cost ((start +
	// end) ÷ 2), in basis points of a turn (12500 = 1.25 turns).
	InventoryStart       int64  `json:"inventory_start"`
	InventoryEnd         int64  `json:"inventory_end"`
	InventoryTurnoverBP  int64  `json:"inventory_turnover_bp"`
	Staff                int64  `json:"staff"`
	GMVPerStaff          int64  `json:"gmv_per_staff"`
	NPSNeeds             string `json:"nps_needs"`
	ServiceResponseNeeds string `json:"service_response_needs"`
}

// OperationsOf computes inventory turnover (stock ledger × current cost
// prices) and GMV per staff (operator accounts not disabled) of days
// from..to, given the period's COGS and GMV.
func OperationsOf(ctx context.Context, q db.Queryer, from, to, cogs, gmv int64) (Operations, error) {
	o := Operations{
		NPSNeeds:             "survey answers (customer service surveys are not built yet)",
		ServiceResponseNeeds: "service tickets with agent replies (not built yet)",
	}
	st, err := settings.Load(ctx, q)
	if err != nil {
		return o, err
	}
	loc := st.Location()
	valueAt := func(t time.Time) (int64, error) {
		var v int64
		err := q.QueryRow(ctx, `SELECT COALESCE(SUM(s.cost_price * COALESCE((SELECT m.on_hand_after FROM stock_movements m
			WHERE m.sku_id = s.id AND m.at < $1 ORDER BY m.at DESC, m.id DESC LIMIT 1), 0)), 0) FROM skus s`, t.UnixMilli()).Scan(&v)
		return v, err
	}
	if o.InventoryStart, err = valueAt(settings.DayTime(from, loc)); err != nil {
		return o, fmt.Errorf("inventory value: %w", err)
	}
	if o.InventoryEnd, err = valueAt(settings.DayTime(AddDays(to, 1), loc)); err != nil {
		return o, fmt.Errorf("inventory value: %w", err)
	}
	o.InventoryTurnoverBP = divRound(cogs*10000*2, o.InventoryStart+o.InventoryEnd)
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM operators WHERE NOT disabled`).Scan(&o.Staff); err != nil {
		return o, fmt.Errorf("staff: %w", err)
	}
	o.GMVPerStaff = divRound(gmv, o.Staff)
	return o, nil
}

// Report is GET /api/v1/indicators: a period's indicators, the period
// before (环比) and a year before (同比), their changes, a series by grain
// and a breakdown.
type Report struct {
	From     int64            `json:"from"`
	To       int64            `json:"to"`
	Grain    string           `json:"grain"`
	By       string           `json:"by"`
	Current  Figures          `json:"current"`
	Previous Figures          `json:"previous"`
	YearAgo  Figures          `json:"year_ago"`
	PoPBP    map[string]int64 `json:"pop_bp"` // 环比 per figure; absent when the previous value is 0
	YoYBP    map[string]int64 `json:"yoy_bp"` // 同比 per figure
	// PreviousFrom.. and YearAgoFrom.. say which days were compared.
	PreviousFrom int64      `json:"previous_from"`
	PreviousTo   int64      `json:"previous_to"`
	YearAgoFrom  int64      `json:"year_ago_from"`
	YearAgoTo    int64      `json:"year_ago_to"`
	Retention    Retention  `json:"retention"`
	Operations   Operations `json:"operations"`
	Series       []Bucket   `json:"series"`
	Groups       []Group    `json:"groups"`
}

// MaxIndicatorDays is the longest range a report covers.
const MaxIndicatorDays = 3660

// IndicatorReport builds the report of days from..to. Its parts read
// different rollups and are computed side by side, on every core and
// reader connection: one dashboard request takes the time of its longest
// part rather than of all of them.
func IndicatorReport(ctx context.Context, q db.Queryer, from, to int64, grain, by string) (Report, error) {
	r := Report{From: from, To: to, Grain: grain, By: by}
	r.PreviousFrom, r.PreviousTo = PreviousPeriod(from, to)
	r.YearAgoFrom, r.YearAgoTo = YearAgo(from, to, grain)
	r.Series = Buckets(from, to, grain)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		r.Current, err = PeriodFigures(gctx, q, from, to)
		return err
	})
	g.Go(func() (err error) {
		r.Previous, err = PeriodFigures(gctx, q, r.PreviousFrom, r.PreviousTo)
		return err
	})
	g.Go(func() (err error) {
		r.YearAgo, err = PeriodFigures(gctx, q, r.YearAgoFrom, r.YearAgoTo)
		return err
	})
	g.Go(func() (err error) {
		r.Retention, err = RetentionOf(gctx, q, from, to)
		return err
	})
	g.Go(func() error { return SeriesFigures(gctx, q, r.Series) })
	g.Go(func() (err error) {
		switch by {
		case ByChannel:
			// Shares of the period's UV are set below, once it is known.
			r.Groups, err = ChannelGroups(gctx, q, from, to, 0)
		case ByCategory, ByProduct:
			r.Groups, err = ProductGroups(gctx, q, from, to, by, 50)
		case BySegment:
			r.Groups, err = SegmentGroups(gctx, q, from, to)
		default:
			r.Groups = []Group{}
		}
		return err
	})
	if err := g.Wait(); err != nil {
		return r, err
	}
	if by == ByChannel {
		for i := range r.Groups {
			r.Groups[i].ShareBP = divRound(r.Groups[i].UV*10000, r.Current.UV)
		}
	}
	r.PoPBP, r.YoYBP = Changes(r.Current, r.Previous), Changes(r.Current, r.YearAgo)
	var err error
	r.Operations, err = OperationsOf(ctx, q, from, to, r.Current.COGS, r.Current.GMV)
	return r, err
}

// Changes is the relative change of every count and amount of cur against
// base in basis points, leaving out those whose base is 0.
func Changes(cur, base Figures) map[string]int64 {
	a, b := asMap(cur), asMap(base)
	out := map[string]int64{}
	for k, v := range a {
		if c, ok := ChangeBP(v, b[k]); ok {
			out[k] = c
		}
	}
	return out
}

func asMap(f Figures) map[string]int64 {
	raw, _ := json.Marshal(f)
	var m map[string]any
	json.Unmarshal(raw, &m)
	out := map[string]int64{}
	for k, v := range m {
		if n, ok := v.(float64); ok {
			out[k] = int64(n)
		}
	}
	return out
}

// BySegment is the breakdown by RFM segment.
const BySegment = "segment"

// SegmentGroups is the sales of days from..to by the buyer's segment in
// the latest RFM run ("unscored" for buyers the run did not score, such as
// customers newer than it, and guests): paid orders, GMV, buyers, AOV and
// the share of GMV. A segment is a property of the customer today, not of
// the day: the segment rollup (segment_daily) counts every buyer's
// purchases under their current segment and moves them when a run moves
// the buyer, so a read sums day rows; guests' orders are the day's sales
// (sales_daily) less every buyer's.
func SegmentGroups(ctx context.Context, q db.Queryer, from, to int64) ([]Group, error) {
	rows, err := q.Query(ctx, `SELECT day, segment, orders, gmv, prevs FROM segment_daily WHERE day BETWEEN $1 AND $2`, from, to)
	if err != nil {
		return nil, fmt.Errorf("segment breakdown: %w", err)
	}
	groups := map[string]*Group{}
	group := func(key string) *Group {
		if key == "" {
			key = "unscored"
		}
		g := groups[key]
		if g == nil {
			g = &Group{Key: key, Label: key}
			groups[key] = g
		}
		return g
	}
	var buyerOrders, buyerGMV int64
	for rows.Next() {
		var day, orders, gmv int64
		var seg string
		var p []byte
		if err := rows.Scan(&day, &seg, &orders, &gmv, &p); err != nil {
			rows.Close()
			return nil, fmt.Errorf("segment breakdown: %w", err)
		}
		prevs, err := decodePairs(p)
		if err != nil {
			rows.Close()
			return nil, err
		}
		g := group(seg)
		g.PaidOrders += orders
		g.GMV += gmv
		g.Buyers += orders - prevs.sum(from, day+1)
		buyerOrders += orders
		buyerGMV += gmv
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("segment breakdown: %w", err)
	}
	var allOrders, allGMV int64
	if err := q.QueryRow(ctx, `SELECT COALESCE(SUM(paid_orders), 0), COALESCE(SUM(gmv), 0) FROM sales_daily WHERE day BETWEEN $1 AND $2`, from, to).Scan(&allOrders, &allGMV); err != nil {
		return nil, fmt.Errorf("segment breakdown: %w", err)
	}
	if allOrders > buyerOrders {
		g := group("")
		g.PaidOrders += allOrders - buyerOrders
		g.GMV += allGMV - buyerGMV
	}
	out := []Group{}
	for _, g := range groups {
		if g.PaidOrders > 0 {
			out = append(out, *g)
		}
	}
	slices.SortFunc(out, func(a, b Group) int {
		if a.GMV != b.GMV {
			return cmp.Compare(b.GMV, a.GMV)
		}
		return strings.Compare(a.Key, b.Key)
	})
	for i := range out {
		out[i].AOV = divRound(out[i].GMV, out[i].PaidOrders)
		out[i].ShareBP = divRound(out[i].GMV*10000, allGMV)
	}
	return out, nil
}
