package clv

import (
	"bufio"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The CDNOW data set (Fader, Hardie & Lee 2005): the paper's calibration
// period is the 39 weeks 1997-01-01 … 1997-09-30, the holdout the 39 weeks
// after it; one customer's purchases on one day are one transaction.
var (
	cdnowStart  = dayOf(19970101)
	cdnowCalEnd = dayOf(19970930)
	cdnowEnd    = dayOf(19980630)
)

func cdnowPath(name string) string {
	return filepath.Join("..", "..", "..", "shared", "data", "cdnow", name)
}

func dayOf(yyyymmdd int) int64 {
	t := time.Date(yyyymmdd/10000, time.Month(yyyymmdd/100%100), yyyymmdd%100, 0, 0, 0, 0, time.UTC)
	return t.Unix() / 86400
}

// cdnowDays reads a CDNOW file into each customer's purchase days with the
// dollars spent on each day. idCol and dateCol name the columns (the master
// file: id, date, cds, value; the sample: master id, sample id, date, cds,
// value).
func cdnowDays(t *testing.T, name string, header bool, dateCol int) map[string]map[int64]float64 {
	t.Helper()
	f, err := os.Open(cdnowPath(name))
	if err != nil {
		t.Skipf("CDNOW data not available (%v); it lives in /work/shared/data/cdnow", err)
	}
	defer f.Close()
	out := map[string]map[int64]float64{}
	sc := bufio.NewScanner(f)
	first := true
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if first && header {
			first = false
			continue
		}
		if line == "" {
			continue
		}
		cols := strings.Fields(line)
		if len(cols) < dateCol+3 {
			t.Fatalf("%s: short line %q", name, line)
		}
		d, err := strconv.Atoi(cols[dateCol])
		if err != nil {
			t.Fatalf("%s: date %q", name, cols[dateCol])
		}
		v, err := strconv.ParseFloat(cols[dateCol+2], 64)
		if err != nil {
			t.Fatalf("%s: value %q", name, cols[dateCol+2])
		}
		id := cols[0]
		if out[id] == nil {
			out[id] = map[int64]float64{}
		}
		out[id][dayOf(d)] += v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

type cdnowSet struct {
	hist    []History
	spend   []Spend
	holdout []int // repeat transactions in the holdout, per customer
}

func cdnowCalibration(days map[string]map[int64]float64) cdnowSet {
	ids := make([]string, 0, len(days))
	for id := range days {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var s cdnowSet
	for _, id := range ids {
		var ds []int64
		for d := range days[id] {
			ds = append(ds, d)
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		first := ds[0]
		if first < cdnowStart || first > cdnowCalEnd {
			continue
		}
		x, last, hold := 0, first, 0
		var repeatSpend float64
		for _, d := range ds[1:] {
			switch {
			case d <= cdnowCalEnd:
				x++
				last = d
				repeatSpend += days[id][d]
			case d <= cdnowEnd:
				hold++
			}
		}
		s.hist = append(s.hist, History{X: x, Tx: float64(last-first) / 7, T: float64(cdnowCalEnd-first) / 7})
		if x > 0 {
			s.spend = append(s.spend, Spend{X: x, Mean: repeatSpend / float64(x)})
		}
		s.holdout = append(s.holdout, hold)
	}
	return s
}

func within(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol*math.Abs(want) {
		t.Errorf("%s = %.4f, want %.4f ± %.1f%%", name, got, want, 100*tol)
	} else {
		t.Logf("%s = %.4f (want %.4f)", name, got, want)
	}
}

// TestCDNOWSample_BGNBDMatchesThePaper fits the 2,357 customers of the
// paper's sample and finds its estimates and its holdout forecast.
func TestCDNOWSample_BGNBDMatchesThePaper(t *testing.T) {
	s := cdnowCalibration(cdnowDays(t, "CDNOW_sample.txt", false, 2))
	if len(s.hist) != 2357 {
		t.Fatalf("sample has %d customers, want 2357", len(s.hist))
	}
	m, ll, err := FitBGNBD(s.hist)
	if err != nil {
		t.Fatal(err)
	}
	// Paper, section 5: r = 0.243, α = 4.414, a = 0.793, b = 2.426, LL = −9,582.4.
	within(t, "r", m.R, 0.243, 0.01)
	within(t, "alpha", m.Alpha, 4.414, 0.01)
	within(t, "a", m.A, 0.793, 0.01)
	within(t, "b", m.B, 2.426, 0.01)
	within(t, "log-likelihood", ll, -9582.4, 0.001)

	// The paper's worked example (section 5): x = 2, t_x = 30.43, T = 38.86
	// expects 1.226 transactions in the next 39 weeks.
	within(t, "E[Y(39) | 2, 30.43, 38.86]", m.ExpectedPurchases(History{X: 2, Tx: 30.43, T: 38.86}, 39), 1.226, 0.005)

	var predicted float64
	actual := 0
	for i, h := range s.hist {
		predicted += m.ExpectedPurchases(h, 39)
		actual += s.holdout[i]
	}
	// The data file holds 1,882 customer-days in weeks 40–78 (1,959 rows);
	// the model, like the paper's Figure 2, forecasts a little below that.
	t.Logf("holdout weeks 40–78: predicted %.1f, actual %d repeat transactions", predicted, actual)
	if actual != 1882 {
		t.Errorf("actual holdout repeat transactions %d, want 1,882", actual)
	}
	within(t, "predicted holdout transactions", predicted, float64(actual), 0.15)
	// Cumulative repeat transactions of the cohort through week 78 (the
	// paper's tracking plot): the unconditional forecast against the data.
	var cum float64
	for _, h := range s.hist {
		cum += m.ExpectedRepeat(78 - (39 - h.T))
	}
	calib := 0
	for _, h := range s.hist {
		calib += h.X
	}
	t.Logf("cumulative repeat transactions by week 78: predicted %.1f, actual %d", cum, calib+actual)
	within(t, "cumulative repeat transactions by week 78", cum, float64(calib+actual), 0.05)
}

// TestCDNOWSample_GammaGammaMatchesPublishedEstimates fits the spend model
// on the sample's repeat customers (946 of them in the calibration period).
func TestCDNOWSample_GammaGammaMatchesPublishedEstimates(t *testing.T) {
	s := cdnowCalibration(cdnowDays(t, "CDNOW_sample.txt", false, 2))
	if len(s.spend) != 946 {
		t.Errorf("%d repeat customers, want 946", len(s.spend))
	}
	m, _, err := FitGammaGamma(s.spend)
	if err != nil {
		t.Fatal(err)
	}
	within(t, "p", m.P, 6.25, 0.02)
	within(t, "q", m.Q, 3.74, 0.02)
	within(t, "gamma", m.Gamma, 15.44, 0.02)
}

// TestCDNOWMaster_BGNBD fits all 23,570 customers. The paper's estimates come
// from the 1/10 sample, so the full set's agree only approximately.
func TestCDNOWMaster_BGNBD(t *testing.T) {
	if testing.Short() {
		t.Skip("fits 23,570 customers; skipped with -short")
	}
	s := cdnowCalibration(cdnowDays(t, "CDNOW_master.txt", true, 1))
	if len(s.hist) != 23570 {
		t.Fatalf("master has %d customers, want 23570", len(s.hist))
	}
	m, ll, err := FitBGNBD(s.hist)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("master: r=%.4f alpha=%.4f a=%.4f b=%.4f LL=%.1f", m.R, m.Alpha, m.A, m.B, ll)
	within(t, "r", m.R, 0.243, 0.15)
	within(t, "alpha", m.Alpha, 4.414, 0.15)
	within(t, "a", m.A, 0.793, 0.15)
	within(t, "b", m.B, 2.426, 0.15)
	// The optimizer stopped at a maximum: moving any parameter 1% either
	// way lowers the likelihood.
	for i := range 4 {
		for _, f := range []float64{0.99, 1.01} {
			p := []float64{m.R, m.Alpha, m.A, m.B}
			p[i] *= f
			if l := (BGNBD{R: p[0], Alpha: p[1], A: p[2], B: p[3]}).LogLikelihood(s.hist); l > ll+1e-6 {
				t.Errorf("parameter %d × %.2f raises the log-likelihood to %.3f from %.3f", i, f, l, ll)
			}
		}
	}
	var predicted float64
	actual := 0
	for i, h := range s.hist {
		predicted += m.ExpectedPurchases(h, 39)
		actual += s.holdout[i]
	}
	t.Logf("master holdout: predicted %.1f, actual %d", predicted, actual)
	within(t, "predicted holdout transactions", predicted, float64(actual), 0.20)
}
