package promotion

import (
	"context"
	"slices"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/promo"
)

// PreviewInput is a cart an operator tries: which buyer, on which channel,
// at which moment (a date in the 618 window shows what 618 will do).
type PreviewInput struct {
	Lines      []price.Line `json:"lines"`
	CustomerID int64        `json:"customer_id" doc:"0: a guest"`
	Channel    string       `json:"channel" doc:"direct, search, live, … (default direct)"`
	At         *time.Time   `json:"at" doc:"the moment to price at (default now)"`
	With       []int64      `json:"with" doc:"also try these promotions (drafts, paused ones) as if they were scheduled"`
}

// Preview is the engine's whole answer for a tried cart: every line, every
// step in the order it applied, and every promotion that did not apply
// with the reason, including those ruled out by their conditions.
type Preview struct {
	promo.Result
	At          time.Time         `json:"at"`
	Channel     string            `json:"channel"`
	Customer    promo.Customer    `json:"customer"`
	Titles      map[string]string `json:"titles" doc:"SKU id → product title and spec, for reading the lines"`
	Explanation []string          `json:"explanation"`
}

// Preview prices in with every promotion that is scheduled and not over
// at in.At (and those named in With), like the storefront would, but with
// no cache and the full explanation.
func (s *Service) Preview(ctx context.Context, in PreviewInput) (Preview, error) {
	at := s.now()
	if in.At != nil && !in.At.IsZero() {
		at = in.At.UTC()
	}
	if in.Channel == "" {
		in.Channel = customer.ChannelDirect
	}
	if !customer.ValidChannel(in.Channel) {
		return Preview{}, apperr.Field("channel", "%q is not a channel the shop knows", in.Channel)
	}
	list, err := price.List(ctx, s.DB, in.Lines)
	if err != nil {
		return Preview{}, err
	}
	snap, err := load(ctx, s.DB, at)
	if err != nil {
		return Preview{}, err
	}
	ps := slices.Clone(snap.prepared.Promotions())
	for i, id := range in.With {
		p, err := get(ctx, s.DB, id, at)
		if err != nil {
			return Preview{}, apperr.Field("with["+itoa(i)+"]", "there is no promotion %d", id)
		}
		if !slices.ContainsFunc(ps, func(q promo.Promotion) bool { return q.ID == id }) {
			ps = append(ps, p.Promotion)
			if p.Kind == promo.KindGift && !slices.Contains(snap.giftSKUs, p.Gift.SKUID) {
				snap.giftSKUs = append(snap.giftSKUs, p.Gift.SKUID)
			}
		}
	}
	eng := promo.Input{Channel: in.Channel, At: at, Location: snap.loc, Promotions: ps}
	if len(in.With) > 0 {
		// The tried drafts may name custom segments the running ones do not.
		if snap.audiences, err = loadAudiences(ctx, s.DB, ps, at); err != nil {
			return Preview{}, err
		}
	}
	if eng.Customer, err = buyer(ctx, s.DB, in.CustomerID, true, snap.audiences); err != nil {
		return Preview{}, err
	}
	eng.Lines = engineLines(snap, list)
	if len(snap.giftSKUs) > 0 {
		if eng.GiftStock, err = giftStock(ctx, s.DB, snap.giftSKUs); err != nil {
			return Preview{}, err
		}
	}
	res, err := promo.Price(eng)
	if err != nil {
		return Preview{}, err
	}
	snap.audiences.explainAudience(&res, ps)
	out := Preview{Result: res, At: at, Channel: in.Channel, Customer: eng.Customer, Titles: map[string]string{}, Explanation: promo.Explain(res)}
	if out.Customer.Segments == nil {
		out.Customer.Segments = []string{}
	}
	for _, l := range list.Lines {
		out.Titles[itoa(l.SKUID)] = l.Title + " " + l.Spec
	}
	return out, nil
}
