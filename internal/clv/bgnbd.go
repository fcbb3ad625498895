// Package clv predicts what customers will buy: the BG/NBD model of repeat
// buying (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way")
// for how many purchases and whether a customer is still alive, and the
// Gamma-Gamma model (Fader & Hardie) for how much each purchase is worth,
// both fitted by maximum likelihood on the shop's own order history.
//
// Time is in weeks; purchases by one customer on one day count as one
// transaction, and the first purchase is not a repeat (x excludes it), as in
// the paper.
package clv

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/optimize"
)

// History is one customer's calibration data: X repeat transactions, the
// last at Tx weeks after the first purchase, observed for T weeks since it.
type History struct {
	X  int
	Tx float64
	T  float64
}

// BGNBD holds the model's parameters: purchases while alive follow a Poisson
// process whose rate is Gamma(R, Alpha) across customers; after each purchase
// a customer drops out with probability p, Beta(A, B) across customers.
type BGNBD struct {
	R     float64 `json:"r"`
	Alpha float64 `json:"alpha"`
	A     float64 `json:"a"`
	B     float64 `json:"b"`
}

// ErrTooLittleData means the history cannot support a fit.
var ErrTooLittleData = errors.New("too little purchase history to fit the model")

// weighted is a distinct History with the number of customers who share it;
// shops have many identical histories (one purchase, the same day), so the
// likelihood is summed over distinct ones.
type weighted struct {
	History
	n float64
}

func compress(hs []History) ([]weighted, map[int]float64) {
	idx := map[History]int{}
	var out []weighted
	byX := map[int]float64{}
	for _, h := range hs {
		byX[h.X]++
		if i, ok := idx[h]; ok {
			out[i].n++
			continue
		}
		idx[h] = len(out)
		out = append(out, weighted{h, 1})
	}
	return out, byX
}

// LogLikelihood is the BG/NBD log-likelihood of the histories (eq. 6 of the
// paper, summed over customers).
func (m BGNBD) LogLikelihood(hs []History) float64 {
	ws, byX := compress(hs)
	return m.logLik(ws, byX)
}

func (m BGNBD) logLik(ws []weighted, byX map[int]float64) float64 {
	r, alpha, a, b := m.R, m.Alpha, m.A, m.B
	lgR, _ := math.Lgamma(r)
	lgB, _ := math.Lgamma(b)
	lgAB, _ := math.Lgamma(a + b)
	var ll float64
	// The Gamma-function terms depend on x only.
	for x, n := range byX {
		fx := float64(x)
		g1, _ := math.Lgamma(r + fx)
		g2, _ := math.Lgamma(b + fx)
		g3, _ := math.Lgamma(a + b + fx)
		ll += n * (g1 - lgR + r*math.Log(alpha) + lgAB + g2 - lgB - g3)
	}
	for _, w := range ws {
		fx := float64(w.X)
		a3 := -(r + fx) * math.Log(alpha+w.T)
		term := a3
		if w.X > 0 {
			a4 := math.Log(a) - math.Log(b+fx-1) - (r+fx)*math.Log(alpha+w.Tx)
			term = logAddExp(a3, a4)
		}
		ll += w.n * term
	}
	return ll
}

func logAddExp(x, y float64) float64 {
	if x < y {
		x, y = y, x
	}
	return x + math.Log1p(math.Exp(y-x))
}

// FitBGNBD estimates the parameters by maximum likelihood: Nelder–Mead on the
// logarithms of the parameters, so that they stay positive.
func FitBGNBD(hs []History) (BGNBD, float64, error) {
	repeat := 0
	for _, h := range hs {
		if h.X < 0 || h.Tx < 0 || h.T < h.Tx {
			return BGNBD{}, 0, fmt.Errorf("history %+v: want 0 ≤ x, 0 ≤ t_x ≤ T", h)
		}
		if h.X > 0 {
			repeat++
		}
	}
	if len(hs) < 10 || repeat < 2 {
		return BGNBD{}, 0, fmt.Errorf("%w: %d customers, %d with a repeat purchase (need at least 10 and 2)", ErrTooLittleData, len(hs), repeat)
	}
	ws, byX := compress(hs)
	nll := func(p []float64) float64 {
		m := BGNBD{R: math.Exp(p[0]), Alpha: math.Exp(p[1]), A: math.Exp(p[2]), B: math.Exp(p[3])}
		v := -m.logLik(ws, byX)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return math.MaxFloat64
		}
		return v
	}
	x, f, err := minimize(nll, []float64{0, 0, 0, 0})
	if err != nil {
		return BGNBD{}, 0, fmt.Errorf("fit BG/NBD: %w", err)
	}
	return BGNBD{R: math.Exp(x[0]), Alpha: math.Exp(x[1]), A: math.Exp(x[2]), B: math.Exp(x[3])}, -f, nil
}

// minimize runs Nelder–Mead from x0, then once more from where it stopped:
// a restart rebuilds the simplex and gets it out of the flat valleys these
// likelihoods have.
func minimize(f func([]float64) float64, x0 []float64) ([]float64, float64, error) {
	p := optimize.Problem{Func: f}
	x := append([]float64(nil), x0...)
	var best float64
	for range 3 {
		settings := &optimize.Settings{
			MajorIterations: 5000,
			Converger:       &optimize.FunctionConverge{Absolute: 1e-10, Relative: 1e-12, Iterations: 200},
		}
		res, err := optimize.Minimize(p, x, settings, &optimize.NelderMead{})
		if err != nil && res == nil {
			return nil, 0, err
		}
		if math.IsInf(res.F, 0) || res.F == math.MaxFloat64 {
			return nil, 0, errors.New("the likelihood is not finite anywhere the optimizer looked")
		}
		improved := best == 0 || best-res.F > 1e-9*math.Abs(best)
		x, best = res.X, res.F
		if !improved {
			break
		}
	}
	return x, best, nil
}

// PAlive is the probability that a customer with history h is still a
// customer at T (eq. 13 of the paper's technical note).
func (m BGNBD) PAlive(h History) float64 {
	if h.X == 0 {
		return 1
	}
	fx := float64(h.X)
	logRatio := math.Log(m.A) - math.Log(m.B+fx-1) + (m.R+fx)*(math.Log(m.Alpha+h.T)-math.Log(m.Alpha+h.Tx))
	return 1 / (1 + math.Exp(logRatio))
}

// ExpectedPurchases is how many transactions a customer with history h is
// expected to make in the next t weeks (eq. 10 of the paper).
func (m BGNBD) ExpectedPurchases(h History, t float64) float64 {
	if t <= 0 {
		return 0
	}
	r, alpha, a, b := m.R, m.Alpha, m.A, m.B
	fx := float64(h.X)
	if a == 1 {
		// The closed form divides by a − 1; it is continuous through 1.
		a = 1 + 1e-9
	}
	z := t / (alpha + h.T + t)
	hyp := mathext.Hypergeo(r+fx, b+fx, a+b+fx-1, z)
	lead := (a + b + fx - 1) / (a - 1)
	num := 1 - math.Exp((r+fx)*(math.Log(alpha+h.T)-math.Log(alpha+h.T+t)))*hyp
	den := 1.0
	if h.X > 0 {
		den += math.Exp(math.Log(a) - math.Log(b+fx-1) + (r+fx)*(math.Log(alpha+h.T)-math.Log(alpha+h.Tx)))
	}
	v := lead * num / den
	if math.IsNaN(v) || v < 0 {
		return 0
	}
	return v
}

// ExpectedRepeat is E[X(t)], the expected repeat transactions of a new
// customer in the t weeks after their first purchase (eq. 9).
func (m BGNBD) ExpectedRepeat(t float64) float64 {
	if t <= 0 {
		return 0
	}
	r, alpha, a, b := m.R, m.Alpha, m.A, m.B
	if a == 1 {
		a = 1 + 1e-9
	}
	hyp := mathext.Hypergeo(r, b, a+b-1, t/(alpha+t))
	return (a + b - 1) / (a - 1) * (1 - math.Pow(alpha/(alpha+t), r)*hyp)
}
