package promotion

import "testing"

func TestPointsFor(t *testing.T) {
	for _, c := range []struct {
		off, asked int64
		rate       PointsRate
		want       int64
	}{
		{500, 500, PointsRate{PerYuan: 100}, 500},    // 1 point = 1 分
		{5000, 6000, PointsRate{PerYuan: 100}, 5000}, // the cap took ¥50 of ¥60 asked
		{333, 1000, PointsRate{PerYuan: 10}, 34},     // 10 points = ¥1: 33.3 → 34 covers it
		{333, 20, PointsRate{PerYuan: 10}, 20},       // never more than asked
		{0, 100, PointsRate{PerYuan: 100}, 0},
		{100, 100, PointsRate{}, 0},
	} {
		if got := PointsFor(c.off, c.asked, c.rate); got != c.want {
			t.Errorf("PointsFor(%d, %d, %+v) = %d, want %d", c.off, c.asked, c.rate, got, c.want)
		}
	}
}
