package brief

import (
	"testing"

	"github.com/storeops/storeops/internal/metric"
)

func TestWatchList_DataProblemStrategy(t *testing.T) {
	base := metric.Figures{UV: 1000, ConversionBP: 500, GMV: 1000000, Refunds: 20000, RefundRateBP: 200}
	cases := []struct {
		name    string
		cur     metric.Figures
		movers  []Mover
		issues  []string
		playbks []string
	}{
		{"quiet day", base, nil, []string{"all_clear"}, []string{"none"}},
		{"live traffic falls 30%", base, []Mover{{Dimension: "channel", Key: "live", Metric: "uv", Value: 70, Previous: 100}},
			[]string{"traffic_drop"}, []string{"traffic"}},
		{"a small channel's swing is noise", base, []Mover{{Dimension: "channel", Key: "ads", Metric: "uv", Value: 10, Previous: 30}},
			[]string{"all_clear"}, []string{"none"}},
		{"conversion 20% down", metric.Figures{UV: 1000, ConversionBP: 400, GMV: 1000000, Refunds: 20000, RefundRateBP: 200}, nil,
			[]string{"conversion_drop"}, []string{"conversion"}},
		{"refunds up 3 points", metric.Figures{UV: 1000, ConversionBP: 500, GMV: 1000000, Refunds: 50000, RefundRateBP: 500}, nil,
			[]string{"refund_spike"}, []string{"supply"}},
		{"a best seller halves", base, []Mover{{Dimension: "product", Label: "羊毛围巾", Metric: "sales", Value: 40000, Previous: 100000}},
			[]string{"product_drop"}, []string{"supply"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := watchList(c.cur, base, true, c.movers)
			if len(got) != len(c.issues) {
				t.Fatalf("watch %+v, want %v", got, c.issues)
			}
			for i := range got {
				if got[i].Issue != c.issues[i] || got[i].Playbook != c.playbks[i] {
					t.Errorf("watch %+v, want %s/%s", got[i], c.issues[i], c.playbks[i])
				}
			}
		})
	}
	if w := watchList(base, metric.Figures{}, false, nil); len(w) != 1 || w[0].Issue != "no_baseline" {
		t.Errorf("without a period before: %+v", w)
	}
}
