package promo

import (
	"math/bits"
)

// Allocate splits total 分 over lines in proportion to weights (each line's
// amount after the earlier steps) by largest remainder: every line gets the
// floor of its exact share, and the 分 left over go one each to the lines
// with the largest fractional parts (ties: the larger weight, then the
// earlier line). The shares sum to total, none is negative and none exceeds
// its weight, so a discount never makes a line negative and a partial
// refund returns exactly what was paid for the line.
//
// Negative weights count as 0. A total above the sum of the weights is
// capped at that sum, and a total ≤ 0 allocates nothing: callers cap their
// discount first, so neither happens in the engine.
func Allocate(total int64, weights []int64) []int64 {
	var rems []rem
	return allocateInto(total, weights, make([]int64, len(weights)), &rems)
}

type rem struct {
	i int
	w int64
	r uint64 // numerator of the fractional part, over sum
}

// allocateInto is Allocate writing into out (len(weights), not weights
// itself) with rems as its scratch, so the engine's search allocates
// nothing.
func allocateInto(total int64, weights, out []int64, rems *[]rem) []int64 {
	clear(out)
	var sum int64
	for _, w := range weights {
		if w > 0 {
			sum += w
		}
	}
	if total <= 0 || sum == 0 {
		return out
	}
	total = min(total, sum)
	rs := (*rems)[:0]
	left := total
	for i, w := range weights {
		if w <= 0 {
			continue
		}
		// total × w can exceed int64 on a large cart; 128-bit keeps it exact.
		hi, lo := bits.Mul64(uint64(total), uint64(w))
		var q, r uint64
		if hi == 0 {
			q, r = lo/uint64(sum), lo%uint64(sum)
		} else {
			q, r = bits.Div64(hi, lo, uint64(sum))
		}
		out[i] = int64(q)
		left -= int64(q)
		rs = append(rs, rem{i, w, r})
	}
	*rems = rs
	if left == 0 {
		return out
	}
	// Only the first left (< len(rs)) places matter; an insertion sort of
	// at most MaxLines entries is cheap and allocates nothing.
	for a := 1; a < len(rs); a++ {
		x := rs[a]
		b := a
		for ; b > 0 && remBefore(x, rs[b-1]); b-- {
			rs[b] = rs[b-1]
		}
		rs[b] = x
	}
	for k := 0; left > 0; k++ {
		out[rs[k].i]++
		left--
	}
	return out
}

// mulDivRound is a × b ÷ c rounded half up, for 0 ≤ a, 0 ≤ b and a × b ÷ c
// below 2^63; 128-bit so that large amounts do not overflow.
func mulDivRound(a, b, c int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	q, r := bits.Div64(hi, lo, uint64(c))
	if r >= uint64(c)-r {
		q++
	}
	return int64(q)
}

// mulDiv is a × b ÷ c rounded down, under the same bounds as mulDivRound.
func mulDiv(a, b, c int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	q, _ := bits.Div64(hi, lo, uint64(c))
	return int64(q)
}

// remBefore orders remainders: the largest fraction first, then the larger
// weight, then the earlier line.
func remBefore(a, b rem) bool {
	switch {
	case a.r != b.r:
		return a.r > b.r
	case a.w != b.w:
		return a.w > b.w
	}
	return a.i < b.i
}
