package bench

import (
	"context"
	"testing"
)

// A small store: almost every customer buys and is scored, every run is
// timed, and the routine runs follow the first.
func TestRunRFM_SmallStore(t *testing.T) {
	rep, err := RunRFM(context.Background(), RFMConfig{Customers: 500, Orders: 5_000, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Scored < 400 || rep.Scored > 500 || len(rep.RefreshRuns) != rfmNights || rep.RebuildSeconds <= 0 || rep.FirstRunSeconds <= 0 {
		t.Fatalf("report %+v", rep)
	}
	if _, err := RunRFM(context.Background(), RFMConfig{Customers: 0}); err == nil {
		t.Error("a store of no customers was taken")
	}
}
