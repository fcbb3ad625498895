package demo

import (
	"context"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/flash"
	"github.com/storeops/storeops/internal/presale"
)

// The demo shop has a presale taking deposits (双12) and one to come
// (年货节), each of a different SKU with its units received and carved out,
// a deposit that counts double and a tail left to pay.
func TestGenerate_PresalesAreCarvedAndTakeDeposits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		opts := smallShop(t)
		generate(t, d, opts)
		end := opts.End
		svc := &presale.Service{DB: d, Now: func() time.Time { return end }}
		ps, err := svc.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != 2 {
			t.Fatalf("%d presales, want 2", len(ps))
		}
		phases := map[string]presale.Phase{}
		for _, p := range ps {
			phases[p.Name] = p.Phase
			if p.DepositValue != 2*p.Deposit || p.Tail <= 0 || p.PresalePrice >= p.ListPrice || p.Stock < 50 || p.Deposited != 0 {
				t.Errorf("presale %+v", p)
			}
		}
		var products int64
		if err := d.QueryRow(ctx, `SELECT COUNT(DISTINCT k.product_id) FROM presales p JOIN skus k ON k.id = p.sku_id`).Scan(&products); err != nil || products != 2 {
			t.Errorf("the presales sell %d products (%v), want 2", products, err)
		}
		if phases["双12 预售 定金膨胀"] != presale.DepositOpen || phases["年货节 预售"] != presale.Scheduled {
			t.Errorf("phases %v", phases)
		}
		if bad, err := flash.CheckReserved(ctx, d); err != nil || len(bad) > 0 {
			t.Errorf("reserved differs from what holds it: %+v %v", bad, err)
		}
	})
}
