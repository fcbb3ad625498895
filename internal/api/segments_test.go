package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/api"
	"github.com/storeops/storeops/internal/clv"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/rfm"
	"github.com/storeops/storeops/internal/settings"
)

// seedBuyers writes 40 customers buying over the last 30 weeks: customer i
// every 7·(1 + i mod 5) days from day 3·(i mod 10); every fourth stops after
// three purchases.
func seedBuyers(t *testing.T, d *db.DB) {
	t.Helper()
	ctx := context.Background()
	loc := settings.Defaults.Location()
	end := time.Now().Add(-time.Hour)
	start := end.AddDate(0, 0, -30*7)
	err := d.InTx(ctx, func(tx *db.Tx) error {
		n := 0
		for i := 1; i <= 40; i++ {
			if _, err := tx.Exec(ctx, `INSERT INTO customers (name, created_at, updated_at) VALUES ($1, 1, 1)`, fmt.Sprintf("买家%d", i)); err != nil {
				return err
			}
			purchases := 0
			for day := start.AddDate(0, 0, 3*(i%10)); !day.After(end); day = day.AddDate(0, 0, 7*(1+i%5)) {
				if i%4 == 0 && purchases == 3 {
					break
				}
				purchases++
				n++
				if _, err := tx.Exec(ctx, `INSERT INTO orders (order_no, customer_id, status, items_total, total, created_at, paid_at, paid_day, updated_at)
					VALUES ($1, $2, 'paid', $3, $3, $4, $4, $5, $4)`, fmt.Sprintf("SO-%d", n), i, 10000+int64(i)*100, day.UnixMilli(), settings.Day(day, loc)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSegmentsAPI_RunsFitsAndCustomerValue(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	f.loadSpec()
	// Before anything is computed: empty summary, no fit, refit refused.
	st, body := f.call("viewer", "GET", "/api/v1/segments/rfm", nil)
	if sum := decodeAs[rfm.Summary](t, body); st != 200 || sum.Run != nil || len(sum.History) != 0 {
		t.Fatalf("empty summary: %d %s", st, body)
	}
	if st, body = f.call("viewer", "GET", "/api/v1/clv/fits/latest", nil); st != http.StatusNotFound {
		t.Fatalf("latest fit before any: %d %s", st, body)
	}
	if st, body = f.call("operator", "POST", "/api/v1/clv/fits", nil); st != http.StatusUnprocessableEntity || decodeAs[api.ErrorBody](t, body).Error.Code != "insufficient_data" {
		t.Fatalf("fit on an empty shop: %d %s", st, body)
	}
	if st, _ = f.call("finance", "POST", "/api/v1/segments/rfm/runs", nil); st != http.StatusForbidden {
		t.Fatalf("finance recomputes: %d", st)
	}

	seedBuyers(t, f.a.DB)
	for range 2 {
		st, body = f.call("operator", "POST", "/api/v1/segments/rfm/runs", nil)
		if run := decodeAs[rfm.Run](t, body); st != http.StatusCreated || run.Customers != 40 {
			t.Fatalf("run: %d %s", st, body)
		}
	}
	st, body = f.call("operator", "POST", "/api/v1/segments/rfm/runs", map[string]any{"bad": 1})
	if st != http.StatusBadRequest {
		t.Errorf("unknown field: %d %s", st, body)
	}
	st, body = f.call("operator", "POST", "/api/v1/segments/rfm/runs", map[string]any{"cuts": map[string]any{
		"r": []int{7, 30, 30, 90}, "f": []int{2, 3, 4, 5}, "m": []int{1, 2, 3, 4}}})
	if e := decodeAs[api.ErrorBody](t, body); st != http.StatusUnprocessableEntity || e.Error.Field != "cuts.r" {
		t.Errorf("flat cuts: %d %s", st, body)
	}
	st, body = f.call("operator", "POST", "/api/v1/segments/rfm/runs", map[string]any{
		"cuts":      map[string]any{"r": []int{7, 30, 60, 90}, "f": []int{2, 3, 4, 5}, "m": []int{10000, 20000, 50000, 100000}},
		"lifecycle": map[string]any{"new_days": 14, "dormant_after_days": 45, "churned_after_days": 120}})
	if run := decodeAs[rfm.Run](t, body); st != http.StatusCreated || run.Method != "cuts" || run.Thresholds.DormantAfter != 45 || run.Thresholds.Derived {
		t.Fatalf("run with cuts: %d %s", st, body)
	}
	// Back to the defaults for the summary and movement below.
	for range 2 {
		if st, body = f.call("operator", "POST", "/api/v1/segments/rfm/runs", nil); st != http.StatusCreated {
			t.Fatalf("run: %d %s", st, body)
		}
	}
	st, body = f.call("finance", "GET", "/api/v1/segments/rfm", nil)
	sum := decodeAs[rfm.Summary](t, body)
	var n int64
	for _, c := range sum.Segments {
		n += c.Customers
	}
	if st != 200 || n != 40 || len(sum.History) != 5 || len(sum.Tiers) != 3 || len(sum.Quadrants) != 4 || len(sum.Stages) != 4 {
		t.Fatalf("summary: %d %s", st, body)
	}
	st, body = f.call("viewer", "GET", "/api/v1/segments/rfm/movement", nil)
	mv := decodeAs[rfm.Movement](t, body)
	var stayed int64
	for i := range mv.Counts {
		stayed += mv.Counts[i][i]
	}
	// Two runs on the same data: nobody moved.
	if st != 200 || mv.From == nil || stayed != 40 {
		t.Fatalf("movement: %d %s", st, body)
	}

	st, body = f.call("operator", "POST", "/api/v1/clv/fits", nil)
	fit := decodeAs[clv.Fit](t, body)
	if st != http.StatusCreated || fit.Customers != 40 || fit.BGNBD.R <= 0 || len(fit.Quality.Weeks) == 0 {
		t.Fatalf("fit: %d %s", st, body)
	}
	st, body = f.call("viewer", "GET", "/api/v1/clv/fits/latest", nil)
	if got := decodeAs[clv.Fit](t, body); st != 200 || got.ID != fit.ID {
		t.Fatalf("latest fit: %d %s", st, body)
	}
	st, body = f.call("finance", "GET", "/api/v1/customers/1/value", nil)
	v := decodeAs[api.CustomerValue](t, body)
	if st != 200 || v.RFM == nil || v.Prediction == nil || v.RFM.Frequency == 0 || v.Prediction.CLV <= 0 || v.RFM.Segment == "" {
		t.Fatalf("customer value: %d %s", st, body)
	}
	st, body = f.call("finance", "GET", "/api/v1/customers/1/value?weeks=13", nil)
	v13 := decodeAs[api.CustomerValue](t, body)
	if st != 200 || v13.ExpectedInWeeks == nil || *v13.ExpectedInWeeks <= 0 || *v13.ExpectedInWeeks >= v13.Prediction.ExpectedPurchases {
		t.Errorf("expected in 13 weeks (want below the 12-month %.2f): %d %s", v13.Prediction.ExpectedPurchases, st, body)
	}
	if st, body = f.call("finance", "GET", "/api/v1/customers/1/value?weeks=0", nil); st != http.StatusBadRequest {
		t.Errorf("weeks=0: %d %s", st, body)
	}
	if st, _ = f.call("service", "GET", "/api/v1/customers/1/value", nil); st != http.StatusForbidden {
		t.Errorf("customer service reads customer value: %d", st)
	}
	if st, _ = f.call("viewer", "GET", "/api/v1/customers/999/value", nil); st != http.StatusNotFound {
		t.Errorf("unknown customer: %d", st)
	}
}
