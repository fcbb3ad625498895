package bench

import (
	"context"
	"path/filepath"
	"strings"
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

// A kept store is generated once and reused by the next bench of the same
// size, which scores the same customers; another size is refused.
func TestRunRFM_KeptStoreIsReused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rfm.db")
	cfg := RFMConfig{Customers: 300, Orders: 2_000, Store: path}
	first, err := RunRFM(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	again, err := RunRFM(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if first.GenerateSeconds <= 0 || again.GenerateSeconds != 0 || again.Scored != first.Scored || len(again.RefreshRuns) != rfmNights {
		t.Fatalf("first %+v, reused %+v", first, again)
	}
	cfg.Orders = 3_000
	if _, err := RunRFM(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "not the 300 and 3000 asked for") {
		t.Errorf("a kept store of another size: %v", err)
	}
}
