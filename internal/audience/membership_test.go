package audience

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
)

// A customer's memberships, asked one customer at a time for a batch of
// random segments at once, are the oracle's, on both engines; a segment
// whose rules no longer validate holds nobody.
func TestMembership_EqualsGoComputation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := generate(t, d, 120, 11)
		env, err := LoadEnv(ctx, d, w.now)
		if err != nil {
			t.Fatal(err)
		}
		if err := Refresh(ctx, d, true); err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(5, 5))
		rounds := 12
		if raceDetector {
			rounds = 4
		}
		for round := range rounds {
			segs := make([]Segment, 6)
			for i := range segs {
				segs[i] = Segment{ID: int64(100*round + i + 1), Rules: randomGroup(rng, 3)}
			}
			// A tier the ladder does not have: refused, so nobody is in it.
			broken := Segment{ID: 99999, Rules: all(Rule{Field: "tier", Op: "in", Values: []string{"diamond"}})}
			m := CompileMembership(append(segs, broken), env)
			if m.Invalid[broken.ID] == nil || len(m.Invalid) != 1 {
				t.Fatalf("invalid %v: want only segment %d", m.Invalid, broken.ID)
			}
			for _, f := range w.facts {
				var want []int64
				for _, s := range segs {
					if w.matches(f, s.Rules) {
						want = append(want, s.ID)
					}
				}
				got, err := m.Of(ctx, d, f.id)
				if err != nil {
					t.Fatal(err)
				}
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Fatalf("round %d customer %d: in %v, want %v (rules %+v)", round, f.id, got, want, segs)
				}
			}
		}
	})
}
