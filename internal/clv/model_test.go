package clv

import (
	"math"
	"math/rand/v2"
	"testing"
)

// simulate draws customers from the BG/NBD story itself: each buys at a
// Gamma(r, α) rate and drops out after any purchase with a Beta(a, b)
// probability; first purchases are spread over the first half of a
// 52-week window.
func simulate(m BGNBD, n int, seed uint64) []History {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	gamma := func(shape, rate float64) float64 {
		// Marsaglia–Tsang, with the shape < 1 boost.
		boost := 1.0
		if shape < 1 {
			boost = math.Pow(rng.Float64(), 1/shape)
			shape++
		}
		d := shape - 1.0/3
		c := 1 / math.Sqrt(9*d)
		for {
			x := rng.NormFloat64()
			v := 1 + c*x
			if v <= 0 {
				continue
			}
			v = v * v * v
			u := rng.Float64()
			if math.Log(u) < 0.5*x*x+d-d*v+d*math.Log(v) {
				return boost * d * v / rate
			}
		}
	}
	out := make([]History, n)
	for i := range out {
		lambda := gamma(m.R, m.Alpha)
		ga, gb := gamma(m.A, 1), gamma(m.B, 1)
		p := ga / (ga + gb)
		T := 26 + 26*rng.Float64()
		var t, last float64
		x := 0
		for {
			t += rng.ExpFloat64() / lambda
			if t > T {
				break
			}
			x++
			last = t
			if rng.Float64() < p {
				break
			}
		}
		out[i] = History{X: x, Tx: last, T: T}
	}
	return out
}

func TestFitBGNBD_RecoversTheParametersOfSimulatedCustomers(t *testing.T) {
	truth := BGNBD{R: 0.5, Alpha: 4, A: 0.8, B: 3}
	hs := simulate(truth, 4000, 7)
	m, ll, err := FitBGNBD(hs)
	if err != nil {
		t.Fatal(err)
	}
	if tl := truth.LogLikelihood(hs); ll < tl {
		t.Errorf("fitted log-likelihood %.2f below the truth's %.2f: not a maximum", ll, tl)
	}
	// 4,000 customers pin r and α well; a and b less so.
	within(t, "r", m.R, truth.R, 0.15)
	within(t, "alpha", m.Alpha, truth.Alpha, 0.2)
	within(t, "a", m.A, truth.A, 0.35)
	within(t, "b", m.B, truth.B, 0.35)
}

func TestBGNBD_PredictionsBehave(t *testing.T) {
	m := BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426}
	cases := []struct {
		name string
		h    History
		want func(alive, e float64) bool
	}{
		{"no repeat purchase is alive for sure", History{X: 0, Tx: 0, T: 30}, func(a, e float64) bool { return a == 1 && e > 0 }},
		{"recent frequent buyer", History{X: 10, Tx: 29, T: 30}, func(a, e float64) bool { return a > 0.9 && e > 3 }},
		{"frequent buyer gone quiet", History{X: 10, Tx: 5, T: 30}, func(a, e float64) bool { return a < 0.05 && e < 0.2 }},
	}
	for _, c := range cases {
		a, e := m.PAlive(c.h), m.ExpectedPurchases(c.h, 39)
		if !c.want(a, e) {
			t.Errorf("%s: P(alive) %.4f, E[Y(39)] %.4f", c.name, a, e)
		}
	}
	if m.ExpectedPurchases(History{X: 2, Tx: 10, T: 20}, 0) != 0 {
		t.Error("nothing is expected in zero weeks")
	}
	// More weeks, more purchases.
	h := History{X: 3, Tx: 20, T: 25}
	if !(m.ExpectedPurchases(h, 10) < m.ExpectedPurchases(h, 20)) {
		t.Error("expected purchases do not grow with time")
	}
}

func TestGammaGamma_ExpectedAOVShrinksTowardsThePopulation(t *testing.T) {
	g := GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44}
	pop := g.ExpectedAOV(0, 0)
	if math.Abs(pop-6.25*15.44/2.74) > 1e-9 {
		t.Errorf("population mean %.4f", pop)
	}
	// One purchase of 100 is pulled far towards the population mean; forty
	// purchases averaging 100 barely.
	one, many := g.ExpectedAOV(1, 100), g.ExpectedAOV(40, 100)
	if !(pop < one && one < many && many < 100 && many > 95) {
		t.Errorf("pop %.2f, one %.2f, many %.2f", pop, one, many)
	}
}

func TestFit_TooLittleData(t *testing.T) {
	if _, _, err := FitBGNBD([]History{{X: 1, Tx: 1, T: 2}}); err == nil {
		t.Error("one customer fitted")
	}
	if _, _, err := FitGammaGamma([]Spend{{X: 1, Mean: 10}}); err == nil {
		t.Error("one spender fitted")
	}
	if _, _, err := FitBGNBD([]History{{X: 1, Tx: 3, T: 2}}); err == nil {
		t.Error("t_x after T accepted")
	}
}
