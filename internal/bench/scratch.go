package bench

import (
	"context"
	"os"
	"path/filepath"

	"github.com/storeops/storeops/internal/db"
)

// scratchStore opens a new SQLite store named file in dir, or in a new
// temporary folder when dir is "", which done then removes. The store runs
// with synchronous=NORMAL: a bench store is generated again, never
// recovered after a power cut.
func scratchStore(ctx context.Context, dir, file string) (d *db.DB, done func(), err error) {
	remove := func() {}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "storeops-bench-")
		if err != nil {
			return nil, nil, err
		}
		dir, remove = tmp, func() { os.RemoveAll(tmp) }
	}
	d, err = db.Open(ctx, filepath.Join(dir, file), db.Options{Synchronous: "NORMAL"})
	if err != nil {
		remove()
		return nil, nil, err
	}
	return d, func() { d.Close(); remove() }, nil
}
