package audience

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/tier"
)

// ErrNotFound is a segment id that does not exist.
var ErrNotFound = fmt.Errorf("custom segment: %w", apperr.ErrNotFound)

// Service evaluates and keeps custom segments.
type Service struct {
	DB  *db.DB
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Env reads what compiling needs: the tier ladder, the latest RFM run and
// customer value fit that scored anyone, and the category tree.
func (s *Service) Env(ctx context.Context) (Env, error) {
	return LoadEnv(ctx, s.DB, s.now())
}

// LoadEnv is Env on any Queryer (a coupon push reads it in its own
// transaction).
func LoadEnv(ctx context.Context, q db.Queryer, now time.Time) (Env, error) {
	env := Env{Now: now, Children: map[int64][]int64{}}
	cfg, err := tier.Load(ctx, q)
	if err != nil {
		return env, err
	}
	for _, l := range cfg.Levels {
		env.Tiers = append(env.Tiers, l.Code)
	}
	// The latest run with scores: rfm keeps scores of the latest runs only
	// (and coupon audiences read the same one).
	if err := q.QueryRow(ctx, `SELECT COALESCE(MAX(run_id), 0) FROM rfm_scores`).Scan(&env.RFMRun); err != nil {
		return env, fmt.Errorf("latest RFM run: %w", err)
	}
	if err := q.QueryRow(ctx, `SELECT COALESCE(MAX(fit_id), 0) FROM clv_predictions`).Scan(&env.CLVFit); err != nil {
		return env, fmt.Errorf("latest value fit: %w", err)
	}
	rows, err := q.Query(ctx, `SELECT id, parent_id FROM categories WHERE parent_id IS NOT NULL`)
	if err != nil {
		return env, fmt.Errorf("categories: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, parent int64
		if err := rows.Scan(&id, &parent); err != nil {
			return env, err
		}
		env.Children[parent] = append(env.Children[parent], id)
	}
	return env, rows.Err()
}

// Count is how many customers the rules match now.
func (s *Service) Count(ctx context.Context, g Group) (int64, error) {
	env, err := s.Env(ctx)
	if err != nil {
		return 0, err
	}
	return CountIn(ctx, s.DB, g, env)
}

// CountIn counts on d with env, the order facts refreshed first (or less
// than refreshEvery ago).
func CountIn(ctx context.Context, d *db.DB, g Group, env Env) (int64, error) {
	cq, err := Compile(g, env)
	if err != nil {
		return 0, err
	}
	if err := Refresh(ctx, d, false); err != nil {
		return 0, err
	}
	q := d
	var n int64
	err = q.QueryRow(ctx, cq.CountSQL(), cq.Args...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count segment: %w", err)
	}
	return n, nil
}

// IDs lists the matching customers' ids, ascending, the order facts
// refreshed first: whoever acts on the list (a coupon push) gets it as of
// now.
func IDs(ctx context.Context, d *db.DB, g Group, env Env) ([]int64, error) {
	cq, err := Compile(g, env)
	if err != nil {
		return nil, err
	}
	if err := Refresh(ctx, d, true); err != nil {
		return nil, err
	}
	q := d
	rows, err := q.Query(ctx, `SELECT c.id FROM `+cq.From+` WHERE `+cq.Where+` ORDER BY c.id`, cq.Args...)
	if err != nil {
		return nil, fmt.Errorf("segment customers: %w", err)
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// Member is one matching customer with the figures an operator checks a
// segment by.
type Member struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	Phone         string `json:"phone"`
	Email         string `json:"email"`
	SourceChannel string `json:"source_channel"`
	Orders        int64  `json:"orders" doc:"paid orders"`
	Spend         int64  `json:"spend" doc:"paid, net of refunds, 分"`
	// LastPaidAt is unix ms; nil: never paid.
	LastPaidAt *int64 `json:"last_paid_at" doc:"unix ms of the last paid order; null: never paid"`
}

// memberCols are a member's figures, from the order facts the rules read.
const memberCols = `c.id, c.name, c.phone, c.email, c.source_channel,
	(SELECT mf.orders FROM audience_facts mf WHERE mf.customer_id = c.id),
	(SELECT mf.spend FROM audience_facts mf WHERE mf.customer_id = c.id),
	(SELECT mf.last_paid_at FROM audience_facts mf WHERE mf.customer_id = c.id)`

// Members streams the matching customers, newest first, to fn; limit 0
// means all of them (an export: the facts are refreshed first).
func Members(ctx context.Context, d *db.DB, g Group, env Env, limit int, fn func(Member) error) error {
	cq, err := Compile(g, env)
	if err != nil {
		return err
	}
	if err := Refresh(ctx, d, limit == 0); err != nil {
		return err
	}
	q := d
	text := `SELECT ` + memberCols + ` FROM ` + cq.From + ` WHERE ` + cq.Where + ` ORDER BY c.id DESC`
	args := cq.Args
	if limit > 0 {
		args = append(args, limit)
		text += fmt.Sprintf(" LIMIT $%d", len(args))
	}
	rows, err := q.Query(ctx, text, args...)
	if err != nil {
		return fmt.Errorf("segment members: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m Member
		var orders, spend sql.NullInt64
		if err := rows.Scan(&m.ID, &m.Name, &m.Phone, &m.Email, &m.SourceChannel, &orders, &spend, &m.LastPaidAt); err != nil {
			return fmt.Errorf("segment members: %w", err)
		}
		m.Orders, m.Spend = orders.Int64, spend.Int64
		if err := fn(m); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Preview is the size of a segment and a few of its customers.
type Preview struct {
	Customers int64    `json:"customers"`
	Sample    []Member `json:"sample" doc:"up to 20 matching customers, newest first"`
	TookMS    int64    `json:"took_ms" doc:"how long counting took"`
}

// SampleSize is how many customers a preview lists.
const SampleSize = 20

// Preview counts the rules' customers and lists a sample.
func (s *Service) Preview(ctx context.Context, g Group) (Preview, error) {
	env, err := s.Env(ctx)
	if err != nil {
		return Preview{}, err
	}
	start := time.Now()
	n, err := CountIn(ctx, s.DB, g, env)
	if err != nil {
		return Preview{}, err
	}
	p := Preview{Customers: n, Sample: []Member{}, TookMS: time.Since(start).Milliseconds()}
	err = Members(ctx, s.DB, g, env, SampleSize, func(m Member) error {
		p.Sample = append(p.Sample, m)
		return nil
	})
	return p, err
}

// Segment is a saved custom segment.
type Segment struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Rules       Group  `json:"rules"`
	// Customers is the size when last counted, at CountedAt (unix ms).
	Customers int64 `json:"customers" doc:"matching customers when last counted"`
	CountedAt int64 `json:"counted_at" doc:"unix ms of that count"`
	CreatedAt int64 `json:"created_at"`
	UpdatedAt int64 `json:"updated_at"`
}

// Input is what an operator saves.
type Input struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Rules       Group  `json:"rules"`
}

func (in *Input) validate(env Env) error {
	in.Name = strings.TrimSpace(in.Name)
	in.Description = strings.TrimSpace(in.Description)
	switch n := utf8.RuneCountInString(in.Name); {
	case n == 0:
		return apperr.Field("name", "name the segment, e.g. 高价值沉睡")
	case n > maxName:
		return apperr.Field("name", "at most %d characters, not %d", maxName, n)
	}
	if n := utf8.RuneCountInString(in.Description); n > maxDesc {
		return apperr.Field("description", "at most %d characters, not %d", maxDesc, n)
	}
	if err := in.Rules.Validate(env); err != nil {
		var fe *apperr.FieldError
		if errors.As(err, &fe) {
			return apperr.Field("rules."+fe.Field, "%s", fe.Message)
		}
		return err
	}
	return nil
}

const segmentCols = `id, name, description, rules, customers, counted_at, created_at, updated_at`

func scanSegment(sc interface{ Scan(...any) error }) (Segment, error) {
	var g Segment
	var rules string
	if err := sc.Scan(&g.ID, &g.Name, &g.Description, &rules, &g.Customers, &g.CountedAt, &g.CreatedAt, &g.UpdatedAt); err != nil {
		return g, err
	}
	if err := json.Unmarshal([]byte(rules), &g.Rules); err != nil {
		return g, fmt.Errorf("segment %d rules: %w", g.ID, err)
	}
	return g, nil
}

// List returns the saved segments by name.
func (s *Service) List(ctx context.Context) ([]Segment, error) {
	rows, err := s.DB.Query(ctx, `SELECT `+segmentCols+` FROM custom_segments ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("custom segments: %w", err)
	}
	defer rows.Close()
	out := []Segment{}
	for rows.Next() {
		g, err := scanSegment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// Get reads one saved segment.
func Get(ctx context.Context, q db.Queryer, id int64) (Segment, error) {
	g, err := scanSegment(q.QueryRow(ctx, `SELECT `+segmentCols+` FROM custom_segments WHERE id = $1`, id))
	if db.IsNoRows(err) {
		return g, ErrNotFound
	}
	return g, err
}

// Get reads one saved segment.
func (s *Service) Get(ctx context.Context, id int64) (Segment, error) { return Get(ctx, s.DB, id) }

var errNameTaken = apperr.Field("name", "another segment already has this name; choose another")

// Create saves a new segment with its size now.
func (s *Service) Create(ctx context.Context, in Input) (Segment, error) {
	env, err := s.Env(ctx)
	if err != nil {
		return Segment{}, err
	}
	if err := in.validate(env); err != nil {
		return Segment{}, err
	}
	n, err := CountIn(ctx, s.DB, in.Rules, env)
	if err != nil {
		return Segment{}, err
	}
	rules, err := json.Marshal(in.Rules)
	if err != nil {
		return Segment{}, err
	}
	now := s.now().UnixMilli()
	var id int64
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO custom_segments (name, description, rules, customers, counted_at, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $5, $5) RETURNING id`, in.Name, in.Description, string(rules), n, now).Scan(&id)
		if db.IsUniqueViolation(err) {
			return errNameTaken
		}
		if err != nil {
			return fmt.Errorf("save segment: %w", err)
		}
		return audit.Record(ctx, tx, "custom_segment.create", "custom_segment", id, nil, in)
	})
	if err != nil {
		return Segment{}, err
	}
	return s.Get(ctx, id)
}

// Update replaces a segment's name, description and rules.
func (s *Service) Update(ctx context.Context, id int64, in Input) (Segment, error) {
	env, err := s.Env(ctx)
	if err != nil {
		return Segment{}, err
	}
	if err := in.validate(env); err != nil {
		return Segment{}, err
	}
	n, err := CountIn(ctx, s.DB, in.Rules, env)
	if err != nil {
		return Segment{}, err
	}
	rules, err := json.Marshal(in.Rules)
	if err != nil {
		return Segment{}, err
	}
	now := s.now().UnixMilli()
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		before, err := Get(ctx, tx, id)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE custom_segments SET name = $2, description = $3, rules = $4, customers = $5, counted_at = $6, updated_at = $6
			WHERE id = $1`, id, in.Name, in.Description, string(rules), n, now)
		if db.IsUniqueViolation(err) {
			return errNameTaken
		}
		if err != nil {
			return fmt.Errorf("save segment: %w", err)
		}
		return audit.Record(ctx, tx, "custom_segment.update", "custom_segment", id, Input{before.Name, before.Description, before.Rules}, in)
	})
	if err != nil {
		return Segment{}, err
	}
	return s.Get(ctx, id)
}

// Delete removes a segment. Coupon pushes already sent keep their coupons;
// they recorded whom they reached, not the segment.
func (s *Service) Delete(ctx context.Context, id int64) error {
	return s.DB.InTx(ctx, func(tx *db.Tx) error {
		before, err := Get(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM custom_segments WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete segment: %w", err)
		}
		return audit.Record(ctx, tx, "custom_segment.delete", "custom_segment", id, map[string]any{"name": before.Name}, nil)
	})
}

// Recount counts a saved segment now and keeps the size on it.
func (s *Service) Recount(ctx context.Context, id int64) (Segment, error) {
	g, err := s.Get(ctx, id)
	if err != nil {
		return g, err
	}
	n, err := s.Count(ctx, g.Rules)
	if err != nil {
		return g, err
	}
	now := s.now().UnixMilli()
	if _, err := s.DB.Exec(ctx, `UPDATE custom_segments SET customers = $2, counted_at = $3 WHERE id = $1`, id, n, now); err != nil {
		return g, fmt.Errorf("keep segment size: %w", err)
	}
	g.Customers, g.CountedAt = n, now
	return g, nil
}

// LastPaid is LastPaidAt, 0 for never.
func (m Member) LastPaid() int64 {
	if m.LastPaidAt == nil {
		return 0
	}
	return *m.LastPaidAt
}
