package promo

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestAllocate_LargestRemainder(t *testing.T) {
	cases := []struct {
		name    string
		total   int64
		weights []int64
		want    []int64
	}{
		{"proportional", 5000, []int64{20000, 15000}, []int64{2857, 2143}},
		{"even split, tie to the earlier line", 1, []int64{100, 100}, []int64{1, 0}},
		{"three thirds", 100, []int64{100, 100, 100}, []int64{34, 33, 33}},
		{"tie on remainder goes to the larger weight", 1, []int64{50, 150, 50}, []int64{0, 1, 0}},
		{"zero weight gets nothing", 10, []int64{0, 5, 5}, []int64{0, 5, 5}},
		{"total equals the sum", 7, []int64{3, 4}, []int64{3, 4}},
		{"total above the sum is capped", 9, []int64{3, 4}, []int64{3, 4}},
		{"nothing to allocate", 0, []int64{3, 4}, []int64{0, 0}},
		{"no lines", 5, nil, []int64{}},
		{"huge amounts do not overflow", 9e15, []int64{9e15, 9e15}, []int64{4.5e15, 4.5e15}},
	}
	for _, c := range cases {
		got := Allocate(c.total, c.weights)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: Allocate(%d, %v) = %v, want %v", c.name, c.total, c.weights, got, c.want)
		}
	}
}

// The property refunds rely on: shares sum to the discount, none is
// negative and none exceeds its line, over thousands of random carts.
func TestAllocate_PropertySumsAndNeverNegative(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 2026))
	for n := 0; n < 20000; n++ {
		lines := 1 + r.IntN(12)
		weights := make([]int64, lines)
		var sum int64
		for i := range weights {
			switch r.IntN(6) {
			case 0:
				weights[i] = 0 // a line made free by an earlier step
			case 1:
				weights[i] = 1 + r.Int64N(100)
			default:
				weights[i] = 1 + r.Int64N(999*100_000) // up to 999 units of ¥1000
			}
			sum += weights[i]
		}
		total := r.Int64N(sum + 1)
		got := Allocate(total, weights)
		var s int64
		for i, v := range got {
			if v < 0 || v > weights[i] {
				t.Fatalf("case %d: share %d of line %d (weight %d) out of [0, weight]; weights %v total %d", n, v, i, weights[i], weights, total)
			}
			s += v
		}
		if s != total {
			t.Fatalf("case %d: shares %v sum to %d, want %d", n, got, s, total)
		}
		// Proportional to within 1 分 of the exact share.
		for i, v := range got {
			exact := float64(total) * float64(weights[i]) / float64(sum)
			if d := float64(v) - exact; d <= -1 || d >= 1 {
				t.Fatalf("case %d: share %d of line %d is %.2f off its exact share %.2f", n, v, i, d, exact)
			}
		}
	}
}

func TestBP(t *testing.T) {
	for v, want := range map[int64]string{2000: "20%", 1250: "12.5%", 5: "0.05%", 999: "9.99%"} {
		if got := bp(v); got != want {
			t.Errorf("bp(%d) = %q, want %q", v, got, want)
		}
	}
}
