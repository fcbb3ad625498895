package db

import (
	"context"
	"database/sql"
	"sync"
)

// Prepared statements on SQLite. modernc's driver parses and plans a
// statement's text on every call, and on the checkout path that was about a
// quarter of the CPU. So the SQLite pools keep every statement they run
// prepared, per query text. (pgx caches prepared statements per
// connection by itself.)
//
// Readers prepare on first use. The writer cannot: preparing on the pool
// needs its one connection, which a running transaction holds. So a
// transaction runs an unseen statement as text and queues it, and the
// writer goroutine prepares the queue between batches, when the connection
// is free.

const (
	maxStmts   = 2000 // distinct statements kept per pool
	maxStmtLen = 3000 // longer texts (bulk inserts) are not kept
)

type stmtCache struct {
	pool *sql.DB
	mu   sync.RWMutex
	m    map[string]*sql.Stmt
	// queued texts the writer prepares between batches
	queued map[string]struct{}
}

func newStmtCache(pool *sql.DB) *stmtCache {
	return &stmtCache{pool: pool, m: make(map[string]*sql.Stmt), queued: make(map[string]struct{})}
}

func (c *stmtCache) get(q string) *sql.Stmt {
	c.mu.RLock()
	st := c.m[q]
	c.mu.RUnlock()
	return st
}

func cacheable(q string) bool { return len(q) <= maxStmtLen }

// prepare prepares q on the pool and keeps it; nil when it cannot (the
// caller then runs the text, which reports any error).
func (c *stmtCache) prepare(ctx context.Context, q string) *sql.Stmt {
	if !cacheable(q) {
		return nil
	}
	c.mu.RLock()
	full := len(c.m) >= maxStmts
	c.mu.RUnlock()
	if full {
		return nil
	}
	st, err := c.pool.PrepareContext(ctx, q)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[q]; ok {
		st.Close()
		return old
	}
	c.m[q] = st
	return st
}

// queue asks the writer to prepare q between batches.
func (c *stmtCache) queue(q string) {
	if !cacheable(q) {
		return
	}
	c.mu.Lock()
	if len(c.m)+len(c.queued) < maxStmts {
		c.queued[q] = struct{}{}
	}
	c.mu.Unlock()
}

// prepareQueued prepares what transactions queued; the writer calls it
// with no transaction open.
func (c *stmtCache) prepareQueued() {
	c.mu.Lock()
	if len(c.queued) == 0 {
		c.mu.Unlock()
		return
	}
	qs := make([]string, 0, len(c.queued))
	for q := range c.queued {
		qs = append(qs, q)
	}
	clear(c.queued)
	c.mu.Unlock()
	for _, q := range qs {
		c.prepare(context.Background(), q)
	}
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		st.Close()
		delete(c.m, q)
	}
}
