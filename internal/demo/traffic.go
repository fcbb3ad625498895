package demo

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/storeops/storeops/internal/db"
	evstore "github.com/storeops/storeops/internal/event"
	"github.com/storeops/storeops/internal/settings"
)

// The demo's traffic: every order of the store came out of a visit — a
// landing page, product views, add to cart, checkout start and, when it was
// paid, the purchase — and around each buying visit there are the visits
// that did not buy: bounces, browsing, carts left behind, checkouts given
// up. Visits come through the order's channel with the UTM parameters or
// referrer that the default channel rules map back to it.
//
// Non-buying visits per order, by channel: traffic that arrives with intent
// (a live room, the WeCom group) converts several times better than search
// and ads. Over the demo's mix about one visit in 11 buys.
var browsersPerOrder = [6]float64{
	chSearch:     14,
	chLive:       6,
	chShortVideo: 11,
	chCommunity:  4,
	chAds:        16,
	chDirect:     7,
}

// What a visit that does not buy does: bounce (one page), browse (product
// views, now and then a search), leave a cart, give up at checkout.
const (
	bounceShare   = 0.45
	cartShare     = 0.06
	checkoutShare = 0.02
)

// DemoVisitorPrefix starts every anonymous id the generator writes, so its
// traffic can be told from (and replaced without touching) real events.
const DemoVisitorPrefix = "demo-"

// TrafficMark is the job_marks row saying the demo traffic is complete;
// TrafficPendingMark is there while it is being written, so that the brief
// and alert job does not report on half a day's traffic.
const (
	TrafficMark        = "demo.traffic"
	TrafficPendingMark = "demo.traffic_pending"
)

const shopURL = "https://shop.huajian.example"

// StageTraffic is the progress stage of GenerateTraffic.
const StageTraffic = "traffic"

// TrafficSummary counts what GenerateTraffic wrote.
type TrafficSummary struct {
	Events, Visits, Orders int64
	Took                   time.Duration
}

type source struct{ referrer, utmSource, utmMedium, utmCampaign string }

var (
	searchReferrers = []string{"https://www.baidu.com/s?wd=", "https://m.baidu.com/s?word=", "https://www.so.com/s?q=", "https://www.sogou.com/web?query=", "https://cn.bing.com/search?q="}
	liveSources     = []string{"douyin_live", "taobao_live"}
	videoSources    = []string{"douyin", "kuaishou", "channels"}
	groupSources    = []string{"wechat_group", "xiaohongshu"}
	adSources       = []string{"baidu", "qianchuan", "gdt"}
)

// sourceFor is what a visit through channel ch carries; the default rules
// of traffic_channel_rules map each back to ch.
func sourceFor(r *rand.Rand, ch uint8, day int64, query string) source {
	switch ch {
	case chSearch:
		return source{referrer: pick(r, searchReferrers) + query}
	case chLive:
		return source{utmSource: pick(r, liveSources), utmMedium: "live", utmCampaign: "live-" + strconv.FormatInt(day, 10)}
	case chShortVideo:
		return source{utmSource: pick(r, videoSources), utmMedium: "short_video", utmCampaign: "video"}
	case chCommunity:
		return source{utmSource: pick(r, groupSources), utmMedium: "community", utmCampaign: "wecom"}
	case chAds:
		return source{utmSource: pick(r, adSources), utmMedium: "cpc", utmCampaign: "always-on"}
	}
	return source{}
}

func channelIndex(name string) uint8 {
	for i, c := range channels {
		if c == name {
			return uint8(i)
		}
	}
	return chDirect
}

// trafficGen holds what GenerateTraffic needs while it walks the orders.
type trafficGen struct {
	r        *rand.Rand
	loc      *time.Location
	cutoff   int64
	out      *chunk
	sink     *sink
	products []int64 // picked in proportion to how often they sell
	skuOf    map[int64]int64
	queries  []string
	known    []int64 // customers who have bought so far, for return visits
	seen     map[int64]bool
	seq      int64
	sum      TrafficSummary
	// mix is the orders per store day and channel, read first; day and
	// anchors are the day being written and its orders' times.
	mix     map[int64][6]int
	day     int64
	anchors []int64
}

type visitor struct {
	anon     string
	customer int64 // 0 while unknown
}

func (g *trafficGen) next() string {
	g.seq++
	return strconv.FormatInt(g.seq, 36)
}

// visit is one session: its visitor, source and clock.
type visit struct {
	g       *trafficGen
	v       visitor
	session string
	src     source
	channel string
	at      int64
}

func (g *trafficGen) newVisit(v visitor, ch uint8, at int64) *visit {
	day := settings.Day(time.UnixMilli(at), g.loc)
	g.sum.Visits++
	return &visit{g: g, v: v, session: "ds" + g.next(), src: sourceFor(g.r, ch, day, pick(g.r, g.queries)), channel: channels[ch], at: at}
}

// emit writes one event of the visit and moves its clock on.
func (s *visit) emit(typ, page string, product, sku int64, query, orderNo string, gap int64) {
	g := s.g
	if s.at >= g.cutoff {
		return
	}
	eventID := "d:" + g.next()
	if typ == "purchase" {
		eventID = "purchase:" + orderNo
	}
	day := settings.Day(time.UnixMilli(s.at), g.loc)
	at := time.UnixMilli(s.at).UTC()
	g.out.events = append(g.out.events, evstore.Event{EventID: eventID, ReceivedAt: at, At: at, Day: day, Type: typ,
		AnonymousID: s.v.anon, CustomerID: s.v.customer, SessionID: s.session, Channel: s.channel, Page: page,
		ProductID: product, SKUID: sku, SearchQuery: query, OrderNo: orderNo, Referrer: s.src.referrer,
		UTMSource: s.src.utmSource, UTMMedium: s.src.utmMedium, UTMCampaign: s.src.utmCampaign})
	g.out.rows++
	g.sum.Events++
	s.at += gap
}

func productPage(id int64) string { return shopURL + "/p/" + strconv.FormatInt(id, 10) }

// browse is product views (and now and then a search) on a visit.
func (s *visit) browse(n int) {
	g := s.g
	r := g.r
	for range n {
		if r.Float64() < 0.15 {
			q := pick(r, g.queries)
			s.emit("search", shopURL+"/search?q="+q, 0, 0, q, "", between(r, 10*second, 40*second))
		}
		p := pick(r, g.products)
		s.emit("page_view", productPage(p), 0, 0, "", "", between(r, 2*second, 5*second))
		s.emit("product_view", productPage(p), p, g.skuOf[p], "", "", between(r, 15*second, 3*minute))
	}
}

type demoOrder struct {
	no       string
	customer int64
	channel  uint8
	created  int64
	paidAt   int64 // 0 when never paid
	lines    [][2]int64
}

// buyingVisit is the visit that placed o.
func (g *trafficGen) buyingVisit(o *demoOrder) {
	r := g.r
	v := visitor{anon: DemoVisitorPrefix + "c" + strconv.FormatInt(o.customer, 36), customer: o.customer}
	if r.Float64() < 0.2 {
		v.anon += "-2" // the other device
	}
	// Steps take minutes: land, look, put in the cart, start checkout at
	// the order's creation.
	steps := 2 + 2*len(o.lines) + r.IntN(3)
	start := o.created - int64(steps)*between(r, 40*second, 3*minute)
	s := g.newVisit(v, o.channel, start)
	s.emit("page_view", shopURL+"/", 0, 0, "", "", between(r, 5*second, 60*second))
	s.browse(r.IntN(2))
	for _, l := range o.lines {
		s.emit("page_view", productPage(l[0]), 0, 0, "", "", between(r, 2*second, 5*second))
		s.emit("product_view", productPage(l[0]), l[0], l[1], "", "", between(r, 20*second, 2*minute))
		s.emit("add_to_cart", productPage(l[0]), l[0], l[1], "", "", between(r, 10*second, 60*second))
	}
	s.at = max(s.at, o.created-between(r, 5*second, 50*second))
	s.emit("checkout_start", shopURL+"/checkout", 0, 0, "", "", 0)
	if o.paidAt > 0 {
		s.at = o.paidAt
		s.emit("purchase", shopURL+"/order/"+o.no, 0, 0, "", o.no, 0)
	}
}

// browsingVisit is a visit on o's day, through o's channel, that buys
// nothing.
func (g *trafficGen) browsingVisit(ch uint8, anchor, dayStart, dayEnd int64) {
	r := g.r
	at := anchor + int64(r.NormFloat64()*float64(2*hour))
	at = min(max(at, dayStart), dayEnd-1, g.cutoff-1)
	var v visitor
	if len(g.known) > 0 && r.Float64() < 0.15 {
		c := pick(r, g.known)
		v = visitor{anon: DemoVisitorPrefix + "c" + strconv.FormatInt(c, 36), customer: c}
	} else {
		v = visitor{anon: DemoVisitorPrefix + "v" + g.next()}
	}
	s := g.newVisit(v, ch, at)
	x := r.Float64()
	switch {
	case x < bounceShare:
		s.emit("page_view", pick(r, []string{shopURL + "/", shopURL + "/c/new", shopURL + "/c/sale"}), 0, 0, "", "", 0)
	case x < 1-cartShare-checkoutShare:
		s.emit("page_view", shopURL+"/", 0, 0, "", "", between(r, 5*second, 40*second))
		s.browse(1 + poissonRand(r, 0.7))
	default:
		s.emit("page_view", shopURL+"/", 0, 0, "", "", between(r, 5*second, 40*second))
		s.browse(poissonRand(r, 1))
		p := pick(r, g.products)
		s.emit("page_view", productPage(p), 0, 0, "", "", between(r, 2*second, 5*second))
		s.emit("product_view", productPage(p), p, g.skuOf[p], "", "", between(r, 20*second, 2*minute))
		s.emit("add_to_cart", productPage(p), p, g.skuOf[p], "", "", between(r, 30*second, 4*minute))
		if x >= 1-checkoutShare {
			s.emit("checkout_start", shopURL+"/checkout", 0, 0, "", "", 0)
		}
	}
}

// GenerateTraffic writes the traffic events of the demo store that
// Generate filled: one buying visit per order and the visits around it that
// did not buy, up to now. It first removes demo traffic a stopped earlier
// run left, and marks the traffic complete in job_marks (TrafficMark) at the
// end. Events get their channel here as the default rules would give it at
// ingest, and the same Seed gives the same events.
func GenerateTraffic(ctx context.Context, d *db.DB, seed uint64, progress func(done, total int64, stage string)) (TrafficSummary, error) {
	began := time.Now()
	if seed == 0 {
		seed = 1
	}
	st, err := settings.Load(ctx, d)
	if err != nil {
		return TrafficSummary{}, err
	}
	g := &trafficGen{r: newRand(seed, streamTraffic), loc: st.Location(), cutoff: time.Now().UnixMilli(),
		out: &chunk{}, skuOf: map[int64]int64{}, seen: map[int64]bool{}}
	if _, err := d.Exec(ctx, `INSERT INTO job_marks (name, value, updated_at) VALUES ($1, 0, $2)
		ON CONFLICT (name) DO UPDATE SET updated_at = excluded.updated_at`, TrafficPendingMark, began.UnixMilli()); err != nil {
		return g.sum, err
	}
	if err := removeTraffic(ctx, d); err != nil {
		return g.sum, fmt.Errorf("remove unfinished demo traffic: %w", err)
	}
	if err := g.load(ctx, d); err != nil {
		return g.sum, err
	}
	if err := g.loadMix(ctx, d); err != nil {
		return g.sum, err
	}
	var total int64
	if err := d.QueryRow(ctx, "SELECT COUNT(*) FROM orders").Scan(&total); err != nil {
		return g.sum, err
	}
	rep := &reporter{fn: progress}
	// A presale's deposit is no purchase (docs/METRICS.md): its visit ends
	// at the checkout, as the store records no purchase event for it.
	rows, err := d.Query(ctx, `SELECT o.id, o.order_no, o.customer_id, o.channel, o.created_at,
		CASE WHEN o.presale_role = 'deposit' THEN NULL ELSE o.paid_at END, l.product_id, l.sku_id
		FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE o.created_at < $1 ORDER BY o.id, l.id`, g.cutoff)
	if err != nil {
		return g.sum, fmt.Errorf("read demo orders: %w", err)
	}
	// Rows go to the writer while orders are still read: the reader pool
	// is another connection, and SQLite's WAL lets it read meanwhile.
	s := newSink(ctx, d)
	g.sink = s
	var cur *demoOrder
	var curID int64
	finish := func() error {
		if cur == nil {
			return nil
		}
		g.order(cur)
		rep.report(g.sum.Orders, total, StageTraffic, false)
		if g.out.rows >= rowsPerTx {
			var err error
			g.out, err = s.send(g.out)
			return err
		}
		return nil
	}
	var runErr error
	for rows.Next() {
		var id int64
		var no, channel string
		var customer, paidAt sql.NullInt64
		var created, product, sku int64
		if runErr = rows.Scan(&id, &no, &customer, &channel, &created, &paidAt, &product, &sku); runErr != nil {
			break
		}
		if id != curID {
			if runErr = finish(); runErr != nil {
				break
			}
			curID = id
			cur = &demoOrder{no: no, customer: customer.Int64, channel: channelIndex(channel), created: created, paidAt: paidAt.Int64}
		}
		cur.lines = append(cur.lines, [2]int64{product, sku})
	}
	if runErr == nil {
		runErr = rows.Err()
	}
	rows.Close()
	if runErr == nil {
		runErr = finish()
	}
	if runErr == nil {
		g.browse()
	}
	if runErr == nil && g.out.rows > 0 {
		_, runErr = s.send(g.out)
	}
	if err := s.close(); err != nil && runErr == nil {
		runErr = err
	}
	if runErr != nil {
		return g.sum, fmt.Errorf("demo traffic: %w", runErr)
	}
	err = d.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO job_marks (name, value, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, TrafficMark, g.sum.Events, time.Now().UnixMilli()); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "DELETE FROM job_marks WHERE name = $1", TrafficPendingMark)
		return err
	})
	if err != nil {
		return g.sum, err
	}
	rep.report(g.sum.Orders, g.sum.Orders, StageTraffic, true)
	g.sum.Took = time.Since(began)
	return g.sum, nil
}

// removeTraffic deletes the demo's events: its batches, its purchase
// events and the logins of its visitors.
func removeTraffic(ctx context.Context, d *db.DB) error {
	return d.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM event_batches WHERE origin = $1", evstore.OriginDemo); err != nil {
			return err
		}
		for _, t := range []string{"purchase_events", "event_identities"} {
			if _, err := tx.Exec(ctx, "DELETE FROM "+t+" WHERE anonymous_id LIKE $1", DemoVisitorPrefix+"%"); err != nil {
				return err
			}
		}
		return nil
	})
}

// TrafficDone reports whether the demo traffic was completely written.
func TrafficDone(ctx context.Context, d *db.DB) (bool, error) {
	var n int64
	err := d.QueryRow(ctx, "SELECT value FROM job_marks WHERE name = $1", TrafficMark).Scan(&n)
	if db.IsNoRows(err) {
		return false, nil
	}
	return err == nil, err
}

// load reads what visits pick from: products weighted by their sales, and
// category names as search terms.
func (g *trafficGen) load(ctx context.Context, d *db.DB) error {
	rows, err := d.Query(ctx, `SELECT l.product_id, MIN(l.sku_id), COUNT(*) FROM order_lines l GROUP BY l.product_id ORDER BY l.product_id`)
	if err != nil {
		return fmt.Errorf("read demo products: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p, sku, n int64
		if err := rows.Scan(&p, &sku, &n); err != nil {
			return err
		}
		g.skuOf[p] = sku
		// Browsing is flatter than buying: the square root of the sales
		// spreads views over the long tail.
		for range 1 + int(math.Sqrt(float64(n))) {
			g.products = append(g.products, p)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	crows, err := d.Query(ctx, "SELECT name FROM categories ORDER BY id")
	if err != nil {
		return err
	}
	defer crows.Close()
	for crows.Next() {
		var n string
		if err := crows.Scan(&n); err != nil {
			return err
		}
		g.queries = append(g.queries, n)
	}
	if len(g.products) == 0 || len(g.queries) == 0 {
		return fmt.Errorf("demo traffic: the store has no orders or categories; run the demo generator first")
	}
	return crows.Err()
}

// order writes o's buying visit and notes its time for the day's
// browsing visits.
func (g *trafficGen) order(o *demoOrder) {
	g.sum.Orders++
	day := settings.Day(time.UnixMilli(o.created), g.loc)
	if day != g.day {
		g.browse()
		g.day, g.anchors = day, g.anchors[:0]
	}
	g.anchors = append(g.anchors, o.created)
	g.buyingVisit(o)
	if o.customer != 0 && o.paidAt > 0 && !g.seen[o.customer] {
		g.seen[o.customer] = true
		g.known = append(g.known, o.customer)
	}
}

// browse writes the visits of g.day that bought nothing. Their number
// follows the orders of the week around the day and its channel mix, and
// the day's own orders only by their square root: a channel's visitors
// are many and steady even when its orders are few and lumpy, and a big
// promotion lifts orders more than traffic (conversion rises), as in a
// real shop.
func (g *trafficGen) browse() {
	if len(g.anchors) == 0 {
		return
	}
	r := g.r
	t := time.UnixMilli(g.anchors[0]).In(g.loc)
	dayStart := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, g.loc).UnixMilli()
	dayEnd := time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, g.loc).UnixMilli()
	var week [6]float64
	var weekTotal, days float64
	for k := -3; k <= 3; k++ {
		m, ok := g.mix[shiftDay(g.day, k)]
		if !ok {
			continue
		}
		days++
		for ch, n := range m {
			week[ch] += float64(n)
			weekTotal += float64(n)
		}
	}
	avg := weekTotal / max(days, 1)
	level := avg * math.Sqrt(float64(len(g.anchors))/avg)
	for ch := range week {
		expect := level * week[ch] / weekTotal * browsersPerOrder[ch]
		for range poissonRand(r, expect*math.Exp(0.1*r.NormFloat64())) {
			g.browsingVisit(uint8(ch), pick(r, g.anchors), dayStart, dayEnd)
		}
	}
}

// loadMix counts the orders of each store day by channel.
func (g *trafficGen) loadMix(ctx context.Context, d *db.DB) error {
	g.mix = map[int64][6]int{}
	rows, err := d.Query(ctx, "SELECT created_at, channel FROM orders WHERE created_at < $1", g.cutoff)
	if err != nil {
		return fmt.Errorf("read demo orders: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var at int64
		var ch string
		if err := rows.Scan(&at, &ch); err != nil {
			return err
		}
		day := settings.Day(time.UnixMilli(at), g.loc)
		m := g.mix[day]
		m[channelIndex(ch)]++
		g.mix[day] = m
	}
	return rows.Err()
}

// shiftDay moves a YYYYMMDD day by n days (the metric package's
// AddDays; demo does not import it).
func shiftDay(day int64, n int) int64 {
	return settings.Day(settings.DayTime(day, time.UTC).AddDate(0, 0, n), time.UTC)
}
