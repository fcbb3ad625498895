package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/db"
)

// Emit records an event of type typ (for example "order.paid") in the
// outbox, with a delivery for every active endpoint subscribed to it. Call
// it with the transaction that makes the change the event reports: if that
// transaction rolls back, the event is gone with it and nothing is ever
// sent; if it commits, the worker sends it, retrying until it lands.
//
// payload is marshalled to JSON as the event's "data". When no endpoint
// wants the event nothing is written, so emitting costs one small read on
// a shop without webhooks.
func Emit(ctx context.Context, tx db.Queryer, typ string, payload any) error {
	return emit(ctx, tx, typ, payload, 0, time.Now())
}

// Wanted reports whether an active endpoint subscribes to typ, read in q
// (the caller's transaction), so that a caller can skip building a payload
// nobody will be sent: an order's status change reads the order only when
// someone listens.
func Wanted(ctx context.Context, q db.Queryer, typ string) (bool, error) {
	rows, err := q.Query(ctx, `SELECT events FROM webhook_endpoints WHERE active = TRUE`)
	if err != nil {
		return false, fmt.Errorf("webhook %s: endpoints: %w", typ, err)
	}
	defer rows.Close()
	for rows.Next() {
		var events string
		if err := rows.Scan(&events); err != nil {
			return false, err
		}
		if Matches(splitEvents(events), typ) {
			return true, nil
		}
	}
	return false, rows.Err()
}

// emit is Emit, to one endpoint only when endpointID > 0 (a test send).
func emit(ctx context.Context, q db.Queryer, typ string, payload any, endpointID int64, now time.Time) error {
	if !ValidType(typ) {
		return fmt.Errorf("webhook: %q is not an event type such as order.paid", typ)
	}
	data, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("webhook %s: payload: %w", typ, err)
	}
	query := `SELECT id, events FROM webhook_endpoints WHERE active = TRUE`
	args := []any{}
	if endpointID > 0 {
		query = `SELECT id, events FROM webhook_endpoints WHERE id = $1`
		args = append(args, endpointID)
	}
	rows, err := q.Query(ctx, query+` ORDER BY id`, args...)
	if err != nil {
		return fmt.Errorf("webhook %s: endpoints: %w", typ, err)
	}
	var to []int64
	for rows.Next() {
		var id int64
		var events string
		if err := rows.Scan(&id, &events); err != nil {
			rows.Close()
			return err
		}
		if endpointID > 0 || Matches(splitEvents(events), typ) {
			to = append(to, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("webhook %s: endpoints: %w", typ, err)
	}
	if len(to) == 0 {
		return nil
	}
	ms := now.UnixMilli()
	var eventID int64
	if err := q.QueryRow(ctx, `INSERT INTO webhook_events (type, payload, created_at) VALUES ($1, $2, $3) RETURNING id`,
		typ, string(data), ms).Scan(&eventID); err != nil {
		return fmt.Errorf("webhook %s: record event: %w", typ, err)
	}
	// One statement for all the deliveries: this runs inside other
	// packages' transactions (an order's payment), so it is kept short.
	var vals strings.Builder
	args = []any{eventID, ms}
	for i, ep := range to {
		if i > 0 {
			vals.WriteString(", ")
		}
		args = append(args, ep)
		fmt.Fprintf(&vals, "($1, $%d, 'pending', $2, $2, $2)", len(args))
	}
	if _, err := q.Exec(ctx, `INSERT INTO webhook_deliveries (event_id, endpoint_id, status, next_attempt_at, created_at, updated_at)
		VALUES `+vals.String(), args...); err != nil {
		return fmt.Errorf("webhook %s: record deliveries: %w", typ, err)
	}
	return nil
}

func splitEvents(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' })
}

// envelope is the body of every delivery. It is built from the stored
// event, so every retry and replay of an event sends the same bytes.
type envelope struct {
	ID        int64           `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

func body(id int64, typ string, createdMS int64, payload string) []byte {
	b, _ := json.Marshal(envelope{ID: id, Type: typ, CreatedAt: time.UnixMilli(createdMS).UTC(), Data: json.RawMessage(payload)})
	return b
}
