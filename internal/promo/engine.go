package promo

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/order/price"
)

// Limits of one pricing.
const (
	MaxLines       = price.MaxLines    // lines per cart
	MaxQuantity    = price.MaxQuantity // units per line
	MaxConflicting = 10                // promotions and coupons enumerated exhaustively (2^10 combinations)
)

// Line is one line of the cart, with the prices the catalog knows.
// MemberPrice is the SKU's member price for the buyer's tier (会员价); 0
// means it has none.
type Line struct {
	SKUID       int64   `json:"sku_id"`
	ProductID   int64   `json:"product_id"`
	CategoryIDs []int64 `json:"category_ids"`
	Quantity    int64   `json:"quantity"`
	ListPrice   int64   `json:"list_price"`   // per unit, 分
	MemberPrice int64   `json:"member_price"` // per unit, 分
}

// Customer is who buys. Tier "" is a guest or a customer without a tier:
// no member price.
type Customer struct {
	ID         int64    `json:"id"`
	Tier       string   `json:"tier"`
	Segments   []string `json:"segments"`
	FirstOrder bool     `json:"first_order"`
}

// Points is what the buyer redeems: Amount in 分, at most MaxShareBP of
// what is left to pay after coupons (0: 10000, the whole of it).
type Points struct {
	Amount     int64 `json:"amount"`
	MaxShareBP int64 `json:"max_share_bp"`
}

// Input is everything a pricing depends on. Location is the store's time
// zone for themed days (nil: Asia/Shanghai).
type Input struct {
	Lines      []Line
	Customer   Customer
	Channel    string
	At         time.Time
	Location   *time.Location
	Promotions []Promotion
	// Prepared, when set, holds the store's promotions validated and
	// indexed once (Prepare) and is used together with Promotions: only
	// its promotions that touch a line of the cart are considered, and
	// those that touch none are not listed in NotApplied.
	Prepared *Prepared
	Coupons  []Coupon
	Points   Points
	// NoLineDiscounts leaves the cart's lines' LineResult.Discounts nil;
	// their explanations, the steps and every figure are as without it. A
	// storefront quote shows the explanations, not the per-line records,
	// and is spared building them (the operator's preview keeps them).
	NoLineDiscounts bool
	// GiftStock, when set, is the units available of gift SKUs: a gift is
	// in stock when its SKU has at least the gift's quantity. Nil: each
	// gift's InStock decides.
	GiftStock map[int64]int64
}

// Discount is what one promotion, coupon or the points took off one line.
type Discount struct {
	Stage       Stage  `json:"stage"`
	PromotionID int64  `json:"promotion_id,omitempty"`
	Coupon      string `json:"coupon,omitempty"`
	Name        string `json:"name"`
	Off         int64  `json:"off"`
}

// LineResult is one priced line. Total = ListPrice × Quantity − Discount;
// UnitPrice is Total ÷ Quantity rounded down (the exact figure is Total).
// Gift lines are added by gift promotions and cost 0.
type LineResult struct {
	SKUID       int64      `json:"sku_id"`
	ProductID   int64      `json:"product_id"`
	Quantity    int64      `json:"quantity"`
	ListPrice   int64      `json:"list_price"`
	UnitPrice   int64      `json:"unit_price"`
	Discount    int64      `json:"discount"`
	Total       int64      `json:"total"`
	Gift        bool       `json:"gift,omitempty"`
	Discounts   []Discount `json:"discounts"`
	Explanation []string   `json:"explanation"`
}

// LineOff is a step's share on one line.
type LineOff struct {
	SKUID int64 `json:"sku_id"`
	Off   int64 `json:"off"`
}

// Step is one applied promotion, coupon or points redemption, in the order
// they applied.
type Step struct {
	Stage       Stage     `json:"stage"`
	PromotionID int64     `json:"promotion_id,omitempty"`
	Coupon      string    `json:"coupon,omitempty"`
	Name        string    `json:"name"`
	Kind        Kind      `json:"kind,omitempty"`
	Off         int64     `json:"off"`
	Lines       []LineOff `json:"lines"`
	Note        string    `json:"note,omitempty"`
}

// NotApplied says why a promotion or coupon did not apply.
type NotApplied struct {
	PromotionID int64  `json:"promotion_id,omitempty"`
	Coupon      string `json:"coupon,omitempty"`
	Name        string `json:"name"`
	Reason      string `json:"reason"`
	// Ineligible: the promotion's conditions (window, themed day, channel,
	// tier, segment, first order) or its scope ruled it out before any
	// pricing, as opposed to a threshold not reached or a conflict lost.
	Ineligible bool `json:"ineligible,omitempty"`
}

// Result is the priced cart: the lines (the cart's, then gifts), the
// totals, the steps in order and what did not apply.
type Result struct {
	Lines      []LineResult `json:"lines"`
	ItemsTotal int64        `json:"items_total"` // Σ list price × quantity
	Discount   int64        `json:"discount"`    // Σ line discounts, points included
	Total      int64        `json:"total"`       // ItemsTotal − Discount
	PointsUsed int64        `json:"points_used"`
	Steps      []Step       `json:"steps"`
	NotApplied []NotApplied `json:"not_applied"`
}

// candidate is a promotion or coupon whose conditions hold.
type candidate struct {
	p      *Promotion
	coupon string
	stage  Stage
	n      int // position in Input, a stable tie-break
	// lines is the set of the cart's lines in p's scope (bit i: line i),
	// worked out once instead of at every application.
	lines lineSet
	// optional: the search may leave it out.
	optional bool
}

// lineSet is a set of a cart's lines, bit i for line i.
type lineSet [(MaxLines + 63) / 64]uint64

// has says whether line i is in c's scope.
func (c *candidate) has(i int) bool { return c.lines[i/64]&(1<<(i%64)) != 0 }

func (c *candidate) notApplied(reason string) NotApplied {
	return NotApplied{PromotionID: c.p.ID, Coupon: c.coupon, Name: c.p.Name, Reason: reason}
}

// writeLabel writes how a reason names c: coupon CODE (name), or name (#id).
func (c *candidate) writeLabel(b *strings.Builder) {
	if c.coupon != "" {
		b.WriteString("coupon ")
		b.WriteString(c.coupon)
		b.WriteString(" (")
		b.WriteString(c.p.Name)
		b.WriteString(")")
		return
	}
	b.WriteString(c.p.Name)
	b.WriteString(" (#")
	var num [20]byte
	b.Write(strconv.AppendInt(num[:0], c.p.ID, 10))
	b.WriteString(")")
}

// conflicts: the same stacking group, or an exclusive one among promotions.
// Between a coupon and a promotion only the coupon's own flag counts (a
// coupon marked 不与其他优惠同享), so an exclusive promotion still takes
// coupons.
func conflicts(a, b *candidate) bool {
	if a.p.Group != "" && a.p.Group == b.p.Group {
		return true
	}
	if (a.coupon == "") != (b.coupon == "") {
		return (a.coupon != "" && a.p.Exclusive) || (b.coupon != "" && b.p.Exclusive)
	}
	return a.p.Exclusive || b.p.Exclusive
}

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}()

// Price prices the cart of in under its promotions, coupons and points.
// Bad lines are a *apperr.FieldError naming the line; an invalid promotion
// or coupon does not fail the checkout, it is listed as not applied.
func Price(in Input) (Result, error) {
	if err := checkLines(in.Lines); err != nil {
		return Result{}, err
	}
	if in.Points.Amount < 0 {
		return Result{}, apperr.Field("points.amount", "must be 0 or a positive amount in 分")
	}
	if in.Points.MaxShareBP < 0 || in.Points.MaxShareBP > maxRateBP {
		return Result{}, apperr.Field("points.max_share_bp", "must be from 0 to 10000 basis points")
	}
	if in.At.IsZero() {
		return Result{}, apperr.Field("at", "the time of the pricing is needed for schedules and validity windows")
	}
	if in.Location == nil {
		in.Location = shanghai
	}
	n := len(in.Promotions) + len(in.Coupons)
	invalid := 0
	var touching []int32
	sc := newScratch(len(in.Lines))
	defer sc.release()
	if in.Prepared != nil {
		sc.scope = grow(sc.scope, len(in.Prepared.promos))
		touching = in.Prepared.touching(in.Lines, sc.scope)
		n, invalid = n+len(touching), len(in.Prepared.invalid)
	}
	// Each promotion and coupon is reported at most once: one allocation.
	skipped := make([]NotApplied, 0, n+invalid)
	if in.Prepared != nil {
		skipped = append(skipped, in.Prepared.invalid...)
	}
	// One backing array: the candidates are pointed at, never moved. Both
	// come from the pooled scratch space: the result keeps none of them.
	sc.store, sc.cands = grow(sc.store, n)[:0], grow(sc.cands, n)[:0]
	store, cands := sc.store, sc.cands
	add := func(p *Promotion, coupon string, n int, scope *lineSet) {
		stage := p.Stage()
		if coupon != "" {
			stage = StageCoupon
		}
		if why := ineligible(p, &in); why != "" {
			skipped = append(skipped, NotApplied{PromotionID: p.ID, Coupon: coupon, Name: p.Name, Reason: why, Ineligible: true})
			return
		}
		store = append(store, candidate{p: p, coupon: coupon, stage: stage, n: n})
		c := &store[len(store)-1]
		if scope != nil {
			c.lines = *scope
		} else {
			for i := range in.Lines {
				if inScope(p, &in.Lines[i]) {
					c.lines[i/64] |= 1 << (i % 64)
				}
			}
		}
		cands = append(cands, c)
	}
	for _, i := range touching {
		p := &in.Prepared.promos[i]
		// The index found the lines of a promotion on products or
		// categories (a bundle is indexed by SKU, its scope is the order).
		var scope *lineSet
		if p.Kind != KindBundle && (p.Scope == ScopeProducts || p.Scope == ScopeCategories) {
			scope = &sc.scope[i]
		}
		add(p, "", int(i), scope)
		sc.scope[i] = lineSet{}
	}
	base := 0
	if in.Prepared != nil {
		base = len(in.Prepared.promos)
	}
	for i := range in.Promotions {
		p := &in.Promotions[i]
		if err := p.Validate(); err != nil {
			skipped = append(skipped, NotApplied{PromotionID: p.ID, Name: p.Name, Reason: "invalid: " + err.Error()})
			continue
		}
		if !touches(p, in.Lines) {
			skipped = append(skipped, NotApplied{PromotionID: p.ID, Name: p.Name, Reason: "no item in scope", Ineligible: true})
			continue
		}
		add(p, "", base+i, nil)
	}
	base += len(in.Promotions)
	for i := range in.Coupons {
		c := &in.Coupons[i]
		if err := c.Validate(); err != nil {
			skipped = append(skipped, NotApplied{PromotionID: c.Rule.ID, Coupon: c.Code, Name: c.Rule.Name, Reason: "invalid: " + err.Error()})
			continue
		}
		if slices.ContainsFunc(in.Coupons[:i], func(o Coupon) bool { return o.Code == c.Code }) {
			skipped = append(skipped, NotApplied{PromotionID: c.Rule.ID, Coupon: c.Code, Name: c.Rule.Name, Reason: "the same coupon twice"})
			continue
		}
		add(&c.Rule, c.Code, base+i, nil)
	}
	sc.store, sc.cands = store, cands
	slices.SortStableFunc(cands, inOrder)

	for i, c := range cands {
		for _, o := range cands[i+1:] {
			if !(c.optional && o.optional) && conflicts(c, o) {
				c.optional, o.optional = true, true
			}
		}
	}
	// free and optional partition cands: halves of one scratch buffer.
	sc.split = grow(sc.split, 2*len(cands))
	free, optional := sc.split[:0:len(cands)], sc.split[len(cands):len(cands)]
	for _, c := range cands {
		if c.optional {
			optional = append(optional, c)
		} else {
			free = append(free, c)
		}
	}
	// A discount can cost the buyer more than it gives when it pushes the
	// spend under a later threshold (¥10 off turning ¥305 into ¥295 under
	// 满300减50). With few candidates such a discount is optional too, so
	// the search can leave it out; the others only ever lower the total.
	if len(cands) <= MaxConflicting {
		always := free[:0] // filtered in place
		for i, c := range free {
			if slices.ContainsFunc(cands[slices.Index(cands, c)+1:], hasThreshold) {
				c.optional = true
				optional = append(optional, c)
			} else {
				always = append(always, free[i])
			}
		}
		free = always
	}
	chosen, note, o, done := choose(&in, sc, free, optional)
	if o == nil {
		o = run(&in, sc, chosen, true)
	} else {
		for _, c := range chosen[done:] {
			o.apply(c)
		}
		o.points(in.Points)
	}
	for _, c := range optional {
		if slices.Contains(chosen, c) {
			continue
		}
		// "does not combine with A, B; why", written in one go.
		var b strings.Builder
		for _, w := range chosen {
			if !conflicts(c, w) {
				continue
			}
			if b.Len() == 0 {
				b.Grow(160)
				b.WriteString("does not combine with ")
			} else {
				b.WriteString(", ")
			}
			w.writeLabel(&b)
		}
		reason := "left out: the buyer pays less without it (it lowers the spend below a later threshold)"
		if b.Len() > 0 {
			why := note
			if why == "" {
				why = "together they are the better deal for the buyer"
			}
			b.WriteString("; ")
			b.WriteString(why)
			reason = b.String()
		}
		skipped = append(skipped, c.notApplied(reason))
	}
	return o.result(append(skipped, o.skipped...)), nil
}

// hasThreshold: c gives more the more is spent before it, by a step.
func hasThreshold(c *candidate) bool {
	return c.p.Kind == KindTieredOff || c.p.Kind == KindGift || c.p.Threshold > 0
}

// inOrder is the order of application: by stage, then priority, then input.
func inOrder(a, b *candidate) int {
	return cmp.Or(cmp.Compare(a.stage, b.stage), cmp.Compare(b.p.Priority, a.p.Priority), cmp.Compare(a.n, b.n))
}

// choose picks the allowed combination best for the buyer; free ones are
// always in, optional ones are searched.
//
// When the search priced the steps every combination shares (the member
// stage and the leading promotions that are always in) in detail, it
// returns that outcome and how many of the chosen it covers, so that the
// final pricing goes on from there instead of starting over.
func choose(in *Input, sc *scratch, free, optional []*candidate) ([]*candidate, string, *outcome, int) {
	order := func(s []*candidate) []*candidate {
		slices.SortStableFunc(s, inOrder)
		return s
	}
	if len(optional) == 0 {
		return free, "", nil, 0
	}
	if len(optional) > MaxConflicting {
		byPriority := slices.Clone(optional)
		slices.SortStableFunc(byPriority, func(a, b *candidate) int {
			return cmp.Or(cmp.Compare(b.p.Priority, a.p.Priority), cmp.Compare(a.n, b.n))
		})
		set := slices.Clone(free)
		var taken []*candidate
		for _, c := range byPriority {
			if !slices.ContainsFunc(taken, func(t *candidate) bool { return conflicts(c, t) }) {
				taken = append(taken, c)
			}
		}
		return order(append(set, taken...)), fmt.Sprintf("more than %d conflicting promotions, so the higher priority won", MaxConflicting), nil, 0
	}
	chosen, base, done := search(in, sc, free, optional)
	return chosen, "", base, done
}

// search prices every allowed combination of the optional candidates
// (free ones always in) depth first in the order of application, so that
// combinations sharing a prefix share its pricing: at most 2^(n+1)
// applications for n optional candidates instead of n·2^n. The search
// keeps only the lines' amounts, one buffer per depth, and allocates
// nothing per combination.
func search(in *Input, sc *scratch, free, optional []*candidate) ([]*candidate, *outcome, int) {
	sc.all = append(append(sc.all[:0], free...), optional...)
	all := sc.all
	slices.SortStableFunc(all, inOrder)
	sc.members, sc.rest = sc.members[:0], sc.rest[:0]
	members, rest := sc.members, sc.rest
	defer func() { sc.members, sc.rest = members, rest }()
	for _, c := range all {
		if c.stage == StageMember {
			members = append(members, c)
		} else {
			rest = append(rest, c)
		}
	}
	isOptional := func(c *candidate) bool { return c.optional }
	clash := func(c *candidate, picked []*candidate) bool {
		for _, p := range picked {
			if conflicts(c, p) {
				return true
			}
		}
		return false
	}
	// From lumpFrom on, every step is scoped to the whole order and only
	// the total matters to the search; the step before them need not
	// allocate its discount to the lines either.
	lumpFrom := len(rest)
	for lumpFrom > 0 && lumpable(rest[lumpFrom-1]) {
		lumpFrom--
	}
	// takeIt[k]: nothing after rest[k] conflicts with it or has a
	// threshold, so when it can be taken, taking it is never worse for the
	// buyer (a discount only lowers what later steps see, and none of them
	// gives more for a higher spend) and leaving it out need not be priced.
	sc.takeIt = grow(sc.takeIt, len(rest))
	takeIt := sc.takeIt
	for k := len(rest) - 1; k >= 0; k-- {
		take := true
		for _, later := range rest[k+1:] {
			if hasThreshold(later) || conflicts(rest[k], later) {
				take = false
				break
			}
		}
		takeIt[k] = take
	}
	// conf[k]: the later candidates rest[k] conflicts with, a bit each,
	// for the bound below (at most 64 of them; beyond, no pruning).
	bounded := len(rest) <= 64
	sc.conf = grow(sc.conf, len(rest))
	conf := sc.conf
	if bounded {
		clear(conf)
		for k, c := range rest {
			for j := k + 1; j < len(rest); j++ {
				if conflicts(c, rest[j]) { // symmetric
					conf[k] |= 1 << j
					conf[j] |= 1 << k
				}
			}
		}
	}
	// blockedBy is the set of rest that conflicts with some of picked.
	blockedBy := func(picked []*candidate) uint64 {
		var m uint64
		for j, d := range rest {
			if clash(d, picked) {
				m |= 1 << j
			}
		}
		return m
	}
	// ub[j] is the most rest[j] can take off (upBound) a cart at the
	// total the search starts from: every combination below only lowers
	// the total, so it bounds rest[j] anywhere in the search, and is
	// worked out once rather than at every node.
	// suffix[j] is the sum of ub[j:], for the nodes where none of them is
	// blocked (always, when nothing conflicts).
	sc.ub = grow(sc.ub, 2*len(rest)+1)
	ub, suffix := sc.ub[:len(rest)], sc.ub[len(rest):]
	bounds := func(o *outcome) {
		if bounded {
			total := o.total()
			suffix[len(rest)] = 0
			for j := len(rest) - 1; j >= 0; j-- {
				ub[j] = upBound(rest[j], total)
				suffix[j] = suffix[j+1] + ub[j]
			}
		}
	}
	// beaten: no combination that goes on from o with at most the
	// candidates from rest[from] on that are not blocked can pay less than
	// the best found so far. Each step takes at most its bound off, and
	// what the buyer pays after points only grows with the total, so the
	// whole subtree can be left out: it cannot hold the best combination,
	// whose total is lower. Ties are never cut, so the tie rules decide as
	// before.
	var bestTotal int64
	found := false
	beaten := func(total int64, from int, blocked uint64, extra int64) bool {
		off := extra
		if blocked>>from == 0 {
			off += suffix[from]
		} else {
			for j := from; j < len(rest) && off < total; j++ {
				if blocked&(1<<j) == 0 {
					off += ub[j]
				}
			}
		}
		if off >= total {
			return false
		}
		left := total - off
		return left-pointsOff(left, in.Points) > bestTotal
	}
	// rivalled: a later candidate that rest[k] conflicts with and that is
	// not blocked yet can take more off than rest[k].
	rivalled := func(k int, blocked uint64) bool {
		for m := (conf[k] &^ blocked) >> (k + 1); m != 0; m &= m - 1 {
			if ub[k+1+bits.TrailingZeros64(m)] > ub[k] {
				return true
			}
		}
		return false
	}
	nl := len(in.Lines)
	depth := len(rest) + 1
	sc.bufs, sc.outs, sc.stack = grow(sc.bufs, depth*nl), grow(sc.outs, depth), grow(sc.stack, len(all))
	bufs, outs, stack := sc.bufs, sc.outs, sc.stack
	best := sc.best[:0]
	defer func() { sc.best = best }()
	var bestGifts int
	var dfs func(k int, o *outcome, n int, blocked uint64)
	dfs = func(k int, o *outcome, n int, blocked uint64) {
		picked := stack[:n]
		if k == len(rest) {
			total := o.total() - o.pointsOff(in.Points)
			if !found || total < bestTotal || (total == bestTotal && (o.nGifts > bestGifts ||
				(o.nGifts == bestGifts && betterTie(sc, picked, best)))) {
				found, bestTotal, bestGifts = true, total, o.nGifts
				best = append(best[:0], picked...)
			}
			return
		}
		c := rest[k]
		// blocked is what conflicts with picked, when it is kept.
		canTake := blocked&(1<<k) == 0
		if !bounded {
			canTake = !clash(c, picked)
		}
		canLeave := isOptional(c) && !(canTake && takeIt[k])
		// Which branch is searched first does not change the answer (the
		// order of combinations is total: see the leaf above), only how
		// much the bound can cut: leaving c out first pays when a later
		// rival of c (in its group, say) can take off more than c.
		leaveFirst := canTake && canLeave && bounded && rivalled(k, blocked)
		now := int64(-1) // o's total, once the bound needs it
		cut := func(blocked uint64, extra int64) bool {
			if !found || !bounded {
				return false
			}
			if now < 0 {
				now = o.total()
			}
			return beaten(now, k+1, blocked, extra)
		}
		for pass := range 2 {
			if (pass == 0) != leaveFirst {
				if canTake && !cut(blocked|conf[k], ub[k]) {
					with := &outs[k+1]
					*with = outcome{in: in, sc: sc, amount: bufs[(k+1)*nl : (k+2)*nl], nGifts: o.nGifts, lump: o.lump,
						lumpRead: k >= lumpFrom, lumpWrite: k >= lumpFrom-1}
					copy(with.amount, o.amount)
					with.apply(c)
					stack[n] = c
					dfs(k+1, with, n+1, blocked|conf[k])
				}
			} else if canLeave && !cut(blocked, 0) {
				dfs(k+1, o, n, blocked)
			}
		}
	}
	// Every combination starts with the member stage and the leading
	// promotions nothing conflicts with: when no member discount is
	// optional, they are priced once, in detail, for the final pricing too.
	k0 := 0
	for k0 < len(rest) && !rest[k0].optional {
		k0++
	}
	if !slices.ContainsFunc(members, isOptional) {
		base := start(in, sc, true)
		base.steps = make([]Step, 0, len(all)+2)
		base.member(in.Customer.Tier, members)
		for _, c := range rest[:k0] {
			base.apply(c)
		}
		o := &outs[k0]
		*o = outcome{in: in, sc: sc, amount: bufs[k0*nl : (k0+1)*nl], nGifts: base.nGifts}
		copy(o.amount, base.amount)
		n := copy(stack, members)
		n += copy(stack[n:], rest[:k0])
		var blocked uint64
		if bounded {
			blocked = blockedBy(stack[:n])
		}
		bounds(o)
		dfs(k0, o, n, blocked)
		return append([]*candidate{}, best...), base, n
	}
	// The member stage weighs its promotions against each other line by
	// line, so its subsets are priced as a whole.
	for mask := 0; mask < 1<<len(members); mask++ {
		n := 0
		ok := true
		for i, c := range members {
			if mask&(1<<i) == 0 {
				ok = isOptional(c)
			} else if ok = !clash(c, stack[:n]); ok {
				stack[n] = c
				n++
			}
			if !ok {
				break
			}
		}
		if !ok {
			continue
		}
		o := &outs[0]
		*o = outcome{in: in, sc: sc, amount: bufs[:nl]}
		for i, l := range in.Lines {
			o.amount[i] = l.ListPrice * l.Quantity
		}
		o.member(in.Customer.Tier, stack[:n])
		var blocked uint64
		if bounded {
			blocked = blockedBy(stack[:n])
		}
		bounds(o)
		dfs(0, o, n, blocked)
	}
	return append([]*candidate{}, best...), nil, 0
}

// upBound is the most c can take off a cart whose lines add up to total
// (its scope's amount is at most that): what the search's pruning may
// assume of a step not priced yet. Every kind is capped by its Cap and by
// what is left to pay; a gift takes nothing off.
func upBound(c *candidate, total int64) int64 {
	p := c.p
	off := total
	switch p.Kind {
	case KindGift:
		return 0
	case KindPercentOff, KindFixedOff:
		// These two check Threshold against the spend in scope, which is
		// at most the total (the other kinds do not look at it).
		if p.Threshold > total {
			return 0
		}
	}
	switch p.Kind {
	case KindPercentOff:
		off = mulDivRound(total, p.RateBP, maxRateBP)
	case KindFixedOff:
		if !p.PerUnit {
			off = p.Amount
		}
	case KindTieredOff:
		off = 0
		for _, l := range p.Levels {
			v := l.Off
			if p.Repeat {
				v = total / l.Threshold * l.Off
			} else if l.Threshold > total {
				v = 0 // a level the total does not reach
			}
			off = max(off, v)
		}
	}
	if p.Cap > 0 {
		off = min(off, p.Cap)
	}
	return min(off, total)
}

// lumpable: c looks at the order's total only.
func lumpable(c *candidate) bool {
	switch c.p.Kind {
	case KindPercentOff, KindFixedOff, KindTieredOff, KindGift:
		return c.p.Scope == ScopeOrder
	}
	return false
}

// betterTie breaks a tie of totals and gifts: the higher priorities, then
// the earlier in the input.
func betterTie(sc *scratch, s, t []*candidate) bool {
	a, b := sc.ints(s, t, func(c *candidate) int { return c.p.Priority })
	slices.Reverse(a)
	slices.Reverse(b)
	if c := slices.Compare(a, b); c != 0 {
		return c > 0
	}
	a, b = sc.ints(s, t, func(c *candidate) int { return c.n })
	return slices.Compare(a, b) < 0
}

// ineligible says why p's conditions do not hold for in, or "". Each
// reason is written into one buffer and allocated once: a storefront
// reports a few for every cart.
func ineligible(p *Promotion, in *Input) string {
	var buf [128]byte
	b := buf[:0]
	switch {
	case !p.StartsAt.IsZero() && in.At.Before(p.StartsAt):
		b = append(b, "not started yet (starts "...)
		b = append(p.StartsAt.In(in.Location).AppendFormat(b, "2006-01-02 15:04"), ')')
	case !p.EndsAt.IsZero() && !in.At.Before(p.EndsAt):
		b = p.EndsAt.In(in.Location).AppendFormat(append(b, "ended "...), "2006-01-02 15:04")
	case !p.Schedule.On(in.At, in.Location):
		b = in.At.In(in.Location).AppendFormat(append(b, "not on today's schedule ("...), "Monday 2 January")
		b = append(append(append(b, " in "...), in.Location.String()...), ')')
	case len(p.Channels) > 0 && !slices.Contains(p.Channels, in.Channel):
		// As fmt's "%v, not %q" words it, without its reflection.
		b = strconv.AppendQuote(append(appendList(append(b, "only on channels "...), p.Channels), ", not "...), in.Channel)
	case len(p.ForTiers) > 0 && !slices.Contains(p.ForTiers, in.Customer.Tier):
		b = appendList(append(b, "only for member tiers "...), p.ForTiers)
	case len(p.Segments) > 0 && !slices.ContainsFunc(p.Segments, func(s string) bool { return slices.Contains(in.Customer.Segments, s) }):
		b = appendList(append(b, "only for segments "...), p.Segments)
	case p.FirstOrderOnly && !in.Customer.FirstOrder:
		return "first order only"
	case p.Kind == KindMemberDiscount && p.TierRatesBP[in.Customer.Tier] == 0:
		return "no rate for the buyer's tier"
	default:
		return ""
	}
	return string(b)
}

// appendList appends ss as fmt's %v prints it: [a b c].
func appendList(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, s...)
	}
	return append(b, ']')
}

func checkLines(lines []Line) error {
	if len(lines) == 0 {
		return apperr.Field("lines", "add at least one item")
	}
	if len(lines) > MaxLines {
		return apperr.Field("lines", "at most %d lines (this has %d)", MaxLines, len(lines))
	}
	for i, l := range lines {
		f := func(name string) string { return fmt.Sprintf("lines[%d].%s", i, name) }
		switch {
		case l.SKUID <= 0:
			return apperr.Field(f("sku_id"), "must be the id of a SKU, not %d", l.SKUID)
		case l.Quantity < 1 || l.Quantity > MaxQuantity:
			return apperr.Field(f("quantity"), "must be from 1 to %d, not %d", MaxQuantity, l.Quantity)
		case l.ListPrice < 0:
			return apperr.Field(f("list_price"), "must not be negative")
		case l.MemberPrice < 0:
			return apperr.Field(f("member_price"), "must not be negative (0: none)")
		}
		// At most MaxLines lines: comparing with the earlier ones is
		// cheaper than a map for the carts that matter.
		if j := slices.IndexFunc(lines[:i], func(o Line) bool { return o.SKUID == l.SKUID }); j >= 0 {
			return apperr.Field(f("sku_id"), "SKU %d is already in lines[%d]", l.SKUID, j)
		}
	}
	return nil
}
