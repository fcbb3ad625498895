package api

import (
	"context"
	"net/http"

	"github.com/storeops/storeops/internal/audience"
)

// audienceRoutes are custom segments (自定义人群): the fields a rule may
// use, a live count with a sample for rules being edited, and the saved
// segments, which coupon pushes take as an audience (kind segment_custom).
func (a *API) audienceRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/segments/custom/fields", Perm: permSegmentsRead, Tag: "segments",
			Summary: "The fields a custom segment's rules may use, each with its operators and, for closed lists, its values",
			Reply:   AudienceFields{}, handle: a.audienceFields},
		{Method: "POST", Path: "/segments/custom/preview", Perm: permSegmentsRead, Tag: "segments",
			Summary: "Count the customers a rule tree matches now and list up to 20 of them (422 names the rule at fault: rules[1].value, groups[0].rules[2].op …)",
			Body:    audience.Group{}, Reply: audience.Preview{}, Example: exampleRules, handle: func(ctx context.Context, r *request) (any, error) {
				var g audience.Group
				if err := decode(r.Request, &g); err != nil {
					return nil, err
				}
				return a.audiences().Preview(ctx, g)
			}},
		{Method: "GET", Path: "/segments/custom", Perm: permSegmentsRead, Tag: "segments",
			Summary: "Saved custom segments by name, each with its size when last counted",
			Reply:   CustomSegments{}, handle: func(ctx context.Context, r *request) (any, error) {
				gs, err := a.audiences().List(ctx)
				return CustomSegments{Segments: gs}, err
			}},
		{Method: "POST", Path: "/segments/custom", Perm: permSegmentsWrite, Tag: "segments",
			Summary: "Save a custom segment (422 names the field at fault; a name already used is refused)",
			Body:    audience.Input{}, Status: http.StatusCreated, Reply: audience.Segment{},
			Example: audience.Input{Name: "高价值沉睡", Description: "spent ¥1000 or more, no order for 90 days", Rules: exampleRules},
			handle: func(ctx context.Context, r *request) (any, error) {
				var in audience.Input
				if err := decode(r.Request, &in); err != nil {
					return nil, err
				}
				return a.audiences().Create(ctx, in)
			}},
		{Method: "GET", Path: "/segments/custom/{id}", Perm: permSegmentsRead, Tag: "segments", Summary: "A saved custom segment",
			Reply: audience.Segment{}, handle: func(ctx context.Context, r *request) (any, error) {
				id, err := r.id("id")
				if err != nil {
					return nil, err
				}
				return a.audiences().Get(ctx, id)
			}},
		{Method: "PUT", Path: "/segments/custom/{id}", Perm: permSegmentsWrite, Tag: "segments",
			Summary: "Replace a custom segment's name, description and rules",
			Body:    audience.Input{}, Reply: audience.Segment{}, handle: byID(func(ctx context.Context, id int64, in audience.Input) (any, error) {
				return a.audiences().Update(ctx, id, in)
			})},
		{Method: "DELETE", Path: "/segments/custom/{id}", Perm: permSegmentsWrite, Tag: "segments",
			Summary: "Delete a custom segment (coupons already pushed to it stay with their customers)",
			handle: func(ctx context.Context, r *request) (any, error) {
				id, err := r.id("id")
				if err != nil {
					return nil, err
				}
				return done(a.audiences().Delete(ctx, id))
			}},
		{Method: "POST", Path: "/segments/custom/{id}/count", Perm: permSegmentsRead, Tag: "segments",
			Summary: "Count a saved segment's customers now (the size is kept on the segment)",
			Reply:   audience.Segment{}, handle: func(ctx context.Context, r *request) (any, error) {
				id, err := r.id("id")
				if err != nil {
					return nil, err
				}
				return a.audiences().Recount(ctx, id)
			}},
	}
}

var exampleRules = audience.Group{Match: audience.MatchAll, Rules: []audience.Rule{
	{Field: "spend", Op: "gte", Value: "100000"},
	{Field: "recency_days", Op: "gte", Value: "90"},
}}

func (a *API) audiences() *audience.Service { return &audience.Service{DB: a.DB} }

// CustomSegments lists saved segments.
type CustomSegments struct {
	Segments []audience.Segment `json:"segments"`
}

// AudienceFields is the rule vocabulary.
type AudienceFields struct {
	Fields []AudienceField `json:"fields"`
}

// AudienceField is one field a rule may name.
type AudienceField struct {
	Name    string   `json:"name"`
	Type    string   `json:"type" doc:"count, money (分), date (YYYY-MM-DD), fraction (0–1), choice or list"`
	Ops     []string `json:"ops"`
	Choices []string `json:"choices,omitempty" doc:"the values a choice field takes (RFM segments, stages, the shop's member tiers)"`
}

var kindNames = map[audience.Kind]string{audience.KindCount: "count", audience.KindMoney: "money", audience.KindDate: "date",
	audience.KindFraction: "fraction", audience.KindChoice: "choice", audience.KindList: "list"}

func (a *API) audienceFields(ctx context.Context, r *request) (any, error) {
	env, err := a.audiences().Env(ctx)
	if err != nil {
		return nil, err
	}
	out := AudienceFields{}
	for _, f := range audience.Fields {
		af := AudienceField{Name: f.Name, Type: kindNames[f.Kind], Ops: audience.Ops(f.Kind), Choices: f.Choices}
		if f.Name == "tier" {
			af.Choices = env.Tiers
		}
		out.Fields = append(out.Fields, af)
	}
	return out, nil
}
