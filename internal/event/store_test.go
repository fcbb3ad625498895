package event_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/event"
)

// A sender that never got its 204 sends the batch again, possibly to a
// collector started since (which knows nothing in memory): the events are
// stored once, and a batch of thousands of events is one stored row or two.
func TestCollect_ReplayedBatchAfterRestartStoredOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		var bodies []string
		for r := range 60 {
			var sb strings.Builder
			sb.WriteByte('[')
			for i := range event.MaxBatch {
				if i > 0 {
					sb.WriteByte(',')
				}
				fmt.Fprintf(&sb, `{"id":"r%d-%d","type":"page_view","anonymous_id":"v%d"}`, r, i, i%37)
			}
			sb.WriteByte(']')
			bodies = append(bodies, sb.String())
		}
		c := newCollector(d)
		for _, b := range bodies {
			if w := post(t, c, "text/plain", browserUA, b); w.Code != http.StatusNoContent {
				t.Fatalf("status %d", w.Code)
			}
		}
		flush(t, c)
		var batches int64
		if err := d.QueryRow(ctx, "SELECT COUNT(*) FROM event_batches").Scan(&batches); err != nil {
			t.Fatal(err)
		}
		if batches < 1 || batches > 2 {
			t.Errorf("6,000 events stored in %d batches, want 1 or 2", batches)
		}
		restarted := newCollector(d)
		for _, b := range bodies[50:] {
			post(t, restarted, "text/plain", browserUA, b)
		}
		flush(t, restarted)
		if n, err := event.CountIDPrefix(ctx, d, "c:r"); err != nil || n != 6000 {
			t.Errorf("stored %d events after the replay (%v), want 6000", n, err)
		}
		r, err := event.Traffic(ctx, d, today, today)
		if err != nil {
			t.Fatal(err)
		}
		if r.PV != 6000 || r.UV != 37 {
			t.Errorf("PV %d UV %d, want 6000 and 37", r.PV, r.UV)
		}
	})
}

// Rows of the old events table (before migration 0032) are moved into
// batches and counted as before; the old table is dropped.
func TestMoveLegacy_OldRowsMovedIntoBatches(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		for i, day := range []int64{20261118, 20261118, 20261119} {
			if _, err := d.Exec(ctx, `INSERT INTO events_legacy (event_id, received_at, at, day, type, anonymous_id, customer_id, session_id, channel, page,
				product_id, sku_id, search_query, order_no, referrer, utm_source, utm_medium, utm_campaign)
				VALUES ($1, $2, $2, $3, 'product_view', $4, NULL, 's', 'search', 'https://shop.example/p/5', 5, 6, '', '', '', '', '', '')`,
				fmt.Sprintf("c:old%d", i), now.UnixMilli()-int64(i), day, fmt.Sprintf("anon%d", i%2)); err != nil {
				t.Fatal(err)
			}
		}
		if err := event.MoveLegacy(ctx, d); err != nil {
			t.Fatal(err)
		}
		all, err := event.All(ctx, d, 20261118, 20261119)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 3 || all[0].EventID != "c:old0" || all[2].Day != 20261119 || all[1].ProductID != 5 || all[1].SKUID != 6 || all[0].Channel != "search" {
			t.Errorf("moved events %+v", all)
		}
		if _, err := d.Exec(ctx, "SELECT 1 FROM events_legacy"); err == nil {
			t.Error("the old table is still there")
		}
		if err := event.MoveLegacy(ctx, d); err != nil {
			t.Errorf("a second start: %v", err)
		}
		r, err := event.Traffic(ctx, d, 20261118, 20261119)
		if err != nil || r.UV != 2 || len(r.Days) != 2 || r.Days[0].UV != 2 {
			t.Errorf("traffic of the moved events %+v, %v", r, err)
		}
	})
}
