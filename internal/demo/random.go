package demo

import (
	"math"
	"math/rand/v2"
	"sort"
)

// Each part of the shop draws from its own PCG stream, so that the catalog
// stays the same when only the number of customers changes, and customers
// behave the same whatever the stock planning does.
const (
	streamCatalog uint64 = iota + 1
	streamCalendar
	streamHistory
	streamStock
	streamTraffic
	streamFlash
)

func newRand(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream*0x9e3779b97f4a7c15))
}

// gammaRand draws from Gamma(shape, scale) with Marsaglia and Tsang's
// squeeze method; shapes below 1 use the boost Gamma(a) = Gamma(a+1)·U^(1/a).
func gammaRand(r *rand.Rand, shape, scale float64) float64 {
	if shape <= 0 || scale <= 0 {
		return 0
	}
	if shape < 1 {
		u := r.Float64()
		for u == 0 {
			u = r.Float64()
		}
		return gammaRand(r, shape+1, scale) * math.Pow(u, 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		x2 := x * x
		if u < 1-0.0331*x2*x2 {
			return d * v * scale
		}
		if u > 0 && math.Log(u) < 0.5*x2+d*(1-v+math.Log(v)) {
			return d * v * scale
		}
	}
}

// betaRand draws from Beta(a, b) as X/(X+Y) with X ~ Gamma(a), Y ~ Gamma(b).
func betaRand(r *rand.Rand, a, b float64) float64 {
	x := gammaRand(r, a, 1)
	y := gammaRand(r, b, 1)
	if x+y == 0 {
		return a / (a + b)
	}
	return x / (x + y)
}

// poissonRand is Knuth's method, fine for the small means used here.
func poissonRand(r *rand.Rand, mean float64) int {
	l := math.Exp(-mean)
	k, p := 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// uniform draws from [lo, hi).
func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

// between draws an int64 from [lo, hi].
func between(r *rand.Rand, lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return lo + r.Int64N(hi-lo+1)
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// weighted picks indexes in proportion to their weights.
type weighted struct {
	cum []float64
	idx []int // what each entry stands for
}

func (w *weighted) reset() {
	w.cum = w.cum[:0]
	w.idx = w.idx[:0]
}

func (w *weighted) add(i int, weight float64) {
	if weight <= 0 {
		return
	}
	total := weight
	if n := len(w.cum); n > 0 {
		total += w.cum[n-1]
	}
	w.cum = append(w.cum, total)
	w.idx = append(w.idx, i)
}

func (w *weighted) empty() bool { return len(w.cum) == 0 }

func (w *weighted) total() float64 {
	if len(w.cum) == 0 {
		return 0
	}
	return w.cum[len(w.cum)-1]
}

func (w *weighted) pick(r *rand.Rand) int {
	x := r.Float64() * w.cum[len(w.cum)-1]
	j := sort.SearchFloat64s(w.cum, x)
	if j < len(w.cum) && w.cum[j] == x {
		j++ // SearchFloat64s finds the first cum >= x; the entry owning x is the first cum > x
	}
	if j >= len(w.idx) {
		j = len(w.idx) - 1
	}
	return w.idx[j]
}

func weightedOf(ws []float64) *weighted {
	w := &weighted{}
	for i, x := range ws {
		w.add(i, x)
	}
	return w
}

// allocate splits total into integer parts proportional to weights by the
// largest-remainder method, so the parts add up to total exactly; ties go to
// the earlier index.
func allocate(total int64, weights []int64) []int64 {
	out := make([]int64, len(weights))
	var sum int64
	for _, w := range weights {
		sum += w
	}
	if sum == 0 || total == 0 {
		return out
	}
	type rem struct {
		i int
		r int64
	}
	rems := make([]rem, len(weights))
	var given int64
	for i, w := range weights {
		// total·w fits in int64 for any order a shop takes (分 below 9e18/total).
		q := total * w / sum
		out[i] = q
		given += q
		rems[i] = rem{i, total*w - q*sum}
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].r > rems[b].r })
	for k := 0; given < total; k++ {
		out[rems[k%len(rems)].i]++
		given++
	}
	return out
}

// allocateFloat splits total into integer parts proportional to float
// weights (largest remainder), used to spread customers over days.
func allocateFloat(total int, weights []float64) []int {
	out := make([]int, len(weights))
	var sum float64
	for _, w := range weights {
		sum += w
	}
	if sum <= 0 || total <= 0 {
		return out
	}
	type rem struct {
		i int
		r float64
	}
	rems := make([]rem, len(weights))
	given := 0
	for i, w := range weights {
		x := float64(total) * w / sum
		q := int(math.Floor(x))
		out[i] = q
		given += q
		rems[i] = rem{i, x - float64(q)}
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].r > rems[b].r })
	for k := 0; given < total; k++ {
		out[rems[k%len(rems)].i]++
		given++
	}
	return out
}
