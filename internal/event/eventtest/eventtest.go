// Package eventtest lets tests query stored traffic events with SQL: Copy
// writes every event of the store's batches and purchase rows into a plain
// table, stored_events, with the columns of the old events table.
package eventtest

import (
	"context"
	"testing"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/event"
)

// Copy (re)creates stored_events from what the event store holds now.
func Copy(t testing.TB, d *db.DB) {
	t.Helper()
	ctx := context.Background()
	events, err := event.All(ctx, d, 0, 99991231)
	if err != nil {
		t.Fatalf("read stored events: %v", err)
	}
	if _, err := d.Exec(ctx, "DROP TABLE IF EXISTS stored_events"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec(ctx, `CREATE TABLE stored_events (
		id BIGINT NOT NULL, event_id TEXT NOT NULL, received_at BIGINT NOT NULL, at BIGINT NOT NULL, day BIGINT NOT NULL,
		type TEXT NOT NULL, anonymous_id TEXT NOT NULL, customer_id BIGINT, session_id TEXT NOT NULL, channel TEXT NOT NULL,
		page TEXT NOT NULL, product_id BIGINT, sku_id BIGINT, search_query TEXT NOT NULL, order_no TEXT NOT NULL,
		referrer TEXT NOT NULL, utm_source TEXT NOT NULL, utm_medium TEXT NOT NULL, utm_campaign TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	cols := []string{"id", "event_id", "received_at", "at", "day", "type", "anonymous_id", "customer_id", "session_id", "channel", "page",
		"product_id", "sku_id", "search_query", "order_no", "referrer", "utm_source", "utm_medium", "utm_campaign"}
	null := func(v int64) any {
		if v == 0 {
			return nil
		}
		return v
	}
	var vals []any
	for i, e := range events {
		vals = append(vals, int64(i+1), e.EventID, e.ReceivedAt.UnixMilli(), e.At.UnixMilli(), e.Day, e.Type, e.AnonymousID, null(e.CustomerID),
			e.SessionID, e.Channel, e.Page, null(e.ProductID), null(e.SKUID), e.SearchQuery, e.OrderNo, e.Referrer, e.UTMSource, e.UTMMedium, e.UTMCampaign)
	}
	err = d.InTx(ctx, func(tx *db.Tx) error {
		for len(vals) > 0 {
			n := min(len(vals), 500*len(cols))
			if err := tx.InsertRows(ctx, "stored_events", cols, vals[:n]); err != nil {
				return err
			}
			vals = vals[n:]
		}
		return nil
	})
	if err != nil {
		t.Fatalf("copy stored events: %v", err)
	}
}
