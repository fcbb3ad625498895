package main

import (
	"context"
	"fmt"

	"github.com/storeops/storeops/internal/bench"
)

// runFunnelBench builds a SQLite store of raw traffic events and times the
// funnel counted from them (internal/bench/funnel.go).
func runFunnelBench(ctx context.Context, e *cmdEnv, cfg bench.FunnelConfig, asJSON bool) error {
	cfg.Log = func(format string, args ...any) { fmt.Fprintf(e.stderr, format+"\n", args...) }
	rep, err := bench.RunFunnel(ctx, cfg)
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(e.stdout, rep)
	}
	fmt.Fprintf(e.stdout, "funnel, %d events from %d visitors over %d days (%d batches, %d MB)\n",
		rep.Events, rep.Visitors, rep.Days, rep.Batches, rep.StoredBytes>>20)
	fmt.Fprintf(e.stdout, "generate  %.1f s\nfunnel    %v s (every channel; CPU %v s), %.2f s (one channel)\n",
		rep.GenerateSeconds, rep.FunnelSeconds, rep.FunnelCPU, rep.ChannelSeconds)
	f := rep.Funnel
	fmt.Fprintf(e.stdout, "steps     %d → %d → %d → %d visitor-days\n", f.View, f.Cart, f.Checkout, f.Paid)
	fmt.Fprintf(e.stdout, "rollup    %.1f s every day, %.2f s a refresh after new events, %.1f ms the dashboard's read\n",
		rep.RollupSeconds, rep.RefreshSeconds, rep.DashboardMillis)
	return nil
}
