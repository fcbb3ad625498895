package coupon

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audience"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/lifecycle"
	"github.com/storeops/storeops/internal/rfm"
)

// Audience is who a push goes to: a group of the latest RFM run (an RFM
// segment, the seeds' three tiers 忠实/潜力/沉睡, a value × activity
// quadrant or a lifecycle stage), the customers with a tag, a saved custom
// segment (自定义人群, internal/audience), or listed customers.
type Audience struct {
	Kind        string  `json:"kind" doc:"segment, tier, quadrant, stage, tag, segment_custom or customers"`
	Name        string  `json:"name" doc:"the group's name (champions, dormant, high_value_low_activity, new, a tag …); empty for customers and segment_custom"`
	CustomerIDs []int64 `json:"customer_ids,omitempty" doc:"kind customers: these customers"`
	// SegmentID names a saved custom segment (kind segment_custom); its
	// rules are evaluated when the push starts.
	SegmentID int64 `json:"segment_id,omitempty" doc:"kind segment_custom: the saved custom segment's id"`
}

// The audience kinds.
const (
	AudienceSegment   = rfm.KindSegment
	AudienceTier      = rfm.KindTier
	AudienceQuadrant  = rfm.KindQuadrant
	AudienceStage     = rfm.KindStage
	AudienceTag       = "tag"
	AudienceCustomers = "customers"
	AudienceCustom    = "segment_custom"
)

// MaxListed is how many customers one push may list by id.
const MaxListed = 10000

// Validate says what is wrong with the audience.
func (a Audience) Validate() error {
	names := func(xs []string) error {
		if !slices.Contains(xs, a.Name) {
			return apperr.Field("name", "%q is not a %s; one of %v", a.Name, a.Kind, xs)
		}
		return nil
	}
	switch a.Kind {
	case AudienceSegment:
		return names(strs(rfm.Segments))
	case AudienceTier:
		return names(strs(rfm.Tiers))
	case AudienceQuadrant:
		return names(strs(rfm.Quadrants))
	case AudienceStage:
		return names(strs(lifecycle.Stages))
	case AudienceTag:
		if a.Name == "" {
			return apperr.Field("name", "name the tag whose customers get the coupon")
		}
		return nil
	case AudienceCustom:
		if a.SegmentID <= 0 {
			return apperr.Field("segment_id", "give the id of a saved custom segment")
		}
		return nil
	case AudienceCustomers:
		if len(a.CustomerIDs) == 0 {
			return apperr.Field("customer_ids", "list at least one customer")
		}
		if len(a.CustomerIDs) > MaxListed {
			return apperr.Field("customer_ids", "at most %d customers per push, not %d", MaxListed, len(a.CustomerIDs))
		}
		return nil
	}
	return apperr.Field("kind", "%q is not an audience; use segment, tier, quadrant, stage, tag, segment_custom or customers", a.Kind)
}

func strs[T ~string](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

// customers lists the audience's customer ids, ascending.
func (a Audience) customers(ctx context.Context, d *db.DB) ([]int64, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	switch a.Kind {
	case AudienceCustomers:
		ids := slices.Clone(a.CustomerIDs)
		slices.Sort(ids)
		return slices.Compact(ids), nil
	case AudienceTag:
		return queryIDs(ctx, d, `SELECT customer_id FROM customer_tags WHERE tag = $1 ORDER BY customer_id`, a.Name)
	case AudienceCustom:
		return customSegment(ctx, d, a.SegmentID)
	}
	var run int64
	if err := d.QueryRow(ctx, `SELECT COALESCE(MAX(run_id), 0) FROM rfm_scores`).Scan(&run); err != nil {
		return nil, fmt.Errorf("audience: %w", err)
	}
	if run == 0 {
		return nil, fmt.Errorf("no RFM run has scored customers yet; run one under Segments first: %w", apperr.ErrConflict)
	}
	rows, err := d.Query(ctx, `SELECT customer_id, r, f, m, segment, stage FROM rfm_scores WHERE run_id = $1 ORDER BY customer_id`, run)
	if err != nil {
		return nil, fmt.Errorf("audience: %w", err)
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var id int64
		var sc rfm.Score
		var segment, stage string
		if err := rows.Scan(&id, &sc.R, &sc.F, &sc.M, &segment, &stage); err != nil {
			return nil, fmt.Errorf("audience: %w", err)
		}
		var name string
		switch a.Kind {
		case AudienceSegment:
			name = segment
		case AudienceStage:
			name = stage
		case AudienceTier:
			name = string(rfm.TierOf(sc))
		case AudienceQuadrant:
			name = string(rfm.QuadrantOf(sc))
		}
		if name == a.Name {
			out = append(out, id)
		}
	}
	return out, rows.Err()
}

func queryIDs(ctx context.Context, d *db.DB, q string, args ...any) ([]int64, error) {
	rows, err := d.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("audience: %w", err)
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

// customSegment lists a saved custom segment's customers as its rules
// match now; rules a later change made invalid (a tier removed from the
// ladder) refuse the push with the rule at fault.
func customSegment(ctx context.Context, d *db.DB, id int64) ([]int64, error) {
	g, err := audience.Get(ctx, d, id)
	if errors.Is(err, audience.ErrNotFound) {
		return nil, apperr.Field("segment_id", "there is no custom segment %d", id)
	}
	if err != nil {
		return nil, err
	}
	env, err := audience.LoadEnv(ctx, d, time.Now())
	if err != nil {
		return nil, err
	}
	return audience.IDs(ctx, d, g.Rules, env)
}
