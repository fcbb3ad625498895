package clv

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/settings"
)

var shanghai = time.FixedZone("Asia/Shanghai", 8*3600)

// seedShop writes 40 customers over 30 weeks ending on end: customer i
// first buys on day 3·(i mod 10), then every 7·(1 + i mod 5) days; every
// fourth customer stops after their third purchase. Each purchase is two
// orders on the same day (one transaction to the model), the second of
// them half refunded. It returns the repeat transactions in the last 7 weeks.
func seedShop(t *testing.T, d *db.DB, end time.Time) (holdout int64) {
	t.Helper()
	ctx := context.Background()
	start := end.AddDate(0, 0, -30*7)
	cut := end.AddDate(0, 0, -7*7)
	n := 0
	tx0 := func(fn func(tx *db.Tx) error) {
		if err := d.InTx(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	tx0(func(tx *db.Tx) error {
		for i := 1; i <= 40; i++ {
			if _, err := tx.Exec(ctx, `INSERT INTO customers (name, created_at, updated_at) VALUES ($1, 1, 1)`, fmt.Sprintf("客户%d", i)); err != nil {
				return err
			}
			purchases := 0
			for day := start.AddDate(0, 0, 3*(i%10)); !day.After(end); day = day.AddDate(0, 0, 7*(1+i%5)) {
				if i%4 == 0 && purchases == 3 {
					break
				}
				purchases++
				if purchases > 1 && day.After(cut) {
					holdout++
				}
				for k, amount := range []int64{10000 + int64(i)*100, 5000} {
					n++
					at := day.Add(time.Duration(k) * time.Hour)
					refunded := int64(0)
					if k == 1 {
						refunded = 2500
					}
					if _, err := tx.Exec(ctx, `INSERT INTO orders (order_no, customer_id, status, items_total, total, refunded_total, created_at, paid_at, paid_day, updated_at)
					VALUES ($1, $2, 'paid', $3, $3, $4, $5, $5, $6, $5)`, fmt.Sprintf("SO-%d", n), i, amount, refunded, at.UnixMilli(), settings.Day(at, shanghai)); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	return holdout
}

func TestFitNow_StoresTheFitAndEveryCustomersPrediction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		end := time.Date(2025, 6, 30, 12, 0, 0, 0, shanghai)
		holdout := seedShop(t, d, end)
		s := &Service{DB: d}
		if _, err := s.Latest(ctx); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("latest before any fit: %v", err)
		}
		f, err := s.FitNow(ctx, Options{AsOf: end, HoldoutWeeks: 7})
		if err != nil {
			t.Fatal(err)
		}
		if f.Customers != 40 || f.HoldoutWeeks != 7 || len(f.Quality.Weeks) != 7 {
			t.Errorf("fit %+v", f)
		}
		if f.Quality.Actual != holdout {
			t.Errorf("holdout actual %d, want %d", f.Quality.Actual, holdout)
		}
		var weekly int64
		for _, w := range f.Quality.Weeks {
			weekly += w.Actual
		}
		if weekly != holdout || f.Quality.Predicted <= 0 {
			t.Errorf("weekly actuals add to %d, predicted %.2f", weekly, f.Quality.Predicted)
		}
		got, err := s.Latest(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != f.ID || got.BGNBD != f.BGNBD || got.Quality.Actual != f.Quality.Actual || (got.GammaGamma == nil) != (f.GammaGamma == nil) {
			t.Errorf("stored fit %+v\nwant %+v", got, f)
		}
		top, err := s.Top(ctx, f.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(top) != 40 {
			t.Fatalf("%d predictions, want 40", len(top))
		}
		for i := 1; i < len(top); i++ {
			if top[i].CLV > top[i-1].CLV {
				t.Fatalf("top not ordered by CLV: %+v", top)
			}
		}
		// Customer 4 stopped after three purchases long ago; customer 1
		// buys every fortnight to this day.
		p1, err := s.PredictionOf(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		p4, err := s.PredictionOf(ctx, 4)
		if err != nil {
			t.Fatal(err)
		}
		if !(p1.PAlive > p4.PAlive && p1.CLV > p4.CLV && p1.ExpectedPurchases > p4.ExpectedPurchases) || p4.X != 2 {
			t.Errorf("steady customer %+v vs lapsed %+v", p1, p4)
		}
		if p1.ExpectedAOV <= 0 || p1.ExpectedAOV > 20000 {
			t.Errorf("expected AOV %d 分; a day's net spend is about 12,600", p1.ExpectedAOV)
		}
	})
}

func TestFitNow_ClearErrors(t *testing.T) {
	d := dbtest.SQLite(t)
	s := &Service{DB: d}
	ctx := context.Background()
	if _, err := s.FitNow(ctx, Options{}); !errors.Is(err, ErrTooLittleData) {
		t.Errorf("empty shop: %v", err)
	}
	var fe *apperr.FieldError
	if _, err := s.FitNow(ctx, Options{MonthlyDiscount: 2}); !errors.As(err, &fe) || fe.Field != "monthly_discount" {
		t.Errorf("discount 200%%: %v", err)
	}
	if ran, err := s.FitIfStale(ctx, time.Hour); ran || err != nil {
		t.Errorf("FitIfStale on an empty shop: %v %v", ran, err)
	}
}
