package web

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"

	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/clv"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/rfm"
	"github.com/storeops/storeops/internal/tier"
)

// topCustomersByCLV is how many customers the 客户价值 page lists.
const topCustomersByCLV = 50

// valuePage is 客户价值: the latest fit's parameters, how well it forecast
// the holdout, and the customers worth the most.
type valuePage struct {
	Fit      *clv.Fit
	Discount string // the monthly discount rate as a percentage
	Top      []topCustomer
	Charts   []chart
	Tiers    []tier.Count // customers per member tier, lowest first
}

type topCustomer struct {
	clv.Prediction
	Name     string
	PAliveBP int64  // P(alive) in basis points, for pct
	Expected string // expected purchases, two decimals
}

func bp(p float64) int64 { return int64(math.Round(p * 10000)) }

func decimals2(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }

func (c *Console) customerValue(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	s := &clv.Service{DB: c.DB}
	var pg valuePage
	f, err := s.Latest(r.Context())
	switch {
	case errors.Is(err, clv.ErrNoFit):
	case err != nil:
		c.serverError(w, r, err)
		return
	default:
		pg.Fit = &f
		pg.Discount = strconv.FormatFloat(f.MonthlyDiscount*100, 'f', -1, 64) + "%"
		top, err := s.Top(r.Context(), f.ID, topCustomersByCLV)
		if err != nil {
			c.serverError(w, r, err)
			return
		}
		ids := make([]int64, len(top))
		for i, p := range top {
			ids[i] = p.CustomerID
		}
		names, err := customer.Names(r.Context(), c.DB, ids)
		if err != nil {
			c.serverError(w, r, err)
			return
		}
		for _, p := range top {
			tc := topCustomer{Prediction: p, Name: names[p.CustomerID], PAliveBP: bp(p.PAlive), Expected: decimals2(p.ExpectedPurchases)}
			if tc.Name == "" {
				tc.Name = tr(v, "customer.number", p.CustomerID)
			}
			pg.Top = append(pg.Top, tc)
		}
		pg.Charts = []chart{holdoutChart(v, f)}
	}
	if pg.Tiers, err = c.tiers().Distribution(r.Context()); err != nil {
		c.serverError(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "customer_value", tr(v, "nav.customer_value"), "customer_value", pg)
}

// holdoutChart draws predicted against actual repeat purchases per holdout
// week; the forecast is fractional, so the series are in hundredths.
func holdoutChart(v *viewer, f clv.Fit) chart {
	x := make([]string, len(f.Quality.Weeks))
	pred := make([]int64, len(f.Quality.Weeks))
	act := make([]int64, len(f.Quality.Weeks))
	for i, wk := range f.Quality.Weeks {
		x[i] = tr(v, "value.week_n", wk.Week)
		pred[i] = int64(math.Round(wk.Predicted * 100))
		act[i] = wk.Actual * 100
	}
	return chart{ID: "chart-holdout", Title: tr(v, "value.holdout_chart"), Kind: "line", X: x, Scale: 100, Lang: v.Lang,
		Series: []chartSeries{{Name: tr(v, "value.predicted"), Data: pred}, {Name: tr(v, "value.actual"), Data: act}}}
}

// refitValue refits the models now and goes back to the page; a shop too
// young to fit gets a message saying so.
func (c *Console) refitValue(w http.ResponseWriter, r *http.Request) {
	_, err := (&clv.Service{DB: c.DB}).FitNow(r.Context(), clv.Options{})
	switch {
	case errors.Is(err, clv.ErrTooLittleData):
		c.redirect(w, r, "/customer-value", "flash.error.value_too_little_data")
	case err != nil:
		c.fail(w, r, err)
	default:
		c.redirect(w, r, "/customer-value", "flash.value_refitted")
	}
}

// customerValueCard is what the customer detail page shows of the
// customer's RFM segment, lifecycle stage and predicted value.
type customerValueCard struct {
	RFM        *rfm.CustomerScore
	Prediction *clv.Prediction
	PAliveBP   int64
	Expected   string
}

// customerValueOf reads the card for a viewer who may read segments; nil
// for one who may not.
func (c *Console) customerValueOf(ctx context.Context, v *viewer, cu customer.Customer) (*customerValueCard, error) {
	if !v.Can(auth.Read("segments")) {
		return nil, nil
	}
	card := &customerValueCard{}
	sc, err := (&rfm.Service{DB: c.DB}).ScoreOf(ctx, cu.ID)
	switch {
	case err == nil:
		card.RFM = &sc
	case !errors.Is(err, rfm.ErrNotScored):
		return nil, err
	}
	p, err := (&clv.Service{DB: c.DB}).PredictionOf(ctx, cu.ID)
	switch {
	case err == nil:
		card.Prediction, card.PAliveBP, card.Expected = &p, bp(p.PAlive), decimals2(p.ExpectedPurchases)
	case !errors.Is(err, clv.ErrNoPrediction):
		return nil, err
	}
	return card, nil
}
