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
		byName := map[string]presale.Presale{}
		for _, p := range ps {
			phases[p.Name], byName[p.Name] = p.Phase, p
			if p.DepositValue != 2*p.Deposit || p.Tail <= 0 || p.PresalePrice >= p.ListPrice || p.Stock < 50 {
				t.Errorf("presale %+v", p)
			}
		}
		// 双12 has twelve deposits, ten paid (every fourth of two units),
		// two waiting; 年货节 none yet.
		p12 := byName["双12 预售 定金膨胀"]
		if c := p12.Counts; c.Paid != 10 || c.Pending != 2 || p12.Deposited != 15 || c.DepositsPaid != 12*p12.Deposit {
			t.Errorf("双12 deposits %+v, %d units", c, p12.Deposited)
		}
		if byName["年货节 预售"].Deposited != 0 {
			t.Error("年货节 has deposits before it opens")
		}
		ds, err := svc.Deposits(ctx, p12.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, dep := range ds {
			if dep.CreatedAt.Before(p12.DepositStartsAt) || !dep.CreatedAt.Before(end) || len(dep.DepositOrderNo) != 16 {
				t.Errorf("deposit %+v", dep)
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
