package api

import (
	"context"
	"strconv"
	"time"

	"github.com/storeops/storeops/internal/metric"
	"github.com/storeops/storeops/internal/settings"
)

func (a *API) metricRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/metrics/overview", Perm: permOverviewRead, Tag: "metrics",
			Summary: "Headline figures of the last N days (ending today in the store's zone), the N days before, and each day",
			Query: []Param{{"days", "integer", "period length in days, 1–3660 (default 30)"},
				{"to", "integer", "last day of the period as YYYYMMDD (default today)"}},
			Reply: metric.Overview{}, handle: a.overview},
	}
}

func (a *API) overview(ctx context.Context, r *request) (any, error) {
	days := 30
	if v := r.URL.Query().Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 3660 {
			return nil, errBadRequest("days", "days must be a whole number from 1 to 3660, not %q", v)
		}
		days = n
	}
	st, err := settings.Load(ctx, a.DB)
	if err != nil {
		return nil, err
	}
	to := settings.Day(time.Now(), st.Location())
	if v := r.URL.Query().Get("to"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 19700101 || n > 99991231 || metric.AddDays(n, 0) != n {
			return nil, errBadRequest("to", "to must be a date as YYYYMMDD, not %q", v)
		}
		to = n
	}
	return (&metric.Rollup{DB: a.DB, Wait: a.RefreshWait}).Overview(ctx, to, days)
}
