package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/storeops/storeops/internal/db"
)

// Run sends due deliveries until ctx ends, looking for new ones every
// interval. Several instances may run it on one database: a delivery is
// claimed with a conditional UPDATE that sets a lease, so only one of them
// sends it at a time, and a lease left by a process that died runs out and
// the delivery is taken again (at least once).
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for ctx.Err() == nil {
			n, err := s.DeliverDue(ctx)
			if err != nil && ctx.Err() == nil {
				s.log().Warn("webhook deliveries", "err", err)
			}
			if err != nil || n < s.batch() {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Service) batch() int {
	if s.Batch > 0 {
		return s.Batch
	}
	return 20
}

// claimed is a delivery taken under a lease, with what sending it needs.
type claimed struct {
	id, eventID, attempts int64
	typ, payload, url     string
	secret                string
	eventAt               int64
}

// DeliverDue claims the deliveries that are due (one batch), sends them
// and records each attempt. It returns how many it tried.
func (s *Service) DeliverDue(ctx context.Context) (int, error) {
	cs, err := s.claim(ctx)
	if err != nil || len(cs) == 0 {
		return 0, err
	}
	workers := s.Workers
	if workers <= 0 {
		workers = 4
	}
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for _, c := range cs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := s.send(ctx, c); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return len(cs), errors.Join(errs...)
}

// claim takes up to a batch of due deliveries of active endpoints (and
// test events, which go to paused ones too) under a lease long enough for
// one request. The conditions are repeated outside
// the subquery: on PostgreSQL a row another instance claimed meanwhile is
// re-checked against them once that instance's lock is released, and
// skipped instead of being sent twice.
func (s *Service) claim(ctx context.Context) ([]claimed, error) {
	now := s.now().UnixMilli()
	lease := now + (s.timeout() + 30*time.Second).Milliseconds()
	// Most polls find nothing due: ask a reader first, so that an idle
	// shop's sender never takes the single writer (SQLite) every second.
	var due int
	err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM webhook_deliveries d
		JOIN webhook_endpoints p ON p.id = d.endpoint_id JOIN webhook_events e ON e.id = d.event_id
		WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND d.lease_until <= $1 AND (p.active = TRUE OR e.type = $2) LIMIT 1) due`,
		now, Test).Scan(&due)
	if err != nil {
		return nil, fmt.Errorf("webhook deliveries due: %w", err)
	}
	if due == 0 {
		return nil, nil
	}
	var out []claimed
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		out = out[:0]
		rows, err := tx.Query(ctx, `UPDATE webhook_deliveries SET lease_until = $1
			WHERE id IN (SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints p ON p.id = d.endpoint_id
				JOIN webhook_events e ON e.id = d.event_id
				WHERE d.status = 'pending' AND d.next_attempt_at <= $2 AND d.lease_until <= $2 AND (p.active = TRUE OR e.type = $4)
				ORDER BY d.next_attempt_at, d.id LIMIT $3)
			AND status = 'pending' AND lease_until <= $2
			RETURNING id, event_id, endpoint_id, attempts`, lease, now, s.batch(), Test)
		if err != nil {
			return fmt.Errorf("claim webhook deliveries: %w", err)
		}
		var eps []int64
		for rows.Next() {
			var c claimed
			var ep int64
			if err := rows.Scan(&c.id, &c.eventID, &ep, &c.attempts); err != nil {
				rows.Close()
				return err
			}
			out = append(out, c)
			eps = append(eps, ep)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("claim webhook deliveries: %w", err)
		}
		for i := range out {
			c := &out[i]
			if err := tx.QueryRow(ctx, `SELECT e.type, e.payload, e.created_at, p.url, p.secret FROM webhook_events e, webhook_endpoints p
				WHERE e.id = $1 AND p.id = $2`, c.eventID, eps[i]).Scan(&c.typ, &c.payload, &c.eventAt, &c.url, &c.secret); err != nil {
				return fmt.Errorf("webhook delivery %d: %w", c.id, err)
			}
		}
		return nil
	})
	return out, err
}

// maxExcerpt is how much of a response the log keeps.
const maxExcerpt = 1024

// send posts one delivery and records the attempt: a 2xx answer is
// success; anything else (another status, a timeout, a refused address)
// is retried after Backoff, and after MaxAttempts the delivery is dead.
func (s *Service) send(ctx context.Context, c claimed) error {
	b := body(c.eventID, c.typ, c.eventAt, c.payload)
	start := s.now()
	code, excerpt, sendErr := s.post(ctx, c, b, start)
	latency := s.now().Sub(start)
	if ctx.Err() != nil {
		// Shutting down: the lease runs out and the delivery is taken
		// again; the interrupted request is not counted against it.
		return nil
	}
	attempt := c.attempts + 1
	errText := ""
	if sendErr != nil {
		errText = sendErr.Error()
	} else if code < 200 || code > 299 {
		errText = "the receiver answered " + strconv.Itoa(code) + " " + http.StatusText(code) + "; only 2xx counts as received"
	}
	status, next := StatusSucceeded, start.UnixMilli()
	if errText != "" {
		status = StatusPending
		next = start.Add(s.backoff(attempt)).UnixMilli()
		if attempt >= s.maxAttempts() {
			status = StatusDead
		}
	}
	now := s.now().UnixMilli()
	bg := context.WithoutCancel(ctx)
	return s.DB.InTx(bg, func(tx *db.Tx) error {
		if _, err := tx.Exec(bg, `INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, latency_ms, response, error)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, c.id, attempt, start.UnixMilli(), code, latency.Milliseconds(), excerpt, errText); err != nil {
			return fmt.Errorf("log webhook delivery %d: %w", c.id, err)
		}
		if _, err := tx.Exec(bg, `UPDATE webhook_deliveries SET status = $1, attempts = $2, next_attempt_at = $3, lease_until = 0,
			last_status_code = $4, last_error = $5, updated_at = $6 WHERE id = $7`, status, attempt, next, code, errText, now, c.id); err != nil {
			return fmt.Errorf("record webhook delivery %d: %w", c.id, err)
		}
		return nil
	})
}

func (s *Service) post(ctx context.Context, c claimed, b []byte, at time.Time) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(b))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "storeops-webhooks/1")
	req.Header.Set(HeaderSignature, Sign(c.secret, at, b))
	req.Header.Set(HeaderEvent, c.typ)
	req.Header.Set(HeaderEventID, strconv.FormatInt(c.eventID, 10))
	req.Header.Set(HeaderDelivery, strconv.FormatInt(c.id, 10))
	resp, err := s.httpClient().Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxExcerpt))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	return resp.StatusCode, excerpt(raw), nil
}

// excerpt keeps a response's text as valid UTF-8 (the cut may split a
// character).
func excerpt(b []byte) string {
	return strings.ToValidUTF8(string(b), "\uFFFD")
}
