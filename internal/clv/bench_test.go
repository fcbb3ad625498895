package clv

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/demo"
)

// BenchmarkFitNow_DemoStore fits the default demo shop (20,000 customers,
// 400 days): the calibration fit and holdout forecast, the full fit, the
// Gamma-Gamma fit, every customer's prediction, and storing them.
func BenchmarkFitNow_DemoStore(b *testing.B) {
	end := time.Date(2025, 12, 31, 0, 0, 0, 0, time.FixedZone("Asia/Shanghai", 8*3600))
	b.StopTimer()
	d := dbtest.SQLite(b)
	if _, err := demo.Generate(context.Background(), d, demo.Options{End: end}); err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
	s := &Service{DB: d}
	for b.Loop() {
		f, err := s.FitNow(context.Background(), Options{AsOf: end})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(f.Customers), "customers")
	}
}

// BenchmarkFitBGNBD_100kCustomers fits the repeat-buying model to 100,000
// customers simulated from known parameters, with time measured to the
// day as the shop measures it (t_x and T in whole days over 7), so that
// customers share histories as a shop's do.
func BenchmarkFitBGNBD_100kCustomers(b *testing.B) {
	hs := simulate(BGNBD{R: 0.5, Alpha: 4, A: 0.8, B: 3}, 100_000, 11)
	for i := range hs {
		hs[i].Tx = math.Floor(hs[i].Tx*7) / 7
		hs[i].T = math.Floor(hs[i].T*7) / 7
	}
	for b.Loop() {
		if _, _, err := FitBGNBD(hs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFitGammaGamma_100kCustomers fits the spend model to the repeat
// buyers among 100,000 simulated customers.
func BenchmarkFitGammaGamma_100kCustomers(b *testing.B) {
	hs := simulate(BGNBD{R: 0.5, Alpha: 4, A: 0.8, B: 3}, 100_000, 11)
	rng := rand.New(rand.NewPCG(3, 4))
	var ss []Spend
	for _, h := range hs {
		if h.X == 0 {
			continue
		}
		// Each customer's transactions average around their own mean,
		// rounded to the 分 as prices are.
		mean := 50 + 200*rng.Float64()
		var sum float64
		for range h.X {
			sum += mean * (0.5 + rng.Float64())
		}
		ss = append(ss, Spend{X: h.X, Mean: math.Round(sum/float64(h.X)*100) / 100})
	}
	for b.Loop() {
		if _, _, err := FitGammaGamma(ss); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(ss)), "repeat_buyers")
}

// simulatePurchases draws n customers' purchase days from the BG/NBD story
// over 78 weeks (first purchases in the first year) with each day's spend
// around the customer's own mean, as LoadPurchases would read them.
func simulatePurchases(m BGNBD, n int, seed uint64) ([]Purchases, int64) {
	const start, days = 20000, 78 * 7
	hs := simulate(m, n, seed) // for the rates' shape only: redrawn per day below
	rng := rand.New(rand.NewPCG(seed, 99))
	out := make([]Purchases, 0, n)
	for i := range hs {
		first := int64(rng.IntN(365))
		// Purchases: the simulated repeat count spread over the customer's
		// remaining time, one a day at most.
		p := Purchases{CustomerID: int64(i + 1), Days: []int64{start + first}}
		mean := 3000 + rng.Int64N(20000)
		p.Net = []int64{mean}
		span := int64(days) - first
		x := min(hs[i].X, int(span)-1)
		seen := map[int64]bool{first: true}
		for range x {
			d := first + 1 + rng.Int64N(span-1)
			if seen[d] {
				continue
			}
			seen[d] = true
			p.Days = append(p.Days, start+d)
			p.Net = append(p.Net, mean/2+rng.Int64N(mean))
		}
		// Days ascending, nets with them.
		idx := make([]int, len(p.Days))
		for k := range idx {
			idx[k] = k
		}
		slices.SortFunc(idx, func(a, b int) int { return int(p.Days[a] - p.Days[b]) })
		ds, ns := make([]int64, len(idx)), make([]int64, len(idx))
		for k, j := range idx {
			ds[k], ns[k] = p.Days[j], p.Net[j]
		}
		p.Days, p.Net = ds, ns
		out = append(out, p)
	}
	return out, start + days
}

// BenchmarkEstimate_100kCustomers is the whole customer value fit of a shop
// of 100,000 customers short of reading and storing: the calibration fit
// and its holdout forecast, the BG/NBD and Gamma-Gamma fits on all the
// history, and every customer's prediction over 12 months.
func BenchmarkEstimate_100kCustomers(b *testing.B) {
	ps, end := simulatePurchases(BGNBD{R: 0.5, Alpha: 4, A: 0.8, B: 3}, 100_000, 5)
	for b.Loop() {
		if _, _, err := Estimate(ps, end, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
