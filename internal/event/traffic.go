package event

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/storeops/storeops/internal/db"
)

// Figures are the traffic of a period, a day or a channel: PV counts page
// views; UV counts distinct visitors with at least one event of any type.
type Figures struct {
	PV int64 `json:"pv"`
	UV int64 `json:"uv"`
}

// DayFigures is the traffic of one store day (YYYYMMDD).
type DayFigures struct {
	Day int64 `json:"day"`
	Figures
}

// ChannelFigures is the traffic of one channel over the period. A visitor
// who came through two channels counts in both, so channel UVs may add up to
// more than the period's UV; channel share is UV ÷ the period's UV.
type ChannelFigures struct {
	Channel string `json:"channel"`
	Figures
}

// Report is the traffic layer of days from..to.
type Report struct {
	From, To int64 `json:"-"`
	Figures
	Days     []DayFigures     `json:"days"`
	Channels []ChannelFigures `json:"channels"`
}

// Traffic computes PV and UV exactly from the events of days from..to
// (YYYYMMDD, inclusive): for the period (UV over a range is not the sum of
// daily UVs), per day, and per channel. A visitor is the customer when the
// event, or the login of its anonymous id on any day, names one (so a
// visitor browsing anonymously and then logging in counts once), else the
// anonymous id.
func Traffic(ctx context.Context, q db.Queryer, from, to int64) (Report, error) {
	r := Report{From: from, To: to, Days: []DayFigures{}, Channels: []ChannelFigures{}}
	stored, err := ReadDays(ctx, q, from, to, ColType|ColAnonymousID|ColCustomerID|ColChannel)
	if err != nil {
		return r, fmt.Errorf("traffic %d–%d: %w", from, to, err)
	}
	all := map[VisitorKey]struct{}{}
	type channelSet struct {
		pv       int64
		visitors map[VisitorKey]struct{}
	}
	channels := map[string]*channelSet{}
	for _, day := range stored.Days {
		df := DayFigures{Day: day}
		seen := map[VisitorKey]struct{}{}
		for _, b := range stored.Batches[day] {
			for i := range b.N {
				v := Visitor(b.AnonymousID[i], b.CustomerID[i], stored.Logins)
				pv := int64(0)
				if b.Type[i] == CodePageView {
					pv = 1
				}
				df.PV += pv
				seen[v] = struct{}{}
				all[v] = struct{}{}
				cs := channels[b.Channel[i]]
				if cs == nil {
					cs = &channelSet{visitors: map[VisitorKey]struct{}{}}
					channels[b.Channel[i]] = cs
				}
				cs.pv += pv
				cs.visitors[v] = struct{}{}
			}
		}
		df.UV = int64(len(seen))
		r.PV += df.PV
		r.Days = append(r.Days, df)
	}
	r.UV = int64(len(all))
	for ch, cs := range channels {
		r.Channels = append(r.Channels, ChannelFigures{Channel: ch, Figures: Figures{PV: cs.pv, UV: int64(len(cs.visitors))}})
	}
	slices.SortFunc(r.Channels, func(a, b ChannelFigures) int {
		if a.UV != b.UV {
			return cmp.Compare(b.UV, a.UV)
		}
		return strings.Compare(a.Channel, b.Channel)
	})
	return r, nil
}

// PV is the page views of one store day.
func PV(ctx context.Context, q db.Queryer, day int64) (int64, error) {
	r, err := Traffic(ctx, q, day, day)
	return r.PV, err
}

// UV is the distinct visitors of one store day.
func UV(ctx context.Context, q db.Queryer, day int64) (int64, error) {
	r, err := Traffic(ctx, q, day, day)
	return r.UV, err
}
