package promo

import (
	"fmt"
	"slices"
)

type lineState struct {
	Line
	amount    int64 // the line's total after the steps so far
	discounts []Discount
}

// outcome is one run of the pricing order over a set of promotions.
type outcome struct {
	lines      []lineState
	gifts      []LineResult
	steps      []Step
	skipped    []NotApplied
	pointsUsed int64
	// detail keeps the per-line discounts and step lines; the search for
	// the best combination only needs the amounts.
	detail bool
}

// run applies set (ordered by stage, then priority) and the points to the
// cart of in.
func run(in Input, set []*candidate, detail bool) *outcome {
	o := start(in, detail)
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
func start(in Input, detail bool) *outcome {
	o := &outcome{lines: make([]lineState, len(in.Lines)), detail: detail}
	for i, l := range in.Lines {
		o.lines[i] = lineState{Line: l, amount: l.ListPrice * l.Quantity}
	}
	return o
}

// clone copies a search state (no details kept).
func (o *outcome) clone() *outcome {
	return &outcome{lines: slices.Clone(o.lines), gifts: slices.Clone(o.gifts)}
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
	var t int64
	for _, l := range o.lines {
		t += l.amount
	}
	return t
}

// record takes offs (one per line) off the lines and writes the step.
func (o *outcome) record(st Step, offs []int64) {
	for i, off := range offs {
		if off == 0 {
			continue
		}
		l := &o.lines[i]
		l.amount -= off
		st.Off += off
		if !o.detail {
			continue
		}
		l.discounts = append(l.discounts, Discount{Stage: st.Stage, PromotionID: st.PromotionID, Coupon: st.Coupon, Name: st.Name, Off: off})
		st.Lines = append(st.Lines, LineOff{SKUID: l.SKUID, Off: off})
	}
	if o.detail {
		o.steps = append(o.steps, st)
	}
}

func (o *outcome) step(c *candidate, note string) Step {
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
		o.skipped = append(o.skipped, c.notApplied(fmt.Sprintf(format, args...)))
	}
}

func inScope(p Promotion, l Line) bool {
	switch p.Scope {
	case ScopeProducts:
		return slices.Contains(p.ProductIDs, l.ProductID)
	case ScopeCategories:
		return slices.ContainsFunc(l.CategoryIDs, func(id int64) bool { return slices.Contains(p.CategoryIDs, id) })
	}
	return true
}

// scope is the lines p looks at that still cost something, and their sum.
func (o *outcome) scope(p Promotion) (idx []int, base int64) {
	for i, l := range o.lines {
		if l.amount > 0 && inScope(p, l.Line) {
			idx = append(idx, i)
			base += l.amount
		}
	}
	return idx, base
}

// spread allocates off over the lines idx by their amounts.
func (o *outcome) spread(c *candidate, idx []int, off int64, note string) {
	weights := make([]int64, len(idx))
	for k, i := range idx {
		weights[k] = o.lines[i].amount
	}
	offs := make([]int64, len(o.lines))
	for k, share := range Allocate(off, weights) {
		offs[idx[k]] = share
	}
	o.record(o.step(c, note), offs)
}

// capped applies p.Cap to off and says so.
func (o *outcome) capped(p Promotion, off int64) (int64, string) {
	if p.Cap > 0 && off > p.Cap {
		return p.Cap, o.notef("capped at %s", money(p.Cap))
	}
	return off, ""
}

// below checks the threshold of p against base.
func (o *outcome) below(c *candidate, base int64) bool {
	if base < c.p.Threshold {
		o.skip(c, "spend %s in scope to qualify; %s more needed", money(c.p.Threshold), money(c.p.Threshold-base))
		return true
	}
	return false
}

// member gives each line the lowest of its list price, its member price
// (for members) and the member discounts: they compete, never stack.
func (o *outcome) member(tier string, members []*candidate) {
	byPrice := make([]int64, len(o.lines))
	byPromo := make([][]int64, len(members))
	for k := range members {
		byPromo[k] = make([]int64, len(o.lines))
	}
	inAny := make([]bool, len(members))
	for i, l := range o.lines {
		best, winner := l.amount, -1
		if tier != "" && l.MemberPrice > 0 && l.MemberPrice < l.ListPrice {
			best = l.MemberPrice * l.Quantity
		}
		for k, c := range members {
			if !inScope(c.p, l.Line) {
				continue
			}
			inAny[k] = true
			if v := l.amount - mulDivRound(l.amount, c.p.TierRatesBP[tier], maxRateBP); v < best {
				best, winner = v, k
			}
		}
		if winner < 0 {
			byPrice[i] = l.amount - best
		} else {
			byPromo[winner][i] = l.amount - best
		}
	}
	if slices.ContainsFunc(byPrice, func(v int64) bool { return v > 0 }) {
		o.record(Step{Stage: StageMember, Name: "会员价 member price"}, byPrice)
	}
	for k, c := range members {
		switch {
		case !inAny[k]:
			o.skip(c, "no item in scope")
		case !slices.ContainsFunc(byPromo[k], func(v int64) bool { return v > 0 }):
			o.skip(c, "the member price or another member discount is lower on every item")
		default:
			o.record(o.step(c, o.notef("%s: %s off", tier, rate(c.p.TierRatesBP[tier]))), byPromo[k])
		}
	}
}

func (o *outcome) percentOff(c *candidate) {
	idx, base := o.scope(c.p)
	if len(idx) == 0 {
		o.skip(c, "no item in scope")
		return
	}
	if o.below(c, base) {
		return
	}
	off, note := o.capped(c.p, mulDivRound(base, c.p.RateBP, maxRateBP))
	if off == 0 {
		o.skip(c, "%s off %s rounds to ¥0.00", rate(c.p.RateBP), money(base))
		return
	}
	o.spread(c, idx, off, joinNote(o.notef("%s off", rate(c.p.RateBP)), note))
}

func (o *outcome) fixedOff(c *candidate) {
	idx, base := o.scope(c.p)
	if len(idx) == 0 {
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
	offs := make([]int64, len(o.lines))
	var total int64
	for _, i := range idx {
		l := o.lines[i]
		offs[i] = min(c.p.Amount*l.Quantity, l.amount)
		total += offs[i]
	}
	off, note := o.capped(c.p, total)
	if off < total {
		offs = Allocate(off, offs)
	}
	o.record(o.step(c, joinNote(o.notef("%s off each unit", money(c.p.Amount)), note)), offs)
}

// buyNGetM makes the cheapest units free: for every N+M units in scope, M.
func (o *outcome) buyNGetM(c *candidate) {
	idx, _ := o.scope(c.p)
	var units int64
	for _, i := range idx {
		units += o.lines[i].Quantity
	}
	group := c.p.BuyN + c.p.GetM
	free := units / group * c.p.GetM
	if free == 0 {
		o.skip(c, "buy %d to get %d free; %d in scope", c.p.BuyN, c.p.GetM, units)
		return
	}
	// Cheapest unit first: a/q < b/r ⇔ a·r < b·q (amounts ≤ 1e13, quantities ≤ 999).
	slices.SortStableFunc(idx, func(a, b int) int {
		la, lb := o.lines[a], o.lines[b]
		x, y := la.amount*lb.Quantity, lb.amount*la.Quantity
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	offs := make([]int64, len(o.lines))
	var total int64
	for _, i := range idx {
		if free == 0 {
			break
		}
		l := o.lines[i]
		k := min(free, l.Quantity)
		free -= k
		offs[i] = mulDivRound(l.amount, k, l.Quantity)
		total += offs[i]
	}
	off, note := o.capped(c.p, total)
	if off < total {
		offs = Allocate(off, offs)
	}
	o.record(o.step(c, joinNote(o.notef("buy %d get %d free, cheapest free", c.p.BuyN, c.p.GetM), note)), offs)
}

// bundle charges BundlePrice for every complete set of BundleSKUs.
func (o *outcome) bundle(c *candidate) {
	var idx []int
	sets := int64(MaxQuantity + 1)
	for _, sku := range c.p.BundleSKUs {
		i := slices.IndexFunc(o.lines, func(l lineState) bool { return l.SKUID == sku && l.amount > 0 })
		if i < 0 {
			o.skip(c, "add SKU %d to complete the bundle", sku)
			return
		}
		idx = append(idx, i)
		sets = min(sets, o.lines[i].Quantity)
	}
	parts := make([]int64, len(idx))
	var sum int64
	for k, i := range idx {
		l := o.lines[i]
		parts[k] = mulDivRound(l.amount, sets, l.Quantity)
		sum += parts[k]
	}
	off := sum - sets*c.p.BundlePrice
	if off <= 0 {
		o.skip(c, "the items already cost %s, not more than the bundle price %s", money(sum), money(sets*c.p.BundlePrice))
		return
	}
	off, note := o.capped(c.p, off)
	offs := make([]int64, len(o.lines))
	for k, share := range Allocate(off, parts) {
		offs[idx[k]] = share
	}
	o.record(o.step(c, joinNote(o.notef("%d set(s) at %s", sets, money(c.p.BundlePrice)), note)), offs)
}

// tieredOff is 满减: the highest level reached, or with Repeat 每满 the one
// level as many times as the spend covers it.
func (o *outcome) tieredOff(c *candidate) {
	idx, base := o.scope(c.p)
	lv := -1
	for i, l := range c.p.Levels {
		if base >= l.Threshold {
			lv = i
		}
	}
	if lv < 0 {
		first := c.p.Levels[0]
		o.skip(c, "spend %s in scope for 满%s减%s; %s more needed", money(first.Threshold), wholeYuan(first.Threshold), wholeYuan(first.Off), money(first.Threshold-base))
		return
	}
	l := c.p.Levels[lv]
	off, note := l.Off, o.notef("满%s减%s", wholeYuan(l.Threshold), wholeYuan(l.Off))
	if c.p.Repeat {
		times := base / l.Threshold
		off, note = times*l.Off, o.notef("每满%s减%s ×%d", wholeYuan(l.Threshold), wholeYuan(l.Off), times)
	}
	off, capNote := o.capped(c.p, min(off, base))
	o.spread(c, idx, off, joinNote(note, capNote))
}

// gift adds the gift line once the threshold is met.
func (o *outcome) gift(c *candidate) {
	idx, base := o.scope(c.p)
	if len(idx) == 0 {
		o.skip(c, "no item in scope")
		return
	}
	if o.below(c, base) {
		return
	}
	g := c.p.Gift
	if !g.InStock {
		o.skip(c, "gift SKU %d is out of stock, not added", g.SKUID)
		return
	}
	o.gifts = append(o.gifts, LineResult{SKUID: g.SKUID, ProductID: g.ProductID, Quantity: g.Quantity, Gift: true,
		Discounts: []Discount{}, Explanation: []string{"赠品 gift: " + c.p.Name}})
	o.steps = append(o.steps, o.step(c, o.notef("gift SKU %d ×%d added", g.SKUID, g.Quantity)))
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
	used := min(p.Amount, mulDiv(left, share, maxRateBP))
	note := ""
	if used < p.Amount {
		note = o.notef("capped at %s of %s left to pay", rate(share), money(left))
	}
	weights := make([]int64, len(o.lines))
	for i, l := range o.lines {
		weights[i] = l.amount
	}
	o.record(Step{Stage: StagePoints, Name: "积分抵现 points", Note: note}, Allocate(used, weights))
	o.pointsUsed = used
}

func (o *outcome) result(skipped []NotApplied) Result {
	r := Result{Lines: make([]LineResult, 0, len(o.lines)+len(o.gifts)), Steps: o.steps, NotApplied: skipped, PointsUsed: o.pointsUsed}
	for _, l := range o.lines {
		lr := LineResult{SKUID: l.SKUID, ProductID: l.ProductID, Quantity: l.Quantity, ListPrice: l.ListPrice,
			UnitPrice: l.amount / l.Quantity, Total: l.amount, Discount: l.ListPrice*l.Quantity - l.amount,
			Discounts: l.discounts, Explanation: []string{}}
		if lr.Discounts == nil {
			lr.Discounts = []Discount{}
			lr.Explanation = append(lr.Explanation, "list price")
		}
		for _, d := range l.discounts {
			lr.Explanation = append(lr.Explanation, d.Name+": −"+yuan(d.Off))
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

func yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s¥%d.%02d", sign, fen/100, fen%100)
}

// whole reads 分 as yuan the way shops write 满300减50: no decimals when whole.
func whole(fen int64) string {
	if fen%100 == 0 {
		return fmt.Sprintf("%d", fen/100)
	}
	return yuan(fen)[len("¥"):]
}

// bp reads a rate in basis points as a percentage: 2000 → 20%, 1250 → 12.5%.
func bp(v int64) string {
	s := fmt.Sprintf("%d", v/100)
	if r := v % 100; r != 0 {
		s += fmt.Sprintf(".%02d", r)
		if r%10 == 0 {
			s = s[:len(s)-1]
		}
	}
	return s + "%"
}

func joinNote(a, b string) string {
	if b == "" {
		return a
	}
	if a == "" {
		return b
	}
	return a + ", " + b
}
