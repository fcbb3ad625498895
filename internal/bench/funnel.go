package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/event"
	"github.com/storeops/storeops/internal/metric"
	"github.com/storeops/storeops/internal/settings"
)

// Funnel is the scenario that builds a store of raw traffic events and
// times the conversion funnel counted straight from them.
const Funnel = "funnel"

// FunnelConfig sizes the event store the funnel bench builds.
type FunnelConfig struct {
	Events   int
	Visitors int
	Days     int
	Runs     int    // funnel counts timed; the report gives each
	Dir      string // where the SQLite file goes; "": a temporary folder, removed after
	// Profile, when set, is started before the first timed funnel count
	// and stopped after the last: the CPU profile of the counts alone.
	Profile func() (stop func(), err error)
	Log     func(format string, args ...any)
}

// FunnelReport is what the funnel bench measured.
type FunnelReport struct {
	Events          int64             `json:"events" doc:"events stored"`
	Visitors        int               `json:"visitors" doc:"distinct anonymous visitors"`
	Customers       int               `json:"customers" doc:"visitors who log in on some visits (their logins are joined)"`
	Days            int               `json:"days"`
	Batches         int64             `json:"batches" doc:"event_batches rows"`
	StoredBytes     int64             `json:"stored_bytes" doc:"compressed size of the batches"`
	GenerateSeconds float64           `json:"generate_seconds" doc:"making, compressing and writing the events"`
	FunnelSeconds   []float64         `json:"funnel_seconds" doc:"each timed count of the whole period's funnel (every channel)"`
	FunnelCPU       []float64         `json:"funnel_cpu_seconds" doc:"the CPU time (all cores) of each of those counts"`
	ChannelSeconds  float64           `json:"channel_seconds" doc:"the same for one channel (live)"`
	RollupSeconds   float64           `json:"rollup_seconds" doc:"the indicator rollup's first refresh: every day's traffic, funnel and UV from the batches"`
	RefreshSeconds  float64           `json:"refresh_seconds" doc:"a refresh after one more chunk of the last day's events arrived (the minute job)"`
	DashboardMillis float64           `json:"dashboard_ms" doc:"the period's funnel as the dashboard reads it, from the rollup"`
	CPUs            int               `json:"cpus"`
	Funnel          event.FunnelSteps `json:"funnel"`
}

// RunFunnel generates a SQLite store of cfg.Events traffic events from
// cfg.Visitors visitors over cfg.Days days and times event.Funnel over all
// of them.
func RunFunnel(ctx context.Context, cfg FunnelConfig) (FunnelReport, error) {
	rep := FunnelReport{Days: cfg.Days, Visitors: cfg.Visitors, CPUs: runtime.GOMAXPROCS(0)}
	if cfg.Visitors == 0 {
		cfg.Visitors = max(cfg.Events/20, 1)
		rep.Visitors = cfg.Visitors
	}
	if cfg.Events < 1 || cfg.Visitors < 1 || cfg.Days < 1 || cfg.Visitors > cfg.Events {
		return rep, errors.New("--events, --visitors and --days must be at least 1, and --visitors at most --events")
	}
	if cfg.Runs < 1 {
		cfg.Runs = 3
	}
	if cfg.Log == nil {
		cfg.Log = func(string, ...any) {}
	}
	d, done, err := scratchStore(ctx, cfg.Dir, "funnel.db")
	if err != nil {
		return rep, err
	}
	defer done()
	st, err := settings.Load(ctx, d)
	if err != nil {
		return rep, err
	}
	loc := st.Location()
	cfg.Log("bench: generating %d events from %d visitors over %d days…", cfg.Events, cfg.Visitors, cfg.Days)
	began := time.Now()
	g := newVisitGen(cfg, loc)
	if err := g.write(ctx, d); err != nil {
		return rep, err
	}
	rep.GenerateSeconds = time.Since(began).Seconds()
	rep.Events, rep.Customers = g.events, g.customers
	if err := d.QueryRow(ctx, "SELECT COUNT(*), COALESCE(SUM(LENGTH(data)), 0) FROM event_batches").Scan(&rep.Batches, &rep.StoredBytes); err != nil {
		return rep, err
	}
	from, to := g.firstDay, g.lastDay
	stopProfile := func() {}
	if cfg.Profile != nil {
		if stopProfile, err = cfg.Profile(); err != nil {
			return rep, err
		}
	}
	for i := range cfg.Runs {
		cfg.Log("bench: funnel %d of %d…", i+1, cfg.Runs)
		t, cpu := time.Now(), processCPU()
		f, err := event.Funnel(ctx, d, from, to, "")
		if err != nil {
			return rep, err
		}
		rep.FunnelSeconds = append(rep.FunnelSeconds, time.Since(t).Seconds())
		rep.FunnelCPU = append(rep.FunnelCPU, (processCPU() - cpu).Seconds())
		rep.Funnel = f
	}
	stopProfile()
	t := time.Now()
	if _, err := event.Funnel(ctx, d, from, to, event.ChannelLive); err != nil {
		return rep, err
	}
	rep.ChannelSeconds = time.Since(t).Seconds()

	// What the dashboard does: the rollup keeps each day's funnel, the
	// minute job recomputes the days that got events, a page sums days.
	cfg.Log("bench: indicator rollup of every day…")
	rollup := &metric.IndicatorRollup{DB: d}
	t = time.Now()
	if _, err := rollup.Refresh(ctx); err != nil {
		return rep, err
	}
	rep.RollupSeconds = time.Since(t).Seconds()
	more := g.visits(to, settings.DayTime(to, loc).Add(23*time.Hour), 20000, 30*time.Minute)
	p, err := event.Prepare(event.OriginCollect, more, time.Now())
	if err != nil {
		return rep, err
	}
	if err := d.InTx(ctx, func(tx *db.Tx) error { return p.Write(ctx, tx) }); err != nil {
		return rep, err
	}
	t = time.Now()
	if _, err := rollup.Refresh(ctx); err != nil {
		return rep, err
	}
	rep.RefreshSeconds = time.Since(t).Seconds()
	t = time.Now()
	fig, err := metric.PeriodFigures(ctx, d, from, to)
	if err != nil {
		return rep, err
	}
	rep.DashboardMillis = float64(time.Since(t).Microseconds()) / 1000
	raw, err := event.Funnel(ctx, d, from, to, "")
	if err != nil {
		return rep, err
	}
	if got := (event.FunnelSteps{View: fig.FunnelView, Cart: fig.FunnelCart, Checkout: fig.FunnelCheckout, Paid: fig.FunnelPaid}); got != raw {
		return rep, fmt.Errorf("the rollup's funnel %+v differs from the events' %+v", got, raw)
	}
	return rep, nil
}

// visitGen makes the bench's visits: each a landing page view, one to
// four product pages (a page view and a product view each), and a share
// that add to cart, start checkout and pay, through one of the channels,
// by visitors drawn from cfg.Visitors (one in ten of them a customer who
// logs in on half their visits). Visits of a day come in time order, as
// the collector would store them.
type visitGen struct {
	cfg                        FunnelConfig
	loc                        *time.Location
	r                          *rand.Rand
	anons                      []string
	events                     int64
	customers                  int
	firstDay, lastDay          int64
	seq                        int64
	pages                      []string
	start                      time.Time
	channels, sources, mediums []string
}

func newVisitGen(cfg FunnelConfig, loc *time.Location) *visitGen {
	g := &visitGen{cfg: cfg, loc: loc, r: rand.New(rand.NewPCG(5, 0x5eed))}
	g.anons = make([]string, cfg.Visitors)
	for i := range g.anons {
		// the snippet's ids: 22 characters of base-36 randomness
		g.anons[i] = strconv.FormatUint(g.r.Uint64(), 36) + strconv.FormatUint(g.r.Uint64()>>20, 36)
		if i%10 == 0 {
			g.customers++
		}
	}
	for p := range 500 {
		g.pages = append(g.pages, "https://shop.example/p/"+strconv.Itoa(1000+p))
	}
	g.channels = []string{event.ChannelSearch, event.ChannelLive, event.ChannelShortVideo, event.ChannelCommunity, event.ChannelAds, event.ChannelDirect}
	g.sources = []string{"", "douyin_live", "douyin", "wechat_group", "baidu", ""}
	g.mediums = []string{"", "live", "short_video", "community", "cpc", ""}
	end := settings.DayTime(settings.Day(time.Now(), loc), loc)
	g.start = end.AddDate(0, 0, -cfg.Days)
	return g
}

// write generates the days one after another, each in chunks of about
// 20,000 events, compressing a chunk while the last one is written.
func (g *visitGen) write(ctx context.Context, d *db.DB) error {
	perDay := g.cfg.Events / g.cfg.Days
	todo := make(chan *event.Prepared, 2)
	done := make(chan error, 1)
	go func() {
		var err error
		for p := range todo {
			if err == nil {
				err = d.InTx(ctx, func(tx *db.Tx) error { return p.Write(ctx, tx) })
			}
		}
		done <- err
	}()
	var genErr error
	for day := range g.cfg.Days {
		n := perDay
		if day == g.cfg.Days-1 {
			n = g.cfg.Events - perDay*(g.cfg.Days-1)
		}
		dayStart := g.start.AddDate(0, 0, day)
		dayNo := settings.Day(dayStart, g.loc)
		if g.firstDay == 0 {
			g.firstDay = dayNo
		}
		g.lastDay = dayNo
		// visit start times spread over the day, in order
		for made := 0; made < n; {
			at := dayStart.Add(time.Duration(int64(made) * int64(24*time.Hour-time.Hour) / int64(n)))
			k := min(20000, n-made)
			chunk := g.visits(dayNo, at, k, time.Duration(int64(k)*int64(23*time.Hour)/int64(n)))
			made += len(chunk)
			p, err := event.Prepare(event.OriginCollect, chunk, time.Now())
			if err != nil {
				genErr = err
				break
			}
			todo <- p
			g.events += int64(len(chunk))
		}
		if genErr != nil {
			break
		}
		if day%10 == 9 {
			g.cfg.Log("bench: %d of %d days written", day+1, g.cfg.Days)
		}
	}
	close(todo)
	if err := <-done; err != nil {
		return fmt.Errorf("write the bench's events: %w", err)
	}
	return genErr
}

// visits makes n events of visits on day, starting from at on over span.
func (g *visitGen) visits(day int64, at time.Time, n int, span time.Duration) []event.Event {
	out := make([]event.Event, 0, n)
	for len(out) < n {
		v := g.visit(day, at, n-len(out))
		out = append(out, v...)
		at = at.Add(span * time.Duration(len(v)) / time.Duration(n))
	}
	return out
}

// visit makes one visit of at most left events.
func (g *visitGen) visit(day int64, at time.Time, left int) []event.Event {
	r := g.r
	v := r.IntN(len(g.anons))
	var customer int64
	if v%10 == 0 && r.IntN(2) == 0 {
		customer = int64(v + 1)
	}
	ch := r.IntN(len(g.channels))
	g.seq++
	session := "s" + strconv.FormatInt(g.seq, 36)
	var out []event.Event
	emit := func(typ, page string, product int64, orderNo string) {
		if len(out) >= left {
			return
		}
		g.seq++
		e := event.Event{EventID: "c:" + strconv.FormatInt(g.seq, 36), ReceivedAt: at, At: at, Day: day, Type: typ,
			AnonymousID: g.anons[v], CustomerID: customer, SessionID: session, Channel: g.channels[ch], Page: page,
			ProductID: product, OrderNo: orderNo, UTMSource: g.sources[ch], UTMMedium: g.mediums[ch]}
		if orderNo != "" {
			e.EventID = event.PurchaseEventID(orderNo)
		}
		out = append(out, e)
		at = at.Add(time.Duration(5+r.IntN(90)) * time.Second)
	}
	emit(event.PageView, "https://shop.example/", 0, "")
	views := 1 + r.IntN(4)
	var product int64
	for range views {
		p := r.IntN(len(g.pages))
		product = int64(1000 + p)
		emit(event.PageView, g.pages[p], 0, "")
		emit(event.ProductView, g.pages[p], product, "")
	}
	if r.Float64() < 0.25 {
		emit(event.AddToCart, g.pages[product-1000], product, "")
		if r.Float64() < 0.4 {
			emit(event.CheckoutStart, "https://shop.example/checkout", 0, "")
			if r.Float64() < 0.6 {
				emit(event.Purchase, "https://shop.example/order", 0, "B"+strconv.FormatInt(g.seq, 36))
			}
		}
	}
	return out
}
