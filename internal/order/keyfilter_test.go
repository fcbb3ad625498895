package order

import (
	"context"
	"fmt"
	"testing"

	"github.com/storeops/storeops/internal/db/dbtest"
)

// The filter never says "no" for a key the store holds: the keys stored
// before it was first asked, and those noted since; for keys never stored
// it says "no" nearly always. PostgreSQL always reads.
func TestKeyFilter_NeverMissesAStoredKey(t *testing.T) {
	ctx := context.Background()
	d := dbtest.SQLite(t)
	k := &Keys{DB: d}
	for i := range 200 {
		if err := k.Remember(ctx, "customer 1 POST /store/checkout", fmt.Sprintf("before-%d", i), "h", 409, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	// A filter made afresh, as in a new process: it reads the stored keys.
	keyFilters.Delete(d)
	for i := range 200 {
		if !k.MightHold(ctx, "customer 1 POST /store/checkout", fmt.Sprintf("before-%d", i)) {
			t.Fatalf("stored key before-%d: the filter says no", i)
		}
	}
	for i := range 200 {
		if err := k.Keep(ctx, "customer 2 POST /store/checkout", fmt.Sprintf("after-%d", i), "h", 201, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		if !k.MightHold(ctx, "customer 2 POST /store/checkout", fmt.Sprintf("after-%d", i)) {
			t.Fatalf("key after-%d kept since: the filter says no", i)
		}
	}
	maybe := 0
	for i := range 10000 {
		if k.MightHold(ctx, "customer 3 POST /store/checkout", fmt.Sprintf("new-%d", i)) {
			maybe++
		}
	}
	if maybe > 100 {
		t.Errorf("%d of 10,000 new keys answered maybe; the filter is about 1%% wrong when full, and it holds 400", maybe)
	}
	if pg := dbtest.PostgresURL(); pg != "" {
		p := dbtest.Postgres(t)
		if !(&Keys{DB: p}).MightHold(ctx, "s", "never") {
			t.Error("on PostgreSQL the filter must always read")
		}
	}
}
