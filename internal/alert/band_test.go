package alert

import (
	"math"
	"math/rand/v2"
	"testing"
)

// synthetic is a daily series with the shop's weekly rhythm (weekends
// busier), a slow trend and multiplicative noise.
func synthetic(r *rand.Rand, days int, level, noise float64) []float64 {
	rhythm := [7]float64{1.0, 0.92, 0.95, 1.0, 1.1, 1.35, 1.3}
	out := make([]float64, days)
	for i := range out {
		trend := 1 + 0.3*float64(i)/float64(days)
		out[i] = level * rhythm[i%7] * trend * math.Exp(noise*r.NormFloat64())
	}
	return out
}

// scan judges every day with enough history and returns the days alerted.
func scan(metric string, s []float64, noiseOf func(v float64) float64) map[int]string {
	out := map[int]string{}
	for i := 7 * LookbackWeeks; i < len(s); i++ {
		var hist []float64
		for k := 1; k <= LookbackWeeks; k++ {
			hist = append(hist, s[i-7*k])
		}
		b, ok := BandFor(metric, hist, noiseOf(s[i]))
		if !ok {
			continue
		}
		if bad, sev := Judge(metric, b, s[i]); bad {
			out[i] = sev
		}
	}
	return out
}

// TestDetection_InjectedAnomalies runs the detector over 200 generated
// channels × 300 days with drops of 30–70% injected on 2% of the days, and
// reports how many it catches and how often it cries wolf.
func TestDetection_InjectedAnomalies(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for _, c := range []struct {
		name           string
		level, noise   float64
		minRecall      float64
		maxFalseAlarms float64
	}{
		{"busy channel (2,000 UV a day, 8% noise)", 2000, 0.08, 0.90, 0.01},
		{"small channel (150 UV a day, 12% noise)", 150, 0.12, 0.75, 0.02},
	} {
		t.Run(c.name, func(t *testing.T) {
			var injected, caught, clean, false_ int
			bySize := map[string][2]int{}
			for range 200 {
				s := synthetic(r, 300, c.level, c.noise)
				anomalies := map[int]float64{}
				for i := 7 * LookbackWeeks; i < len(s); i++ {
					if r.Float64() < 0.02 {
						drop := 0.3 + 0.4*r.Float64()
						s[i] *= 1 - drop
						anomalies[i] = drop
					}
				}
				alerts := scan(MetricUV, s, math.Sqrt)
				for i := 7 * LookbackWeeks; i < len(s); i++ {
					drop, isAnomaly := anomalies[i]
					_, alerted := alerts[i]
					switch {
					case isAnomaly:
						injected++
						size := "30–50%"
						if drop >= 0.5 {
							size = "50–70%"
						}
						n := bySize[size]
						n[0]++
						if alerted {
							caught++
							n[1]++
						}
						bySize[size] = n
					default:
						clean++
						if alerted {
							false_++
						}
					}
				}
			}
			recall := float64(caught) / float64(injected)
			fa := float64(false_) / float64(clean)
			t.Logf("detected %d of %d injected drops (%.1f%%; 30–50%%: %d/%d, 50–70%%: %d/%d); false alarms on %d of %d normal days (%.2f%%)",
				caught, injected, 100*recall, bySize["30–50%"][1], bySize["30–50%"][0], bySize["50–70%"][1], bySize["50–70%"][0], false_, clean, 100*fa)
			if recall < c.minRecall || fa > c.maxFalseAlarms {
				t.Errorf("recall %.3f (want ≥ %.2f), false alarm rate %.4f (want ≤ %.3f)", recall, c.minRecall, fa, c.maxFalseAlarms)
			}
		})
	}
}

// A refund-rate spike is the bad side; a drop is not.
func TestJudge_RefundRateSpikesAndConversionDrops(t *testing.T) {
	hist := []float64{200, 220, 180, 210, 190, 205} // basis points
	b, ok := BandFor(MetricRefundRate, hist, 0)
	if !ok {
		t.Fatal("no band")
	}
	if bad, _ := Judge(MetricRefundRate, b, 100); bad {
		t.Error("a refund rate half the usual is not an alert")
	}
	if bad, sev := Judge(MetricRefundRate, b, 320); !bad || sev != Warning {
		t.Errorf("320 bp against ~200: %v %s", bad, sev)
	}
	if bad, sev := Judge(MetricRefundRate, b, 900); !bad || sev != Critical {
		t.Errorf("900 bp against ~200: %v %s", bad, sev)
	}
	cb, _ := BandFor(MetricConversion, []float64{800, 820, 790, 810, 805, 795}, 20)
	if bad, _ := Judge(MetricConversion, cb, 700); bad {
		t.Error("conversion 12% under its baseline is within the 20% band")
	}
	if bad, sev := Judge(MetricConversion, cb, 380); !bad || sev != Critical {
		t.Errorf("conversion halved: %v %s", bad, sev)
	}
	if _, ok := BandFor(MetricUV, []float64{10, 12, 9, 11}, 3); ok {
		t.Error("a channel of ten visitors a day is too small to judge")
	}
	if _, ok := BandFor(MetricUV, []float64{1000, 1000, 1000}, 30); ok {
		t.Error("three weeks of history are too few")
	}
}

func TestWorkflow_Transitions(t *testing.T) {
	for _, c := range []struct {
		from, to string
		ok       bool
	}{
		{Open, Acknowledged, true}, {Open, Resolved, true}, {Acknowledged, Resolved, true},
		{Acknowledged, Open, false}, {Resolved, Open, false}, {Resolved, Acknowledged, false}, {Open, Open, false},
	} {
		if got := next(c.from, c.to); got != c.ok {
			t.Errorf("%s → %s: %v, want %v", c.from, c.to, got, c.ok)
		}
	}
}
