package promo

import (
	"cmp"
	"math/bits"
	"slices"
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
	out := make([]int64, len(weights))
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
	type rem struct {
		i int
		w int64
		r uint64 // numerator of the fractional part, over sum
	}
	rems := make([]rem, 0, len(weights))
	left := total
	for i, w := range weights {
		if w <= 0 {
			continue
		}
		// total × w can exceed int64 on a large cart; 128-bit keeps it exact.
		hi, lo := bits.Mul64(uint64(total), uint64(w))
		q, r := bits.Div64(hi, lo, uint64(sum))
		out[i] = int64(q)
		left -= int64(q)
		rems = append(rems, rem{i, w, r})
	}
	if left == 0 {
		return out
	}
	// Only the first left (< len(rems)) places matter, but a sort of at
	// most MaxLines entries is cheap enough and easier to trust.
	slices.SortFunc(rems, func(a, b rem) int {
		switch {
		case a.r != b.r:
			return cmp.Compare(b.r, a.r)
		case a.w != b.w:
			return cmp.Compare(b.w, a.w)
		}
		return a.i - b.i
	})
	for k := 0; left > 0; k++ {
		out[rems[k].i]++
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
