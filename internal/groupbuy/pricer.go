package groupbuy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/order/price"
)

// Pricer prices a group-buy checkout (one started by Open or Join, which
// say so in price.Request.GroupBuy) at the group price — the leader's price for the
// buyer who opens a group — and everything else through Next. A group line
// takes no other promotion or coupon: 拼团 is the deal. What is refused
// here is refused by reading, before the checkout writes anything; the
// hook's conditional writes are the rule.
type Pricer struct {
	GroupBuys *Service
	Next      price.Pricer
}

// KindGroupBuy is the price.Applied kind of a group-buy line; its
// PromotionID is the campaign.
const KindGroupBuy = "group_buy"

// offer is what a group-buy line is sold at.
type offer struct {
	campaignID int64
	name       string
	unit       int64 // the group or leader price
	limit      int64 // per customer, units in the campaign
	leader     bool
}

// Price implements price.Pricer.
func (p Pricer) Price(ctx context.Context, r price.Request) (price.Priced, error) {
	in := r.GroupBuy
	if in == nil {
		return p.Next.Price(ctx, r)
	}
	if err := price.CheckLines(r.Lines); err != nil {
		return price.Priced{}, err
	}
	if len(r.Lines) != 1 {
		return price.Priced{}, apperr.Field("lines", "a group-buy order has exactly one line: a SKU of the campaign")
	}
	if len(r.Coupons) > 0 {
		return price.Priced{}, apperr.Field("coupons", "group-buy items take no coupons")
	}
	if r.Points > 0 {
		return price.Priced{}, apperr.Field("points", "group-buy items take no points")
	}
	if r.CustomerID <= 0 {
		return price.Priced{}, fmt.Errorf("sign in to buy in a group: %w", apperr.ErrForbidden)
	}
	of, err := p.GroupBuys.offer(ctx, in, r)
	if err != nil {
		return price.Priced{}, err
	}
	if q := r.Lines[0].Quantity; q > of.limit {
		return price.Priced{}, apperr.Field("lines[0].quantity", "the group buy %s allows %d per customer, not %d", of.name, of.limit, q)
	}
	out, err := price.List(ctx, p.GroupBuys.DB, r.Lines)
	if err != nil {
		return price.Priced{}, err
	}
	lp := &out.Lines[0]
	off := (lp.ListPrice - of.unit) * lp.Quantity
	lp.UnitPrice, lp.Discount, lp.Total = of.unit, off, of.unit*lp.Quantity
	what := "拼团"
	if of.leader {
		what = "拼团 团长价"
	}
	lp.Explanation = []string{fmt.Sprintf("%s %s: %s", what, of.name, yuan(of.unit))}
	out.Discount = off
	out.Total = out.ItemsTotal - out.Discount
	out.Applied = append(out.Applied, price.Applied{Kind: KindGroupBuy, PromotionID: of.campaignID, Name: of.name, Off: off})
	out.Explanation = append(out.Explanation, fmt.Sprintf("%s %s: %s × %d", what, of.name, yuan(of.unit), lp.Quantity))
	return out, nil
}

// offer reads the campaign (Open) or the group and its campaign (Join) for
// the line's SKU and refuses what cannot be bought now.
func (s *Service) offer(ctx context.Context, in *price.GroupBuy, r price.Request) (offer, error) {
	sku := r.Lines[0].SKUID
	at := r.At.UnixMilli()
	var of offer
	var groupPrice, leaderPrice sql.NullInt64
	if in.Open {
		var starts, ends int64
		var ended sql.NullInt64
		err := s.DB.QueryRow(ctx, `SELECT c.id, c.name, c.per_customer_limit, c.starts_at, c.ends_at, c.ended_at, i.group_price, i.leader_price
			FROM group_buy_campaigns c LEFT JOIN group_buy_items i ON i.campaign_id = c.id AND i.sku_id = $2 WHERE c.id = $1`,
			in.CampaignID, sku).Scan(&of.campaignID, &of.name, &of.limit, &starts, &ends, &ended, &groupPrice, &leaderPrice)
		if errors.Is(err, sql.ErrNoRows) {
			return offer{}, fmt.Errorf("group buy %d: %w", in.CampaignID, apperr.ErrNotFound)
		}
		if err != nil {
			return offer{}, fmt.Errorf("group buy: %w", err)
		}
		if ended.Valid || at < starts || at >= ends {
			return offer{}, fmt.Errorf("%s: %w", of.name, ErrNotRunning)
		}
	} else {
		var gs string
		var joined, size, expires int64
		err := s.DB.QueryRow(ctx, `SELECT c.id, c.name, c.per_customer_limit, g.status, g.joined, g.group_size, g.expires_at, i.group_price
			FROM group_buy_groups g JOIN group_buy_campaigns c ON c.id = g.campaign_id
			LEFT JOIN group_buy_items i ON i.campaign_id = c.id AND i.sku_id = $2 WHERE g.code = $1`,
			in.Code, sku).Scan(&of.campaignID, &of.name, &of.limit, &gs, &joined, &size, &expires, &groupPrice)
		if errors.Is(err, sql.ErrNoRows) {
			return offer{}, errNoGroup(in.Code)
		}
		if err != nil {
			return offer{}, fmt.Errorf("group buy: %w", err)
		}
		if err := joinable(GroupStatus(gs), joined, size, expires, at); err != nil {
			return offer{}, err
		}
	}
	if !groupPrice.Valid {
		return offer{}, apperr.Field("lines[0].sku_id", "SKU %d is not in the group buy %s; choose one of its items", sku, of.name)
	}
	of.unit = groupPrice.Int64
	if in.Open && leaderPrice.Int64 > 0 {
		of.unit, of.leader = leaderPrice.Int64, true
	}
	return of, nil
}

// joinable says why a group takes no new member, or nil.
func joinable(st GroupStatus, joined, size, expiresAt, at int64) error {
	switch {
	case st != Forming:
		return fmt.Errorf("it %s: %w", st, ErrGroupClosed)
	case at >= expiresAt:
		return fmt.Errorf("its time is up: %w", ErrGroupClosed)
	case joined >= size:
		return fmt.Errorf("all %d places are taken: %w", size, ErrFull)
	}
	return nil
}
