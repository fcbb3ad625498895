package promotion

import (
	"context"
	"fmt"
	"strconv"

	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/promo"
)

// pointsOffer is what the signed-in buyer's points can take off the basket
// priced as in (res its result): the engine prices the basket again as if
// the buyer redeemed their whole balance, and the points that pay what that
// took off (the fewest, PointsFor) are the offer. Redeeming exactly those
// at checkout gives the same combination and the same amount off: the
// amount of points reaches what the cap or the balance let through, and a
// combination best under the whole balance stays best under that amount.
// nil for a guest, a buyer without points, or when the store takes none.
func (p *Pricer) pointsOffer(ctx context.Context, r price.Request, in promo.Input, res promo.Result) (*price.PointsOffer, error) {
	if p.Points == nil || r.CustomerID == 0 {
		return nil, nil
	}
	// The balance first: most buyers have none, and the rules are the
	// dearer read.
	bal, err := p.Points.Balance(ctx, r.CustomerID)
	if err != nil || bal <= 0 {
		return nil, err
	}
	rate, err := p.Points.Redemption(ctx)
	if err != nil {
		return nil, err
	}
	if rate.PerYuan <= 0 || rate.MaxShareBP <= 0 {
		return nil, nil
	}
	offer := &price.PointsOffer{Balance: bal, PerYuan: rate.PerYuan, MaxShareBP: rate.MaxShareBP}
	all := promo.Points{Amount: bal * 100 / rate.PerYuan, MaxShareBP: rate.MaxShareBP}
	if all.Amount == 0 {
		return offer, nil
	}
	if in.Points != all {
		in.Points = all
		if res, err = promo.Price(in); err != nil {
			return nil, fmt.Errorf("promotion pricer: points offer: %w", err)
		}
	}
	offer.Off = res.PointsUsed
	offer.Usable = PointsFor(offer.Off, bal, rate)
	return offer, nil
}

// offerLine tells a buyer who redeems no points what theirs would do.
func offerLine(o *price.PointsOffer) string {
	return fmt.Sprintf("积分抵现 points: use %d of your %d points for −¥%s (%d points = ¥1, at most %s%% of what is left to pay)",
		o.Usable, o.Balance, yuan(o.Off), o.PerYuan, strconv.FormatFloat(float64(o.MaxShareBP)/100, 'f', -1, 64))
}
