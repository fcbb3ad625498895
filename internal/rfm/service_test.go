package rfm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/lifecycle"
)

var asOf = time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC)

type paidOrder struct {
	customer int64
	daysAgo  int
	total    int64
	refunded int64
}

func seed(t *testing.T, d *db.DB, customers int, orders []paidOrder) {
	t.Helper()
	ctx := context.Background()
	for i := 1; i <= customers; i++ {
		if _, err := d.Exec(ctx, `INSERT INTO customers (name, created_at, updated_at) VALUES ($1, 1, 1)`, fmt.Sprintf("客户%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	for i, o := range orders {
		at := asOf.AddDate(0, 0, -o.daysAgo)
		day := at.Year()*10000 + int(at.Month())*100 + at.Day()
		if _, err := d.Exec(ctx, `INSERT INTO orders (order_no, customer_id, status, items_total, total, refunded_total, created_at, paid_at, paid_day, updated_at)
			VALUES ($1, $2, 'paid', $3, $3, $4, $5, $5, $6, $5)`, fmt.Sprintf("SO-%d", i), o.customer, o.total, o.refunded, at.UnixMilli(), day); err != nil {
			t.Fatal(err)
		}
	}
	// An unpaid order and one after asOf never count.
	if _, err := d.Exec(ctx, `INSERT INTO orders (order_no, customer_id, status, items_total, total, created_at, updated_at)
		VALUES ('SO-unpaid', 1, 'pending_payment', 100, 100, 1, 1)`); err != nil {
		t.Fatal(err)
	}
	late := asOf.Add(time.Hour).UnixMilli()
	if _, err := d.Exec(ctx, `INSERT INTO orders (order_no, customer_id, status, items_total, total, created_at, paid_at, paid_day, updated_at)
		VALUES ('SO-late', $2, 'paid', 100, 100, $1, $1, 20250630, $1)`, late, customers); err != nil {
		t.Fatal(err)
	}
}

func TestRun_StoresScoresSizesAndMovement(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		seed(t, d, 5, []paidOrder{
			{1, 2, 50000, 0}, {1, 20, 30000, 0}, {1, 40, 20000, 0}, // frequent, recent, big
			{2, 5, 9900, 0},                      // one order, recent
			{3, 100, 20000, 20000},               // everything refunded
			{4, 300, 8000, 0}, {4, 310, 8000, 0}, // long gone
		})
		s := &Service{DB: d}
		th := lifecycle.Thresholds{NewDays: 30, DormantAfter: 60, ChurnedAfter: 200}
		res, err := s.ComputeWith(ctx, Options{AsOf: asOf, Lifecycle: &th})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Customers) != 4 {
			t.Fatalf("%d customers scored, want 4 (customer 5 only bought after asOf)", len(res.Customers))
		}
		want := []struct {
			c     Customer
			stage lifecycle.Stage
		}{
			{Customer{ID: 1, RecencyDays: 2, Frequency: 3, Monetary: 100000}, lifecycle.StageActive},
			{Customer{ID: 2, RecencyDays: 5, Frequency: 1, Monetary: 9900}, lifecycle.StageNew},
			{Customer{ID: 3, RecencyDays: 100, Frequency: 1, Monetary: 0}, lifecycle.StageDormant},
			{Customer{ID: 4, RecencyDays: 300, Frequency: 2, Monetary: 16000}, lifecycle.StageChurned},
		}
		for i, w := range want {
			got := res.Customers[i]
			got.FirstPaidAt, got.LastPaidAt = 0, 0
			if got != w.c || res.Stages[i] != w.stage {
				t.Errorf("customer %d: %+v %s, want %+v %s", i+1, got, res.Stages[i], w.c, w.stage)
			}
		}
		_, gaps, err := Aggregate(ctx, d, 0, asOf.UnixMilli())
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(gaps, func(a, b lifecycle.Gap) int { return int(a.Days - b.Days) })
		// Customer 1 bought 40, 20 and 2 days ago; customer 4 310 and 300.
		if want := []lifecycle.Gap{{Days: 10, Count: 1}, {Days: 18, Count: 1}, {Days: 20, Count: 1}}; !slices.Equal(gaps, want) {
			t.Errorf("gaps %v, want %v", gaps, want)
		}
		if res.Scores[2].M != 1 {
			t.Errorf("fully refunded customer scores M=%d, want 1", res.Scores[2].M)
		}

		run1, err := s.Run(ctx, Options{AsOf: asOf.AddDate(0, 0, -30), Lifecycle: &th})
		if err != nil {
			t.Fatal(err)
		}
		run2, err := s.Run(ctx, Options{AsOf: asOf, Lifecycle: &th})
		if err != nil {
			t.Fatal(err)
		}
		if run1.Customers != 3 || run2.Customers != 4 {
			t.Errorf("runs scored %d and %d customers, want 3 and 4", run1.Customers, run2.Customers)
		}
		sum, err := s.Summary(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Run == nil || sum.Run.ID != run2.ID || len(sum.History) != 2 || sum.History[0].RunID != run1.ID {
			t.Fatalf("summary %+v", sum)
		}
		var total, share int64
		for _, c := range sum.Segments {
			total += c.Customers
			share += c.ShareBP
		}
		if total != 4 || len(sum.Segments) != len(Segments) || share < 9998 || share > 10002 {
			t.Errorf("segment sizes add to %d customers, %d bp: %+v", total, share, sum.Segments)
		}
		var stages int64
		for _, c := range sum.Stages {
			if c.Name == string(lifecycle.StageChurned) && c.Customers != 1 {
				t.Errorf("churned %d, want 1", c.Customers)
			}
			stages += c.Customers
		}
		if stages != 4 {
			t.Errorf("stages add to %d", stages)
		}

		mv, err := s.LatestMovement(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var moved, entered int64
		for i := range mv.Counts {
			for j := range mv.Counts[i] {
				moved += mv.Counts[i][j]
			}
			entered += mv.Entered[i]
		}
		// Customers 1, 3 and 4 were scored in both runs; 2 bought first in
		// between.
		if mv.From.ID != run1.ID || mv.To.ID != run2.ID || moved != 3 || entered != 1 {
			t.Errorf("movement %d moved, %d entered: %+v", moved, entered, mv)
		}

		cs, err := s.ScoreOf(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if cs.RunID != run2.ID || cs.Frequency != 3 || cs.Monetary != 100000 || cs.Stage != lifecycle.StageActive || cs.Segment != SegmentOf(cs.Score) {
			t.Errorf("score of customer 1: %+v", cs)
		}
		if _, err := s.ScoreOf(ctx, 5); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("customer without paid orders: %v, want not found", err)
		}
		var audits int
		d.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'rfm.run'`).Scan(&audits)
		if audits != 2 {
			t.Errorf("%d audit entries, want 2", audits)
		}
	})
}

func TestRun_KeepsMovesOfTheLatestRunsOnly(t *testing.T) {
	d := dbtest.SQLite(t)
	ctx := context.Background()
	seed(t, d, 3, []paidOrder{{1, 1, 100, 0}, {2, 3, 200, 0}})
	s := &Service{DB: d}
	// Every other run's cut points call everybody lost, so every run moves
	// somebody.
	lost := &Cuts{R: [4]int64{-4, -3, -2, -1}, F: [4]int64{100, 200, 300, 400}, M: [4]int64{1e9, 2e9, 3e9, 4e9}}
	for i := range KeepMoves + 2 {
		o := Options{AsOf: asOf.Add(2 * time.Hour)}
		if i%2 == 1 {
			o.Cuts = lost
		}
		if _, err := s.Run(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	var runs, oldest, current int
	d.QueryRow(ctx, `SELECT COUNT(DISTINCT run_id), COALESCE(MIN(run_id), 0) FROM rfm_moves`).Scan(&runs, &oldest)
	d.QueryRow(ctx, `SELECT COUNT(*) FROM rfm_current`).Scan(&current)
	if runs != KeepMoves || oldest != 3 || current != 3 {
		t.Errorf("moves kept for %d runs from run %d, %d current rows; want %d runs from run 3, 3 rows", runs, oldest, current, KeepMoves)
	}
	sum, err := s.Summary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.History) != KeepMoves+2 {
		t.Errorf("history has %d runs, want every run", len(sum.History))
	}
	if ran, err := s.RunIfStale(ctx, time.Hour); err != nil || ran {
		t.Errorf("RunIfStale right after a run: ran=%v err=%v", ran, err)
	}
}

func TestComputeWith_RejectsBadOptions(t *testing.T) {
	d := dbtest.SQLite(t)
	s := &Service{DB: d}
	if _, err := s.ComputeWith(context.Background(), Options{Cuts: &Cuts{}}); err == nil {
		t.Error("flat cuts accepted")
	}
	if _, err := s.ComputeWith(context.Background(), Options{Lifecycle: &lifecycle.Thresholds{NewDays: 1, DormantAfter: 5, ChurnedAfter: 2}}); err == nil {
		t.Error("churned before dormant accepted")
	}
}
