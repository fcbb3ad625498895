package promotion

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/promo"
	"github.com/storeops/storeops/internal/settings"
	"github.com/storeops/storeops/internal/tier"
)

// CouponSource turns the ids of a buyer's coupons into what the engine
// prices. It refuses, as a *apperr.FieldError on "coupons", a coupon that
// is not the buyer's, already used, locked by another order, expired or
// not valid at at. internal/coupon implements it.
type CouponSource interface {
	ForPricing(ctx context.Context, customerID int64, ids []int64, at time.Time) ([]promo.Coupon, error)
}

// PointsSource is the buyer's points for checkout: their balance and the
// store's redemption rate and cap. internal/points implements it.
type PointsSource interface {
	Balance(ctx context.Context, customerID int64) (int64, error)
	Redemption(ctx context.Context) (PointsRate, error)
}

// PointsRate is how points pay at checkout: PerYuan points pay ¥1, and
// points pay at most MaxShareBP of what is left to pay after promotions
// and coupons (10000: all of it).
type PointsRate struct {
	PerYuan    int64
	MaxShareBP int64
}

// DefaultTTL is how long a Pricer keeps the promotions it loaded. Changes
// made through this process's Service are seen at once (Invalidate); those
// made by another instance on the same database within this time.
const DefaultTTL = 10 * time.Second

// Pricer prices carts with the promotions engine behind price.Pricer: the
// list pricer's lines and refusals, then the store's running promotions,
// the buyer's coupons, and the engine's explanation.
type Pricer struct {
	DB      *db.DB
	Coupons CouponSource // nil: coupons are refused
	Points  PointsSource // nil: points are refused
	TTL     time.Duration
	Now     func() time.Time

	mu   sync.Mutex // one loader at a time
	snap atomic.Pointer[snapshot]
}

// snapshot is what pricing needs from the database that changes rarely.
type snapshot struct {
	loaded     time.Time
	prepared   *promo.Prepared
	categories map[int64]int64 // category → parent (0: top)
	loc        *time.Location
	giftSKUs   []int64
	segments   bool // a promotion is for segments: look the buyer's up
	audiences  audiences
}

// Invalidate drops the cached promotions; the next pricing loads them.
func (p *Pricer) Invalidate() { p.snap.Store(nil) }

func (p *Pricer) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Pricer) snapshot(ctx context.Context) (*snapshot, error) {
	ttl := p.TTL
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	if s := p.snap.Load(); s != nil && p.now().Sub(s.loaded) < ttl {
		return s, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if s := p.snap.Load(); s != nil && p.now().Sub(s.loaded) < ttl {
		return s, nil
	}
	s, err := load(ctx, p.DB, p.now())
	if err != nil {
		return nil, err
	}
	p.snap.Store(s)
	return s, nil
}

// Running is the promotions the engine considers at now: scheduled and
// not over (the engine checks each one's window and themed days itself).
func Running(ctx context.Context, q db.Queryer, now time.Time) ([]Promotion, error) {
	return list(ctx, q, now, `WHERE status = 'scheduled' AND (ends_at IS NULL OR ends_at > $1) ORDER BY id`, now.UnixMilli())
}

func load(ctx context.Context, q db.Queryer, now time.Time) (*snapshot, error) {
	running, err := Running(ctx, q, now)
	if err != nil {
		return nil, err
	}
	s := &snapshot{loaded: now, categories: map[int64]int64{}}
	ps := make([]promo.Promotion, len(running))
	for i, r := range running {
		ps[i] = r.Promotion
		if r.Kind == promo.KindGift && !slices.Contains(s.giftSKUs, r.Gift.SKUID) {
			s.giftSKUs = append(s.giftSKUs, r.Gift.SKUID)
		}
		s.segments = s.segments || len(r.Segments) > 0
	}
	s.prepared = promo.Prepare(ps)
	if s.audiences, err = loadAudiences(ctx, q, ps, now); err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT id, COALESCE(parent_id, 0) FROM categories`)
	if err != nil {
		return nil, fmt.Errorf("promotion pricer: load categories: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, parent int64
		if err := rows.Scan(&id, &parent); err != nil {
			return nil, err
		}
		s.categories[id] = parent
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	st, err := settings.Load(ctx, q)
	if err != nil {
		return nil, err
	}
	s.loc = st.Location()
	return s, nil
}

// ancestors is c and the categories above it: a promotion on 女装 covers
// 连衣裙 below it.
func (s *snapshot) ancestors(c int64) []int64 {
	var out []int64
	for n := 0; c != 0 && n < 64; n++ {
		out = append(out, c)
		c = s.categories[c]
	}
	return out
}

// Price implements price.Pricer.
func (p *Pricer) Price(ctx context.Context, r price.Request) (price.Priced, error) {
	list, err := price.List(ctx, p.DB, r.Lines)
	if err != nil {
		return price.Priced{}, err
	}
	if r.Points < 0 {
		return price.Priced{}, apperr.Field("points", "give the points to redeem as 0 or more")
	}
	if r.At.IsZero() {
		r.At = p.now()
	}
	snap, err := p.snapshot(ctx)
	if err != nil {
		return price.Priced{}, err
	}
	// The quote reads each line's explanation (ToPriced), never its
	// discount records: the engine need not build them.
	in := promo.Input{Channel: r.Channel, At: r.At, Location: snap.loc, Prepared: snap.prepared, NoLineDiscounts: true}
	var coupons []promo.Coupon
	if len(r.Coupons) > 0 {
		if p.Coupons == nil {
			return price.Priced{}, apperr.Field("coupons", "coupons are not available yet; leave coupons empty")
		}
		if r.CustomerID == 0 {
			return price.Priced{}, apperr.Field("coupons", "sign in to use your coupons")
		}
		if coupons, err = p.Coupons.ForPricing(ctx, r.CustomerID, r.Coupons, r.At); err != nil {
			return price.Priced{}, err
		}
		in.Coupons = coupons
	}
	var rate PointsRate
	if r.Points > 0 {
		if rate, err = p.pointsFor(ctx, r); err != nil {
			return price.Priced{}, err
		}
		in.Points = promo.Points{Amount: r.Points * 100 / rate.PerYuan, MaxShareBP: rate.MaxShareBP}
	}
	if in.Customer, err = buyer(ctx, p.DB, r.CustomerID, snap.segments, snap.audiences); err != nil {
		return price.Priced{}, err
	}
	in.Lines = engineLines(snap, list)
	if err := memberPrices(ctx, p.DB, in.Customer.Tier, in.Lines); err != nil {
		return price.Priced{}, err
	}
	if len(snap.giftSKUs) > 0 {
		if in.GiftStock, err = giftStock(ctx, p.DB, snap.giftSKUs); err != nil {
			return price.Priced{}, err
		}
	}
	res, err := promo.Price(in)
	if err != nil {
		return price.Priced{}, err
	}
	out, err := promo.ToPriced(list, res)
	if err != nil {
		return price.Priced{}, err
	}
	if err := fillGifts(ctx, p.DB, &out); err != nil {
		return price.Priced{}, err
	}
	out.Applied = applied(res, coupons, r.Points, rate)
	out.Explanation = promo.Explain(ForBuyer(res))
	// A member tier's free shipping (internal/tier): the order waives the fee.
	free, tierName, err := tier.FreeShipping(ctx, p.DB, in.Customer.Tier)
	if err != nil {
		return price.Priced{}, err
	}
	if free {
		out.FreeShipping = true
		out.Explanation = append(out.Explanation, "会员包邮 free shipping: "+tierName)
	}
	if out.PointsOffer, err = p.pointsOffer(ctx, r, in, res); err != nil {
		return price.Priced{}, err
	}
	if o := out.PointsOffer; o != nil && r.Points == 0 && o.Usable > 0 {
		out.Explanation = append(out.Explanation, offerLine(o))
	}
	return out, nil
}

// ForBuyer is r with what the buyer can act on: the promotions ruled out
// by their conditions or scope are left out of NotApplied (a store runs
// hundreds; the buyer wants "spend ¥20 more for 满300减50").
func ForBuyer(r promo.Result) promo.Result {
	kept := make([]promo.NotApplied, 0, len(r.NotApplied))
	for _, n := range r.NotApplied {
		if !n.Ineligible || n.Coupon != "" {
			kept = append(kept, n)
		}
	}
	r.NotApplied = kept
	return r
}

// applied lists what took money off (or added a gift), one entry per
// promotion or coupon, in the order they applied.
func applied(r promo.Result, coupons []promo.Coupon, asked int64, rate PointsRate) []price.Applied {
	out := []price.Applied{}
	for _, s := range r.Steps {
		switch {
		case s.Stage == promo.StageMember && s.PromotionID == 0:
			// The member price is the catalog's.
			continue
		case s.Stage == promo.StagePoints:
			if s.Off > 0 {
				out = append(out, price.Applied{Kind: "points", Name: s.Name, Off: s.Off, Points: PointsFor(s.Off, asked, rate)})
			}
		case s.Coupon != "":
			a := price.Applied{Kind: "coupon", Name: s.Name, Off: s.Off}
			for _, c := range coupons {
				if c.Code == s.Coupon {
					a.CouponID = c.ID
				}
			}
			out = append(out, a)
		default:
			out = append(out, price.Applied{Kind: "promotion", PromotionID: s.PromotionID, Name: s.Name, Off: s.Off})
		}
	}
	return out
}

// buyer is who buys: their member tier (guests have none), first order means no
// paid order so far, segments are the buyer's RFM segment and lifecycle
// stage in the latest run (by its primary key) when some promotion asks
// for segments, and the custom segments of aud the buyer is in (custom:12).
func buyer(ctx context.Context, q db.Queryer, id int64, segments bool, aud audiences) (promo.Customer, error) {
	c := promo.Customer{ID: id, FirstOrder: true}
	if id == 0 {
		return c, nil
	}
	var firstPaid *int64
	// The tier (internal/tier): the customer's, else the ladder's lowest
	// ('normal' while the shop keeps the default ladder).
	err := q.QueryRow(ctx, `SELECT c.first_paid_day, COALESCE((SELECT t.tier FROM customer_tiers t WHERE t.customer_id = c.id),
		(SELECT l.code FROM tier_levels l ORDER BY l.ordinal LIMIT 1), 'normal') FROM customers c WHERE c.id = $1`, id).Scan(&firstPaid, &c.Tier)
	if err != nil && !db.IsNoRows(err) {
		return c, fmt.Errorf("promotion pricer: customer %d: %w", id, err)
	}
	c.FirstOrder = firstPaid == nil
	if !segments {
		return c, nil
	}
	var seg, stage string
	err = q.QueryRow(ctx, `SELECT segment, stage FROM rfm_scores WHERE run_id = (SELECT MAX(id) FROM rfm_runs) AND customer_id = $1`, id).Scan(&seg, &stage)
	switch {
	case db.IsNoRows(err):
	case err != nil:
		return c, fmt.Errorf("promotion pricer: segments of customer %d: %w", id, err)
	default:
		c.Segments = []string{seg, stage}
	}
	return c, aud.of(ctx, q, &c)
}

// engineLines are the list-priced lines with their products' categories
// and the categories above them (a promotion on 女装 covers 连衣裙).
func engineLines(snap *snapshot, list price.Priced) []promo.Line {
	out := make([]promo.Line, len(list.Lines))
	for i, l := range list.Lines {
		out[i] = promo.Line{SKUID: l.SKUID, ProductID: l.ProductID, CategoryIDs: snap.ancestors(l.CategoryID),
			Quantity: l.Quantity, ListPrice: l.ListPrice}
	}
	return out
}

func giftStock(ctx context.Context, q db.Queryer, skus []int64) (map[int64]int64, error) {
	out := make(map[int64]int64, len(skus))
	rows, err := q.Query(ctx, `SELECT sku_id, on_hand - reserved FROM stock WHERE sku_id IN (`+db.Placeholders(len(skus), 1)+`)`, db.Args(skus)...)
	if err != nil {
		return nil, fmt.Errorf("promotion pricer: gift stock: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

// fillGifts gives the gift lines what the catalog says (title, code,
// cost): the order keeps them like any line, at price 0.
func fillGifts(ctx context.Context, q db.Queryer, p *price.Priced) error {
	for i := range p.Lines {
		l := &p.Lines[i]
		if l.ListPrice != 0 || l.Title != "" {
			continue
		}
		err := q.QueryRow(ctx, `SELECT k.code, k.spec, k.cost_price, p.title, p.id FROM skus k JOIN products p ON p.id = k.product_id WHERE k.id = $1`,
			l.SKUID).Scan(&l.Code, &l.Spec, &l.UnitCost, &l.Title, &l.ProductID)
		if err != nil {
			return fmt.Errorf("promotion pricer: gift SKU %d: %w", l.SKUID, err)
		}
		p.CostTotal += l.UnitCost * l.Quantity
	}
	return nil
}

// pointsFor checks a redemption: signed in, points on, no more than the
// balance.
func (p *Pricer) pointsFor(ctx context.Context, r price.Request) (PointsRate, error) {
	if p.Points == nil {
		return PointsRate{}, apperr.Field("points", "points are not available in this shop; leave points at 0")
	}
	if r.CustomerID == 0 {
		return PointsRate{}, apperr.Field("points", "sign in to use your points")
	}
	rate, err := p.Points.Redemption(ctx)
	if err != nil {
		return PointsRate{}, err
	}
	if rate.PerYuan <= 0 || rate.MaxShareBP <= 0 {
		// The engine reads a share of 0 as "no cap"; the store's 0 means
		// points pay nothing.
		return PointsRate{}, apperr.Field("points", "points are not available in this shop; leave points at 0")
	}
	bal, err := p.Points.Balance(ctx, r.CustomerID)
	if err != nil {
		return PointsRate{}, err
	}
	if r.Points > bal {
		return PointsRate{}, apperr.Field("points", "you have %d points; use at most that many", bal)
	}
	return rate, nil
}

// PointsFor is the points that pay off 分: the fewest that cover it at
// rate, never more than asked (a cap that took less than asked redeems
// less).
func PointsFor(off, asked int64, rate PointsRate) int64 {
	if off <= 0 || rate.PerYuan <= 0 {
		return 0
	}
	return min((off*rate.PerYuan+99)/100, asked)
}
