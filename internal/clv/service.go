package clv

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/settings"
)

// Service fits the models on the shop's orders, stores the fits and every
// customer's prediction, and reads them back.
type Service struct {
	DB *db.DB
}

// Options shape a fit.
type Options struct {
	AsOf time.Time // zero: now; the last store day included
	// HoldoutWeeks is how many final weeks are held out to check the
	// forecast (default 13, at most a quarter of the history).
	HoldoutWeeks int
	// HorizonMonths is the CLV horizon (default 12).
	HorizonMonths int
	// MonthlyDiscount is the monthly discount rate (default 0.01, 1%).
	MonthlyDiscount float64
}

// Defaults of Options.
const (
	DefaultHoldoutWeeks    = 13
	DefaultHorizonMonths   = 12
	DefaultMonthlyDiscount = 0.01
	weeksPerMonth          = 52.0 / 12
	KeepPredictedFits      = 3
)

// Week is one week of the holdout: repeat transactions forecast by the
// calibration fit and those that happened.
type Week struct {
	Week      int     `json:"week" doc:"1 is the first week after the calibration period"`
	Predicted float64 `json:"predicted"`
	Actual    int64   `json:"actual"`
}

// Quality is how well the model, fitted on the calibration period only,
// forecast the holdout weeks.
type Quality struct {
	Calibration BGNBD   `json:"calibration" doc:"BG/NBD parameters fitted without the holdout weeks"`
	Predicted   float64 `json:"predicted" doc:"repeat transactions forecast for the holdout"`
	Actual      int64   `json:"actual" doc:"repeat transactions that happened in the holdout"`
	ErrorBP     int64   `json:"error_bp" doc:"(predicted − actual) ÷ actual in basis points"`
	Weeks       []Week  `json:"weeks"`
}

// Fit is a stored fit: the models fitted on all the history up to AsOf, and
// the quality of the same model checked on a holdout.
type Fit struct {
	ID              int64       `json:"id"`
	AsOf            time.Time   `json:"as_of"`
	CalibrationEnd  time.Time   `json:"calibration_end" doc:"last day of the calibration period (store zone)"`
	HoldoutWeeks    int         `json:"holdout_weeks"`
	Customers       int64       `json:"customers"`
	RepeatCustomers int64       `json:"repeat_customers"`
	BGNBD           BGNBD       `json:"bgnbd"`
	LogLikelihood   float64     `json:"log_likelihood"`
	GammaGamma      *GammaGamma `json:"gamma_gamma" doc:"null when too few repeat customers to fit spend"`
	Quality         Quality     `json:"quality"`
	HorizonMonths   int         `json:"horizon_months"`
	MonthlyDiscount float64     `json:"monthly_discount"`
	TookMS          int64       `json:"took_ms"`
	CreatedAt       time.Time   `json:"created_at"`
}

// Prediction is one customer's predicted value from a fit.
type Prediction struct {
	FitID             int64   `json:"fit_id"`
	CustomerID        int64   `json:"customer_id"`
	X                 int     `json:"x" doc:"repeat transactions (days with a paid order after the first)"`
	Tx                float64 `json:"t_x" doc:"weeks from the first to the last purchase"`
	T                 float64 `json:"t" doc:"weeks from the first purchase to the fit's day"`
	PAlive            float64 `json:"p_alive"`
	ExpectedPurchases float64 `json:"expected_purchases" doc:"over the CLV horizon"`
	ExpectedAOV       int64   `json:"expected_aov" doc:"分"`
	CLV               int64   `json:"clv" doc:"discounted expected net spend over the horizon, 分"`
}

// ErrNoFit means no fit has been stored yet.
var ErrNoFit = fmt.Errorf("no customer value fit yet; refit first: %w", apperr.ErrNotFound)

func (o Options) withDefaults() (Options, error) {
	if o.AsOf.IsZero() {
		o.AsOf = time.Now()
	}
	if o.HoldoutWeeks == 0 {
		o.HoldoutWeeks = DefaultHoldoutWeeks
	}
	if o.HorizonMonths == 0 {
		o.HorizonMonths = DefaultHorizonMonths
	}
	if o.MonthlyDiscount == 0 {
		o.MonthlyDiscount = DefaultMonthlyDiscount
	}
	switch {
	case o.HoldoutWeeks < 1 || o.HoldoutWeeks > 104:
		return o, apperr.Field("holdout_weeks", "must be 1 to 104 weeks, got %d", o.HoldoutWeeks)
	case o.HorizonMonths < 1 || o.HorizonMonths > 120:
		return o, apperr.Field("horizon_months", "must be 1 to 120 months, got %d", o.HorizonMonths)
	case o.MonthlyDiscount < 0 || o.MonthlyDiscount >= 1:
		return o, apperr.Field("monthly_discount", "must be a rate from 0 to below 1 (0.01 is 1%% a month), got %g", o.MonthlyDiscount)
	}
	return o, nil
}

// FitNow fits the models on the history up to o.AsOf, checks the forecast
// on a holdout, predicts every customer's value and stores it all.
func (s *Service) FitNow(ctx context.Context, o Options) (Fit, error) {
	began := time.Now()
	o, err := o.withDefaults()
	if err != nil {
		return Fit{}, err
	}
	st, err := settings.Load(ctx, s.DB)
	if err != nil {
		return Fit{}, err
	}
	loc := st.Location()
	lastDay := settings.Day(o.AsOf, loc)
	ps, err := LoadPurchases(ctx, s.DB, lastDay)
	if err != nil {
		return Fit{}, err
	}
	fit, preds, err := Estimate(ps, dayNumber(lastDay), o)
	if err != nil {
		return Fit{}, err
	}
	fit.AsOf = time.UnixMilli(o.AsOf.UnixMilli()).UTC()
	calEnd := dayNumber(lastDay) - int64(7*fit.HoldoutWeeks)
	fit.CalibrationEnd = time.Unix(calEnd*86400, 0).UTC()
	fit.TookMS = time.Since(began).Milliseconds()
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		if err := storeFit(ctx, tx, &fit, preds); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "clv.fit", "clv_fit", fit.ID, nil, fit)
	})
	return fit, err
}

// Estimate fits the models on ps as of day end (a day number) and predicts
// each customer: the BG/NBD and Gamma-Gamma on all the history, and the
// BG/NBD once more without the last HoldoutWeeks weeks to measure how well
// it forecasts them.
func Estimate(ps []Purchases, end int64, o Options) (Fit, []Prediction, error) {
	o, err := o.withDefaults()
	if err != nil {
		return Fit{}, nil, err
	}
	fit := Fit{HorizonMonths: o.HorizonMonths, MonthlyDiscount: o.MonthlyDiscount}
	var first int64 = math.MaxInt64
	for _, p := range ps {
		first = min(first, p.Days[0])
	}
	spanWeeks := int((end - first) / 7)
	if len(ps) == 0 || spanWeeks < 8 {
		return fit, nil, fmt.Errorf("%w: the history spans %d weeks; the fit needs at least 8", ErrTooLittleData, max(0, spanWeeks))
	}
	// The holdout takes at most a quarter of the history, so that the
	// calibration period keeps enough repeat buying to fit.
	fit.HoldoutWeeks = min(o.HoldoutWeeks, spanWeeks/4)
	calEnd := end - int64(7*fit.HoldoutWeeks)

	// Holdout check: fit without the last weeks, forecast them.
	var cal []History
	var calIdx []int
	for i, p := range ps {
		if h, _, ok := p.Calibrate(calEnd); ok {
			cal = append(cal, h)
			calIdx = append(calIdx, i)
		}
	}
	calModel, _, err := FitBGNBD(cal)
	if err != nil {
		return fit, nil, fmt.Errorf("calibration fit: %w", err)
	}
	q := Quality{Calibration: calModel, Weeks: make([]Week, fit.HoldoutWeeks)}
	for k := range q.Weeks {
		q.Weeks[k].Week = k + 1
	}
	for _, i := range calIdx {
		for _, d := range ps[i].Days {
			if d > calEnd && d <= end {
				q.Weeks[(d-calEnd-1)/7].Actual++
			}
		}
	}
	// Each distinct history's weekly forecast, on every core (a
	// hypergeometric series per history and week).
	ws, _ := compress(cal)
	perWeek := make([]float64, len(ws)*len(q.Weeks))
	eachIndex(len(ws), func(i int) {
		prev := 0.0
		for k := range q.Weeks {
			cum := calModel.ExpectedPurchases(ws[i].History, float64(k+1))
			perWeek[i*len(q.Weeks)+k] = ws[i].n * (cum - prev)
			prev = cum
		}
	})
	for i := range ws {
		for k := range q.Weeks {
			q.Weeks[k].Predicted += perWeek[i*len(q.Weeks)+k]
		}
	}
	for _, wk := range q.Weeks {
		q.Predicted += wk.Predicted
		q.Actual += wk.Actual
	}
	if q.Actual > 0 {
		q.ErrorBP = int64(math.Round((q.Predicted - float64(q.Actual)) / float64(q.Actual) * 10000))
	}
	fit.Quality = q

	// The models for prediction use all the history.
	hs := make([]History, len(ps))
	means := make([]float64, len(ps))
	var spends []Spend
	for i, p := range ps {
		hs[i], means[i], _ = p.Calibrate(end)
		if hs[i].X > 0 {
			fit.RepeatCustomers++
			spends = append(spends, Spend{X: hs[i].X, Mean: means[i]})
		}
	}
	fit.Customers = int64(len(ps))
	// The calibration fit saw the same customers but for the last weeks:
	// its optimum is a close start.
	fit.BGNBD, fit.LogLikelihood, err = fitBGNBD(hs, &calModel)
	if err != nil {
		return fit, nil, err
	}
	aov := func(x int, mean float64) float64 { return mean }
	if gg, _, err := FitGammaGamma(spends); err == nil {
		fit.GammaGamma = &gg
		aov = gg.ExpectedAOV
	} else {
		// Too few repeat buyers to fit spend: a customer's own mean, or the
		// mean of all repeat transactions for those with none.
		var sum float64
		var n int
		for _, s := range spends {
			sum += s.Mean * float64(s.X)
			n += s.X
		}
		pop := 0.0
		if n > 0 {
			pop = sum / float64(n)
		}
		aov = func(x int, mean float64) float64 {
			if x == 0 {
				return pop
			}
			return mean
		}
	}

	// Customers who share a history share its prediction: each distinct
	// history is worked out once, on every core.
	type cached struct{ alive, purchases, clvPerYuan float64 }
	distinct, _ := compress(hs)
	at := make(map[History]int, len(distinct))
	for i, w := range distinct {
		at[w.History] = i
	}
	per := make([]cached, len(distinct))
	eachIndex(len(distinct), func(i int) {
		h := distinct[i].History
		c := cached{alive: fit.BGNBD.PAlive(h)}
		// Σ over months of the purchases expected in that month,
		// discounted to today: CLV = AOV × this. The last month's
		// cumulative count is the horizon's.
		prev := 0.0
		for m := 1; m <= o.HorizonMonths; m++ {
			cum := fit.BGNBD.ExpectedPurchases(h, float64(m)*weeksPerMonth)
			c.clvPerYuan += (cum - prev) / math.Pow(1+o.MonthlyDiscount, float64(m))
			prev = cum
		}
		c.purchases = prev
		per[i] = c
	})
	preds := make([]Prediction, len(ps))
	for i, p := range ps {
		h := hs[i]
		c := per[at[h]]
		a := aov(h.X, means[i])
		preds[i] = Prediction{CustomerID: p.CustomerID, X: h.X, Tx: h.Tx, T: h.T, PAlive: c.alive, ExpectedPurchases: c.purchases,
			ExpectedAOV: int64(math.Round(a * 100)), CLV: int64(math.Round(a * 100 * c.clvPerYuan))}
	}
	return fit, preds, nil
}

func storeFit(ctx context.Context, tx *db.Tx, f *Fit, preds []Prediction) error {
	quality, err := json.Marshal(f.Quality)
	if err != nil {
		return err
	}
	var p, q, g any
	if f.GammaGamma != nil {
		p, q, g = f.GammaGamma.P, f.GammaGamma.Q, f.GammaGamma.Gamma
	}
	now := time.Now()
	f.CreatedAt = time.UnixMilli(now.UnixMilli()).UTC()
	err = tx.QueryRow(ctx, `INSERT INTO clv_fits (as_of, calibration_end, holdout_weeks, customers, repeat_customers, r, alpha, a, b,
		log_likelihood, gg_p, gg_q, gg_gamma, holdout_predicted, holdout_actual, weekly, horizon_months, monthly_discount, took_ms, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) RETURNING id`,
		f.AsOf.UnixMilli(), f.CalibrationEnd.UnixMilli(), f.HoldoutWeeks, f.Customers, f.RepeatCustomers,
		f.BGNBD.R, f.BGNBD.Alpha, f.BGNBD.A, f.BGNBD.B, f.LogLikelihood, p, q, g,
		f.Quality.Predicted, f.Quality.Actual, string(quality), f.HorizonMonths, f.MonthlyDiscount, f.TookMS, now.UnixMilli()).Scan(&f.ID)
	if err != nil {
		return fmt.Errorf("store clv fit: %w", err)
	}
	const batch, cols = 500, 9
	for start := 0; start < len(preds); start += batch {
		end := min(start+batch, len(preds))
		var sb strings.Builder
		sb.WriteString(`INSERT INTO clv_predictions (fit_id, customer_id, x, t_x, t, p_alive, expected_purchases, expected_aov, clv) VALUES `)
		args := make([]any, 0, (end-start)*cols)
		for i := start; i < end; i++ {
			if i > start {
				sb.WriteByte(',')
			}
			// Bare ? for SQLite: its driver matches numbered placeholders
			// by name, quadratic in their number.
			if tx.Dialect() == db.SQLite {
				sb.WriteString("(?,?,?,?,?,?,?,?,?)")
			} else {
				n := len(args)
				fmt.Fprintf(&sb, "($%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9)
			}
			pr := preds[i]
			args = append(args, f.ID, pr.CustomerID, pr.X, pr.Tx, pr.T, pr.PAlive, pr.ExpectedPurchases, pr.ExpectedAOV, pr.CLV)
		}
		if _, err := tx.Exec(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("store clv predictions: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM clv_predictions WHERE fit_id < (SELECT id FROM clv_fits ORDER BY id DESC LIMIT 1 OFFSET $1)`,
		KeepPredictedFits-1); err != nil {
		return fmt.Errorf("prune clv predictions: %w", err)
	}
	return nil
}

const fitColumns = `id, as_of, calibration_end, holdout_weeks, customers, repeat_customers, r, alpha, a, b, log_likelihood,
	gg_p, gg_q, gg_gamma, weekly, horizon_months, monthly_discount, took_ms, created_at`

// Latest returns the newest fit.
func (s *Service) Latest(ctx context.Context) (Fit, error) {
	var f Fit
	var asOf, calEnd, created int64
	var p, q, g sql.NullFloat64
	var quality string
	err := s.DB.QueryRow(ctx, `SELECT `+fitColumns+` FROM clv_fits ORDER BY id DESC LIMIT 1`).Scan(&f.ID, &asOf, &calEnd,
		&f.HoldoutWeeks, &f.Customers, &f.RepeatCustomers, &f.BGNBD.R, &f.BGNBD.Alpha, &f.BGNBD.A, &f.BGNBD.B, &f.LogLikelihood,
		&p, &q, &g, &quality, &f.HorizonMonths, &f.MonthlyDiscount, &f.TookMS, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return f, ErrNoFit
	}
	if err != nil {
		return f, fmt.Errorf("latest clv fit: %w", err)
	}
	f.AsOf, f.CalibrationEnd, f.CreatedAt = time.UnixMilli(asOf).UTC(), time.UnixMilli(calEnd).UTC(), time.UnixMilli(created).UTC()
	if p.Valid && q.Valid && g.Valid {
		f.GammaGamma = &GammaGamma{P: p.Float64, Q: q.Float64, Gamma: g.Float64}
	}
	if err := json.Unmarshal([]byte(quality), &f.Quality); err != nil {
		return f, fmt.Errorf("clv fit %d quality: %w", f.ID, err)
	}
	return f, nil
}

const predictionColumns = `fit_id, customer_id, x, t_x, t, p_alive, expected_purchases, expected_aov, clv`

func scanPrediction(sc interface{ Scan(...any) error }) (Prediction, error) {
	var p Prediction
	err := sc.Scan(&p.FitID, &p.CustomerID, &p.X, &p.Tx, &p.T, &p.PAlive, &p.ExpectedPurchases, &p.ExpectedAOV, &p.CLV)
	return p, err
}

// ErrNoPrediction means the latest fits hold no prediction for the customer
// (no paid order before the fit).
var ErrNoPrediction = fmt.Errorf("no customer value prediction for this customer yet: %w", apperr.ErrNotFound)

// PredictionOf returns the customer's prediction from the newest fit that
// has one.
func (s *Service) PredictionOf(ctx context.Context, customerID int64) (Prediction, error) {
	p, err := scanPrediction(s.DB.QueryRow(ctx, `SELECT `+predictionColumns+` FROM clv_predictions
		WHERE customer_id = $1 ORDER BY fit_id DESC LIMIT 1`, customerID))
	if errors.Is(err, sql.ErrNoRows) {
		return p, ErrNoPrediction
	}
	if err != nil {
		return p, fmt.Errorf("clv prediction of customer %d: %w", customerID, err)
	}
	return p, nil
}

// Top returns the fit's customers with the highest CLV, highest first.
func (s *Service) Top(ctx context.Context, fitID int64, limit int) ([]Prediction, error) {
	rows, err := s.DB.Query(ctx, `SELECT `+predictionColumns+` FROM clv_predictions WHERE fit_id = $1
		ORDER BY clv DESC, customer_id LIMIT $2`, fitID, limit)
	if err != nil {
		return nil, fmt.Errorf("top customers by clv: %w", err)
	}
	defer rows.Close()
	var out []Prediction
	for rows.Next() {
		p, err := scanPrediction(rows)
		if err != nil {
			return nil, fmt.Errorf("top customers by clv: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// FitIfStale refits when the latest fit is older than maxAge (or there is
// none), for the nightly job; a shop too young to fit is not an error.
func (s *Service) FitIfStale(ctx context.Context, maxAge time.Duration) (bool, error) {
	f, err := s.Latest(ctx)
	if err == nil && time.Since(f.CreatedAt) < maxAge {
		return false, nil
	}
	if err != nil && !errors.Is(err, ErrNoFit) {
		return false, err
	}
	if _, err := s.FitNow(ctx, Options{}); err != nil {
		if errors.Is(err, ErrTooLittleData) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// ExpectedIn is how many purchases the customer of p is expected to make in
// the weeks after the fit's day, by the fit that made p.
func (s *Service) ExpectedIn(ctx context.Context, p Prediction, weeks float64) (float64, error) {
	var m BGNBD
	err := s.DB.QueryRow(ctx, `SELECT r, alpha, a, b FROM clv_fits WHERE id = $1`, p.FitID).Scan(&m.R, &m.Alpha, &m.A, &m.B)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNoFit
	}
	if err != nil {
		return 0, fmt.Errorf("clv fit %d: %w", p.FitID, err)
	}
	return m.ExpectedPurchases(History{X: p.X, Tx: p.Tx, T: p.T}, weeks), nil
}
