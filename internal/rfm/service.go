package rfm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/lifecycle"
)

// Service computes, stores and reads RFM runs.
type Service struct {
	DB *db.DB
}

// KeepScoredRuns is how many runs keep their per-customer scores; older runs
// keep only their segment counts (a nightly run of 20,000 customers would
// otherwise add seven million rows a year).
const KeepScoredRuns = 7

// Run is a stored computation.
type Run struct {
	ID         int64                `json:"id"`
	AsOf       time.Time            `json:"as_of"`
	WindowFrom *time.Time           `json:"window_from" doc:"start of the window; null: all history"`
	Method     string               `json:"method" doc:"quintiles or cuts"`
	Customers  int64                `json:"customers"`
	Thresholds lifecycle.Thresholds `json:"lifecycle"`
	TookMS     int64                `json:"took_ms"`
	CreatedAt  time.Time            `json:"created_at"`
}

// Count is the size of one group of a run.
type Count struct {
	Name      string `json:"name"`
	Customers int64  `json:"customers"`
	Monetary  int64  `json:"monetary" doc:"their net spend, 分"`
	ShareBP   int64  `json:"share_bp" doc:"share of the run's customers in basis points"`
}

// Summary is the latest run with its group sizes and the history of runs.
type Summary struct {
	Run       *Run       `json:"run" doc:"null before the first run"`
	Segments  []Count    `json:"segments"`
	Tiers     []Count    `json:"tiers" doc:"忠实/潜力/沉睡"`
	Quadrants []Count    `json:"quadrants" doc:"高价值高活跃 …"`
	Stages    []Count    `json:"stages" doc:"lifecycle stages"`
	History   []RunSizes `json:"history" doc:"every run, oldest first"`
}

// RunSizes is one run's segment sizes, for the trend over runs.
type RunSizes struct {
	RunID     int64            `json:"run_id"`
	AsOf      time.Time        `json:"as_of"`
	Customers int64            `json:"customers"`
	Segments  map[string]int64 `json:"segments"`
}

// Group kinds stored per run.
const (
	KindSegment  = "segment"
	KindTier     = "tier"
	KindQuadrant = "quadrant"
	KindStage    = "stage"
)

// Run computes a run with the options and stores it, recording it in the
// audit log.
func (s *Service) Run(ctx context.Context, o Options) (Run, error) {
	began := time.Now()
	res, err := s.ComputeWith(ctx, o)
	if err != nil {
		return Run{}, err
	}
	took := time.Since(began).Milliseconds()
	var run Run
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		var err error
		run, err = store(ctx, tx, res, took)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, "rfm.run", "rfm_run", run.ID, nil, run)
	})
	if err != nil {
		return Run{}, err
	}
	return run, nil
}

func store(ctx context.Context, tx *db.Tx, res Result, took int64) (Run, error) {
	now := time.Now()
	run := Run{AsOf: time.UnixMilli(res.AsOf.UnixMilli()).UTC(), Method: res.Method, Customers: int64(len(res.Customers)), Thresholds: res.Thresholds,
		TookMS: took, CreatedAt: now.UTC().Truncate(time.Millisecond)}
	var from any
	if !res.Since.IsZero() {
		t := res.Since.UTC()
		run.WindowFrom = &t
		from = t.UnixMilli()
	}
	err := tx.QueryRow(ctx, `INSERT INTO rfm_runs (as_of, window_from, method, customers, new_days, dormant_after_days,
		churned_after_days, thresholds_derived, took_ms, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		res.AsOf.UnixMilli(), from, res.Method, run.Customers, res.Thresholds.NewDays, res.Thresholds.DormantAfter,
		res.Thresholds.ChurnedAfter, res.Thresholds.Derived, took, now.UnixMilli()).Scan(&run.ID)
	if err != nil {
		return run, fmt.Errorf("store rfm run: %w", err)
	}
	if err := storeScores(ctx, tx, run.ID, res); err != nil {
		return run, err
	}
	for _, g := range groupsOf(res) {
		if _, err := tx.Exec(ctx, `INSERT INTO rfm_run_segments (run_id, kind, name, customers, monetary) VALUES ($1, $2, $3, $4, $5)`,
			run.ID, g.kind, g.Name, g.Customers, g.Monetary); err != nil {
			return run, fmt.Errorf("store rfm run sizes: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM rfm_scores WHERE run_id < (SELECT id FROM rfm_runs ORDER BY id DESC LIMIT 1 OFFSET $1)`,
		KeepScoredRuns-1); err != nil {
		return run, fmt.Errorf("prune rfm scores: %w", err)
	}
	return run, nil
}

// storeScores writes the customers' scores in multi-row inserts: one
// statement per 500 customers keeps a 20,000-customer run to 40 statements.
// SQLite gets bare ? placeholders: its driver matches numbered ones by name,
// which for 5,000 arguments is quadratic (seconds per statement).
func storeScores(ctx context.Context, tx *db.Tx, runID int64, res Result) error {
	const batch, cols = 500, 10
	for start := 0; start < len(res.Customers); start += batch {
		end := min(start+batch, len(res.Customers))
		var sb strings.Builder
		sb.WriteString(`INSERT INTO rfm_scores (run_id, customer_id, recency_days, frequency, monetary, r, f, m, segment, stage) VALUES `)
		args := make([]any, 0, (end-start)*cols)
		for i := start; i < end; i++ {
			if i > start {
				sb.WriteByte(',')
			}
			if tx.Dialect() == db.SQLite {
				sb.WriteString("(?,?,?,?,?,?,?,?,?,?)")
			} else {
				n := len(args)
				fmt.Fprintf(&sb, "($%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9, n+10)
			}
			c, sc := res.Customers[i], res.Scores[i]
			args = append(args, runID, c.ID, c.RecencyDays, c.Frequency, c.Monetary, sc.R, sc.F, sc.M, string(res.Segments[i]), string(res.Stages[i]))
		}
		if _, err := tx.Exec(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("store rfm scores: %w", err)
		}
	}
	return nil
}

type group struct {
	kind string
	Count
}

// groupsOf counts the run's customers per segment, tier, quadrant and
// stage, every group present even when empty.
func groupsOf(res Result) []group {
	var out []group
	idx := map[[2]string]int{}
	add := func(kind, name string) {
		idx[[2]string{kind, name}] = len(out)
		out = append(out, group{kind: kind, Count: Count{Name: name}})
	}
	for _, s := range Segments {
		add(KindSegment, string(s))
	}
	for _, t := range Tiers {
		add(KindTier, string(t))
	}
	for _, q := range Quadrants {
		add(KindQuadrant, string(q))
	}
	for _, st := range lifecycle.Stages {
		add(KindStage, string(st))
	}
	bump := func(kind, name string, m int64) {
		g := &out[idx[[2]string{kind, name}]]
		g.Customers++
		g.Monetary += m
	}
	for i, c := range res.Customers {
		sc := res.Scores[i]
		bump(KindSegment, string(res.Segments[i]), c.Monetary)
		bump(KindTier, string(TierOf(sc)), c.Monetary)
		bump(KindQuadrant, string(QuadrantOf(sc)), c.Monetary)
		bump(KindStage, string(res.Stages[i]), c.Monetary)
	}
	return out
}

const runColumns = `id, as_of, window_from, method, customers, new_days, dormant_after_days, churned_after_days, thresholds_derived, took_ms, created_at`

func scanRun(sc interface{ Scan(...any) error }) (Run, error) {
	var r Run
	var asOf, created int64
	var from sql.NullInt64
	err := sc.Scan(&r.ID, &asOf, &from, &r.Method, &r.Customers, &r.Thresholds.NewDays, &r.Thresholds.DormantAfter,
		&r.Thresholds.ChurnedAfter, &r.Thresholds.Derived, &r.TookMS, &created)
	if err != nil {
		return r, err
	}
	r.AsOf, r.CreatedAt = time.UnixMilli(asOf).UTC(), time.UnixMilli(created).UTC()
	if from.Valid {
		t := time.UnixMilli(from.Int64).UTC()
		r.WindowFrom = &t
	}
	return r, nil
}

// LatestRuns returns the newest n runs, newest first.
func (s *Service) LatestRuns(ctx context.Context, n int) ([]Run, error) {
	rows, err := s.DB.Query(ctx, `SELECT `+runColumns+` FROM rfm_runs ORDER BY id DESC LIMIT $1`, n)
	if err != nil {
		return nil, fmt.Errorf("rfm runs: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("rfm runs: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// HistoryLimit is how many runs the trend shows.
const HistoryLimit = 90

// Summary returns the latest run's group sizes and the segment sizes of the
// last HistoryLimit runs.
func (s *Service) Summary(ctx context.Context) (Summary, error) {
	out := Summary{Segments: []Count{}, Tiers: []Count{}, Quadrants: []Count{}, Stages: []Count{}, History: []RunSizes{}}
	runs, err := s.LatestRuns(ctx, HistoryLimit)
	if err != nil || len(runs) == 0 {
		return out, err
	}
	out.Run = &runs[0]
	rows, err := s.DB.Query(ctx, `SELECT run_id, kind, name, customers, monetary FROM rfm_run_segments
		WHERE run_id >= $1 ORDER BY run_id`, runs[len(runs)-1].ID)
	if err != nil {
		return out, fmt.Errorf("rfm run sizes: %w", err)
	}
	defer rows.Close()
	byRun := map[int64]*RunSizes{}
	for i := len(runs) - 1; i >= 0; i-- {
		out.History = append(out.History, RunSizes{RunID: runs[i].ID, AsOf: runs[i].AsOf, Customers: runs[i].Customers, Segments: map[string]int64{}})
	}
	for i := range out.History {
		byRun[out.History[i].RunID] = &out.History[i]
	}
	latest := map[string][]Count{}
	for rows.Next() {
		var runID int64
		var kind string
		var c Count
		if err := rows.Scan(&runID, &kind, &c.Name, &c.Customers, &c.Monetary); err != nil {
			return out, fmt.Errorf("rfm run sizes: %w", err)
		}
		if rs, ok := byRun[runID]; ok && kind == KindSegment {
			rs.Segments[c.Name] = c.Customers
		}
		if runID == out.Run.ID {
			if out.Run.Customers > 0 {
				c.ShareBP = (c.Customers*10000 + out.Run.Customers/2) / out.Run.Customers
			}
			latest[kind] = append(latest[kind], c)
		}
	}
	if err := rows.Err(); err != nil {
		return out, err
	}
	out.Segments = ordered(latest[KindSegment], toStrings(Segments))
	out.Tiers = ordered(latest[KindTier], toStrings(Tiers))
	out.Quadrants = ordered(latest[KindQuadrant], toStrings(Quadrants))
	out.Stages = ordered(latest[KindStage], toStrings(lifecycle.Stages))
	return out, nil
}

func toStrings[T ~string](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

// ordered puts counts in the canonical order of names, filling gaps with 0.
func ordered(cs []Count, names []string) []Count {
	by := map[string]Count{}
	for _, c := range cs {
		by[c.Name] = c
	}
	out := make([]Count, len(names))
	for i, n := range names {
		c := by[n]
		c.Name = n
		out[i] = c
	}
	return out
}

// Movement is how customers moved between segments from one run to the
// next: Counts[i][j] customers were in Segments[i] and are now in
// Segments[j]. Entered counts customers scored only in the newer run (first
// purchase since), per segment.
type Movement struct {
	From     *Run      `json:"from" doc:"null with fewer than two runs"`
	To       *Run      `json:"to"`
	Segments []string  `json:"segments"`
	Counts   [][]int64 `json:"counts"`
	Entered  []int64   `json:"entered"`
}

// LatestMovement compares the last two runs.
func (s *Service) LatestMovement(ctx context.Context) (Movement, error) {
	names := toStrings(Segments)
	m := Movement{Segments: names, Counts: make([][]int64, len(names)), Entered: make([]int64, len(names))}
	for i := range m.Counts {
		m.Counts[i] = make([]int64, len(names))
	}
	runs, err := s.LatestRuns(ctx, 2)
	if err != nil || len(runs) < 2 {
		if len(runs) == 1 {
			m.To = &runs[0]
		}
		return m, err
	}
	m.To, m.From = &runs[0], &runs[1]
	pos := map[string]int{}
	for i, n := range names {
		pos[n] = i
	}
	rows, err := s.DB.Query(ctx, `SELECT COALESCE(a.segment, ''), b.segment, COUNT(*)
		FROM rfm_scores b LEFT JOIN rfm_scores a ON a.customer_id = b.customer_id AND a.run_id = $1
		WHERE b.run_id = $2 GROUP BY a.segment, b.segment`, m.From.ID, m.To.ID)
	if err != nil {
		return m, fmt.Errorf("rfm movement: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var from, to string
		var n int64
		if err := rows.Scan(&from, &to, &n); err != nil {
			return m, fmt.Errorf("rfm movement: %w", err)
		}
		j, ok := pos[to]
		if !ok {
			continue
		}
		if i, ok := pos[from]; ok {
			m.Counts[i][j] += n
		} else {
			m.Entered[j] += n
		}
	}
	return m, rows.Err()
}

// CustomerScore is one customer's place in the latest run that scored them.
type CustomerScore struct {
	RunID    int64           `json:"run_id"`
	AsOf     time.Time       `json:"as_of"`
	Customer                 // recency, frequency, monetary
	Score    Score           `json:"score"`
	Segment  Segment         `json:"segment"`
	Tier     Tier            `json:"tier"`
	Quadrant Quadrant        `json:"quadrant"`
	Stage    lifecycle.Stage `json:"stage"`
}

// ErrNotScored means no stored run scored the customer (no paid order
// before the latest run, or no run yet).
var ErrNotScored = fmt.Errorf("customer has no RFM score yet: %w", apperr.ErrNotFound)

// ScoreOf returns the customer's scores in the newest run that holds them.
func (s *Service) ScoreOf(ctx context.Context, customerID int64) (CustomerScore, error) {
	var cs CustomerScore
	var asOf int64
	var seg, stage string
	err := s.DB.QueryRow(ctx, `SELECT s.run_id, r.as_of, s.recency_days, s.frequency, s.monetary, s.r, s.f, s.m, s.segment, s.stage
		FROM rfm_scores s JOIN rfm_runs r ON r.id = s.run_id
		WHERE s.customer_id = $1 ORDER BY s.run_id DESC LIMIT 1`, customerID).
		Scan(&cs.RunID, &asOf, &cs.RecencyDays, &cs.Frequency, &cs.Monetary, &cs.Score.R, &cs.Score.F, &cs.Score.M, &seg, &stage)
	if errors.Is(err, sql.ErrNoRows) {
		return cs, ErrNotScored
	}
	if err != nil {
		return cs, fmt.Errorf("rfm score of customer %d: %w", customerID, err)
	}
	cs.ID = customerID
	cs.AsOf = time.UnixMilli(asOf).UTC()
	cs.Segment, cs.Stage = Segment(seg), lifecycle.Stage(stage)
	cs.Tier, cs.Quadrant = TierOf(cs.Score), QuadrantOf(cs.Score)
	return cs, nil
}

// RunIfStale runs with the default options when the latest run is older than
// maxAge (or there is none), for the nightly job; it reports whether it ran.
func (s *Service) RunIfStale(ctx context.Context, maxAge time.Duration) (bool, error) {
	runs, err := s.LatestRuns(ctx, 1)
	if err != nil {
		return false, err
	}
	if len(runs) == 1 && time.Since(runs[0].CreatedAt) < maxAge {
		return false, nil
	}
	_, err = s.Run(ctx, Options{})
	return err == nil, err
}
