package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/page"
	"github.com/storeops/storeops/internal/webhook"
)

func TestMain(m *testing.M) {
	auth.UseCheapHashesForTests()
	os.Exit(m.Run())
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

// newClock starts an hour ahead of the wall clock, which Emit stamps
// events with, so what a test emits is due at once.
func newClock() *clock { return &clock{t: time.Now().UTC().Add(time.Hour)} }

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// receiver is a real HTTP server that fails its first `fail` requests with
// 503, then answers 200, and keeps what it was sent.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	fail   int
	got    []received
	secret string
}

type received struct {
	event, eventID, delivery string
	body                     []byte
	sigErr                   error
}

func newReceiver(t *testing.T, fail int) *receiver {
	r := &receiver{fail: fail}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.got = append(r.got, received{event: req.Header.Get(webhook.HeaderEvent), eventID: req.Header.Get(webhook.HeaderEventID),
			delivery: req.Header.Get(webhook.HeaderDelivery), body: b,
			sigErr: webhook.Verify(r.secret, req.Header.Get(webhook.HeaderSignature), b, time.Now(), 24*time.Hour)})
		if len(r.got) <= r.fail {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("busy, try later"))
			return
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// newService is a service whose endpoints may be on 127.0.0.1 (the
// httptest servers): AllowPrivate is what a shop sets for an ERP on its
// own network.
func newService(d *db.DB, c *clock) *webhook.Service {
	return &webhook.Service{DB: d, AllowPrivate: true, Now: c.Now, BaseDelay: time.Minute, MaxDelay: time.Hour, MaxAttempts: 5,
		Jitter: func() float64 { return 0.999 }}
}

func endpoint(t *testing.T, s *webhook.Service, r *receiver, events ...string) webhook.Endpoint {
	t.Helper()
	ep, err := s.CreateEndpoint(context.Background(), webhook.EndpointInput{URL: r.URL + "/hooks", Events: events})
	if err != nil {
		t.Fatal(err)
	}
	r.secret = ep.Secret
	return ep
}

func emit(t *testing.T, d *db.DB, typ string, payload any) {
	t.Helper()
	if err := d.InTx(context.Background(), func(tx *db.Tx) error { return webhook.Emit(context.Background(), tx, typ, payload) }); err != nil {
		t.Fatal(err)
	}
}

// drain runs the worker until nothing is due now.
func drain(t *testing.T, s *webhook.Service) int {
	t.Helper()
	total := 0
	for {
		n, err := s.DeliverDue(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return total
		}
		total += n
	}
}

func onlyDelivery(t *testing.T, s *webhook.Service) webhook.Delivery {
	t.Helper()
	ds, _, err := s.Deliveries(context.Background(), webhook.DeliveryFilter{})
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries %v, %v; want one", ds, err)
	}
	d, err := s.Delivery(context.Background(), ds[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDelivery_FailsThreeTimesThenSucceedsWithBackoff(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newClock()
		s := newService(d, c)
		r := newReceiver(t, 3)
		endpoint(t, s, r, "order.*")
		emit(t, d, "order.paid", map[string]any{"order_no": "SO1", "total": 12900})

		waits := []time.Duration{}
		for i := 0; i < 4; i++ {
			if n := drain(t, s); n != 1 {
				t.Fatalf("round %d: %d deliveries sent, want 1", i, n)
			}
			del := onlyDelivery(t, s)
			if i < 3 {
				if del.Status != webhook.StatusPending || del.NextAttemptAt == nil {
					t.Fatalf("after failure %d: %+v", i+1, del)
				}
				wait := del.NextAttemptAt.Sub(c.Now())
				waits = append(waits, wait)
				// Not due yet: nothing is sent before the backoff passed.
				if n := drain(t, s); n != 0 {
					t.Fatalf("sent %d before the backoff passed", n)
				}
				c.Add(wait)
			}
		}
		del := onlyDelivery(t, s)
		if del.Status != webhook.StatusSucceeded || del.Attempts != 4 || del.LastStatusCode != 200 || del.LastError != "" {
			t.Fatalf("delivery %+v", del)
		}
		if len(del.Log) != 4 || del.Log[0].StatusCode != 503 || del.Log[3].StatusCode != 200 || del.Log[0].Response != "busy, try later" ||
			!strings.Contains(del.Log[0].Error, "503") {
			t.Fatalf("log %+v", del.Log)
		}
		// Exponential: each wait about twice the last (jitter fixed high).
		for i := 1; i < len(waits); i++ {
			if waits[i] < waits[i-1]*19/10 || waits[i] > waits[i-1]*21/10 {
				t.Errorf("waits %v do not double", waits)
			}
		}
		got := r.requests()
		if len(got) != 4 {
			t.Fatalf("%d requests, want 4", len(got))
		}
		for _, g := range got {
			if g.sigErr != nil || g.event != "order.paid" || g.eventID != got[0].eventID || string(g.body) != string(got[0].body) {
				t.Errorf("request %+v (signature: %v)", g, g.sigErr)
			}
		}
		var env struct {
			ID   int64  `json:"id"`
			Type string `json:"type"`
			Data struct {
				OrderNo string `json:"order_no"`
				Total   int64  `json:"total"`
			} `json:"data"`
		}
		if err := json.Unmarshal(got[0].body, &env); err != nil || env.Type != "order.paid" || env.Data.OrderNo != "SO1" ||
			env.Data.Total != 12900 || strconv.FormatInt(env.ID, 10) != got[0].eventID {
			t.Errorf("body %s: %+v %v", got[0].body, env, err)
		}
	})
}

func TestDelivery_DeadAfterMaxAttemptsThenReplayed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newClock()
		s := newService(d, c)
		r := newReceiver(t, 5) // MaxAttempts is 5: every attempt fails
		endpoint(t, s, r, "*")
		emit(t, d, "order.refunded", map[string]any{"order_no": "SO2"})
		for range 10 {
			drain(t, s)
			c.Add(2 * time.Hour)
		}
		dead := onlyDelivery(t, s)
		if dead.Status != webhook.StatusDead || dead.Attempts != 5 || len(r.requests()) != 5 {
			t.Fatalf("delivery %+v after %d requests", dead, len(r.requests()))
		}
		// The receiver is fixed; the operator replays.
		re, err := s.Replay(context.Background(), dead.ID)
		if err != nil {
			t.Fatal(err)
		}
		if re.ReplayOf != dead.ID || re.Status != webhook.StatusPending || re.EventID != dead.EventID {
			t.Fatalf("replay %+v", re)
		}
		if n := drain(t, s); n != 1 {
			t.Fatalf("replay sent %d", n)
		}
		re, _ = s.Delivery(context.Background(), re.ID)
		old, _ := s.Delivery(context.Background(), dead.ID)
		if re.Status != webhook.StatusSucceeded || old.Status != webhook.StatusDead || len(old.Log) != 5 {
			t.Fatalf("replay %+v, original %+v", re, old)
		}
		got := r.requests()
		if got[5].eventID != got[0].eventID || got[5].delivery == got[0].delivery {
			t.Errorf("replay sent event %s as delivery %s; first %s/%s", got[5].eventID, got[5].delivery, got[0].eventID, got[0].delivery)
		}
		if _, err := s.Replay(context.Background(), 999999); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("replay of a missing delivery: %v", err)
		}
	})
}

func TestEmit_InRolledBackTransactionIsNeverSent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newClock()
		s := newService(d, c)
		r := newReceiver(t, 0)
		endpoint(t, s, r, "*")
		ctx := context.Background()
		errChange := errors.New("the change failed")
		err := d.InTx(ctx, func(tx *db.Tx) error {
			if err := webhook.Emit(ctx, tx, "order.paid", map[string]any{"order_no": "ROLLED-BACK"}); err != nil {
				return err
			}
			return errChange
		})
		if !errors.Is(err, errChange) {
			t.Fatal(err)
		}
		emit(t, d, "order.paid", map[string]any{"order_no": "COMMITTED"})
		c.Add(24 * time.Hour)
		drain(t, s)
		got := r.requests()
		if len(got) != 1 || !strings.Contains(string(got[0].body), "COMMITTED") {
			t.Fatalf("sent %d requests: %+v", len(got), got)
		}
		var events int64
		d.QueryRow(ctx, "SELECT COUNT(*) FROM webhook_events").Scan(&events)
		if events != 1 {
			t.Errorf("%d events in the outbox, want 1", events)
		}
	})
}

func TestEmit_GoesToActiveSubscribedEndpointsOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newClock()
		s := newService(d, c)
		ctx := context.Background()
		paid, orders, all, paused := newReceiver(t, 0), newReceiver(t, 0), newReceiver(t, 0), newReceiver(t, 0)
		endpoint(t, s, paid, "order.paid")
		endpoint(t, s, orders, "order.*")
		endpoint(t, s, all, "*")
		ep := endpoint(t, s, paused, "*")
		off := false
		if _, err := s.UpdateEndpoint(ctx, ep.ID, webhook.EndpointInput{URL: ep.URL, Events: ep.Events, Active: &off}); err != nil {
			t.Fatal(err)
		}
		emit(t, d, "order.paid", 1)
		emit(t, d, "order.shipped", 2)
		emit(t, d, "brief.created", 3)
		drain(t, s)
		for _, c := range []struct {
			name string
			r    *receiver
			want int
		}{{"order.paid", paid, 1}, {"order.*", orders, 2}, {"*", all, 3}, {"paused", paused, 0}} {
			if got := len(c.r.requests()); got != c.want {
				t.Errorf("%s got %d events, want %d", c.name, got, c.want)
			}
		}
		if err := d.InTx(ctx, func(tx *db.Tx) error { return webhook.Emit(ctx, tx, "Order Paid", 1) }); err == nil {
			t.Error("a malformed event type was accepted")
		}
	})
}

// Two workers (two instances of storeops) share one database: every
// delivery is sent exactly once while nothing fails and no lease runs out.
func TestDeliverDue_ConcurrentWorkersSendEachDeliveryOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newClock()
		s1, s2 := newService(d, c), newService(d, c)
		s1.Batch, s2.Batch = 7, 7
		var hits sync.Map
		var dup atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, loaded := hits.LoadOrStore(r.Header.Get(webhook.HeaderDelivery), true); loaded {
				dup.Add(1)
			}
		}))
		defer srv.Close()
		if _, err := s1.CreateEndpoint(context.Background(), webhook.EndpointInput{URL: srv.URL, Events: []string{"*"}}); err != nil {
			t.Fatal(err)
		}
		const n = 60
		for i := range n {
			emit(t, d, "order.paid", i)
		}
		var wg sync.WaitGroup
		for _, s := range []*webhook.Service{s1, s2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					k, err := s.DeliverDue(context.Background())
					if err != nil {
						t.Error(err)
						return
					}
					if k == 0 {
						return
					}
				}
			}()
		}
		wg.Wait()
		count := 0
		hits.Range(func(any, any) bool { count++; return true })
		if count != n || dup.Load() != 0 {
			t.Fatalf("%d deliveries reached the receiver, %d twice; want %d once each", count, dup.Load(), n)
		}
		ds, _, _ := s1.Deliveries(context.Background(), webhook.DeliveryFilter{Status: webhook.StatusSucceeded, Page: pageOf(500)})
		if len(ds) != n {
			t.Fatalf("%d deliveries succeeded, want %d", len(ds), n)
		}
	})
}

// A delivery whose worker died mid-request (its lease set, never
// recorded) is taken again once the lease has run out.
func TestDeliverDue_ExpiredLeaseIsTakenAgain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newClock()
		s := newService(d, c)
		r := newReceiver(t, 0)
		endpoint(t, s, r, "*")
		emit(t, d, "order.paid", 1)
		lease := c.Now().Add(40 * time.Second).UnixMilli()
		if _, err := d.Exec(context.Background(), "UPDATE webhook_deliveries SET lease_until = $1", lease); err != nil {
			t.Fatal(err)
		}
		if n := drain(t, s); n != 0 {
			t.Fatalf("a leased delivery was sent (%d)", n)
		}
		c.Add(41 * time.Second)
		if n := drain(t, s); n != 1 || len(r.requests()) != 1 {
			t.Fatalf("after the lease: %d sent, %d received", n, len(r.requests()))
		}
	})
}

func TestSendTest_PostsToThatEndpointOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newClock()
		s := newService(d, c)
		a, b := newReceiver(t, 0), newReceiver(t, 0)
		ea := endpoint(t, s, a, "order.paid")
		endpoint(t, s, b, "*")
		off := false
		if _, err := s.UpdateEndpoint(context.Background(), ea.ID, webhook.EndpointInput{URL: ea.URL, Events: ea.Events, Active: &off}); err != nil {
			t.Fatal(err)
		}
		// A paused endpoint still gets its test (checking it before
		// turning it on is the point).
		del, err := s.SendTest(context.Background(), ea.ID)
		if err != nil || del.EventType != webhook.Test || del.EndpointID != ea.ID {
			t.Fatalf("%+v %v", del, err)
		}
		drain(t, s)
		if len(a.requests()) != 1 || len(b.requests()) != 0 || a.requests()[0].sigErr != nil {
			t.Fatalf("a got %d, b got %d", len(a.requests()), len(b.requests()))
		}
	})
}

// Without AllowPrivate the dialer itself refuses 127.0.0.1, even for an
// endpoint that got into the table some other way (or a name that now
// resolves there): the attempt fails and nothing reaches the server.
func TestDelivery_PrivateAddressRefusedAtConnect(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newClock()
		r := newReceiver(t, 0)
		open := newService(d, c)
		endpoint(t, open, r, "*")
		strict := &webhook.Service{DB: d, Now: c.Now, MaxAttempts: 1}
		if _, err := strict.CreateEndpoint(context.Background(), webhook.EndpointInput{URL: r.URL, Events: []string{"*"}}); !isField(err, "url") {
			t.Fatalf("creating a loopback endpoint: %v", err)
		}
		emit(t, d, "order.paid", 1)
		if n := drain(t, strict); n != 1 {
			t.Fatalf("%d tried", n)
		}
		del := onlyDelivery(t, strict)
		if len(r.requests()) != 0 || del.Status != webhook.StatusDead || !strings.Contains(del.LastError, "not public") {
			t.Fatalf("%d requests reached 127.0.0.1; delivery %+v", len(r.requests()), del)
		}
	})
}

func isField(err error, field string) bool {
	var fe *apperr.FieldError
	return errors.As(err, &fe) && fe.Field == field
}

func pageOf(n int) page.Request { return page.Request{Limit: n} }

func TestCustomerCreated_IsSentWithTheNewCustomer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newClock()
		s := newService(d, c)
		r := newReceiver(t, 0)
		endpoint(t, s, r, "customer.*")
		if _, err := (&customer.Service{DB: d}).Create(context.Background(), customer.Profile{Name: "韩梅梅", Phone: "13900000002"}); err != nil {
			t.Fatal(err)
		}
		// A profile the customer book refuses is not created, and not announced.
		if _, err := (&customer.Service{DB: d}).Create(context.Background(), customer.Profile{Name: "x", Email: "not an email"}); err == nil {
			t.Fatal("a bad email was accepted")
		}
		drain(t, s)
		got := r.requests()
		if len(got) != 1 || got[0].event != webhook.CustomerCreated || !strings.Contains(string(got[0].body), "韩梅梅") {
			t.Fatalf("received %+v", got)
		}
	})
}

func TestPurge_KeepsPendingAndRecentDeliveries(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newClock()
		s := newService(d, c)
		ok, down := newReceiver(t, 0), newReceiver(t, 100)
		endpoint(t, s, ok, "order.paid")
		endpoint(t, s, down, "order.paid")
		emit(t, d, "order.paid", 1)
		drain(t, s) // one delivered, one pending after a failure
		c.Add(40 * 24 * time.Hour)
		emit(t, d, "order.paid", 2) // a fresh event: both pending
		n, err := s.Purge(context.Background(), 30*24*time.Hour)
		if err != nil || n != 1 {
			t.Fatalf("purged %d, %v; want the old delivered one", n, err)
		}
		var deliveries, events, attempts int64
		d.QueryRow(context.Background(), "SELECT COUNT(*) FROM webhook_deliveries").Scan(&deliveries)
		d.QueryRow(context.Background(), "SELECT COUNT(*) FROM webhook_events").Scan(&events)
		d.QueryRow(context.Background(), "SELECT COUNT(*) FROM webhook_attempts").Scan(&attempts)
		if deliveries != 3 || events != 2 || attempts != 1 {
			t.Errorf("left %d deliveries, %d events, %d attempts; want 3, 2 (the old one still has a pending delivery), 1", deliveries, events, attempts)
		}
	})
}
