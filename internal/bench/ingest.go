package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Ingest is the event-collection scenario: clients post batches of traffic
// events to /collect as the shop's pages (or a platform connector) do.
const Ingest = "ingest"

// IngestConfig is an ingest run: Clients send Events in all, Batch a
// request.
type IngestConfig struct {
	URL     string
	Events  int
	Batch   int
	Clients int
	// Stored counts the run's events in the store (their ids start with
	// "c:" + run + "-"); nil when bench cannot see the store (--url), and
	// then only acceptance is measured.
	Stored func(ctx context.Context, run string) (int64, error)
	// Drain stops the served store cleanly (its collector writes what is
	// queued) before the stored events are counted; nil with --url.
	Drain func() error
}

// IngestReport is what an ingest run measured. EventsPerSecond is the
// events stored (with --url: accepted) over the time from the first request
// until the last of them was stored.
type IngestReport struct {
	Scenario        string        `json:"scenario"`
	URL             string        `json:"url"`
	Clients         int           `json:"clients"`
	Batch           int           `json:"batch"`
	Events          int64         `json:"events"`          // sent and answered 204
	Requests        int64         `json:"requests"`        // including those sent again
	Retried         int64         `json:"retried"`         // requests refused with 503 (queue full) and sent again
	Stored          int64         `json:"stored"`          // -1: not known (--url)
	Lost            int64         `json:"lost"`            // accepted but not stored; -1: not known
	Elapsed         time.Duration `json:"elapsed_ns"`      // first request to the last event stored
	SendElapsed     time.Duration `json:"send_elapsed_ns"` // first request to the last answer
	EventsPerSecond float64       `json:"events_per_sec"`
	// CPU the whole process used over Elapsed — with --self the server,
	// its writer and the load generator together — per event counted.
	CPUMicrosPerEvent float64           `json:"cpu_us_per_event"`
	Errors            map[string]int64  `json:"errors_by_status"`
	ErrorSamples      map[string]string `json:"error_samples,omitempty"`
	Latency           Latency           `json:"latency"`
}

func (c IngestConfig) validate() error {
	if c.Events < 1 || c.Events > MaxRequests*10 {
		return fmt.Errorf("--events: %d is outside 1…%d", c.Events, MaxRequests*10)
	}
	if c.Batch < 1 || c.Batch > 100 {
		return fmt.Errorf("--batch: %d is outside 1…100 (the most /collect takes in one request)", c.Batch)
	}
	if c.Clients < 1 || c.Clients > MaxClients {
		return fmt.Errorf("--clients: %d is outside 1…%d", c.Clients, MaxClients)
	}
	return nil
}

// ingestUA is a browser's: /collect drops robots' events.
const ingestUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"

// RunIngest sends the events and, when it can see the store, waits until
// they are stored and checks that none was lost.
func RunIngest(ctx context.Context, cfg IngestConfig) (IngestReport, error) {
	rep := IngestReport{Scenario: Ingest, URL: cfg.URL, Clients: cfg.Clients, Batch: cfg.Batch, Stored: -1, Lost: -1, Errors: map[string]int64{}}
	if err := cfg.validate(); err != nil {
		return rep, err
	}
	base, err := CheckLoopback(cfg.URL)
	if err != nil {
		return rep, err
	}
	target := strings.TrimRight(base.String(), "/") + "/collect"
	client := loopbackClient(cfg.Clients)
	defer client.CloseIdleConnections()
	run := newKey()[:8]
	var next atomic.Int64 // the next batch to send
	batches := int64((cfg.Events + cfg.Batch - 1) / cfg.Batch)
	type stats struct {
		events, requests, retried int64
		errors                    map[string]int64
		samples                   map[string]string
		latency                   []time.Duration
	}
	all := make([]stats, cfg.Clients)
	start, cpu0 := time.Now(), processCPU()
	var wg sync.WaitGroup
	for i := range cfg.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := &all[i]
			st.errors = map[string]int64{}
			rng := rand.New(rand.NewPCG(uint64(i), uint64(start.UnixNano())))
			var body []byte
			for ctx.Err() == nil {
				k := next.Add(1) - 1
				if k >= batches {
					return
				}
				n := min(cfg.Batch, cfg.Events-int(k)*cfg.Batch)
				body = ingestBody(body[:0], rng, run, k, n, start)
				for ctx.Err() == nil {
					t0 := time.Now()
					status, sample := postEvents(ctx, client, target, body)
					st.requests++
					st.latency = append(st.latency, time.Since(t0))
					if status == http.StatusNoContent {
						st.events += int64(n)
						break
					}
					if status == http.StatusServiceUnavailable {
						// The queue is full: send the same batch again
						// shortly, as a connector would (event ids make
						// it safe).
						st.retried++
						time.Sleep(20 * time.Millisecond)
						continue
					}
					key := strconv.Itoa(status)
					if status == 0 {
						key = "transport"
					}
					st.errors[key]++
					if st.samples == nil {
						st.samples = map[string]string{}
					}
					if st.samples[key] == "" {
						st.samples[key] = sample
					}
					break
				}
			}
		}()
	}
	wg.Wait()
	rep.SendElapsed = time.Since(start)
	var lat []time.Duration
	for _, st := range all {
		rep.Events += st.events
		rep.Requests += st.requests
		rep.Retried += st.retried
		lat = append(lat, st.latency...)
		for k, v := range st.errors {
			rep.Errors[k] += v
		}
		for k, v := range st.samples {
			if rep.ErrorSamples == nil {
				rep.ErrorSamples = map[string]string{}
			}
			rep.ErrorSamples[k] = v
		}
	}
	rep.Latency = Summarize(lat)
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	rep.Elapsed = rep.SendElapsed
	counted := rep.Events
	if cfg.Drain != nil && cfg.Stored != nil {
		// A clean shutdown writes what the collector holds; the run ends
		// when the last accepted event is stored.
		if err := cfg.Drain(); err != nil {
			return rep, fmt.Errorf("stop the store: %w", err)
		}
		rep.Elapsed = time.Since(start)
		if rep.Stored, err = cfg.Stored(ctx, run); err != nil {
			return rep, err
		}
		rep.Lost = rep.Events - rep.Stored
		counted = rep.Stored
	}
	rep.EventsPerSecond = float64(counted) / rep.Elapsed.Seconds()
	if counted > 0 {
		rep.CPUMicrosPerEvent = float64((processCPU() - cpu0).Microseconds()) / float64(counted)
	}
	return rep, nil
}

// postEvents sends one batch; status 0 is no answer.
func postEvents(ctx context.Context, client *http.Client, target string, body []byte) (int, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8") // as sendBeacon sends it
	req.Header.Set("User-Agent", ingestUA)
	res, err := client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 400))
	return res.StatusCode, string(b)
}

// The traffic a batch carries: what a shop's pages send, mostly page and
// product views from a hundred thousand visitors arriving through the
// usual channels.
var (
	ingestTypes   = []string{"page_view", "page_view", "page_view", "page_view", "page_view", "page_view", "product_view", "product_view", "product_view", "search", "add_to_cart", "checkout_start"}
	ingestSources = []struct{ source, medium string }{{"douyin", "live"}, {"douyin", "short_video"}, {"baidu", "cpc"}, {"wechat", "social"}, {"xiaohongshu", "social"}, {"", ""}, {"", ""}}
	ingestQueries = []string{"连衣裙", "防晒霜", "运动鞋", "蓝牙耳机", "婴儿湿巾", "茶叶"}
)

// ingestBody appends batch k of run as {"events":[…]} to b, as the
// snippet sends it: each event with its own id, so a batch sent again is
// stored once.
func ingestBody(b []byte, rng *rand.Rand, run string, k int64, n int, start time.Time) []byte {
	at := start.UnixMilli()
	b = append(b, `{"events":[`...)
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		visitor := rng.IntN(100_000)
		typ := ingestTypes[rng.IntN(len(ingestTypes))]
		src := ingestSources[visitor%len(ingestSources)]
		b = append(b, `{"id":"`...)
		b = append(b, run...)
		b = append(b, '-')
		b = strconv.AppendInt(b, k, 36)
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, `","type":"`...)
		b = append(b, typ...)
		b = append(b, `","at":`...)
		b = strconv.AppendInt(b, at+int64(rng.IntN(1000)), 10)
		b = append(b, `,"anonymous_id":"a`...)
		b = strconv.AppendInt(b, int64(visitor), 36)
		b = append(b, `","session_id":"s`...)
		b = strconv.AppendInt(b, int64(visitor), 36)
		b = append(b, `","page":"https://shop.example/`...)
		product := 1 + rng.IntN(500)
		switch typ {
		case "page_view":
			b = append(b, `"`...)
		case "search":
			q := ingestQueries[rng.IntN(len(ingestQueries))]
			b = append(b, `search","query":"`...)
			b = append(b, q...)
			b = append(b, '"')
		default:
			b = append(b, `p/`...)
			b = strconv.AppendInt(b, int64(product), 10)
			b = append(b, `","product_id":`...)
			b = strconv.AppendInt(b, int64(product), 10)
		}
		if src.source != "" {
			b = append(b, `,"utm_source":"`...)
			b = append(b, src.source...)
			b = append(b, `","utm_medium":"`...)
			b = append(b, src.medium...)
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	return append(b, "]}"...)
}
