package order

import (
	"context"
	"hash/maphash"
	"sync"
	"sync/atomic"

	"github.com/storeops/storeops/internal/db"
)

// A refused call (the flash sale sold out, a limit reached) reads its
// Idempotency-Key before answering, because a retry of a call that
// succeeded must get that success. Nearly every key is new, so on SQLite —
// whose one process writes every key — a Bloom filter of the keys the
// store may hold lets the refusal skip the read: the keys stored when the
// filter is first asked, and every key this process inserts, noted before
// its insert runs. It only ever answers "maybe" for a stored key; a
// "maybe" for a new one costs the read it would have cost anyway. Keys
// purged after KeyTTL stay in the filter; past its capacity it answers
// "maybe" for every key. PostgreSQL, where other servers insert keys too,
// always reads.

const (
	filterKeys   = 4 << 20 // keys the filter is sized for
	filterBits   = 10 * filterKeys
	filterHashes = 7 // about 1% false "maybe" when full
)

type keyFilter struct {
	bits  []atomic.Uint64
	count atomic.Int64
	seed  maphash.Seed

	loadOnce sync.Once
	loaded   atomic.Bool
}

// keyFilters holds one filter per SQLite store of the process.
var keyFilters sync.Map // *db.DB → *keyFilter

func filterOf(d *db.DB) *keyFilter {
	if d == nil || d.Dialect() != db.SQLite {
		return nil
	}
	if f, ok := keyFilters.Load(d); ok {
		return f.(*keyFilter)
	}
	f, _ := keyFilters.LoadOrStore(d, &keyFilter{bits: make([]atomic.Uint64, filterBits/64), seed: maphash.MakeSeed()})
	return f.(*keyFilter)
}

func (f *keyFilter) positions(scope, key string) [filterHashes]uint64 {
	var h maphash.Hash
	h.SetSeed(f.seed)
	h.WriteString(scope)
	h.WriteByte(0)
	h.WriteString(key)
	a := h.Sum64()
	b := a>>33 | a<<31 | 1
	var out [filterHashes]uint64
	for i := range out {
		out[i] = (a + uint64(i)*b) % filterBits
	}
	return out
}

// note adds a key the store is about to hold.
func (f *keyFilter) note(scope, key string) {
	if f == nil {
		return
	}
	for _, p := range f.positions(scope, key) {
		f.bits[p/64].Or(1 << (p % 64))
	}
	f.count.Add(1)
}

// mightHold reports whether the store may hold the key; the first call
// reads every stored key into the filter. Any failure says "maybe".
func (f *keyFilter) mightHold(ctx context.Context, d *db.DB, scope, key string) bool {
	if f == nil {
		return true
	}
	f.loadOnce.Do(func() {
		rows, err := d.Query(context.WithoutCancel(ctx), `SELECT scope, key FROM idempotency_keys`)
		if err != nil {
			return
		}
		defer rows.Close()
		for rows.Next() {
			var s, k string
			if err := rows.Scan(&s, &k); err != nil {
				return
			}
			f.note(s, k)
		}
		if rows.Err() == nil {
			f.loaded.Store(true)
		}
	})
	if !f.loaded.Load() || f.count.Load() > filterKeys {
		return true
	}
	for _, p := range f.positions(scope, key) {
		if f.bits[p/64].Load()&(1<<(p%64)) == 0 {
			return false
		}
	}
	return true
}

// MightHold reports whether the store may hold a key of scope: false means
// it certainly does not (SQLite only), and a refused call need not read it.
func (k *Keys) MightHold(ctx context.Context, scope, key string) bool {
	return filterOf(k.DB).mightHold(ctx, k.DB, scope, key)
}
