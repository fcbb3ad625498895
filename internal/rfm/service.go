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

// KeepMoves is how many runs keep the list of customers whose segment
// changed; older runs keep only their group sizes.
const KeepMoves = 7

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
// audit log. Only what changed since the previous run is written: the
// run's group sizes, the customers whose segment changed (for the movement
// matrix) and the changed rows of the customers' current scores.
func (s *Service) Run(ctx context.Context, o Options) (Run, error) {
	m := memoryOf(s.DB)
	m.mu.Lock()
	defer m.mu.Unlock()
	for attempt := 0; ; attempt++ {
		run, err := s.run(ctx, m, o)
		if errors.Is(err, errRunMeanwhile) && attempt < 2 {
			continue // another instance stored a run: diff against it
		}
		return run, err
	}
}

// errRunMeanwhile means another instance stored a run between reading the
// latest one and storing this one.
var errRunMeanwhile = errors.New("another RFM run was stored meanwhile")

func (s *Service) run(ctx context.Context, m *memory, o Options) (Run, error) {
	began := time.Now()
	sc, _, err := s.score(ctx, m, o, m.spare)
	if err != nil {
		return Run{}, err
	}
	m.spare = sc.rows // the buffer is kept whatever happens next
	if err := m.loadState(ctx, s.DB); err != nil {
		return Run{}, err
	}
	d := diff(m.state, sc.rows)
	took := time.Since(began).Milliseconds()
	var run Run
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		latest, err := latestRunID(ctx, tx)
		if err != nil {
			return err
		}
		if latest != m.runID {
			return errRunMeanwhile
		}
		run, err = store(ctx, tx, sc, d, len(m.state) == 0, took)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, "rfm.run", "rfm_run", run.ID, nil, run)
	})
	if err != nil {
		if errors.Is(err, errRunMeanwhile) {
			m.runID, m.state = 0, nil
		}
		return Run{}, err
	}
	m.runID, m.state, m.spare = run.ID, sc.rows, m.state
	return run, nil
}

// change is what a run writes beyond its sizes.
type change struct {
	upsert []int   // indexes into the new rows of customers whose row changed or who entered
	moves  []move  // customers whose segment changed
	left   []int64 // customers the run no longer scores
}

type move struct {
	customer int64
	from, to string // "" for not scored
}

// diff walks the previous run's rows and the new ones, both by customer
// id, and returns what changed.
func diff(prev, next []stateRow) change {
	var d change
	j := 0
	for i, row := range next {
		for j < len(prev) && prev[j].id < row.id {
			d.left = append(d.left, prev[j].id)
			d.moves = append(d.moves, move{prev[j].id, string(Segments[prev[j].segment]), ""})
			j++
		}
		if j < len(prev) && prev[j].id == row.id {
			if prev[j] != row {
				d.upsert = append(d.upsert, i)
			}
			if prev[j].segment != row.segment {
				d.moves = append(d.moves, move{row.id, string(Segments[prev[j].segment]), string(Segments[row.segment])})
			}
			j++
			continue
		}
		d.upsert = append(d.upsert, i)
		d.moves = append(d.moves, move{row.id, "", string(Segments[row.segment])})
	}
	for ; j < len(prev); j++ {
		d.left = append(d.left, prev[j].id)
		d.moves = append(d.moves, move{prev[j].id, string(Segments[prev[j].segment]), ""})
	}
	return d
}

var currentCols = []string{"customer_id", "run_id", "last_paid_at", "frequency", "monetary", "r", "f", "m", "segment", "stage"}

func store(ctx context.Context, tx *db.Tx, res scored, d change, first bool, took int64) (Run, error) {
	now := time.Now()
	run := Run{AsOf: time.UnixMilli(res.AsOf.UnixMilli()).UTC(), Method: res.Method, Customers: int64(len(res.rows)), Thresholds: res.Thresholds,
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
	for _, g := range groupsOf(res.rows) {
		if _, err := tx.Exec(ctx, `INSERT INTO rfm_run_segments (run_id, kind, name, customers, monetary) VALUES ($1, $2, $3, $4, $5)`,
			run.ID, g.kind, g.Name, g.Customers, g.Monetary); err != nil {
			return run, fmt.Errorf("store rfm run sizes: %w", err)
		}
	}
	if err := storeCurrent(ctx, tx, run.ID, res.rows, d, first); err != nil {
		return run, err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM rfm_moves WHERE run_id <= (SELECT id FROM rfm_runs ORDER BY id DESC LIMIT 1 OFFSET $1)`,
		KeepMoves); err != nil {
		return run, fmt.Errorf("prune rfm moves: %w", err)
	}
	return run, nil
}

// storeCurrent writes the changed rows of rfm_current (all of them in bulk
// on the first run), the moves, and drops the customers who left.
func storeCurrent(ctx context.Context, tx *db.Tx, runID int64, rows []stateRow, d change, first bool) error {
	const chunk = 50_000
	target := "rfm_current_stage"
	if first {
		target = "rfm_current"
	}
	for start := 0; start < len(d.upsert); start += chunk {
		part := d.upsert[start:min(start+chunk, len(d.upsert))]
		vals := make([]any, 0, len(part)*len(currentCols))
		for _, i := range part {
			r := rows[i]
			vals = append(vals, r.id, runID, r.last, r.freq, r.mon, int64(r.r), int64(r.f), int64(r.m),
				string(Segments[r.segment]), string(lifecycle.Stages[r.stage]))
		}
		if err := tx.InsertRows(ctx, target, currentCols, vals); err != nil {
			return fmt.Errorf("store rfm scores: %w", err)
		}
	}
	if !first && len(d.upsert) > 0 {
		cols := strings.Join(currentCols, ", ")
		var set []string
		for _, c := range currentCols[1:] {
			set = append(set, c+" = excluded."+c)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO rfm_current (`+cols+`) SELECT `+cols+` FROM rfm_current_stage WHERE TRUE
			ON CONFLICT (customer_id) DO UPDATE SET `+strings.Join(set, ", ")); err != nil {
			return fmt.Errorf("store rfm scores: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM rfm_current_stage`); err != nil {
			return fmt.Errorf("store rfm scores: %w", err)
		}
	}
	for start := 0; start < len(d.moves); start += chunk {
		part := d.moves[start:min(start+chunk, len(d.moves))]
		vals := make([]any, 0, len(part)*4)
		for _, mv := range part {
			vals = append(vals, runID, mv.customer, mv.from, mv.to)
		}
		if err := tx.InsertRows(ctx, "rfm_moves", []string{"run_id", "customer_id", "from_segment", "to_segment"}, vals); err != nil {
			return fmt.Errorf("store rfm moves: %w", err)
		}
	}
	if len(d.left) > 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM rfm_current WHERE customer_id IN (SELECT customer_id FROM rfm_moves WHERE run_id = $1 AND to_segment = '')`, runID); err != nil {
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
// stage, every group present even when empty. Names are compared by
// position in their lists, not looked up in a map: a run counts a million
// customers four times.
func groupsOf(rows []stateRow) []group {
	var out []group
	start := map[string]int{}
	for _, k := range []struct {
		kind  string
		names []string
	}{{KindSegment, toStrings(Segments)}, {KindTier, toStrings(Tiers)}, {KindQuadrant, toStrings(Quadrants)}, {KindStage, toStrings(lifecycle.Stages)}} {
		start[k.kind] = len(out)
		for _, n := range k.names {
			out = append(out, group{kind: k.kind, Count: Count{Name: n}})
		}
	}
	seg, tier, quad, stage := start[KindSegment], start[KindTier], start[KindQuadrant], start[KindStage]
	for _, r := range rows {
		for _, i := range [4]int{seg + int(r.segment), tier + int(tierCells[r.r][r.f][r.m]), quad + int(quadrantCells[r.r][r.f][r.m]), stage + int(r.stage)} {
			out[i].Customers++
			out[i].Monetary += r.mon
		}
	}
	return out
}

// position is where name is in names (short lists: a scan beats a map).
func position[T comparable](names []T, name T) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	panic(fmt.Sprintf("rfm: %v is not one of %v", name, names))
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
	pos := indexOf(names)
	// Everyone in a segment of the previous run stayed there unless a move
	// of the latest run says otherwise.
	rows, err := s.DB.Query(ctx, `SELECT name, customers FROM rfm_run_segments WHERE run_id = $1 AND kind = $2`, m.From.ID, KindSegment)
	if err != nil {
		return m, fmt.Errorf("rfm movement: %w", err)
	}
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			rows.Close()
			return m, fmt.Errorf("rfm movement: %w", err)
		}
		if i, ok := pos[name]; ok {
			m.Counts[i][i] += n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return m, fmt.Errorf("rfm movement: %w", err)
	}
	rows, err = s.DB.Query(ctx, `SELECT from_segment, to_segment, COUNT(*) FROM rfm_moves WHERE run_id = $1 GROUP BY from_segment, to_segment`, m.To.ID)
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
		i, wasIn := pos[from]
		j, isIn := pos[to]
		if wasIn {
			m.Counts[i][i] -= n
		}
		switch {
		case wasIn && isIn:
			m.Counts[i][j] += n
		case isIn:
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

// ErrNotScored means the latest run did not score the customer (no paid
// order before it, or no run yet).
var ErrNotScored = fmt.Errorf("customer has no RFM score yet: %w", apperr.ErrNotFound)

// ScoreOf returns the customer's scores in the latest run.
func (s *Service) ScoreOf(ctx context.Context, customerID int64) (CustomerScore, error) {
	var cs CustomerScore
	var asOf, last int64
	var seg, stage string
	err := s.DB.QueryRow(ctx, `SELECT r.id, r.as_of, c.last_paid_at, c.frequency, c.monetary, c.r, c.f, c.m, c.segment, c.stage
		FROM rfm_current c, rfm_runs r WHERE c.customer_id = $1 AND r.id = (SELECT MAX(id) FROM rfm_runs)`, customerID).
		Scan(&cs.RunID, &asOf, &last, &cs.Frequency, &cs.Monetary, &cs.Score.R, &cs.Score.F, &cs.Score.M, &seg, &stage)
	if errors.Is(err, sql.ErrNoRows) {
		return cs, ErrNotScored
	}
	if err != nil {
		return cs, fmt.Errorf("rfm score of customer %d: %w", customerID, err)
	}
	cs.ID, cs.RecencyDays, cs.LastPaidAt = customerID, (asOf-last)/dayMS, last
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
