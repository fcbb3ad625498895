package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/shopper"
)

// FlashSale is the flash-sale scenario.
const FlashSale = "flashsale"

// FlashConfig is a flash-sale run: Clients shoppers make Attempts checkouts
// in all (one unit each, paid at once when placed) of one SKU whose flash
// sale holds Units.
type FlashConfig struct {
	URL         string
	Token       string   // an operator API token: creates the sale
	SKU         int64    // the SKU to sell; it needs Units available
	Shoppers    []string // storefront tokens, one per client
	Units       int
	Attempts    int
	Clients     int
	PerCustomer int // the sale's limit per customer; 0: enough for the pool to sell out
}

// FlashReport is what a flash-sale run measured. Sold and Oversold come
// from the server's own count of the sale (paid units); the client counts
// are a cross-check.
type FlashReport struct {
	Scenario       string            `json:"scenario"`
	URL            string            `json:"url"`
	Units          int               `json:"units"`
	Attempts       int64             `json:"attempts"`
	Clients        int               `json:"clients"`
	Elapsed        time.Duration     `json:"elapsed_ns"`
	Sold           int64             `json:"sold"`     // units paid, by the server's count
	Oversold       int64             `json:"oversold"` // sold beyond the pool
	Placed         int64             `json:"orders_placed"`
	PaidByClients  int64             `json:"paid_by_clients"`
	Refused        int64             `json:"refused"` // 409: sold out, or the buyer's limit reached
	Errors         map[string]int64  `json:"errors_by_status"`
	ErrorSamples   map[string]string `json:"error_samples,omitempty"`
	AttemptsPerSec float64           `json:"attempts_per_sec"`
	// SoldOutAfter is when the last unit was taken; RefusedPerSec the rate
	// of the answers after that (sold out, from memory).
	SoldOutAfter  time.Duration      `json:"sold_out_after_ns"`
	RefusedPerSec float64            `json:"refused_after_sold_out_per_sec"`
	P50Ms         float64            `json:"p50_ms"`
	P99Ms         float64            `json:"p99_ms"`
	ByOperation   map[string]Latency `json:"by_operation"`
}

// Shoppers makes n customers with storefront sessions directly in the bench
// store's database: registering through HTTP costs each an argon2 hash.
func (s *Store) Shoppers(ctx context.Context, n int) ([]string, error) {
	ctx = audit.WithActor(ctx, audit.Actor{Kind: "system", Name: "bench"})
	cs := &customer.Service{DB: s.DB}
	sh := &shopper.Service{DB: s.DB, Customers: cs}
	run := newKey()[:6]
	out := make([]string, n)
	for i := range n {
		c, err := cs.Create(ctx, customer.Profile{Name: "秒杀压测 " + strconv.Itoa(i), Email: fmt.Sprintf("flash-%s-%d@bench.example", run, i)})
		if err != nil {
			return nil, fmt.Errorf("bench shopper %d: %w", i, err)
		}
		if out[i], err = sh.OpenSession(ctx, c.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// RunFlashSale creates a flash sale over the operator API and lets the
// clients race for it until the attempts are spent.
func RunFlashSale(ctx context.Context, cfg FlashConfig) (FlashReport, error) {
	base, err := CheckLoopback(cfg.URL)
	if err != nil {
		return FlashReport{}, err
	}
	if cfg.Units < 1 || cfg.Attempts < 1 || cfg.Clients < 1 || cfg.Clients > MaxClients || len(cfg.Shoppers) < cfg.Clients {
		return FlashReport{}, fmt.Errorf("flashsale: give --units ≥ 1, --attempts ≥ 1 and 1…%d --clients (with a shopper each)", MaxClients)
	}
	if cfg.PerCustomer == 0 {
		cfg.PerCustomer = (cfg.Units + cfg.Clients - 1) / cfg.Clients
	}
	r := &runner{cfg: Config{Clients: cfg.Clients}, base: strings.TrimSuffix(base.String(), "/") + "/api/v1", http: loopbackClient(cfg.Clients), sendCtx: ctx}
	setup := &clientStats{errors: map[string]int64{}, latency: map[string][]time.Duration{}}
	now := time.Now().UTC()
	var sale struct {
		ID int64 `json:"id"`
	}
	in := map[string]any{"name": "压测秒杀 " + now.Format("15:04:05"), "starts_at": now.Add(-time.Second), "ends_at": now.Add(time.Hour),
		"per_customer_limit": cfg.PerCustomer, "items": []map[string]any{{"sku_id": cfg.SKU, "flash_price": 1, "stock": cfg.Units}}}
	op := map[string]string{"Authorization": "Bearer " + cfg.Token}
	if st := r.call(ctx, setup, "create sale", "POST", "/flash-sales", op, in, &sale); st != http.StatusCreated {
		return FlashReport{}, fmt.Errorf("flashsale: create the sale: status %d %v", st, setup.samples)
	}
	shipTo := map[string]string{"recipient": "秒杀顾客", "phone": "13800138000", "province": "浙江省", "city": "杭州市", "district": "西湖区", "detail": "文三路 1 号"}
	body := map[string]any{"ship_to": shipTo, "lines": []map[string]int64{{"sku_id": cfg.SKU, "quantity": 1}}}
	var left atomic.Int64
	left.Store(int64(cfg.Attempts))
	var placed, paid, refused atomic.Int64
	ends := make([][]int64, cfg.Clients) // per client: each attempt's end, ns since start; negative when it placed an order
	stats := make([]*clientStats, cfg.Clients)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range cfg.Clients {
		st := &clientStats{errors: map[string]int64{}, latency: map[string][]time.Duration{}}
		stats[i] = st
		wg.Go(func() {
			auth := "Bearer " + cfg.Shoppers[i]
			for left.Add(-1) >= 0 && ctx.Err() == nil {
				var o struct {
					ID int64 `json:"id"`
				}
				h := map[string]string{"Authorization": auth, "Idempotency-Key": newKey()}
				status := r.call(ctx, st, "attempt", "POST", "/store/checkout", h, body, &o)
				end := int64(time.Since(start))
				if status == http.StatusCreated {
					end = -end
				}
				ends[i] = append(ends[i], end)
				switch status {
				case http.StatusCreated:
					placed.Add(1)
					var p struct {
						Status string `json:"status"`
					}
					h := map[string]string{"Authorization": auth, "Idempotency-Key": newKey()}
					if r.call(ctx, st, "pay", "POST", "/store/orders/"+strconv.FormatInt(o.ID, 10)+"/pay", h, map[string]string{}, &p) == http.StatusOK && p.Status == "succeeded" {
						paid.Add(1)
					}
				case http.StatusConflict:
					refused.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	rep := FlashReport{Scenario: FlashSale, URL: base.String(), Units: cfg.Units, Attempts: int64(cfg.Attempts), Clients: cfg.Clients,
		Elapsed: elapsed, Placed: placed.Load(), PaidByClients: paid.Load(), Errors: map[string]int64{}, ByOperation: map[string]Latency{}}
	byOp := map[string][]time.Duration{}
	for _, st := range stats {
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
		}
	}
	rep.Refused = refused.Load()
	var lastPlaced int64
	for _, es := range ends {
		for _, e := range es {
			lastPlaced = max(lastPlaced, -e)
		}
	}
	var after int64
	for _, es := range ends {
		for _, e := range es {
			if e > lastPlaced {
				after++
			}
		}
	}
	rep.SoldOutAfter = time.Duration(lastPlaced)
	if s := (elapsed - rep.SoldOutAfter).Seconds(); s > 0 {
		rep.RefusedPerSec = float64(after) / s
	}
	for op, ds := range byOp {
		rep.ByOperation[op] = Summarize(ds)
	}
	att := rep.ByOperation["attempt"]
	rep.P50Ms, rep.P99Ms = float64(att.P50.Microseconds())/1000, float64(att.P99.Microseconds())/1000
	if s := elapsed.Seconds(); s > 0 {
		rep.AttemptsPerSec = float64(cfg.Attempts) / s
	}
	var got struct {
		Items []struct {
			Stock, Sold, Paid int64
		} `json:"items"`
	}
	if st := r.call(context.WithoutCancel(ctx), setup, "read sale", "GET", "/flash-sales/"+strconv.FormatInt(sale.ID, 10), op, nil, &got); st != http.StatusOK || len(got.Items) != 1 {
		return rep, fmt.Errorf("flashsale: read the sale back: status %d", st)
	}
	rep.Sold = got.Items[0].Paid
	rep.Oversold = max(0, got.Items[0].Sold-int64(cfg.Units))
	return rep, nil
}

// PrepareFlashSale finds the SKU with the most stock and registers the
// shoppers through the storefront of the storeops at url (each
// registration costs the server an argon2 hash: a couple of seconds for a
// few dozen).
func PrepareFlashSale(ctx context.Context, url, token string, clients int) (int64, []string, error) {
	base, err := CheckLoopback(url)
	if err != nil {
		return 0, nil, err
	}
	r := &runner{cfg: Config{Scenario: Checkout, Clients: clients, Token: token}, base: strings.TrimSuffix(base.String(), "/") + "/api/v1",
		http: loopbackClient(clients), sendCtx: ctx}
	skus, err := r.findSKUs(ctx)
	if err != nil {
		return 0, nil, err
	}
	tokens := make([]string, clients)
	st := &clientStats{errors: map[string]int64{}, latency: map[string][]time.Duration{}}
	if err := r.registerAll(ctx, st, fmt.Sprintf("%06d", rand.IntN(1_000_000)), tokens); err != nil {
		return 0, nil, err
	}
	return skus[0], tokens, nil
}
