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
	p, q, g := m.P, m.Q, m.Gamma
	lgQ, _ := math.Lgamma(q)
	var ll float64
	for _, s := range ss {
		px := p * float64(s.X)
		l1, _ := math.Lgamma(px + q)
		l2, _ := math.Lgamma(px)
		ll += l1 - l2 - lgQ + q*math.Log(g) + (px-1)*math.Log(s.Mean) + px*math.Log(float64(s.X)) - (px+q)*math.Log(g+s.Mean*float64(s.X))
	}
	return ll
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
	nll := func(x []float64) float64 {
		m := GammaGamma{P: math.Exp(x[0]), Q: math.Exp(x[1]), Gamma: math.Exp(x[2])}
		v := -m.LogLikelihood(use)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return math.MaxFloat64
		}
		return v
	}
	x, f, err := minimize(nll, []float64{0, 0, 0})
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
