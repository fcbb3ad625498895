package promotion

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audience"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/lifecycle"
	"github.com/storeops/storeops/internal/promo"
	"github.com/storeops/storeops/internal/rfm"
)

// A promotion's audience (segments) names RFM segments (champions …),
// lifecycle stages (dormant …) and saved custom segments as "custom:12"
// (internal/audience). The engine matches the names against the buyer's;
// the pricer adds "custom:12" to the buyer's names when the buyer is in
// segment 12.
const customPrefix = "custom:"

// CustomSegment is the audience name of saved custom segment id.
func CustomSegment(id int64) string { return customPrefix + strconv.FormatInt(id, 10) }

// customID is the saved segment an audience name stands for.
func customID(name string) (int64, bool) {
	s, ok := strings.CutPrefix(name, customPrefix)
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

// customIDs are the saved segments ps name, ascending, each once.
func customIDs(ps []promo.Promotion) []int64 {
	var out []int64
	for _, p := range ps {
		for _, s := range p.Segments {
			if id, ok := customID(s); ok && !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	slices.Sort(out)
	return out
}

// audiences is what pricing needs to place a buyer in the custom segments
// the promotions name: one query for all of them, and their names for
// the explanation.
type audiences struct {
	membership audience.Membership
	names      map[int64]string // id → name; a deleted segment is absent
}

// loadAudiences compiles the custom segments that ps name, with recency
// measured from now.
func loadAudiences(ctx context.Context, q db.Queryer, ps []promo.Promotion, now time.Time) (audiences, error) {
	a := audiences{names: map[int64]string{}}
	ids := customIDs(ps)
	if len(ids) == 0 {
		return a, nil
	}
	var segs []audience.Segment
	for _, id := range ids {
		g, err := audience.Get(ctx, q, id)
		if err != nil {
			// A deleted segment holds nobody: the promotion reaches no one
			// until an operator names another audience.
			if errors.Is(err, audience.ErrNotFound) {
				continue
			}
			return a, fmt.Errorf("promotion pricer: custom segment %d: %w", id, err)
		}
		segs = append(segs, g)
		a.names[id] = g.Name
	}
	env, err := audience.LoadEnv(ctx, q, now)
	if err != nil {
		return a, fmt.Errorf("promotion pricer: custom segments: %w", err)
	}
	a.membership = audience.CompileMembership(segs, env)
	return a, nil
}

// of adds to c.Segments the custom segments the buyer is in.
func (a audiences) of(ctx context.Context, q db.Queryer, c *promo.Customer) error {
	if c.ID == 0 {
		return nil
	}
	in, err := a.membership.Of(ctx, q, c.ID)
	if err != nil {
		return fmt.Errorf("promotion pricer: %w", err)
	}
	for _, id := range in {
		c.Segments = append(c.Segments, CustomSegment(id))
	}
	return nil
}

// label is how an operator reads an audience name: a custom segment by
// its name.
func (a audiences) label(s string) string {
	id, ok := customID(s)
	if !ok {
		return s
	}
	if n, ok := a.names[id]; ok {
		return "“" + n + "” (" + s + ")"
	}
	return s + " (deleted)"
}

// explainAudience rewords the engine's "only for segments [custom:12]" as
// "not in audience “高价值沉睡” (custom:12)" for each promotion in ps the
// buyer is not in.
func (a audiences) explainAudience(res *promo.Result, ps []promo.Promotion) {
	for i := range res.NotApplied {
		n := &res.NotApplied[i]
		if n.PromotionID == 0 || !strings.HasPrefix(n.Reason, "only for segments ") {
			continue
		}
		j := slices.IndexFunc(ps, func(p promo.Promotion) bool { return p.ID == n.PromotionID })
		if j < 0 {
			continue
		}
		labels := make([]string, len(ps[j].Segments))
		for k, s := range ps[j].Segments {
			labels[k] = a.label(s)
		}
		n.Reason = "not in audience " + strings.Join(labels, " or ")
	}
}

// checkSegments: every audience name is an RFM segment, a lifecycle stage
// or a saved custom segment.
func checkSegments(p promo.Promotion, r refs) error {
	for i, s := range p.Segments {
		field := "segments[" + strconv.Itoa(i) + "]"
		if id, ok := customID(s); ok {
			if _, ok := r.customSegments[id]; !ok {
				return apperr.Field(field, "there is no saved custom segment %d", id)
			}
			continue
		}
		if strings.HasPrefix(s, customPrefix) {
			return apperr.Field(field, "%q: name a custom segment as custom:<id>, e.g. custom:12", s)
		}
		if !slices.Contains(rfm.Segments, rfm.Segment(s)) && !slices.Contains(lifecycle.Stages, lifecycle.Stage(s)) {
			return apperr.Field(field, "%q is not an audience; use an RFM segment (%s), a lifecycle stage (%s) or a saved custom segment as custom:<id>",
				s, joinNames(rfm.Segments), joinNames(lifecycle.Stages))
		}
	}
	return nil
}

func joinNames[T ~string](xs []T) string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return strings.Join(out, ", ")
}
