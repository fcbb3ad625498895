package db

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// Group commit. SQLite has one writer, and with synchronous=FULL every
// commit waits for the disk; one transaction per order caps a shop at a few
// hundred orders a second however many cores it has. So on SQLite InTx does
// not open its own transaction: it hands fn to the writer goroutine, which
// runs every waiting fn in one transaction, each under its own SAVEPOINT,
// and commits once for all of them. Each fn keeps its all-or-nothing
// semantics: a fn that fails is rolled back to its savepoint and only its
// caller sees the error; the others commit. Nobody is answered before the
// commit that holds their work, so an acknowledged write survives a crash
// exactly as before.
//
// The first fn of a batch runs without a savepoint (there is nothing
// before it to protect): if it fails the transaction is rolled back and a
// fresh one begun. Savepoints cost a statement each, and a batch of one —
// the common case on an idle shop — pays nothing extra.

// maxBatch bounds how many callers share one commit, so that one batch
// cannot hold the writer for long.
const maxBatch = 128

type writeReq struct {
	ctx  context.Context
	fn   func(*Tx) error
	done chan writeResult
}

type writeResult struct {
	err   error
	panic any
}

type batcher struct {
	d       *DB
	reqs    chan *writeReq
	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once
	commits atomic.Int64 // transactions committed, for tests
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
func (b *batcher) run(ctx context.Context, fn func(*Tx) error) error {
	r := reqPool.Get().(*writeReq)
	r.ctx, r.fn = ctx, fn
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

// commit runs one batch in one transaction and answers every caller.
func (b *batcher) commit(batch []*writeReq) {
	results := make([]writeResult, len(batch))
	answer := func() {
		for i, r := range batch {
			r.done <- results[i]
		}
	}
	sqlTx, err := b.d.w.BeginTx(context.Background(), nil)
	if err != nil {
		for i := range results {
			results[i].err = fmt.Errorf("begin transaction: %w", err)
		}
		answer()
		return
	}
	tx := &Tx{tx: sqlTx, d: b.d}
	held := 0 // callers whose work the open transaction holds
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			results[i].err = err
			continue
		}
		guard := held > 0
		if guard {
			if _, err := sqlTx.Exec("SAVEPOINT w"); err != nil {
				results[i].err = fmt.Errorf("savepoint: %w", err)
				continue
			}
		}
		err, p := call(r.fn, tx)
		if err == nil && p == nil {
			if guard {
				if _, err := sqlTx.Exec("RELEASE w"); err != nil {
					b.abort(sqlTx, batch, results, i, fmt.Errorf("release savepoint: %w", err))
					answer()
					return
				}
			}
			held++
			continue
		}
		results[i] = writeResult{err: err, panic: p}
		if !guard {
			// Nothing else is in the transaction: start afresh.
			sqlTx.Rollback()
			if sqlTx, err = b.d.w.BeginTx(context.Background(), nil); err != nil {
				for j := i + 1; j < len(batch); j++ {
					results[j].err = fmt.Errorf("begin transaction: %w", err)
				}
				answer()
				return
			}
			tx = &Tx{tx: sqlTx, d: b.d}
			continue
		}
		_, rerr := sqlTx.Exec("ROLLBACK TO w")
		if rerr == nil {
			_, rerr = sqlTx.Exec("RELEASE w")
		}
		if rerr != nil {
			// SQLite rolled the whole transaction back on its own (an
			// I/O error, a full disk): nobody's work is in it any more.
			b.abort(sqlTx, batch, results, i, fmt.Errorf("batch rolled back after %v: %w", err, rerr))
			answer()
			return
		}
	}
	if held > 0 {
		b.commits.Add(1)
		if err := sqlTx.Commit(); err != nil {
			for i := range results {
				if results[i].err == nil && results[i].panic == nil {
					results[i].err = fmt.Errorf("commit: %w", err)
				}
			}
		}
	} else {
		sqlTx.Rollback()
	}
	answer()
}

// abort rolls the batch's transaction back and fails every caller whose
// work it held, and every caller after i, with err.
func (b *batcher) abort(sqlTx interface{ Rollback() error }, batch []*writeReq, results []writeResult, i int, err error) {
	sqlTx.Rollback()
	for j := range batch {
		failed := results[j].err != nil || results[j].panic != nil
		if j <= i && failed {
			continue // it failed on its own and has its own error
		}
		results[j].err = err
	}
}

// call runs fn, turning a panic into a value the caller re-raises in its
// own goroutine.
func call(fn func(*Tx) error, tx *Tx) (err error, p any) {
	defer func() {
		if v := recover(); v != nil {
			p = v
		}
	}()
	return fn(tx), nil
}
