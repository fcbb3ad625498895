package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/storeops/storeops/internal/clv"
	"github.com/storeops/storeops/internal/lifecycle"
	"github.com/storeops/storeops/internal/rfm"
)

func (a *API) segmentRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/segments/rfm", Perm: permSegmentsRead, Tag: "segments",
			Summary: "Latest RFM run (用户分层): segment, tier, quadrant and lifecycle-stage sizes, and the segment sizes of past runs",
			Reply:   rfm.Summary{}, handle: a.rfmSummary},
		{Method: "GET", Path: "/segments/rfm/movement", Perm: permSegmentsRead, Tag: "segments",
			Summary: "How customers moved between RFM segments from the previous run to the latest",
			Reply:   rfm.Movement{}, handle: a.rfmMovement},
		{Method: "POST", Path: "/segments/rfm/runs", Perm: permSegmentsWrite, Tag: "segments",
			Summary: "Recompute RFM scores and lifecycle stages now; every field of the body is optional (default: quintiles over all history as of now, lifecycle thresholds from the shop's purchase gaps)",
			Body:    RFMRunInput{}, Status: http.StatusCreated, Reply: rfm.Run{}, handle: a.rfmRun},
		{Method: "GET", Path: "/customers/{id}/value", Perm: permSegmentsRead, Tag: "segments",
			Summary: "A customer's RFM scores and segment, lifecycle stage, P(alive), expected purchases and CLV",
			Query:   []Param{{"weeks", "integer", "also give the purchases expected in this many weeks after the fit, 1–520"}},
			Reply:   CustomerValue{}, handle: a.customerValue},
		{Method: "POST", Path: "/clv/fits", Perm: permSegmentsWrite, Tag: "segments",
			Summary: "Refit the BG/NBD and Gamma-Gamma models on the order history now and predict every customer's value",
			Status:  http.StatusCreated, Reply: clv.Fit{}, handle: a.clvFit},
		{Method: "GET", Path: "/clv/fits/latest", Perm: permSegmentsRead, Tag: "segments",
			Summary: "The latest customer value fit: parameters and fit quality (predicted vs actual repeat purchases in the holdout)",
			Reply:   clv.Fit{}, handle: a.clvLatest},
	}
}

// CustomerValue is what the shop knows and predicts about one customer's
// value; each part is null until its computation has covered the customer.
type CustomerValue struct {
	CustomerID int64              `json:"customer_id"`
	RFM        *rfm.CustomerScore `json:"rfm" doc:"null before an RFM run has scored the customer"`
	Prediction *clv.Prediction    `json:"prediction" doc:"null before a customer value fit has covered the customer"`
	// ExpectedInWeeks answers the weeks parameter.
	ExpectedInWeeks *float64 `json:"expected_in_weeks,omitempty" doc:"purchases expected in the next weeks (with the weeks parameter and a prediction)"`
}

func (a *API) rfmSummary(ctx context.Context, r *request) (any, error) {
	return (&rfm.Service{DB: a.DB}).Summary(ctx)
}

func (a *API) rfmMovement(ctx context.Context, r *request) (any, error) {
	return (&rfm.Service{DB: a.DB}).LatestMovement(ctx)
}

// RFMRunInput shapes a run; an empty body (or {}) runs with the defaults.
type RFMRunInput struct {
	AsOf      *time.Time            `json:"as_of" doc:"score as of this moment (default now)"`
	Since     *time.Time            `json:"since" doc:"start of the window (default all history)"`
	Cuts      *rfm.Cuts             `json:"cuts" doc:"cut points instead of quintiles: four rising thresholds each for r (days), f (orders), m (分)"`
	Lifecycle *lifecycle.Thresholds `json:"lifecycle" doc:"stage thresholds in days instead of those derived from the purchase gaps"`
}

func (a *API) rfmRun(ctx context.Context, r *request) (any, error) {
	var in RFMRunInput
	if r.ContentLength != 0 {
		if err := decode(r.Request, &in); err != nil {
			return nil, err
		}
	}
	if in.Lifecycle != nil {
		in.Lifecycle.Derived = false
	}
	o := rfm.Options{Cuts: in.Cuts, Lifecycle: in.Lifecycle}
	if in.AsOf != nil {
		o.AsOf = *in.AsOf
	}
	if in.Since != nil {
		o.Since = *in.Since
	}
	return (&rfm.Service{DB: a.DB}).Run(ctx, o)
}

func (a *API) customerValue(ctx context.Context, r *request) (any, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	if _, err := a.Customers.Get(ctx, id); err != nil {
		return nil, err
	}
	out := CustomerValue{CustomerID: id}
	sc, err := (&rfm.Service{DB: a.DB}).ScoreOf(ctx, id)
	switch {
	case err == nil:
		out.RFM = &sc
	case !errors.Is(err, rfm.ErrNotScored):
		return nil, err
	}
	weeks, err := r.int64Query("weeks")
	if err != nil {
		return nil, err
	}
	if r.URL.Query().Has("weeks") && (weeks < 1 || weeks > 520) {
		return nil, errBadRequest("weeks", "weeks must be a whole number from 1 to 520, not %d", weeks)
	}
	cs := &clv.Service{DB: a.DB}
	p, err := cs.PredictionOf(ctx, id)
	switch {
	case err == nil:
		out.Prediction = &p
	case !errors.Is(err, clv.ErrNoPrediction):
		return nil, err
	}
	if out.Prediction != nil && weeks > 0 {
		e, err := cs.ExpectedIn(ctx, p, float64(weeks))
		if err != nil {
			return nil, err
		}
		out.ExpectedInWeeks = &e
	}
	return out, nil
}

func (a *API) clvFit(ctx context.Context, r *request) (any, error) {
	f, err := (&clv.Service{DB: a.DB}).FitNow(ctx, clv.Options{})
	if errors.Is(err, clv.ErrTooLittleData) {
		return nil, &httpError{http.StatusUnprocessableEntity, ErrorDetail{Code: "insufficient_data", Message: err.Error()}}
	}
	return f, err
}

func (a *API) clvLatest(ctx context.Context, r *request) (any, error) {
	return (&clv.Service{DB: a.DB}).Latest(ctx)
}
