package event

import (
	"context"
	"fmt"
	"hash/maphash"
	"strings"

	"github.com/storeops/storeops/internal/db"
)

// seenIDs is the collector's exact per-day dedup of client event ids
// ("c:…"): for each store day it has written to lately, the 64-bit hashes
// of the ids stored on that day, loaded from the day's batches the first
// time the day is met. A hash that is not in the set proves the id new; one
// that is (a replay, or very rarely another id with the same hash) is
// checked against the ids themselves, decoded from the day's batches, so a
// replayed batch never counts twice and a hash collision never drops an
// event. Server ids need no set: purchase:<order_no> is a unique key of
// purchase_events, and ids the collector made up ("g:…") are random.
//
// The sets cover what this process writes; two collectors writing one
// PostgreSQL database each check only their own writes and what was stored
// when they loaded a day.
type seenIDs struct {
	seed maphash.Seed
	days map[int64]map[uint64]struct{}
}

// keepDays is how many days' sets stay in memory: events are at most a day
// old (MaxAge) and a few minutes ahead, so three days cover every id the
// collector can still receive.
const keepDays = 3

func newSeenIDs() *seenIDs {
	return &seenIDs{seed: maphash.MakeSeed(), days: map[int64]map[uint64]struct{}{}}
}

func needsSet(id string) bool { return strings.HasPrefix(id, "c:") }

func (s *seenIDs) hash(id string) uint64 { return maphash.String(s.seed, id) }

// day returns the set of day, loading it from the store the first time.
func (s *seenIDs) day(ctx context.Context, q db.Queryer, day int64) (map[uint64]struct{}, error) {
	if set, ok := s.days[day]; ok {
		return set, nil
	}
	set := map[uint64]struct{}{}
	err := storedIDs(ctx, q, day, func(id string) {
		if needsSet(id) {
			set[s.hash(id)] = struct{}{}
		}
	})
	if err != nil {
		return nil, err
	}
	if len(s.days) >= keepDays {
		oldest := day
		for d := range s.days {
			oldest = min(oldest, d)
		}
		if oldest < day {
			delete(s.days, oldest)
		}
	}
	s.days[day] = set
	return set, nil
}

// storedIDs calls fn with the id of every event stored in day's batches.
func storedIDs(ctx context.Context, q db.Queryer, day int64, fn func(string)) error {
	rows, err := q.Query(ctx, "SELECT data FROM event_batches WHERE day = $1", day)
	if err != nil {
		return fmt.Errorf("read event ids of %d: %w", day, err)
	}
	defer rows.Close()
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return err
		}
		b, err := decodeStored(data, day, ColEventID)
		if err != nil {
			return fmt.Errorf("read event ids of %d: %w", day, err)
		}
		for _, id := range b.EventID {
			fn(id)
		}
	}
	return rows.Err()
}

// fresh returns the events of batch whose ids are neither stored on their
// day nor repeated earlier in batch (purchases are left to their unique
// key). It reorders nothing.
func (s *seenIDs) fresh(ctx context.Context, q db.Queryer, batch []Event) ([]Event, error) {
	inBatch := make(map[string]struct{}, len(batch))
	suspects := map[int64]map[string]struct{}{} // day → ids whose hash is stored
	keep := make([]bool, len(batch))
	for i := range batch {
		e := &batch[i]
		if !needsSet(e.EventID) {
			keep[i] = true
			continue
		}
		if _, dup := inBatch[e.EventID]; dup {
			continue
		}
		inBatch[e.EventID] = struct{}{}
		set, err := s.day(ctx, q, e.Day)
		if err != nil {
			return nil, err
		}
		if _, hit := set[s.hash(e.EventID)]; hit {
			if suspects[e.Day] == nil {
				suspects[e.Day] = map[string]struct{}{}
			}
			suspects[e.Day][e.EventID] = struct{}{}
		}
		keep[i] = true
	}
	stored := map[string]struct{}{}
	for day, ids := range suspects {
		err := storedIDs(ctx, q, day, func(id string) {
			if _, ok := ids[id]; ok {
				stored[id] = struct{}{}
			}
		})
		if err != nil {
			return nil, err
		}
	}
	out := batch[:0] // in place: the writer owns batch
	for i := range batch {
		if !keep[i] {
			continue
		}
		if _, ok := stored[batch[i].EventID]; ok {
			continue
		}
		out = append(out, batch[i])
	}
	return out, nil
}

// add records the ids of events that were stored.
func (s *seenIDs) add(events []Event) {
	for i := range events {
		e := &events[i]
		if !needsSet(e.EventID) {
			continue
		}
		if set, ok := s.days[e.Day]; ok {
			set[s.hash(e.EventID)] = struct{}{}
		}
	}
}
