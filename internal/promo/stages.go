package promo

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// outcome is one run of the pricing order over a set of promotions: the
// lines' amounts after the steps so far and, when detail is kept, what
// each step took off each line.
type outcome struct {
	in     *Input
	sc     *scratch
	amount []int64 // per line: its total after the steps so far
	gifts  []LineResult
	nGifts int
	// The search needs only the total once no step left looks at single
	// lines: lumpWrite takes a step's discount off the total (lump)
	// instead of allocating it to the lines, and lumpRead (every step
	// left is order-wide) reads the total as the base.
	lumpRead, lumpWrite bool
	lump                int64
	steps               []Step
	// lineOffs is where the steps' Lines are cut from, a block at a time
	// instead of one allocation a step.
	lineOffs   []LineOff
	skipped    []NotApplied
	pointsUsed int64
	// detail keeps the per-line discounts and step lines; the search for
	// the best combination only needs the amounts.
	detail bool
}

// scratch holds the buffers the stages reuse from one application to the
// next, so that the search allocates nothing per combination.
type scratch struct {
	idx           []int
	weights, offs []int64
	offs2, parts  []int64
	rems          []rem
	// The search's buffers: amounts and outcomes per depth, the picked
	// candidates, and the best combination so far.
	bufs   []int64
	outs   []outcome
	stack  []*candidate
	best   []*candidate
	takeIt []bool
	conf   []uint64
	ub     []int64
	// The candidates of one pricing and the pointers to them.
	store []candidate
	cands []*candidate
	// scope: per prepared promotion, the lines it holds (Prepared.touching).
	scope []lineSet
	// free and optional (split), and the search's views of them.
	split, all, members, rest []*candidate
	tieA                      []int
	tieB                      []int
	member                    []int64
}

// ints is f of every candidate of s and of t, each sorted, in scratch
// slices valid until the next call: what a tie between two combinations
// is decided on, without allocating.
func (sc *scratch) ints(s, t []*candidate, f func(*candidate) int) ([]int, []int) {
	sc.tieA, sc.tieB = sc.tieA[:0], sc.tieB[:0]
	for _, c := range s {
		sc.tieA = append(sc.tieA, f(c))
	}
	for _, c := range t {
		sc.tieB = append(sc.tieB, f(c))
	}
	slices.Sort(sc.tieA)
	slices.Sort(sc.tieB)
	return sc.tieA, sc.tieB
}

// scratches keeps scratch space between pricings: a busy storefront
// prices carts all the time, and the buffers are the same size each time.
var scratches = sync.Pool{New: func() any { return &scratch{} }}

// newScratch takes a scratch from the pool, sized for lines; give it
// back with release once the result no longer needs it.
func newScratch(lines int) *scratch {
	sc := scratches.Get().(*scratch)
	sc.idx, sc.weights, sc.parts, sc.rems = sc.idx[:0], sc.weights[:0], sc.parts[:0], sc.rems[:0]
	sc.offs, sc.offs2 = grow(sc.offs, lines), grow(sc.offs2, lines)
	return sc
}

// release clears what points into one pricing's data and pools sc.
func (sc *scratch) release() {
	clear(sc.outs)
	clear(sc.stack)
	clear(sc.best)
	clear(sc.store[:cap(sc.store)])
	clear(sc.cands[:cap(sc.cands)])
	clear(sc.split)
	clear(sc.all)
	clear(sc.members)
	clear(sc.rest)
	scratches.Put(sc)
}

// grow is s with length n, reusing its array when it is large enough.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// zeroOffs is the scratch per-line offs, all 0.
func (sc *scratch) zeroOffs() []int64 {
	clear(sc.offs)
	return sc.offs
}

// run applies set (ordered by stage, then priority) and the points to the
// cart of in.
func run(in *Input, sc *scratch, set []*candidate, detail bool) *outcome {
	o := start(in, sc, detail)
	if detail {
		o.steps = make([]Step, 0, len(set)+2) // one per promotion, the member price, points
	}
	var members []*candidate
	for _, c := range set {
		if c.stage == StageMember {
			members = append(members, c)
		}
	}
	o.member(in.Customer.Tier, members)
	for _, c := range set {
		o.apply(c)
	}
	o.points(in.Points)
	return o
}

// start is the cart at list prices.
func start(in *Input, sc *scratch, detail bool) *outcome {
	o := &outcome{in: in, sc: sc, amount: make([]int64, len(in.Lines)), detail: detail}
	for i, l := range in.Lines {
		o.amount[i] = l.ListPrice * l.Quantity
	}
	return o
}

// apply applies one promotion or coupon after the member stage.
func (o *outcome) apply(c *candidate) {
	switch c.p.Kind {
	case KindPercentOff:
		o.percentOff(c)
	case KindFixedOff:
		o.fixedOff(c)
	case KindBuyNGetM:
		o.buyNGetM(c)
	case KindBundle:
		o.bundle(c)
	case KindTieredOff:
		o.tieredOff(c)
	case KindGift:
		o.gift(c)
	}
}

func (o *outcome) total() int64 {
	t := -o.lump
	for _, a := range o.amount {
		t += a
	}
	return t
}

// record takes offs (one per line) off the lines and writes the step.
func (o *outcome) record(st Step, offs []int64) {
	if o.lumpWrite {
		for _, off := range offs {
			o.lump += off
		}
		return
	}
	if o.detail {
		n := 0
		for _, off := range offs {
			if off != 0 {
				n++
			}
		}
		if o.lineOffs == nil || cap(o.lineOffs)-len(o.lineOffs) < n {
			o.lineOffs = make([]LineOff, 0, max(n, 4*len(offs)))
		}
		at := len(o.lineOffs)
		st.Lines = o.lineOffs[at : at : at+n]
		o.lineOffs = o.lineOffs[:at+n]
	}
	for i, off := range offs {
		if off == 0 {
			continue
		}
		o.amount[i] -= off
		st.Off += off
		if !o.detail {
			continue
		}
		st.Lines = append(st.Lines, LineOff{SKUID: o.in.Lines[i].SKUID, Off: off})
	}
	if o.detail {
		o.steps = append(o.steps, st)
	}
}

func (o *outcome) step(c *candidate, note string) Step {
	if !o.detail {
		return Step{}
	}
	return Step{Stage: c.stage, PromotionID: c.p.ID, Coupon: c.coupon, Name: c.p.Name, Kind: c.p.Kind, Note: note}
}

// notef formats a note for the buyer, only when the details are kept.
func (o *outcome) notef(format string, args ...any) string {
	if !o.detail {
		return ""
	}
	return fmt.Sprintf(format, args...)
}

// money, wholeYuan and rate format lazily, when a note is kept.
type (
	money     int64
	wholeYuan int64
	rate      int64
)

func (m money) String() string     { return yuan(int64(m)) }
func (w wholeYuan) String() string { return whole(int64(w)) }
func (r rate) String() string      { return bp(int64(r)) }

func (o *outcome) skip(c *candidate, format string, args ...any) {
	if o.detail {
		reason := format // the reasons without arguments have no verbs either
		if len(args) > 0 {
			reason = fmt.Sprintf(format, args...)
		}
		o.skipped = append(o.skipped, c.notApplied(reason))
	}
}

func inScope(p *Promotion, l *Line) bool {
	switch p.Scope {
	case ScopeProducts:
		for _, id := range p.ProductIDs {
			if id == l.ProductID {
				return true
			}
		}
		return false
	case ScopeCategories:
		for _, c := range l.CategoryIDs {
			for _, id := range p.CategoryIDs {
				if id == c {
					return true
				}
			}
		}
		return false
	}
	return true
}

// scope is the lines c looks at that still cost something, and their sum
// (idx is the scratch buffer, valid until the next scope).
func (o *outcome) scope(c *candidate) (idx []int, base int64) {
	if o.lumpRead {
		return nil, o.total()
	}
	idx = o.sc.idx[:0]
	for i := range o.in.Lines {
		if a := o.amount[i]; a > 0 && c.has(i) {
			idx = append(idx, i)
			base += a
		}
	}
	o.sc.idx = idx
	return idx, base
}

// touches: some line of the cart is in p's scope (a bundle: one of its
// SKUs is in the cart).
func touches(p *Promotion, lines []Line) bool {
	if p.Kind == KindBundle {
		for _, sku := range p.BundleSKUs {
			if slices.ContainsFunc(lines, func(l Line) bool { return l.SKUID == sku }) {
				return true
			}
		}
		return false
	}
	for i := range lines {
		if inScope(p, &lines[i]) {
			return true
		}
	}
	return false
}

// spread allocates off over the lines idx by their amounts.
func (o *outcome) spread(c *candidate, idx []int, off int64, note string) {
	if o.lumpWrite {
		o.lump += off
		return
	}
	weights := o.sc.weights[:0]
	for _, i := range idx {
		weights = append(weights, o.amount[i])
	}
	o.sc.weights = weights
	shares := allocateInto(off, weights, o.sc.offs2[:len(weights)], &o.sc.rems)
	offs := o.sc.zeroOffs()
	for k, share := range shares {
		offs[idx[k]] = share
	}
	o.record(o.step(c, note), offs)
}

// capped applies p.Cap to off and says so.
func (o *outcome) capped(p *Promotion, off int64) (int64, string) {
	if p.Cap > 0 && off > p.Cap {
		if !o.detail {
			return p.Cap, ""
		}
		return p.Cap, "capped at " + yuan(p.Cap)
	}
	return off, ""
}

// below checks the threshold of p against base.
func (o *outcome) below(c *candidate, base int64) bool {
	if base < c.p.Threshold {
		if o.detail {
			o.skip(c, "spend %s in scope to qualify; %s more needed", money(c.p.Threshold), money(c.p.Threshold-base))
		}
		return true
	}
	return false
}

// member gives a member each line's member price where the line has one
// for their tier, instead of the member discounts (会员价 replaces the tier
// rate on that SKU, even when the rate would take more); every other line
// takes the lowest of its price and the member discounts. They never stack.
func (o *outcome) member(tier string, members []*candidate) {
	// What the member price and each member discount take off each line,
	// in one scratch buffer (record copies what it keeps).
	n := len(o.amount)
	o.sc.member = grow(o.sc.member, (len(members)+1)*n)
	clear(o.sc.member)
	byPrice := o.sc.member[:n]
	byPromo := func(k int) []int64 { return o.sc.member[(k+1)*n : (k+2)*n] }
	var few [8]bool
	var fewRates [8]int64
	inAny, rates := few[:0], fewRates[:0]
	if len(members) > len(few) {
		inAny, rates = make([]bool, len(members)), make([]int64, len(members))
	} else {
		inAny, rates = few[:len(members)], fewRates[:len(members)]
	}
	for k, c := range members {
		rates[k] = c.p.TierRatesBP[tier] // once, not once a line
	}
	for i := range o.in.Lines {
		l, amount := &o.in.Lines[i], o.amount[i]
		best, winner := amount, -1
		priced := tier != "" && l.MemberPrice > 0 && l.MemberPrice <= l.ListPrice
		if priced {
			best = l.MemberPrice * l.Quantity
		}
		for k, c := range members {
			if !c.has(i) {
				continue
			}
			inAny[k] = true
			if priced {
				continue
			}
			if v := amount - mulDivRound(amount, rates[k], maxRateBP); v < best {
				best, winner = v, k
			}
		}
		if winner < 0 {
			byPrice[i] = amount - best
		} else {
			byPromo(winner)[i] = amount - best
		}
	}
	if slices.ContainsFunc(byPrice, func(v int64) bool { return v > 0 }) {
		o.record(Step{Stage: StageMember, Name: "会员价 member price"}, byPrice)
	}
	for k, c := range members {
		switch {
		case !inAny[k]:
			o.skip(c, "no item in scope")
		case !slices.ContainsFunc(byPromo(k), func(v int64) bool { return v > 0 }):
			o.skip(c, "a member price or a lower member discount prices every item")
		default:
			note := ""
			if o.detail {
				note = tier + ": " + bp(c.p.TierRatesBP[tier]) + " off"
			}
			o.record(o.step(c, note), byPromo(k))
		}
	}
}

func (o *outcome) percentOff(c *candidate) {
	idx, base := o.scope(c)
	if base == 0 {
		o.skip(c, "no item in scope")
		return
	}
	if o.below(c, base) {
		return
	}
	off, note := o.capped(c.p, mulDivRound(base, c.p.RateBP, maxRateBP))
	if off == 0 {
		if o.detail {
			o.skip(c, "%s off %s rounds to ¥0.00", rate(c.p.RateBP), money(base))
		}
		return
	}
	if o.detail {
		note = joinNote(rate(c.p.RateBP).String()+" off", note)
	}
	o.spread(c, idx, off, note)
}

func (o *outcome) fixedOff(c *candidate) {
	idx, base := o.scope(c)
	if base == 0 {
		o.skip(c, "no item in scope")
		return
	}
	if o.below(c, base) {
		return
	}
	if !c.p.PerUnit {
		off, note := o.capped(c.p, min(c.p.Amount, base))
		o.spread(c, idx, off, note)
		return
	}
	offs := o.sc.zeroOffs()
	var total int64
	for _, i := range idx {
		offs[i] = min(c.p.Amount*o.in.Lines[i].Quantity, o.amount[i])
		total += offs[i]
	}
	off, note := o.capped(c.p, total)
	if off < total {
		offs = allocateInto(off, offs, o.sc.offs2, &o.sc.rems)
	}
	if o.detail {
		note = joinNote(money(c.p.Amount).String()+" off each unit", note)
	}
	o.record(o.step(c, note), offs)
}

// buyNGetM makes the cheapest units free: for every N+M units in scope, M.
func (o *outcome) buyNGetM(c *candidate) {
	idx, _ := o.scope(c)
	var units int64
	for _, i := range idx {
		units += o.in.Lines[i].Quantity
	}
	group := c.p.BuyN + c.p.GetM
	free := units / group * c.p.GetM
	if free == 0 {
		if o.detail {
			o.skip(c, "buy %d to get %d free; %d in scope", c.p.BuyN, c.p.GetM, units)
		}
		return
	}
	// Cheapest unit first: a/q < b/r ⇔ a·r < b·q (amounts ≤ 1e13, quantities ≤ 999).
	lines, amount := o.in.Lines, o.amount
	slices.SortStableFunc(idx, func(a, b int) int {
		x, y := amount[a]*lines[b].Quantity, amount[b]*lines[a].Quantity
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	offs := o.sc.zeroOffs()
	var total int64
	for _, i := range idx {
		if free == 0 {
			break
		}
		q := lines[i].Quantity
		k := min(free, q)
		free -= k
		offs[i] = mulDivRound(amount[i], k, q)
		total += offs[i]
	}
	off, note := o.capped(c.p, total)
	if off < total {
		offs = allocateInto(off, offs, o.sc.offs2, &o.sc.rems)
	}
	if o.detail {
		note = joinNote("buy "+itoa(c.p.BuyN)+" get "+itoa(c.p.GetM)+" free, cheapest free", note)
	}
	o.record(o.step(c, note), offs)
}

// bundle charges BundlePrice for every complete set of BundleSKUs.
func (o *outcome) bundle(c *candidate) {
	idx := o.sc.idx[:0]
	sets := int64(MaxQuantity + 1)
	for _, sku := range c.p.BundleSKUs {
		i := -1
		for j := range o.in.Lines {
			if o.in.Lines[j].SKUID == sku && o.amount[j] > 0 {
				i = j
				break
			}
		}
		if i < 0 {
			if o.detail {
				o.skip(c, "add SKU %d to complete the bundle", sku)
			}
			return
		}
		idx = append(idx, i)
		sets = min(sets, o.in.Lines[i].Quantity)
	}
	o.sc.idx = idx
	parts := o.sc.parts[:0]
	var sum int64
	for _, i := range idx {
		part := mulDivRound(o.amount[i], sets, o.in.Lines[i].Quantity)
		parts = append(parts, part)
		sum += part
	}
	o.sc.parts = parts
	off := sum - sets*c.p.BundlePrice
	if off <= 0 {
		if o.detail {
			o.skip(c, "the items already cost %s, not more than the bundle price %s", money(sum), money(sets*c.p.BundlePrice))
		}
		return
	}
	off, note := o.capped(c.p, off)
	shares := allocateInto(off, parts, o.sc.offs2[:len(parts)], &o.sc.rems)
	offs := o.sc.zeroOffs()
	for k, share := range shares {
		offs[idx[k]] = share
	}
	if o.detail {
		note = joinNote(itoa(sets)+" set(s) at "+yuan(c.p.BundlePrice), note)
	}
	o.record(o.step(c, note), offs)
}

// tieredOff is 满减: the highest level reached, or with Repeat 每满 the one
// level as many times as the spend covers it.
func (o *outcome) tieredOff(c *candidate) {
	idx, base := o.scope(c)
	lv := -1
	for i, l := range c.p.Levels {
		if base >= l.Threshold {
			lv = i
		}
	}
	if lv < 0 {
		if o.detail {
			first := c.p.Levels[0]
			o.skip(c, "spend %s in scope for 满%s减%s; %s more needed", money(first.Threshold), wholeYuan(first.Threshold), wholeYuan(first.Off), money(first.Threshold-base))
		}
		return
	}
	l := c.p.Levels[lv]
	off, note := l.Off, ""
	if c.p.Repeat {
		times := base / l.Threshold
		off = times * l.Off
		if o.detail {
			note = "每满" + whole(l.Threshold) + "减" + whole(l.Off) + " ×" + itoa(times)
		}
	} else if o.detail {
		note = "满" + whole(l.Threshold) + "减" + whole(l.Off)
	}
	off, capNote := o.capped(c.p, min(off, base))
	o.spread(c, idx, off, joinNote(note, capNote))
}

// gift adds the gift line once the threshold is met.
func (o *outcome) gift(c *candidate) {
	_, base := o.scope(c)
	if base == 0 {
		o.skip(c, "no item in scope")
		return
	}
	if o.below(c, base) {
		return
	}
	g := c.p.Gift
	inStock := g.InStock
	if o.in.GiftStock != nil {
		inStock = o.in.GiftStock[g.SKUID] >= g.Quantity
	}
	if !inStock {
		if o.detail {
			o.skip(c, "gift SKU %d is out of stock, not added", g.SKUID)
		}
		return
	}
	o.nGifts++
	if !o.detail {
		return
	}
	o.gifts = append(o.gifts, LineResult{SKUID: g.SKUID, ProductID: g.ProductID, Quantity: g.Quantity, Gift: true,
		Discounts: []Discount{}, Explanation: []string{"赠品 gift: " + c.p.Name}})
	o.steps = append(o.steps, o.step(c, "gift SKU "+itoa(g.SKUID)+" ×"+itoa(g.Quantity)+" added"))
}

// pointsOff is what points would take off now, for the search's score.
func (o *outcome) pointsOff(p Points) int64 {
	if p.Amount == 0 {
		return 0
	}
	return pointsOff(o.total(), p)
}

// pointsOff is what p takes off a cart left at total.
func pointsOff(total int64, p Points) int64 {
	if p.Amount == 0 {
		return 0
	}
	share := p.MaxShareBP
	if share == 0 {
		share = maxRateBP
	}
	return min(p.Amount, mulDiv(total, share, maxRateBP))
}

// points redeems up to MaxShareBP of what is left to pay.
func (o *outcome) points(p Points) {
	if p.Amount == 0 {
		return
	}
	share := p.MaxShareBP
	if share == 0 {
		share = maxRateBP
	}
	left := o.total()
	used := o.pointsOff(p)
	note := ""
	if used < p.Amount {
		note = o.notef("capped at %s of %s left to pay", rate(share), money(left))
	}
	o.record(Step{Stage: StagePoints, Name: "积分抵现 points", Note: note}, Allocate(used, o.amount))
	o.pointsUsed = used
}

func (o *outcome) result(skipped []NotApplied) Result {
	r := Result{Lines: make([]LineResult, 0, len(o.amount)+len(o.gifts)), Steps: o.steps, NotApplied: skipped, PointsUsed: o.pointsUsed}
	// Each line's discounts are its shares of the steps, in the order the
	// steps applied. They, and their explanations ("name: −¥12.34") cut out
	// of one string, fill one slice each: a few allocations instead of two
	// per discount.
	lines := o.in.Lines
	var num [32]byte
	idx := o.sc.idx[:0] // the line of every share, in step order
	counts := o.sc.offs2[:len(lines)]
	clear(counts)
	size := 0
	for _, st := range o.steps {
		j := 0
		for _, lo := range st.Lines {
			for lines[j].SKUID != lo.SKUID {
				j++
			}
			counts[j]++
			idx = append(idx, j)
			size += len(st.Name) + len(": −") + yuanLen(lo.Off)
		}
	}
	o.sc.idx = idx
	n := len(idx)
	starts := o.sc.offs[:len(lines)]
	slots := func() {
		var at int64
		for i := range lines {
			starts[i], at = at, at+counts[i]
		}
	}
	// A storefront quote (Input.NoLineDiscounts) reads the explanations,
	// not the records: they are half of what a result allocates.
	var all []Discount
	if !o.in.NoLineDiscounts {
		all = make([]Discount, n)
	}
	texts := make([]string, n)
	var b strings.Builder
	b.Grow(size)
	slots()
	k := 0
	for _, st := range o.steps {
		for _, lo := range st.Lines {
			slot := &starts[idx[k]]
			if all != nil {
				all[*slot] = Discount{Stage: st.Stage, PromotionID: st.PromotionID, Coupon: st.Coupon, Name: st.Name, Off: lo.Off}
			}
			*slot++
			k++
			b.WriteString(st.Name)
			b.WriteString(": −")
			b.Write(appendYuan(num[:0], lo.Off))
		}
	}
	str, from := b.String(), 0
	slots()
	k = 0
	for _, st := range o.steps {
		for _, lo := range st.Lines {
			to := from + len(st.Name) + len(": −") + yuanLen(lo.Off)
			slot := &starts[idx[k]]
			texts[*slot] = str[from:to]
			*slot++
			k++
			from = to
		}
	}
	var at int64
	for i := range lines {
		l, amount := &lines[i], o.amount[i]
		lr := LineResult{SKUID: l.SKUID, ProductID: l.ProductID, Quantity: l.Quantity, ListPrice: l.ListPrice,
			UnitPrice: amount / l.Quantity, Total: amount, Discount: l.ListPrice*l.Quantity - amount}
		if c := counts[i]; c == 0 {
			lr.Discounts, lr.Explanation = []Discount{}, listPrice
		} else {
			lr.Explanation = texts[at : at+c : at+c]
			if all != nil {
				lr.Discounts = all[at : at+c : at+c]
			}
			at += c
		}
		if all == nil {
			lr.Discounts = nil
		}
		r.Lines = append(r.Lines, lr)
		r.ItemsTotal += l.ListPrice * l.Quantity
		r.Discount += lr.Discount
	}
	r.Lines = append(r.Lines, o.gifts...)
	r.Total = r.ItemsTotal - r.Discount
	if r.Steps == nil {
		r.Steps = []Step{}
	}
	if r.NotApplied == nil {
		r.NotApplied = []NotApplied{}
	}
	return r
}

// listPrice is the explanation of a line without discounts, shared.
var listPrice = []string{"list price"}

// appendYuan appends fen as yuan, ¥12.34. The result's explanations call
// it for every discount of every line, so the digits are written here
// rather than by strconv.
func appendYuan(out []byte, fen int64) []byte {
	if fen < 0 {
		out, fen = append(out, '-'), -fen
	}
	var d [24]byte
	i := len(d)
	u := uint64(fen)
	for _, c := range [...]byte{byte('0' + u%10), byte('0' + u/10%10), '.'} {
		i--
		d[i] = c
	}
	for u /= 100; ; u /= 10 {
		i--
		d[i] = byte('0' + u%10)
		if u < 10 {
			break
		}
	}
	out = append(out, "¥"...)
	return append(out, d[i:]...)
}

// yuanLen is len(appendYuan(nil, fen)), without formatting it.
func yuanLen(fen int64) int {
	n := len("¥.00")
	if fen < 0 {
		n, fen = n+1, -fen
	}
	for y := uint64(fen) / 100; ; y /= 10 {
		n++
		if y < 10 {
			return n
		}
	}
}

func yuan(fen int64) string {
	var b [32]byte
	out := b[:0]
	if fen < 0 {
		out, fen = append(out, '-'), -fen
	}
	out = append(out, "¥"...)
	out = strconv.AppendInt(out, fen/100, 10)
	out = append(out, '.', byte('0'+fen%100/10), byte('0'+fen%10))
	return string(out)
}

// whole reads 分 as yuan the way shops write 满300减50: no decimals when whole.
func whole(fen int64) string {
	if fen%100 == 0 {
		return strconv.FormatInt(fen/100, 10)
	}
	return yuan(fen)[len("¥"):]
}

// bp reads a rate in basis points as a percentage: 2000 → 20%, 1250 → 12.5%.
func bp(v int64) string {
	var b [24]byte
	out := strconv.AppendInt(b[:0], v/100, 10)
	if r := v % 100; r != 0 {
		out = append(out, '.', byte('0'+r/10))
		if r%10 != 0 {
			out = append(out, byte('0'+r%10))
		}
	}
	return string(append(out, '%'))
}

// itoa is %d: the notes are built by concatenation, not fmt, as a
// storefront builds them for every cart.
func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func joinNote(a, b string) string {
	if b == "" {
		return a
	}
	if a == "" {
		return b
	}
	return a + ", " + b
}
