package metric_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/metric"
)

// A reader with a wait gets its answer while the refresh it started is
// still running (stuck here until the test lets it go), and the refresh
// keeps the store's lock until it ends; without a wait the reader waits
// and gets the refresh's error.
func TestAwaitRefresh_ReaderWaitsAtMostItsWait(t *testing.T) {
	var mu sync.Mutex
	mu.Lock()
	release, ended := make(chan struct{}), make(chan struct{})
	err := metric.AwaitRefreshForTest(context.Background(), &mu, 5*time.Millisecond, func(ctx context.Context) error {
		<-release
		close(ended)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if mu.TryLock() {
		t.Fatal("the refresh let go of the lock before it ended")
	}
	close(release)
	<-ended
	for !mu.TryLock() {
		time.Sleep(time.Millisecond) // the deferred unlock runs just after
	}
	mu.Unlock()

	mu.Lock()
	boom := errors.New("boom")
	if err := metric.AwaitRefreshForTest(context.Background(), &mu, 0, func(context.Context) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("without a wait: %v, want the refresh's error", err)
	}
	if !mu.TryLock() {
		t.Fatal("the lock is still held after the refresh")
	}
}
