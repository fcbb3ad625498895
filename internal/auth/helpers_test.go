package auth

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/db"
)

// clock is a hand-moved time source for Service.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 6, 18, 2, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newService(d *db.DB) (*Service, *clock) {
	c := newClock()
	return &Service{DB: d, Now: c.Now}, c
}

func mustCreate(t *testing.T, s *Service, username string, role Role, pw string) Operator {
	t.Helper()
	o, err := s.CreateOperator(context.Background(), NewOperator{Username: username, Role: role, Password: pw})
	if err != nil {
		t.Fatalf("create operator %s: %v", username, err)
	}
	return o
}

func ptr[T any](v T) *T { return &v }
