package lifecycle

import "testing"

func TestStageOf(t *testing.T) {
	th := Thresholds{NewDays: 30, DormantAfter: 60, ChurnedAfter: 150}
	cases := []struct {
		first, last int64
		want        Stage
	}{
		{0, 0, StageNew},
		{29, 29, StageNew}, // new even though quiet since
		{30, 30, StageActive},
		{400, 60, StageActive},
		{400, 61, StageDormant},
		{400, 150, StageDormant},
		{400, 151, StageChurned},
	}
	for _, c := range cases {
		if got := th.StageOf(c.first, c.last); got != c.want {
			t.Errorf("StageOf(first %d, last %d) = %s, want %s", c.first, c.last, got, c.want)
		}
	}
}

func TestFromGaps_PercentilesOfTheShopsRhythm(t *testing.T) {
	// 100 gaps: 50 of 10 days, 25 of 30, 20 of 60, 5 of 200. The 75th
	// value in order is 30 days, the 95th 60.
	gaps := []Gap{{60, 20}, {10, 50}, {200, 5}, {30, 25}}
	got := FromGaps(gaps, 0)
	want := Thresholds{NewDays: 30, DormantAfter: 30, ChurnedAfter: 60, Derived: true}
	if got != want {
		t.Errorf("FromGaps = %+v, want %+v", got, want)
	}
	// Too few gaps: the fallback.
	if got := FromGaps([]Gap{{5, 10}}, 14); got != (Thresholds{NewDays: 14, DormantAfter: 90, ChurnedAfter: 180}) {
		t.Errorf("few gaps: %+v", got)
	}
	// A shop of daily buyers: dormant no sooner than a week, churned later.
	if got := FromGaps([]Gap{{1, 100}}, 30); got.DormantAfter != 7 || got.ChurnedAfter != 8 {
		t.Errorf("daily buyers: %+v", got)
	}
}

func TestPercentile_NearestRank(t *testing.T) {
	gs := []Gap{{1, 1}, {2, 1}, {3, 1}, {4, 1}}
	for p, want := range map[int64]int64{1: 1, 25: 1, 26: 2, 50: 2, 75: 3, 76: 4, 100: 4} {
		if got := Percentile(gs, 4, p); got != want {
			t.Errorf("P%d = %d, want %d", p, got, want)
		}
	}
}

func TestThresholds_Validate(t *testing.T) {
	if err := (Thresholds{NewDays: 30, DormantAfter: 90, ChurnedAfter: 90}).Validate(); err == nil {
		t.Error("churned == dormant accepted")
	}
	if err := (Thresholds{NewDays: 30, DormantAfter: 90, ChurnedAfter: 180}).Validate(); err != nil {
		t.Error(err)
	}
}

func TestDayNumber_CountsCalendarDays(t *testing.T) {
	if d := DayNumber(20250301) - DayNumber(20250228); d != 1 {
		t.Errorf("28 Feb → 1 Mar 2025: %d days", d)
	}
	if d := DayNumber(20250101) - DayNumber(20241231); d != 1 {
		t.Errorf("new year: %d days", d)
	}
	if d := DayNumber(20250101) - DayNumber(20240101); d != 366 {
		t.Errorf("2024 has %d days, want 366", d)
	}
}
