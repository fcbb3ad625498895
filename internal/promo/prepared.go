package promo

import (
	"math/bits"
)

// Prepared is a store's promotions validated and indexed once, for
// pricing many carts: a storefront keeps one while its promotions do not
// change. Pricing a cart then looks only at the promotions that touch one
// of its lines (by product, category or bundle SKU) and those scoped to
// the whole order, instead of at every promotion of the store.
//
// A Prepared is read-only after Prepare and safe for concurrent use.
type Prepared struct {
	promos     []Promotion
	invalid    []NotApplied
	order      []int32 // scoped to the whole order: touch every cart
	byProduct  map[int64][]int32
	byCategory map[int64][]int32
	bySKU      map[int64][]int32 // bundles, by each of their SKUs
}

// Prepare validates and indexes ps (copied). Invalid promotions are
// reported in every Result's NotApplied, as Price reports them.
func Prepare(ps []Promotion) *Prepared {
	p := &Prepared{byProduct: map[int64][]int32{}, byCategory: map[int64][]int32{}, bySKU: map[int64][]int32{}}
	for _, pr := range ps {
		if err := pr.Validate(); err != nil {
			p.invalid = append(p.invalid, NotApplied{PromotionID: pr.ID, Name: pr.Name, Reason: "invalid: " + err.Error()})
			continue
		}
		i := int32(len(p.promos))
		p.promos = append(p.promos, pr)
		switch {
		case pr.Kind == KindBundle:
			for _, sku := range pr.BundleSKUs {
				p.bySKU[sku] = append(p.bySKU[sku], i)
			}
		case pr.Scope == ScopeProducts:
			for _, id := range pr.ProductIDs {
				p.byProduct[id] = append(p.byProduct[id], i)
			}
		case pr.Scope == ScopeCategories:
			for _, id := range pr.CategoryIDs {
				p.byCategory[id] = append(p.byCategory[id], i)
			}
		default:
			p.order = append(p.order, i)
		}
	}
	return p
}

// Len is the number of valid promotions held.
func (p *Prepared) Len() int { return len(p.promos) }

// Promotions are the valid promotions held, in their input order.
func (p *Prepared) Promotions() []Promotion { return p.promos }

// touching lists, in input order and once each, the promotions that touch
// a line of the cart. For those scoped to products or categories it also
// marks, in scope (one entry per promotion, all 0 on the way in and left
// for the caller to clear), the lines they hold: their scope, found by
// the index instead of by comparing every line with every id.
func (p *Prepared) touching(lines []Line, scope []lineSet) []int32 {
	var small [8]uint64
	set := small[:]
	if words := (len(p.promos) + 63) / 64; words > len(small) {
		set = make([]uint64, words)
	}
	mark := func(ids []int32) {
		for _, i := range ids {
			set[i/64] |= 1 << (i % 64)
		}
	}
	markLine := func(ids []int32, line int) {
		mark(ids)
		for _, i := range ids {
			scope[i][line/64] |= 1 << (line % 64)
		}
	}
	mark(p.order)
	for i := range lines {
		l := &lines[i]
		markLine(p.byProduct[l.ProductID], i)
		mark(p.bySKU[l.SKUID])
		for _, c := range l.CategoryIDs {
			markLine(p.byCategory[c], i)
		}
	}
	n := 0
	for _, w := range set {
		n += bits.OnesCount64(w)
	}
	out := make([]int32, 0, n)
	for k, w := range set {
		for w != 0 {
			b := bits.TrailingZeros64(w)
			out = append(out, int32(k*64+b))
			w &= w - 1
		}
	}
	return out
}
