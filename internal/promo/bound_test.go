package promo

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// The search leaves out a combination on the strength of upBound: no step
// may ever take off more than it says, or the best deal could be cut.
// Every kind, with caps, thresholds, repeats and per-unit amounts, on
// random carts at random points of the pricing order.
func TestUpBound_NeverBelowWhatAStepTakes(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 20))
	kinds := map[Kind]int{}
	for n := range 5000 {
		in := Input{At: time.Date(2026, 11, 22, 15, 0, 0, 0, shanghai), Location: shanghai}
		for i := range 1 + r.IntN(8) {
			in.Lines = append(in.Lines, Line{SKUID: int64(i + 1), ProductID: int64(10 * (i + 1)), CategoryIDs: []int64{int64(1 + r.IntN(3))},
				Quantity: 1 + r.Int64N(5), ListPrice: 1 + r.Int64N(50000)})
		}
		p := Promotion{ID: 1, Name: "p", Scope: ScopeOrder}
		if r.IntN(2) == 0 {
			p.Scope, p.CategoryIDs = ScopeCategories, []int64{int64(1 + r.IntN(3))}
		}
		switch r.IntN(5) {
		case 0:
			p.Kind = KindTieredOff
			th := 1 + r.Int64N(60000)
			p.Levels = []Level{{Threshold: th, Off: 1 + r.Int64N(th)}}
			if r.IntN(2) == 0 {
				p.Repeat = true
			} else if r.IntN(2) == 0 {
				p.Levels = append(p.Levels, Level{Threshold: th + 1 + r.Int64N(60000), Off: p.Levels[0].Off + 1 + r.Int64N(th)})
			}
		case 1:
			p.Kind, p.RateBP = KindPercentOff, 1+r.Int64N(10000)
		case 2:
			p.Kind, p.Amount, p.PerUnit = KindFixedOff, 1+r.Int64N(20000), p.Scope != ScopeOrder && r.IntN(2) == 0
		case 3:
			p.Kind, p.BuyN, p.GetM = KindBuyNGetM, 1+r.Int64N(3), 1+r.Int64N(2)
		case 4:
			p.Kind, p.Scope, p.CategoryIDs, p.BundleSKUs, p.BundlePrice = KindBundle, ScopeOrder, nil, []int64{1, 2}, 1+r.Int64N(50000)
		}
		if r.IntN(3) == 0 {
			p.Cap = 1 + r.Int64N(5000)
		}
		if r.IntN(4) == 0 && p.Kind != KindTieredOff {
			p.Threshold = r.Int64N(50000)
		}
		if err := p.Validate(); err != nil {
			continue
		}
		c := &candidate{p: &p, stage: p.Stage()}
		for i := range in.Lines {
			if inScope(&p, &in.Lines[i]) {
				c.lines[i/64] |= 1 << (i % 64)
			}
		}
		// Earlier steps have left some lines cheaper, some at 0.
		o := start(&in, newScratch(len(in.Lines)), false)
		for i := range o.amount {
			if r.IntN(3) == 0 {
				o.amount[i] = r.Int64N(o.amount[i] + 1)
			}
		}
		before := o.total()
		bound := upBound(c, before)
		o.apply(c)
		if took := before - o.total(); took > bound {
			t.Fatalf("case %d: %s took %d off %d, its bound is %d: %+v", n, p.Kind, took, before, bound, p)
		} else if took > 0 {
			kinds[p.Kind]++
		}
		o.sc.release()
	}
	for _, k := range []Kind{KindTieredOff, KindPercentOff, KindFixedOff, KindBuyNGetM, KindBundle} {
		if kinds[k] < 100 {
			t.Errorf("%s took something only %d times", k, kinds[k])
		}
	}
}

func TestAppendYuan_AsStrconv(t *testing.T) {
	for _, fen := range []int64{0, 1, 9, 10, 99, 100, 101, 999, 1000, 12345, 100000, -1, -150, -123456, 1 << 50} {
		a := fen
		sign := ""
		if a < 0 {
			sign, a = "-", -a
		}
		want := fmt.Sprintf("%s¥%s.%02d", sign, strconv.FormatInt(a/100, 10), a%100)
		if got := string(appendYuan(nil, fen)); got != want || yuanLen(fen) != len(want) {
			t.Errorf("%d: %q (len %d), want %q", fen, got, yuanLen(fen), want)
		}
	}
}
