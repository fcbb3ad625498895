package web

import (
	"net/http"

	"github.com/storeops/storeops/internal/i18n"
	"github.com/storeops/storeops/internal/rfm"
)

// segmentsPage is 用户分层: the latest RFM run's segment sizes, the seeds'
// views, the trend of sizes over runs and the movement between the last two.
type segmentsPage struct {
	Summary  rfm.Summary
	Movement rfm.Movement
	Charts   []chart
}

func (c *Console) segments(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	s := &rfm.Service{DB: c.DB}
	sum, err := s.Summary(r.Context())
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	mv, err := s.LatestMovement(r.Context())
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	pg := segmentsPage{Summary: sum, Movement: mv}
	if sum.Run != nil {
		pg.Charts = segmentCharts(v, sum)
	}
	c.render(w, r, http.StatusOK, "segments", tr(v, "nav.segments"), "segments", pg)
}

// segmentCharts are the bar chart of the latest sizes and the line chart of
// the sizes over runs, one line per segment.
func segmentCharts(v *viewer, sum rfm.Summary) []chart {
	names := make([]string, len(sum.Segments))
	sizes := make([]int64, len(sum.Segments))
	for i, s := range sum.Segments {
		names[i], sizes[i] = tr(v, "segment."+s.Name), s.Customers
	}
	loc := v.Store.Location()
	x := make([]string, len(sum.History))
	for i, h := range sum.History {
		x[i] = i18n.FormatDate(v.Lang, h.AsOf, loc)
	}
	trend := make([]chartSeries, len(sum.Segments))
	for j, s := range sum.Segments {
		trend[j] = chartSeries{Name: names[j], Data: make([]int64, len(sum.History))}
		for i, h := range sum.History {
			trend[j].Data[i] = h.Segments[s.Name]
		}
	}
	return []chart{
		{ID: "chart-segment-sizes", Title: tr(v, "segments.sizes"), Kind: "bar", X: names, Scale: 1, Lang: v.Lang,
			Series: []chartSeries{{Name: tr(v, "segments.customers"), Data: sizes}}},
		{ID: "chart-segment-trend", Title: tr(v, "segments.trend"), Kind: "line", X: x, Scale: 1, Lang: v.Lang, Series: trend},
	}
}

// recomputeSegments runs RFM scoring now and goes back to the page.
func (c *Console) recomputeSegments(w http.ResponseWriter, r *http.Request) {
	if _, err := (&rfm.Service{DB: c.DB}).Run(r.Context(), rfm.Options{}); err != nil {
		c.fail(w, r, err)
		return
	}
	c.redirect(w, r, "/segments", "flash.segments_recomputed")
}
