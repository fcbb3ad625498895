package metric

import "github.com/storeops/storeops/internal/db"

// SplitForTest exposes split to the external tests.
var SplitForTest = split

// HoldRefreshForTest takes the store's refresh lock of kind ("sales",
// "indicators") as a running refresh does; call the result to let go.
func HoldRefreshForTest(d *db.DB, kind string) func() {
	mu := refreshLock(d, kind)
	mu.Lock()
	return mu.Unlock
}

// AwaitRefreshForTest exposes awaitRefresh.
var AwaitRefreshForTest = awaitRefresh
