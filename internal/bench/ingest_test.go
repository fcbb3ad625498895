package bench

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/event/eventtest"
)

// The whole path of `storeops bench ingest`: events posted in batches to
// a served store, the store stopped cleanly, every accepted event stored
// once, none lost, none of another run counted.
func TestRunIngest_StoresEveryAcceptedEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	ctx := context.Background()
	s, err := StartStore(ctx, StoreOptions{Dir: t.TempDir(), Synchronous: "NORMAL", Customers: 300, Days: 30})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rep, err := RunIngest(ctx, IngestConfig{URL: s.URL, Events: 5_003, Batch: 50, Clients: 6, Drain: s.Stop, Stored: s.StoredEvents})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d events, %d requests (%d again), %.0f events/s", rep.Events, rep.Requests, rep.Retried, rep.EventsPerSecond)
	if len(rep.Errors) > 0 {
		t.Fatalf("errors %v: %v", rep.Errors, rep.ErrorSamples)
	}
	if rep.Events != 5_003 || rep.Stored != 5_003 || rep.Lost != 0 {
		t.Fatalf("accepted %d, stored %d, lost %d; want 5003, 5003, 0", rep.Events, rep.Stored, rep.Lost)
	}
	if rep.Requests < 101 || rep.EventsPerSecond <= 0 || rep.Elapsed < rep.SendElapsed {
		t.Fatalf("requests %d, %.0f events/s, elapsed %s, sending %s", rep.Requests, rep.EventsPerSecond, rep.Elapsed, rep.SendElapsed)
	}
	// The events are what the pages would send: typed, with visitors and
	// channels mapped at ingest.
	var types, channels, visitors int
	eventtest.Copy(t, s.DB)
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(DISTINCT type), COUNT(DISTINCT channel), COUNT(DISTINCT anonymous_id) FROM stored_events WHERE event_id LIKE 'c:%'`).Scan(&types, &channels, &visitors); err != nil {
		t.Fatal(err)
	}
	if types < 5 || channels < 3 || visitors < 1000 {
		t.Fatalf("%d types, %d channels, %d visitors in the run's events", types, channels, visitors)
	}
}

// Every body the generator writes is valid JSON of the snippet's shape.
func TestIngestBody_IsTheSnippetsShape(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for k := range int64(50) {
		b := ingestBody(nil, rng, "run1", k, 100, time.Now())
		var body struct {
			Events []map[string]any `json:"events"`
		}
		if err := json.Unmarshal(b, &body); err != nil {
			t.Fatalf("batch %d: %v\n%s", k, err, b)
		}
		if len(body.Events) != 100 || body.Events[0]["type"] == "" || body.Events[99]["anonymous_id"] == "" {
			t.Fatalf("batch %d: %v", k, body.Events[0])
		}
	}
}
