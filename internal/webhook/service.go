package webhook

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/page"
)

// Service keeps the endpoints and sends the deliveries.
type Service struct {
	DB *db.DB
	// AllowPrivate lets endpoints live on loopback and private networks
	// (an ERP in the shop's office; httptest in tests). Off by default:
	// see guard.go.
	AllowPrivate bool
	Log          *slog.Logger
	Now          func() time.Time

	MaxAttempts int           // attempts before a delivery is dead; 0: 12
	BaseDelay   time.Duration // wait after the first failure, doubled each time; 0: 30 s
	MaxDelay    time.Duration // the longest wait between attempts; 0: 6 h
	Timeout     time.Duration // per request; 0: 10 s
	Batch       int           // deliveries claimed at a time; 0: 20
	Workers     int           // requests in flight; 0: 4
	Jitter      func() float64

	once   sync.Once
	client *http.Client
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

func (s *Service) maxAttempts() int64 {
	if s.MaxAttempts > 0 {
		return int64(s.MaxAttempts)
	}
	return 12
}

func (s *Service) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return 10 * time.Second
}

func (s *Service) httpClient() *http.Client {
	s.once.Do(func() { s.client = newClient(s.timeout(), s.AllowPrivate) })
	return s.client
}

// Backoff is the wait after failed attempt n (1 for the first): base
// doubled for each earlier failure, at most max, then scaled by a jitter
// factor in [0.5, 1) so that endpoints that failed together (a receiver
// that was down) are not all retried in the same second.
func Backoff(n int64, base, max time.Duration, jitter float64) time.Duration {
	d := base
	for i := int64(1); i < n && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	return time.Duration(float64(d) * (0.5 + jitter/2))
}

func (s *Service) backoff(n int64) time.Duration {
	base, max := s.BaseDelay, s.MaxDelay
	if base <= 0 {
		base = 30 * time.Second
	}
	if max <= 0 {
		max = 6 * time.Hour
	}
	j := rand.Float64
	if s.Jitter != nil {
		j = s.Jitter
	}
	return Backoff(n, base, max, j())
}

// CheckURL says what is wrong with a webhook URL under this service's
// address rule.
func (s *Service) CheckURL(raw string) error { return checkURL(raw, s.AllowPrivate) }

// CreateEndpoint adds an endpoint with a new signing secret, which the
// returned endpoint carries (the only time it is shown besides a rotation).
func (s *Service) CreateEndpoint(ctx context.Context, in EndpointInput) (Endpoint, error) {
	in.normalize()
	if err := s.CheckURL(in.URL); err != nil {
		return Endpoint{}, err
	}
	if err := in.validateFields(); err != nil {
		return Endpoint{}, err
	}
	active := in.Active == nil || *in.Active
	secret := newSecret()
	now := s.now().UnixMilli()
	var id int64
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO webhook_endpoints (url, description, secret, events, active, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`, in.URL, in.Description, secret, strings.Join(in.Events, ","), active, now).Scan(&id); err != nil {
			return fmt.Errorf("create webhook endpoint: %w", err)
		}
		return audit.Record(ctx, tx, "webhook.create", "webhook_endpoint", id, nil, map[string]any{"url": in.URL, "events": in.Events, "active": active})
	})
	if err != nil {
		return Endpoint{}, err
	}
	ep, err := s.Endpoint(ctx, id)
	ep.Secret = secret
	return ep, err
}

// UpdateEndpoint changes an endpoint's URL, description, events and
// whether it is active. Its secret stays.
func (s *Service) UpdateEndpoint(ctx context.Context, id int64, in EndpointInput) (Endpoint, error) {
	in.normalize()
	if err := s.CheckURL(in.URL); err != nil {
		return Endpoint{}, err
	}
	if err := in.validateFields(); err != nil {
		return Endpoint{}, err
	}
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		before, err := getEndpoint(ctx, tx, id)
		if err != nil {
			return err
		}
		active := before.Active
		if in.Active != nil {
			active = *in.Active
		}
		if _, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET url = $1, description = $2, events = $3, active = $4, updated_at = $5 WHERE id = $6`,
			in.URL, in.Description, strings.Join(in.Events, ","), active, s.now().UnixMilli(), id); err != nil {
			return fmt.Errorf("update webhook endpoint %d: %w", id, err)
		}
		return audit.Record(ctx, tx, "webhook.update", "webhook_endpoint", id,
			map[string]any{"url": before.URL, "events": before.Events, "active": before.Active},
			map[string]any{"url": in.URL, "events": in.Events, "active": active})
	})
	if err != nil {
		return Endpoint{}, err
	}
	return s.Endpoint(ctx, id)
}

// RotateSecret gives an endpoint a new signing secret and returns it; from
// now on deliveries are signed with the new one only.
func (s *Service) RotateSecret(ctx context.Context, id int64) (Endpoint, error) {
	secret := newSecret()
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET secret = $1, updated_at = $2 WHERE id = $3`, secret, s.now().UnixMilli(), id)
		if err != nil {
			return fmt.Errorf("rotate webhook secret %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("webhook endpoint %d: %w", id, apperr.ErrNotFound)
		}
		return audit.Record(ctx, tx, "webhook.rotate_secret", "webhook_endpoint", id, nil, nil)
	})
	if err != nil {
		return Endpoint{}, err
	}
	ep, err := s.Endpoint(ctx, id)
	ep.Secret = secret
	return ep, err
}

// DeleteEndpoint removes an endpoint and its deliveries.
func (s *Service) DeleteEndpoint(ctx context.Context, id int64) error {
	return s.DB.InTx(ctx, func(tx *db.Tx) error {
		before, err := getEndpoint(ctx, tx, id)
		if err != nil {
			return err
		}
		// Attempts go with their deliveries (ON DELETE CASCADE); spelled
		// out for SQLite connections opened without foreign keys.
		if _, err := tx.Exec(ctx, `DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE endpoint_id = $1)`, id); err != nil {
			return fmt.Errorf("delete webhook endpoint %d: %w", id, err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM webhook_deliveries WHERE endpoint_id = $1`, id); err != nil {
			return fmt.Errorf("delete webhook endpoint %d: %w", id, err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM webhook_endpoints WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete webhook endpoint %d: %w", id, err)
		}
		return audit.Record(ctx, tx, "webhook.delete", "webhook_endpoint", id, map[string]any{"url": before.URL}, nil)
	})
}

// Endpoint returns one endpoint, without its secret.
func (s *Service) Endpoint(ctx context.Context, id int64) (Endpoint, error) {
	return getEndpoint(ctx, s.DB, id)
}

// Secret returns an endpoint's signing secret, for the console's page of
// the endpoint (the webhooks area is the admin's).
func (s *Service) Secret(ctx context.Context, id int64) (string, error) {
	var secret string
	err := s.DB.QueryRow(ctx, `SELECT secret FROM webhook_endpoints WHERE id = $1`, id).Scan(&secret)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("webhook endpoint %d: %w", id, apperr.ErrNotFound)
	}
	return secret, err
}

const endpointColumns = `id, url, description, secret, events, active, created_at, updated_at`

func scanEndpoint(row interface{ Scan(...any) error }) (Endpoint, error) {
	var e Endpoint
	var secret, events string
	var created, updated int64
	if err := row.Scan(&e.ID, &e.URL, &e.Description, &secret, &events, &e.Active, &created, &updated); err != nil {
		return e, err
	}
	e.Events = splitEvents(events)
	e.SecretHint = secretHint(secret)
	e.CreatedAt, e.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return e, nil
}

func getEndpoint(ctx context.Context, q db.Queryer, id int64) (Endpoint, error) {
	e, err := scanEndpoint(q.QueryRow(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("webhook endpoint %d: %w", id, apperr.ErrNotFound)
	}
	if err != nil {
		return e, fmt.Errorf("webhook endpoint %d: %w", id, err)
	}
	return e, nil
}

// Endpoints lists every endpoint, oldest first (a shop has a handful).
func (s *Service) Endpoints(ctx context.Context) ([]Endpoint, error) {
	rows, err := s.DB.Query(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list webhook endpoints: %w", err)
	}
	defer rows.Close()
	out := []Endpoint{}
	for rows.Next() {
		e, err := scanEndpoint(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// SendTest queues a webhook.test event to one endpoint, active or not, and
// returns its delivery: the way to check a receiver and its signature
// check before real events flow.
func (s *Service) SendTest(ctx context.Context, endpointID int64) (Delivery, error) {
	var id int64
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		if _, err := getEndpoint(ctx, tx, endpointID); err != nil {
			return err
		}
		now := s.now()
		payload := map[string]any{"message": "a test event from storeops", "endpoint_id": endpointID, "sent_at": now}
		if err := emit(ctx, tx, Test, payload, endpointID, now); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT MAX(id) FROM webhook_deliveries WHERE endpoint_id = $1`, endpointID).Scan(&id); err != nil {
			return fmt.Errorf("test webhook %d: %w", endpointID, err)
		}
		return audit.Record(ctx, tx, "webhook.test", "webhook_endpoint", endpointID, nil, map[string]any{"delivery": id})
	})
	if err != nil {
		return Delivery{}, err
	}
	return s.Delivery(ctx, id)
}

// Replay queues an event again for the endpoint of delivery id, as a new
// delivery (the old one and its log stay as they were). The endpoint gets
// the same event id, so a receiver that saw it already can tell.
func (s *Service) Replay(ctx context.Context, id int64) (Delivery, error) {
	var newID int64
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		var eventID, endpointID int64
		err := tx.QueryRow(ctx, `SELECT event_id, endpoint_id FROM webhook_deliveries WHERE id = $1`, id).Scan(&eventID, &endpointID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("webhook delivery %d: %w", id, apperr.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("replay webhook delivery %d: %w", id, err)
		}
		now := s.now().UnixMilli()
		if err := tx.QueryRow(ctx, `INSERT INTO webhook_deliveries (event_id, endpoint_id, replay_of, status, next_attempt_at, created_at, updated_at)
			VALUES ($1, $2, $3, 'pending', $4, $4, $4) RETURNING id`, eventID, endpointID, id, now).Scan(&newID); err != nil {
			return fmt.Errorf("replay webhook delivery %d: %w", id, err)
		}
		return audit.Record(ctx, tx, "webhook.replay", "webhook_delivery", id, nil, map[string]any{"delivery": newID})
	})
	if err != nil {
		return Delivery{}, err
	}
	return s.Delivery(ctx, newID)
}

// DeliveryFilter narrows the delivery log.
type DeliveryFilter struct {
	EndpointID int64
	Status     string // pending, succeeded, dead; "" all
	Type       string // an event type; "" all
	Page       page.Request
}

// Validate says which filter field is wrong.
func (f DeliveryFilter) Validate() error {
	switch f.Status {
	case "", StatusPending, StatusSucceeded, StatusDead:
	default:
		return fieldErr("status", "must be pending, succeeded or dead, not %q", f.Status)
	}
	if f.Type != "" && !ValidType(f.Type) {
		return fieldErr("type", "%q is not an event type such as order.paid", f.Type)
	}
	return nil
}

const deliveryColumns = `d.id, d.event_id, e.type, d.endpoint_id, p.url, COALESCE(d.replay_of, 0), d.status, d.attempts, d.next_attempt_at,
	d.last_status_code, d.last_error, d.created_at, d.updated_at, e.payload, e.created_at`

const deliveryFrom = ` FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id JOIN webhook_endpoints p ON p.id = d.endpoint_id`

func scanDelivery(row interface{ Scan(...any) error }) (Delivery, error) {
	var d Delivery
	var next, created, updated, evCreated int64
	var payload string
	if err := row.Scan(&d.ID, &d.EventID, &d.EventType, &d.EndpointID, &d.EndpointURL, &d.ReplayOf, &d.Status, &d.Attempts, &next,
		&d.LastStatusCode, &d.LastError, &created, &updated, &payload, &evCreated); err != nil {
		return d, err
	}
	if d.Status == StatusPending {
		t := time.UnixMilli(next).UTC()
		d.NextAttemptAt = &t
	}
	d.CreatedAt, d.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	d.Payload = string(body(d.EventID, d.EventType, evCreated, payload))
	return d, nil
}

// Deliveries is the delivery log, newest first, a page at a time; the
// second result is the id the next page starts below (0: last page).
func (s *Service) Deliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, int64, error) {
	if err := f.Validate(); err != nil {
		return nil, 0, err
	}
	if f.Page.Limit <= 0 {
		f.Page.Limit = page.DefaultLimit
	}
	where, args := []string{"1 = 1"}, []any{}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.EndpointID > 0 {
		add("d.endpoint_id = $%d", f.EndpointID)
	}
	if f.Status != "" {
		add("d.status = $%d", f.Status)
	}
	if f.Type != "" {
		add("e.type = $%d", f.Type)
	}
	if f.Page.After > 0 {
		add("d.id < $%d", f.Page.After)
	}
	args = append(args, f.Page.Limit)
	rows, err := s.DB.Query(ctx, `SELECT `+deliveryColumns+deliveryFrom+` WHERE `+strings.Join(where, " AND ")+
		fmt.Sprintf(` ORDER BY d.id DESC LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("webhook deliveries: %w", err)
	}
	defer rows.Close()
	out := []Delivery{}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, 0, err
		}
		d.Payload = ""
		out = append(out, d)
	}
	var next int64
	if len(out) == f.Page.Limit {
		next = out[len(out)-1].ID
	}
	return out, next, rows.Err()
}

// Delivery returns one delivery with the body it sends and its log of
// attempts.
func (s *Service) Delivery(ctx context.Context, id int64) (Delivery, error) {
	d, err := scanDelivery(s.DB.QueryRow(ctx, `SELECT `+deliveryColumns+deliveryFrom+` WHERE d.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("webhook delivery %d: %w", id, apperr.ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("webhook delivery %d: %w", id, err)
	}
	rows, err := s.DB.Query(ctx, `SELECT attempt, at, status_code, latency_ms, response, error FROM webhook_attempts WHERE delivery_id = $1 ORDER BY id`, id)
	if err != nil {
		return d, fmt.Errorf("webhook delivery %d: %w", id, err)
	}
	defer rows.Close()
	d.Log = []Attempt{}
	for rows.Next() {
		var a Attempt
		var at int64
		if err := rows.Scan(&a.Attempt, &at, &a.StatusCode, &a.LatencyMS, &a.Response, &a.Error); err != nil {
			return d, err
		}
		a.At = time.UnixMilli(at).UTC()
		d.Log = append(d.Log, a)
	}
	return d, rows.Err()
}

// Purge deletes what the log no longer needs: deliveries that succeeded or
// died more than age ago, with their attempts, and events left without
// deliveries. It returns how many deliveries went.
func (s *Service) Purge(ctx context.Context, age time.Duration) (int64, error) {
	cutoff := s.now().Add(-age).UnixMilli()
	var n int64
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries
			WHERE status IN ('succeeded', 'dead') AND updated_at < $1)`, cutoff); err != nil {
			return fmt.Errorf("purge webhook attempts: %w", err)
		}
		res, err := tx.Exec(ctx, `DELETE FROM webhook_deliveries WHERE status IN ('succeeded', 'dead') AND updated_at < $1`, cutoff)
		if err != nil {
			return fmt.Errorf("purge webhook deliveries: %w", err)
		}
		n, _ = res.RowsAffected()
		if _, err := tx.Exec(ctx, `DELETE FROM webhook_events WHERE created_at < $1
			AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = webhook_events.id)`, cutoff); err != nil {
			return fmt.Errorf("purge webhook events: %w", err)
		}
		return nil
	})
	return n, err
}
