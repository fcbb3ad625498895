// Package audit records every change made to the store — who, what, when,
// and the entity before and after — in the same transaction as the change.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/db"
)

// Actor is whoever makes a change: an operator in the console, an API token,
// the system itself (jobs, the demo generator), or a customer.
type Actor struct {
	Kind string // "operator", "token", "system", "customer"
	ID   int64
	Name string
	IP   string
}

// System is the actor for changes nobody in particular asked for.
var System = Actor{Kind: "system", Name: "system"}

type actorKey struct{}

// WithActor returns ctx carrying the actor of the changes made under it.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor carried by ctx, or System.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return System
}

// Entry is one recorded change.
type Entry struct {
	ID       int64           `json:"id"`
	At       time.Time       `json:"at"`
	Actor    Actor           `json:"actor"`
	Action   string          `json:"action"` // e.g. "product.update"
	Entity   string          `json:"entity"` // e.g. "product"
	EntityID string          `json:"entity_id"`
	Before   json.RawMessage `json:"before,omitempty"`
	After    json.RawMessage `json:"after,omitempty"`
}

// Record writes one change made by the actor in ctx. Pass the transaction
// that makes the change, so the record and the change commit together.
// before and after are marshalled to JSON; nil means "did not exist".
func Record(ctx context.Context, q db.Queryer, action, entity string, entityID any, before, after any) error {
	a := ActorFrom(ctx)
	b, err := marshal(before)
	if err != nil {
		return err
	}
	af, err := marshal(after)
	if err != nil {
		return err
	}
	var actorID any
	if a.ID != 0 {
		actorID = a.ID
	}
	_, err = q.Exec(ctx, `INSERT INTO audit_log (at, actor_kind, actor_id, actor_name, action, entity, entity_id, before_json, after_json, ip)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		time.Now().UnixMilli(), a.Kind, actorID, a.Name, action, entity, fmt.Sprint(entityID), b, af, a.IP)
	if err != nil {
		return fmt.Errorf("audit %s %s: %w", action, entity, err)
	}
	return nil
}

func marshal(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("audit: marshal: %w", err)
	}
	return string(b), nil
}

// Filter selects entries for List.
type Filter struct {
	Entity   string
	EntityID string
	ActorID  int64
	Action   string
	BeforeID int64 // keyset pagination: entries with id < BeforeID
	Limit    int
}

// List returns entries newest first.
func List(ctx context.Context, q db.Queryer, f Filter) ([]Entry, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	query := `SELECT id, at, actor_kind, COALESCE(actor_id, 0), actor_name, action, entity, entity_id,
		COALESCE(before_json, ''), COALESCE(after_json, ''), ip FROM audit_log WHERE 1=1`
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		query += fmt.Sprintf(" AND "+cond, len(args))
	}
	if f.Entity != "" {
		add("entity = $%d", f.Entity)
	}
	if f.EntityID != "" {
		add("entity_id = $%d", f.EntityID)
	}
	if f.ActorID != 0 {
		add("actor_id = $%d", f.ActorID)
	}
	if f.Action != "" {
		add("action = $%d", f.Action)
	}
	if f.BeforeID > 0 {
		add("id < $%d", f.BeforeID)
	}
	args = append(args, f.Limit)
	query += fmt.Sprintf(" ORDER BY id DESC LIMIT $%d", len(args))
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list audit log: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var at int64
		var before, after string
		if err := rows.Scan(&e.ID, &at, &e.Actor.Kind, &e.Actor.ID, &e.Actor.Name, &e.Action, &e.Entity, &e.EntityID, &before, &after, &e.Actor.IP); err != nil {
			return nil, err
		}
		e.At = time.UnixMilli(at).UTC()
		if before != "" {
			e.Before = json.RawMessage(before)
		}
		if after != "" {
			e.After = json.RawMessage(after)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
