package bench

import (
	"context"
	"testing"
)

// A small store: every event is stored, the funnel narrows at each step
// and every run counts the same.
func TestRunFunnel_SmallStore(t *testing.T) {
	rep, err := RunFunnel(context.Background(), FunnelConfig{Events: 30_000, Visitors: 2_000, Days: 3, Runs: 2, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	f := rep.Funnel
	if rep.Events != 30_000 || rep.Batches < 6 || rep.StoredBytes <= 0 || len(rep.FunnelSeconds) != 2 {
		t.Fatalf("report %+v", rep)
	}
	if !(f.View > f.Cart && f.Cart > f.Checkout && f.Checkout > f.Paid && f.Paid > 0) {
		t.Errorf("funnel %+v", f)
	}
	if _, err := RunFunnel(context.Background(), FunnelConfig{Events: 10, Visitors: 20, Days: 1}); err == nil {
		t.Error("more visitors than events was taken")
	}
}
