package clv

import (
	"fmt"
	"math"
)

// Spend is a repeat customer's spending: X repeat transactions averaging
// Mean (in any unit; the shop fits in 元).
type Spend struct {
	X    int
	Mean float64
}

// GammaGamma holds the spend model's parameters (Fader & Hardie, "The
// Gamma-Gamma Model of Monetary Value"): a transaction's value is
// Gamma(P, ν) with ν Gamma(Q, Gamma) across customers, so a customer's
// average order value is pulled towards the population mean P·Gamma/(Q−1)
// the fewer transactions they have.
type GammaGamma struct {
	P     float64 `json:"p"`
	Q     float64 `json:"q"`
	Gamma float64 `json:"gamma"`
}

// LogLikelihood is the Gamma-Gamma log-likelihood of the repeat customers'
// average spend.
func (m GammaGamma) LogLikelihood(ss []Spend) float64 {
	return m.logLik(prepareSpend(ss))
}

// spends are the repeat customers laid out for the likelihood: the
// Gamma-function terms depend on x alone and are taken once per distinct
// x; log(mean) and log(x) once per customer, not at every step of the
// optimiser.
type spends struct {
	xs   []float64 // distinct x
	nx   []float64 // customers with that x
	rows []spendRow
	lg   []float64 // scratch: per distinct x, lgamma(p·x + q) − lgamma(p·x)
}

type spendRow struct {
	xi        int32
	x, xMean  float64 // x and x · mean
	logMean   float64
	logX      float64
	nCustomer float64
}

func prepareSpend(ss []Spend) *spends {
	p := &spends{}
	type key struct {
		x    int
		mean float64
	}
	xi, seen := map[int]int32{}, map[key]int{}
	for _, s := range ss {
		i, ok := xi[s.X]
		if !ok {
			i = int32(len(p.xs))
			xi[s.X] = i
			p.xs, p.nx = append(p.xs, float64(s.X)), append(p.nx, 0)
		}
		p.nx[i]++
		k := key{s.X, s.Mean}
		if j, ok := seen[k]; ok {
			p.rows[j].nCustomer++
			continue
		}
		seen[k] = len(p.rows)
		fx := float64(s.X)
		p.rows = append(p.rows, spendRow{xi: i, x: fx, xMean: fx * s.Mean, logMean: math.Log(s.Mean), logX: math.Log(fx), nCustomer: 1})
	}
	p.lg = make([]float64, len(p.xs))
	return p
}

func (m GammaGamma) logLik(s *spends) float64 {
	p, q, g := m.P, m.Q, m.Gamma
	lgQ, _ := math.Lgamma(q)
	lg := math.Log(g)
	var ll float64
	for i, fx := range s.xs {
		l1, _ := math.Lgamma(p*fx + q)
		l2, _ := math.Lgamma(p * fx)
		s.lg[i] = l1 - l2
		ll += s.nx[i] * (s.lg[i] - lgQ + q*lg)
	}
	return ll + inParts(s.rows, func(rows []spendRow) float64 {
		var ll float64
		for _, r := range rows {
			px := p * r.x
			ll += r.nCustomer * ((px-1)*r.logMean + px*r.logX - (px+q)*math.Log(g+r.xMean))
		}
		return ll
	})
}

// FitGammaGamma estimates the spend model by maximum likelihood from repeat
// customers with a positive average (others carry no information on it).
func FitGammaGamma(ss []Spend) (GammaGamma, float64, error) {
	var use []Spend
	for _, s := range ss {
		if s.X > 0 && s.Mean > 0 {
			use = append(use, s)
		}
	}
	if len(use) < 10 {
		return GammaGamma{}, 0, fmt.Errorf("%w: %d repeat customers with positive spend (need at least 10)", ErrTooLittleData, len(use))
	}
	nll := func(s *spends) func([]float64) float64 {
		return func(x []float64) float64 {
			m := GammaGamma{P: math.Exp(x[0]), Q: math.Exp(x[1]), Gamma: math.Exp(x[2])}
			v := -m.logLik(s)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return math.MaxFloat64
			}
			return v
		}
	}
	x, f, err := minimizeLarge(nll(prepareSpend(use)), func() func([]float64) float64 { return nll(prepareSpend(sample(use))) }, len(use), 3)
	if err != nil {
		return GammaGamma{}, 0, fmt.Errorf("fit Gamma-Gamma: %w", err)
	}
	return GammaGamma{P: math.Exp(x[0]), Q: math.Exp(x[1]), Gamma: math.Exp(x[2])}, -f, nil
}

// ExpectedAOV is the expected value of a customer's future transactions
// given their x repeat transactions averaging mean; with none it is the
// population mean.
func (m GammaGamma) ExpectedAOV(x int, mean float64) float64 {
	if mean < 0 {
		mean = 0
	}
	if x <= 0 {
		if m.Q <= 1 {
			return 0
		}
		return m.P * m.Gamma / (m.Q - 1)
	}
	fx := float64(x)
	d := m.P*fx + m.Q - 1
	if d <= 0 {
		return mean
	}
	return (m.Gamma + mean*fx) * m.P / d
}
