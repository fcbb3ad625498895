package bench

import (
	"bytes"
	"context"
	crypto "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Scenarios.
const (
	Checkout = "checkout" // shoppers register, fill a cart or buy now, and pay
	Browse   = "browse"   // operators list and search products and customers
	Mixed    = "mixed"    // three shoppers to one operator
)

// Limits that keep a run bounded whatever the flags say.
const (
	MaxClients  = 1024
	MaxDuration = 10 * time.Minute
	MaxRequests = 10_000_000
)

// Config is a load run.
type Config struct {
	URL      string        // the storeops to load; must be loopback
	Scenario string        // Checkout, Browse or Mixed
	Clients  int           // concurrent simulated users
	Duration time.Duration // the run stops after this long…
	Requests int           // …or after this many requests, if > 0
	Token    string        // an operator API token: browse, and finding SKUs to buy
	SKUs     []int64       // on-sale SKUs to buy; empty: found with Token
	Seed     uint64        // 0: random
}

func (c Config) validate() error {
	switch c.Scenario {
	case Checkout, Browse, Mixed:
	default:
		return fmt.Errorf("--scenario: %q is not checkout, browse or mixed", c.Scenario)
	}
	if c.Clients < 1 || c.Clients > MaxClients {
		return fmt.Errorf("--clients: %d is outside 1…%d", c.Clients, MaxClients)
	}
	if c.Duration <= 0 || c.Duration > MaxDuration {
		return fmt.Errorf("--duration: %s is outside (0, %s]", c.Duration, MaxDuration)
	}
	if c.Requests < 0 || c.Requests > MaxRequests {
		return fmt.Errorf("--requests: %d is outside 0…%d", c.Requests, MaxRequests)
	}
	if c.Scenario != Checkout && c.Token == "" {
		return fmt.Errorf("--token: the %s scenario calls the operator API; give an API token (storeops token create)", c.Scenario)
	}
	if c.Scenario != Browse && len(c.SKUs) == 0 && c.Token == "" {
		return errors.New("--token: give an API token so bench can find on-sale SKUs to buy (storeops token create --scopes products:read)")
	}
	return nil
}

// Report is what a run measured. Errors counts answers of 400 and above by
// status, and requests that got no answer as "transport".
type Report struct {
	Scenario          string             `json:"scenario"`
	URL               string             `json:"url"`
	Clients           int                `json:"clients"`
	Elapsed           time.Duration      `json:"elapsed_ns"`
	Requests          int64              `json:"requests"`
	Errors            map[string]int64   `json:"errors_by_status"`
	ErrorCount        int64              `json:"errors"`
	OrdersPlaced      int64              `json:"orders_placed"`
	OrdersPaid        int64              `json:"orders_paid"`
	OrdersPerSecond   float64            `json:"orders_per_sec"` // paid orders per second
	P50Ms             float64            `json:"p50_ms"`         // all requests
	P99Ms             float64            `json:"p99_ms"`
	RequestsPerSecond float64            `json:"requests_per_second"`
	Latency           Latency            `json:"latency"`
	ByOperation       map[string]Latency `json:"by_operation"`
	// ErrorSamples is one answer per operation and status that failed,
	// so that a run with errors says what they were.
	ErrorSamples map[string]string `json:"error_samples,omitempty"`
}

// ServerErrors counts the answers of 500 and above.
func (r Report) ServerErrors() int64 {
	var n int64
	for k, v := range r.Errors {
		if s, err := strconv.Atoi(k); err == nil && s >= 500 {
			n += v
		}
	}
	return n
}

// Run loads the server as cfg says and reports. It returns when the
// duration has passed, the requests are spent, or ctx ends.
func Run(ctx context.Context, cfg Config) (Report, error) {
	if err := cfg.validate(); err != nil {
		return Report{}, err
	}
	base, err := CheckLoopback(cfg.URL)
	if err != nil {
		return Report{}, err
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	r := &runner{cfg: cfg, base: strings.TrimRight(base.String(), "/") + "/api/v1", http: loopbackClient(cfg.Clients)}
	defer r.http.CloseIdleConnections()
	setupCtx, cancelSetup := context.WithTimeout(ctx, 3*time.Minute)
	defer cancelSetup()
	r.sendCtx = setupCtx
	if cfg.Scenario != Browse && len(cfg.SKUs) == 0 {
		if cfg.SKUs, err = r.findSKUs(setupCtx); err != nil {
			return Report{}, err
		}
		r.cfg.SKUs = cfg.SKUs
	}
	if cfg.Scenario != Checkout {
		r.words = r.searchWords(setupCtx)
	}
	// Shoppers register before the clock starts: a registration hashes a
	// password on purpose slowly (argon2id, 64 MiB), and 64 of them at once
	// would measure the hash, not the shop.
	runID := fmt.Sprintf("%06d", rand.IntN(1_000_000))
	setup := &clientStats{errors: map[string]int64{}, latency: map[string][]time.Duration{}}
	tokens := make([]string, cfg.Clients)
	if cfg.Scenario != Browse {
		if err := r.registerAll(setupCtx, setup, runID, tokens); err != nil {
			return Report{}, err
		}
	}
	r.sent.Store(0)
	// Requests run under the caller's ctx; the run's deadline only stops
	// new ones, so a request in flight at the end finishes and counts.
	r.sendCtx = ctx
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var wg sync.WaitGroup
	stats := make([]*clientStats, cfg.Clients)
	start := time.Now()
	for i := range cfg.Clients {
		st := &clientStats{errors: map[string]int64{}, latency: map[string][]time.Duration{}}
		stats[i] = st
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		wg.Go(func() {
			if tokens[i] != "" {
				r.shop(ctx, st, rng, tokens[i])
			} else {
				r.browse(ctx, st, rng)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	rep := Report{Scenario: cfg.Scenario, URL: base.String(), Clients: cfg.Clients, Elapsed: elapsed, Errors: map[string]int64{}, ByOperation: map[string]Latency{}}
	var all []time.Duration
	byOp := map[string][]time.Duration{}
	for _, st := range stats {
		rep.Requests += st.requests
		rep.OrdersPlaced += st.placed
		rep.OrdersPaid += st.paid
		for k, v := range st.errors {
			rep.Errors[k] += v
		}
		for k, v := range st.samples {
			if rep.ErrorSamples == nil {
				rep.ErrorSamples = map[string]string{}
			}
			rep.ErrorSamples[k] = v
		}
		for op, ds := range st.latency {
			byOp[op] = append(byOp[op], ds...)
			all = append(all, ds...)
		}
	}
	for op, ds := range byOp {
		rep.ByOperation[op] = Summarize(ds)
	}
	if ds := setup.latency["register"]; len(ds) > 0 {
		rep.ByOperation["register (setup)"] = Summarize(ds)
	}
	rep.Latency = Summarize(all)
	rep.P50Ms = float64(rep.Latency.P50.Microseconds()) / 1000
	rep.P99Ms = float64(rep.Latency.P99.Microseconds()) / 1000
	for _, n := range rep.Errors {
		rep.ErrorCount += n
	}
	if s := elapsed.Seconds(); s > 0 {
		rep.OrdersPerSecond = float64(rep.OrdersPaid) / s
		rep.RequestsPerSecond = float64(rep.Requests) / s
	}
	return rep, nil
}

type runner struct {
	cfg     Config
	base    string
	http    *http.Client
	sent    atomic.Int64
	spent   atomic.Bool // the request budget is used up
	sendCtx context.Context
	words   []string
}

type clientStats struct {
	requests     int64
	placed, paid int64
	errors       map[string]int64
	samples      map[string]string // "op status" → an answer's body
	latency      map[string][]time.Duration
}

// loopbackClient refuses, at connect time, any address that is not
// loopback, so neither a DNS answer nor a redirect can send load elsewhere.
func loopbackClient(clients int) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second, Control: func(network, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			return fmt.Errorf("connect to %s: %w", address, ErrNotLoopback)
		}
		return nil
	}}
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConns: clients + 8, MaxIdleConnsPerHost: clients + 8,
			IdleConnTimeout: 30 * time.Second},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// call sends one request and records it under op. It returns the status
// (0: no answer, or the run is over) and decodes a 2xx body into out.
func (r *runner) call(ctx context.Context, st *clientStats, op, method, path string, headers map[string]string, body, out any) int {
	if !r.live(ctx) {
		return 0
	}
	if r.cfg.Requests > 0 && r.sent.Add(1) > int64(r.cfg.Requests) {
		// Requests in flight finish and count; only new ones stop.
		r.spent.Store(true)
		return 0
	}
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(r.sendCtx, method, r.base+path, rd)
	if err != nil {
		return 0
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	start := time.Now()
	res, err := r.http.Do(req)
	if err != nil {
		if r.sendCtx.Err() == nil {
			st.requests++
			st.errors["transport"]++
		}
		return 0
	}
	defer res.Body.Close()
	if out != nil && res.StatusCode < 300 {
		err = json.NewDecoder(res.Body).Decode(out)
	} else if k := op + " " + strconv.Itoa(res.StatusCode); res.StatusCode >= 400 && st.samples[k] == "" {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 400))
		if st.samples == nil {
			st.samples = map[string]string{}
		}
		st.samples[k] = string(b)
	} else {
		_, err = io.Copy(io.Discard, res.Body)
	}
	if err != nil && r.sendCtx.Err() != nil {
		return 0 // cut off by the caller: not a measurement
	}
	st.requests++
	st.latency[op] = append(st.latency[op], time.Since(start))
	if res.StatusCode >= 400 {
		st.errors[strconv.Itoa(res.StatusCode)]++
	}
	return res.StatusCode
}

func (r *runner) live(ctx context.Context) bool { return ctx.Err() == nil && !r.spent.Load() }

func newKey() string {
	var b [16]byte
	crypto.Read(b[:])
	return hex.EncodeToString(b[:])
}

// isShopper says which clients shop: all in checkout, three in four in
// mixed.
func isShopper(scenario string, i int) bool {
	return scenario == Checkout || (scenario == Mixed && i%4 != 3)
}

// registerAll registers the shoppers, a couple at a time, and fills their
// storefront tokens.
func (r *runner) registerAll(ctx context.Context, st *clientStats, runID string, tokens []string) error {
	budget := r.cfg.Requests
	r.cfg.Requests = 0
	defer func() { r.cfg.Requests = budget }()
	var mu sync.Mutex
	var wg sync.WaitGroup
	var failed error
	next := make(chan int)
	for range 2 {
		wg.Go(func() {
			mine := &clientStats{errors: map[string]int64{}, latency: map[string][]time.Duration{}}
			for i := range next {
				tok, err := r.register(ctx, mine, runID, i)
				mu.Lock()
				tokens[i] = tok
				if err != nil && failed == nil {
					failed = err
				}
				mu.Unlock()
			}
			mu.Lock()
			st.latency["register"] = append(st.latency["register"], mine.latency["register"]...)
			mu.Unlock()
		})
	}
	for i := range tokens {
		if isShopper(r.cfg.Scenario, i) {
			next <- i
		}
	}
	close(next)
	wg.Wait()
	return failed
}

// register signs up shopper i with a phone number unique to the run (a
// collision with an earlier run's shopper tries another number).
func (r *runner) register(ctx context.Context, st *clientStats, runID string, i int) (string, error) {
	var session struct {
		Token string `json:"token"`
	}
	status := 0
	for attempt := 0; attempt < 5; attempt++ {
		if ctx.Err() != nil {
			return "", fmt.Errorf("register shopper %d: %w", i, ctx.Err())
		}
		phone := fmt.Sprintf("19%s%03d", runID, (i+attempt*97)%1000)
		in := map[string]string{"name": "压测顾客 " + strconv.Itoa(i), "phone": phone, "password": "bench-" + runID}
		if status = r.call(ctx, st, "register", "POST", "/store/register", nil, in, &session); status == http.StatusCreated {
			return session.Token, nil
		}
		if status != http.StatusConflict {
			break
		}
	}
	return "", fmt.Errorf("register shopper %d at %s/store/register: status %d (0: no answer)", i, r.base, status)
}

// shop is one simulated shopper buying and paying until the run ends. Half
// the orders go through the cart, half are bought now.
func (r *runner) shop(ctx context.Context, st *clientStats, rng *rand.Rand, token string) {
	auth := map[string]string{"Authorization": "Bearer " + token}
	shipTo := map[string]string{"recipient": "压测顾客", "phone": "13800138000", "province": "浙江省", "city": "杭州市",
		"district": "西湖区", "detail": "文三路 1 号"}
	for r.live(ctx) {
		n := 1 + rng.IntN(3)
		lines := make([]map[string]int64, 0, n)
		seen := map[int64]bool{}
		for len(lines) < n && len(seen) < len(r.cfg.SKUs) {
			sku := r.cfg.SKUs[rng.IntN(len(r.cfg.SKUs))]
			if !seen[sku] {
				seen[sku] = true
				lines = append(lines, map[string]int64{"sku_id": sku, "quantity": 1})
			}
		}
		body := map[string]any{"ship_to": shipTo, "channel": "direct"}
		if rng.IntN(2) == 0 {
			ok := true
			for _, l := range lines {
				if r.call(ctx, st, "cart_add", "POST", "/store/cart/items", auth, l, nil) != http.StatusOK {
					ok = false
					break
				}
			}
			if !ok {
				continue
			}
		} else {
			body["lines"] = lines
		}
		var o struct {
			ID int64 `json:"id"`
		}
		h := map[string]string{"Authorization": auth["Authorization"], "Idempotency-Key": newKey()}
		if r.call(ctx, st, "checkout", "POST", "/store/checkout", h, body, &o) != http.StatusCreated {
			continue
		}
		st.placed++
		var p struct {
			Status string `json:"status"`
		}
		h["Idempotency-Key"] = newKey()
		if r.call(ctx, st, "pay", "POST", "/store/orders/"+strconv.FormatInt(o.ID, 10)+"/pay", h, map[string]string{"outcome": "succeed"}, &p) == http.StatusOK &&
			p.Status == "succeeded" {
			st.paid++
		}
	}
}

// browse is one operator at the console's API: product lists and
// searches, customer lists and searches.
func (r *runner) browse(ctx context.Context, st *clientStats, rng *rand.Rand) {
	auth := map[string]string{"Authorization": "Bearer " + r.cfg.Token}
	for r.live(ctx) {
		var op, path string
		switch rng.IntN(4) {
		case 0:
			op, path = "products", "/products?limit=20"
		case 1:
			op, path = "product_search", "/products?limit=20&q="+url.QueryEscape(r.words[rng.IntN(len(r.words))])
		case 2:
			op, path = "customers", "/customers?limit=20"
		default:
			op, path = "customer_search", "/customers?limit=20&q=1"+strconv.Itoa(3+rng.IntN(7))
		}
		r.call(ctx, st, op, "GET", path, auth, nil, nil)
	}
}

type productPage struct {
	Items []struct {
		Title string `json:"title"`
		SKUs  []struct {
			ID        int64 `json:"id"`
			Available int64 `json:"available"`
		} `json:"skus"`
	} `json:"items"`
	NextCursor string `json:"next_cursor"`
}

func (r *runner) products(ctx context.Context) (productPage, error) {
	var p productPage
	st := &clientStats{errors: map[string]int64{}, latency: map[string][]time.Duration{}}
	status := r.call(ctx, st, "setup", "GET", "/products?status=on_sale&limit=200", map[string]string{"Authorization": "Bearer " + r.cfg.Token}, nil, &p)
	r.sent.Store(0)
	if status != http.StatusOK {
		return p, fmt.Errorf("list on-sale products at %s: status %d (is the server up, and is --token an API token with products:read?)", r.base, status)
	}
	return p, nil
}

// findSKUs picks the on-sale SKUs with the most stock available, so the run
// measures orders rather than sold-out answers.
func (r *runner) findSKUs(ctx context.Context) ([]int64, error) {
	p, err := r.products(ctx)
	if err != nil {
		return nil, err
	}
	type sku struct{ id, avail int64 }
	var all []sku
	for _, it := range p.Items {
		for _, s := range it.SKUs {
			if s.Available > 0 {
				all = append(all, sku{s.ID, s.Available})
			}
		}
	}
	if len(all) == 0 {
		return nil, errors.New("the store has no on-sale SKU with stock available to buy")
	}
	sort.Slice(all, func(i, j int) bool { return all[i].avail > all[j].avail })
	out := make([]int64, 0, 50)
	for _, s := range all[:min(50, len(all))] {
		out = append(out, s.id)
	}
	return out, nil
}

// searchWords are the first two characters of product titles: words the
// search is sure to find.
func (r *runner) searchWords(ctx context.Context) []string {
	words := []string{"连衣裙", "T恤"}
	if p, err := r.products(ctx); err == nil {
		for _, it := range p.Items {
			if rs := []rune(it.Title); len(rs) >= 2 {
				words = append(words, string(rs[:2]))
			}
		}
	}
	return words
}
