package demo

import (
	"context"
	"testing"

	"github.com/storeops/storeops/internal/audience"
	"github.com/storeops/storeops/internal/db/dbtest"
)

// The demo keeps its three custom segments, each matching some customers
// and not all of them, sized as of the demo's end.
func TestGenerate_SavesCustomSegments(t *testing.T) {
	d := dbtest.SQLite(t)
	opts := smallShop(t)
	opts.Days = 400
	generate(t, d, opts)
	gs, err := (&audience.Service{DB: d}).List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(gs) != len(demoAudiences) {
		t.Fatalf("%d segments, want %d", len(gs), len(demoAudiences))
	}
	var all int64
	if err := d.QueryRow(context.Background(), `SELECT COUNT(*) FROM customers`).Scan(&all); err != nil {
		t.Fatal(err)
	}
	for _, g := range gs {
		if g.Customers == 0 || g.Customers >= all {
			t.Errorf("segment %s matches %d of %d customers", g.Name, g.Customers, all)
		}
	}
}
