package db

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// Group commit. SQLite has one writer, and with synchronous=FULL every
// commit waits for the disk; one transaction per order caps a shop at a few
// hundred orders a second however many cores it has. So on SQLite InTx does
// not open its own transaction: it hands fn to the writer goroutine, which
// runs every waiting fn in one transaction and commits once for all of
// them. Each fn keeps its all-or-nothing semantics: a fn that fails leaves
// nothing behind and only its caller sees the error; the others commit.
// Nobody is answered before the commit that holds their work, so an
// acknowledged write survives a crash exactly as before.
//
// How a failed fn is undone depends on what it is:
//   - InTx: the fn runs under its own SAVEPOINT, rolled back to on failure.
//     (Not for the first fn of a batch: with nothing before it, the whole
//     transaction is rolled back and a fresh one begun.)
//   - InTxRerun: the fn only touches the database and may run again, so it
//     runs without a savepoint — savepoints copy every page they touch to a
//     sub-journal, about a third of the writer's work on the checkout path.
//     If it fails, the transaction is rolled back and the batch replayed
//     without it, this time with savepoints.
//   - Exec (one statement): SQLite undoes a failed statement by itself.
//
// Statements inside a batch ignore their caller's cancellation: SQLite
// answers an interrupted write by rolling back the whole transaction, which
// would take the other callers' work with it. Errors that make SQLite roll
// back on its own (I/O, full disk, out of memory) fail the whole batch.

// maxBatch bounds how many callers share one commit, so that one batch
// cannot hold the writer for long.
const maxBatch = 128

type writeReq struct {
	ctx   context.Context
	fn    func(*Tx) error
	kind  fnKind
	done  chan writeResult
	state reqState
}

type fnKind uint8

const (
	kindGuarded fnKind = iota // InTx: a savepoint undoes it
	kindRerun                 // InTxRerun: may run again
	kindStmt                  // one statement: undone by SQLite itself
)

type reqState uint8

const (
	stateQueued reqState = iota
	stateHeld            // ran; its work is in the open transaction
	stateDone            // answered with an error (or skipped)
)

type writeResult struct {
	err    error
	panic  any
	goexit bool // fn called runtime.Goexit (t.FailNow in a test)
}

type batcher struct {
	d       *DB
	reqs    chan *writeReq
	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once
	commits atomic.Int64 // transactions committed, for tests
	replays atomic.Int64 // batches replayed without a failed rerunnable fn
}

var errClosed = errors.New("database is closed")

func newBatcher(d *DB) *batcher {
	b := &batcher{d: d, reqs: make(chan *writeReq, 4*maxBatch), stop: make(chan struct{}), stopped: make(chan struct{})}
	go b.loop()
	return b
}

var reqPool = sync.Pool{New: func() any { return &writeReq{done: make(chan writeResult, 1)} }}

// run queues fn and waits for the commit of the batch that ran it. The
// caller waits even when its context ends meanwhile: once fn may have run,
// only the commit's outcome says whether its work is in the database.
func (b *batcher) run(ctx context.Context, kind fnKind, fn func(*Tx) error) error {
	r := reqPool.Get().(*writeReq)
	r.ctx, r.fn, r.kind, r.state = ctx, fn, kind, stateQueued
	select {
	case b.reqs <- r:
	case <-b.stop:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	var res writeResult
	select {
	case res = <-r.done:
	case <-b.stopped:
		// The writer has stopped; it answered everyone it drained before
		// that, so an answer for r, if any, is already here.
		select {
		case res = <-r.done:
		default:
			return errClosed
		}
	}
	r.ctx, r.fn = nil, nil
	reqPool.Put(r)
	if res.panic != nil {
		panic(res.panic)
	}
	if res.goexit {
		runtime.Goexit()
	}
	return res.err
}

func (b *batcher) close() {
	b.once.Do(func() { close(b.stop) })
	<-b.stopped
}

func (b *batcher) loop() {
	defer close(b.stopped)
	batch := make([]*writeReq, 0, maxBatch)
	for {
		select {
		case r := <-b.reqs:
			batch = append(batch[:0], r)
		case <-b.stop:
			// Whoever is queued still gets an answer.
			for {
				select {
				case r := <-b.reqs:
					r.done <- writeResult{err: errClosed}
				default:
					return
				}
			}
		}
	drain:
		for len(batch) < maxBatch {
			select {
			case r := <-b.reqs:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		b.commit(batch)
		b.d.prepareQueued()
	}
}

// commit runs one batch and answers every caller.
func (b *batcher) commit(batch []*writeReq) {
	results := make([]writeResult, len(batch))
	defer func() {
		for i, r := range batch {
			r.done <- results[i]
		}
	}()
	fail := func(i int, err error) {
		if results[i].err == nil && results[i].panic == nil {
			results[i].err = err
		}
		batch[i].state = stateDone
	}
	guardAll := false // after a replay, every fn gets a savepoint
	for pass := 0; ; pass++ {
		sqlTx, err := b.d.w.BeginTx(context.Background(), nil)
		if err != nil {
			for i, r := range batch {
				if r.state != stateDone {
					fail(i, fmt.Errorf("begin transaction: %w", err))
				}
			}
			return
		}
		tx := &Tx{tx: sqlTx, d: b.d, batched: true}
		held, opaque := 0, false // opaque: a held fn that may not run again
		replay := false
		for i, r := range batch {
			if r.state == stateDone {
				continue
			}
			if pass == 0 {
				if err := r.ctx.Err(); err != nil {
					fail(i, err)
					continue
				}
			}
			r.state = stateQueued
			guard := held > 0 && (r.kind == kindGuarded || (r.kind == kindRerun && (opaque || guardAll)))
			if guard {
				if _, err := sqlTx.Exec("SAVEPOINT w"); err != nil {
					fail(i, fmt.Errorf("savepoint: %w", err))
					continue
				}
			}
			tx.wrote = false
			err, p, exited := call(r.fn, tx)
			if exited {
				err = errGoexit
			}
			if err == nil && p == nil {
				if guard {
					if _, err := sqlTx.Exec("RELEASE w"); err != nil {
						b.abort(sqlTx, batch, fail, fmt.Errorf("release savepoint: %w", err))
						return
					}
				}
				r.state = stateHeld
				held++
				opaque = opaque || r.kind == kindGuarded
				continue
			}
			results[i] = writeResult{err: err, panic: p, goexit: exited}
			r.state = stateDone
			if fatal(err) {
				b.abort(sqlTx, batch, fail, fmt.Errorf("transaction rolled back by SQLite: %w", err))
				return
			}
			switch {
			case r.kind == kindStmt || (!tx.wrote && p == nil):
				// SQLite undid the statement, or the fn failed before
				// writing anything: the transaction goes on.
			case held == 0:
				// Nothing else is in the transaction: start afresh.
				sqlTx.Rollback()
				if sqlTx, err = b.d.w.BeginTx(context.Background(), nil); err != nil {
					b.abort(nil, batch, fail, fmt.Errorf("begin transaction: %w", err))
					return
				}
				tx = &Tx{tx: sqlTx, d: b.d, batched: true}
			case guard:
				_, rerr := sqlTx.Exec("ROLLBACK TO w")
				if rerr == nil {
					_, rerr = sqlTx.Exec("RELEASE w")
				}
				if rerr != nil {
					b.abort(sqlTx, batch, fail, fmt.Errorf("batch rolled back after %v: %w", err, rerr))
					return
				}
			default:
				// A rerunnable fn failed part way: replay the batch
				// without it. Everything held is rerunnable (else it
				// would have had a savepoint).
				replay = true
			}
			if replay {
				break
			}
		}
		if replay {
			sqlTx.Rollback()
			b.replays.Add(1)
			guardAll = true
			continue
		}
		if held == 0 {
			sqlTx.Rollback()
			return
		}
		b.commits.Add(1)
		if err := sqlTx.Commit(); err != nil {
			for i, r := range batch {
				if r.state == stateHeld {
					fail(i, fmt.Errorf("commit: %w", err))
				}
			}
		}
		return
	}
}

// abort rolls the batch's transaction back and fails every caller that
// has no error of its own yet.
func (b *batcher) abort(sqlTx interface{ Rollback() error }, batch []*writeReq, fail func(int, error), err error) {
	if sqlTx != nil {
		sqlTx.Rollback()
	}
	for i := range batch {
		fail(i, err)
	}
}

// fatal reports errors after which SQLite has rolled the transaction back
// by itself (or may have): nothing of the batch is left in it.
func fatal(err error) bool {
	var se interface{ Code() int }
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case 4, 5, 7, 9, 10, 11, 13: // ABORT, BUSY, NOMEM, INTERRUPT, IOERR, CORRUPT, FULL
		return true
	}
	return false
}

// call runs fn in a goroutine of its own, turning a panic into a value
// the caller re-raises in its own goroutine, and noticing runtime.Goexit
// (t.Fatal inside a transaction in a test): that ends fn's goroutine, not
// the writer's, and the caller exits the same way.
func call(fn func(*Tx) error, tx *Tx) (err error, p any, exited bool) {
	done := make(chan struct{})
	go func() {
		returned := false
		defer func() {
			if !returned {
				if p = recover(); p == nil {
					exited = true
				}
			}
			close(done)
		}()
		err = fn(tx)
		returned = true
	}()
	<-done
	return err, p, exited
}

var errGoexit = errors.New("the transaction's function called runtime.Goexit")
