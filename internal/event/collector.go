package event

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/settings"
)

// Limits of POST /collect.
const (
	MaxBody   = 64 << 10 // bytes per request
	MaxBatch  = 100      // events per request
	QueueSize = 50000    // events waiting for the writer: half a second at full speed
	flushAt   = 2000     // events that wake the writer before its tick
)

// configTTL is how long the rules and the store's zone are cached; a save
// through SaveRules takes effect at once, an edit by another process within
// this time.
const configTTL = time.Minute

// Collector is POST /collect and the writer behind it. Requests only parse,
// check and queue; one goroutine (Run) writes the queue in bulk inserts
// every second or every flushAt events, so a burst of page views costs a
// few transactions, not one each. A request's events are queued all or
// none: when the queue has no room for all of them, the request is refused
// with 503 and counted as queue_full, and the sender may send it again
// (event ids make that safe) — the shop's pages are never slowed, and an
// answered 204 means every valid event of the request will be stored.
type Collector struct {
	DB  *db.DB
	Log *slog.Logger
	// Now is the clock (tests set it).
	Now func() time.Time

	qmu   sync.Mutex
	queue []Event // waiting for the writer, at most QueueSize
	spare []Event // the array the writer wrote last, emptied, for the next swap
	wake  chan struct{}

	flushMu sync.Mutex // one writer at a time: Run's tick or a Flush call
	seen    *seenIDs   // ids stored per day, under flushMu

	mu       sync.Mutex
	rejected map[string]int64       // since start, for Rejected
	pending  map[rejectionKey]int64 // not yet written to event_rejections
	// channel rules and store zone, cached for configTTL; loc nil = reload
	rules    []Rule
	loc      *time.Location
	loadedAt time.Time
}

type rejectionKey struct {
	day    int64
	reason string
}

// NewCollector returns a collector writing to d; start its writer with Run.
func NewCollector(d *db.DB, log *slog.Logger) *Collector {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Collector{
		DB:       d,
		Log:      log,
		Now:      time.Now,
		wake:     make(chan struct{}, 1),
		seen:     newSeenIDs(),
		rejected: map[string]int64{},
		pending:  map[rejectionKey]int64{},
	}
}

// config is the channel rules and the store's zone, cached for configTTL.
func (c *Collector) config(ctx context.Context) ([]Rule, *time.Location, error) {
	c.mu.Lock()
	rules, loc, at := c.rules, c.loc, c.loadedAt
	c.mu.Unlock()
	if loc != nil && time.Since(at) < configTTL {
		return rules, loc, nil
	}
	rules, err := loadRules(ctx, c.DB)
	if err != nil {
		return nil, nil, err
	}
	st, err := settings.Load(ctx, c.DB)
	if err != nil {
		return nil, nil, err
	}
	loc = st.Location()
	c.mu.Lock()
	c.rules, c.loc, c.loadedAt = rules, loc, time.Now()
	c.mu.Unlock()
	return rules, loc, nil
}

func (c *Collector) forgetConfig() {
	c.mu.Lock()
	c.loc = nil
	c.mu.Unlock()
}

func (c *Collector) reject(day int64, reason string, n int64, counts map[string]int64) {
	if n <= 0 {
		return
	}
	counts[reason] += n
	c.mu.Lock()
	c.rejected[reason] += n
	c.pending[rejectionKey{day, reason}] += n
	c.mu.Unlock()
}

// Rejected is the count of refused events per reason since the collector
// started (event_rejections keeps them per day for good).
func (c *Collector) Rejected() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int64, len(c.rejected))
	for k, v := range c.rejected {
		out[k] = v
	}
	return out
}

// Result is the answer to a request whose events were all refused.
type Result struct {
	Accepted int              `json:"accepted"`
	Rejected map[string]int64 `json:"rejected"`
}

// ServeHTTP takes one event or a batch: a JSON object, an array of them, or
// {"events": [...]}, as application/json or text/plain (what sendBeacon
// sends without a CORS preflight). It answers 204 when at least one event
// was accepted (or the sender is a robot, which need not know), 400 with the
// counts per reason when none was, and 503 when the queue was too full to
// take any.
func (c *Collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Pages of the shop live on other origins; the answer carries nothing
	// private, so any origin may read it.
	w.Header().Set("Access-Control-Allow-Origin", "*")
	received := c.Now()
	rules, loc, err := c.config(r.Context())
	if err != nil {
		c.Log.Error("collect: load channel rules", "err", err)
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	day := settings.Day(received, loc)
	counts := map[string]int64{}
	accepted := 0
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var ws []wire // the body decoded in one pass, when it could be
	var raws []json.RawMessage
	reason := ""
	if trimmed := bytes.TrimSpace(body); err == nil && len(trimmed) > 0 {
		ws, _ = decodeBatch(trimmed)
	}
	n := len(ws)
	if ws == nil {
		raws, reason = split(body, err)
		n = len(raws)
	}
	switch {
	case reason != "":
		c.reject(day, reason, 1, counts)
	case n > MaxBatch:
		c.reject(day, ReasonTooManyEvents, int64(n), counts)
	case IsBot(r.UserAgent()):
		c.reject(day, ReasonBot, int64(n), counts)
		w.WriteHeader(http.StatusNoContent)
		return
	default:
		events := make([]Event, 0, len(raws))
		add := func(e Event, why string) {
			if why != "" {
				c.reject(day, why, 1, counts)
				return
			}
			e.Day = settings.Day(e.At, loc)
			e.Channel = Channel(rules, e.UTMSource, e.UTMMedium, e.Referrer, e.Page)
			events = append(events, e)
		}
		if ws != nil {
			for _, w := range ws {
				add(fromWire(w, received))
			}
		} else {
			for _, raw := range raws {
				add(decode(raw, received))
			}
		}
		if len(events) > 0 {
			if c.enqueue(events) {
				accepted = len(events)
			} else {
				c.reject(day, ReasonQueueFull, int64(len(events)), counts)
			}
		}
	}
	if accepted > 0 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if counts[ReasonQueueFull] > 0 {
		// valid events the writer could not take now: the sender may retry
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusServiceUnavailable)
	} else {
		w.WriteHeader(http.StatusBadRequest)
	}
	json.NewEncoder(w).Encode(Result{Accepted: 0, Rejected: counts})
}

// enqueue queues all of events or, when the queue has no room for all,
// none, and wakes the writer when enough wait.
func (c *Collector) enqueue(events []Event) bool {
	c.qmu.Lock()
	ok := len(c.queue)+len(events) <= QueueSize
	if ok {
		c.queue = append(c.queue, events...)
	}
	n := len(c.queue)
	c.qmu.Unlock()
	if ok && n >= flushAt {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	return ok
}

// Queued is how many events wait for the writer.
func (c *Collector) Queued() int {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	return len(c.queue)
}

// split cuts a body into its events, or names why it cannot.
func split(body []byte, readErr error) ([]json.RawMessage, string) {
	var tooLarge *http.MaxBytesError
	if errors.As(readErr, &tooLarge) {
		return nil, ReasonTooLarge
	}
	if readErr != nil {
		return nil, ReasonInvalidJSON
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, ReasonInvalidJSON
	}
	switch body[0] {
	case '[':
		var raws []json.RawMessage
		if err := json.Unmarshal(body, &raws); err != nil {
			return nil, ReasonInvalidJSON
		}
		return raws, ""
	case '{':
		var b struct {
			Events []json.RawMessage `json:"events"`
		}
		if err := json.Unmarshal(body, &b); err != nil {
			return nil, ReasonInvalidJSON
		}
		if b.Events != nil {
			return b.Events, ""
		}
		return []json.RawMessage{body}, ""
	}
	return nil, ReasonInvalidJSON
}

// Run writes queued events every second, or sooner when flushAt of them
// wait, until ctx ends; then it writes what is left and returns. Writes do
// not inherit ctx's cancellation: a batch being written when the program
// stops is finished, not lost. It first moves the rows of the old events
// table into batches (MoveLegacy), once after the upgrade; requests are
// queued meanwhile.
func (c *Collector) Run(ctx context.Context) {
	if err := MoveLegacy(context.WithoutCancel(ctx), c.DB); err != nil {
		c.Log.Warn("move old traffic events into batches", "err", err)
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	write := func() {
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := c.Flush(wctx); err != nil {
			c.Log.Warn("write traffic events", "err", err)
		}
	}
	for {
		select {
		case <-ctx.Done():
			write()
			return
		case <-t.C:
		case <-c.wake:
		}
		write()
	}
}

// insertChunk is the most events one transaction writes: two stored
// batches of one day.
const insertChunk = 2 * BatchSize

// Flush writes the events queued when it is called and the pending
// rejection counts. Events already stored under the same event id are
// skipped. What arrives while it writes waits for the next call, so a
// Flush under steady traffic ends.
func (c *Collector) Flush(ctx context.Context) error {
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	c.qmu.Lock()
	queued := c.queue
	// handlers fill the other array while this one is written: two arrays
	// of QueueSize, swapped, rather than one grown anew for every flush
	c.queue = c.spare
	if c.queue == nil {
		c.queue = make([]Event, 0, QueueSize)
	}
	c.spare = nil
	c.qmu.Unlock()
	defer func(all []Event) {
		clear(all)
		c.qmu.Lock()
		c.spare = all[:0]
		c.qmu.Unlock()
	}(queued)
	var firstErr error
	for len(queued) > 0 {
		batch := queued[:min(len(queued), insertChunk)]
		queued = queued[len(batch):]
		if err := c.insert(ctx, batch); err != nil {
			if firstErr == nil {
				firstErr = err
			}
			c.mu.Lock()
			c.rejected[ReasonWriteFailed] += int64(len(batch))
			c.mu.Unlock()
		}
	}
	if err := c.writeRejections(ctx); err != nil && firstErr == nil {
		firstErr = err
	}
	return firstErr
}

// insert stores a batch in one transaction, leaving out the events whose
// id is stored already (seenIDs).
func (c *Collector) insert(ctx context.Context, batch []Event) error {
	batch, err := c.seen.fresh(ctx, c.DB, batch)
	if err != nil {
		return fmt.Errorf("insert %d events: %w", len(batch), err)
	}
	p, err := Prepare(OriginCollect, batch, c.Now())
	if err != nil {
		return fmt.Errorf("insert %d events: %w", len(batch), err)
	}
	err = c.DB.InTx(ctx, func(tx *db.Tx) error { return p.Write(ctx, tx) })
	if err != nil {
		return fmt.Errorf("insert %d events: %w", len(batch), err)
	}
	c.seen.add(batch)
	return nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func (c *Collector) writeRejections(ctx context.Context) error {
	c.mu.Lock()
	pending := c.pending
	c.pending = map[rejectionKey]int64{}
	c.mu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	err := c.DB.InTx(ctx, func(tx *db.Tx) error {
		for k, n := range pending {
			if _, err := tx.Exec(ctx, `INSERT INTO event_rejections (day, reason, count) VALUES ($1, $2, $3)
				ON CONFLICT (day, reason) DO UPDATE SET count = event_rejections.count + excluded.count`, k.day, k.reason, n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// keep the counts for the next flush
		c.mu.Lock()
		for k, n := range pending {
			c.pending[k] += n
		}
		c.mu.Unlock()
		return fmt.Errorf("write event rejections: %w", err)
	}
	return nil
}

// Rejections reads the stored counts of refused events per reason for the
// days from..to (YYYYMMDD, inclusive).
func Rejections(ctx context.Context, q db.Queryer, from, to int64) (map[string]int64, error) {
	rows, err := q.Query(ctx, "SELECT reason, SUM(count) FROM event_rejections WHERE day BETWEEN $1 AND $2 GROUP BY reason", from, to)
	if err != nil {
		return nil, fmt.Errorf("read event rejections: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var reason string
		var n int64
		if err := rows.Scan(&reason, &n); err != nil {
			return nil, err
		}
		out[reason] = n
	}
	return out, rows.Err()
}
