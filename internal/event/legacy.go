package event

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/db"
)

// MoveLegacy writes the rows of the old events table (renamed
// events_legacy by migration 0032, which moved its purchases and logins
// itself) into batches, one store day per transaction, and drops the table
// once it is empty. It does nothing when there is no such table, so every
// start may call it; a move cut short goes on from the day it stopped at.
func MoveLegacy(ctx context.Context, d *db.DB) error {
	exists, err := legacyTable(ctx, d)
	if err != nil || !exists {
		return err
	}
	for {
		var day int64
		err := d.QueryRow(ctx, "SELECT COALESCE(MIN(day), -1) FROM events_legacy").Scan(&day)
		if err != nil {
			return fmt.Errorf("move old events: %w", err)
		}
		if day < 0 {
			break
		}
		events, err := legacyDay(ctx, d, day)
		if err != nil {
			return err
		}
		err = d.InTx(ctx, func(tx *db.Tx) error {
			if _, err := Append(ctx, tx, OriginLegacy, events, time.Now()); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "DELETE FROM events_legacy WHERE day = $1", day)
			return err
		})
		if err != nil {
			return fmt.Errorf("move old events of %d: %w", day, err)
		}
	}
	if _, err := d.Exec(ctx, "DROP TABLE IF EXISTS events_legacy"); err != nil {
		return fmt.Errorf("move old events: %w", err)
	}
	return nil
}

func legacyTable(ctx context.Context, d *db.DB) (bool, error) {
	query := "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'events_legacy'"
	if d.Dialect() == db.Postgres {
		query = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'events_legacy'"
	}
	var n int64
	if err := d.QueryRow(ctx, query).Scan(&n); err != nil {
		return false, fmt.Errorf("look for old events: %w", err)
	}
	return n > 0, nil
}

func legacyDay(ctx context.Context, d *db.DB, day int64) ([]Event, error) {
	rows, err := d.Query(ctx, `SELECT event_id, received_at, at, type, anonymous_id, COALESCE(customer_id, 0), session_id, channel, page,
		COALESCE(product_id, 0), COALESCE(sku_id, 0), search_query, order_no, referrer, utm_source, utm_medium, utm_campaign
		FROM events_legacy WHERE day = $1 ORDER BY id`, day)
	if err != nil {
		return nil, fmt.Errorf("read old events of %d: %w", day, err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		e := Event{Day: day}
		var received, at int64
		if err := rows.Scan(&e.EventID, &received, &at, &e.Type, &e.AnonymousID, &e.CustomerID, &e.SessionID, &e.Channel, &e.Page,
			&e.ProductID, &e.SKUID, &e.SearchQuery, &e.OrderNo, &e.Referrer, &e.UTMSource, &e.UTMMedium, &e.UTMCampaign); err != nil {
			return nil, err
		}
		e.ReceivedAt, e.At = ms(received), ms(at)
		if typeCodes[e.Type] == 0 || strings.HasPrefix(e.EventID, "purchase:") {
			continue // the migration moved purchases; no other type was ever stored
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
