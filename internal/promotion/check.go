package promotion

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audience"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/promo"
)

// refs is what the catalog says about the ids a promotion names.
type refs struct {
	products   map[int64]string // id → title
	productCat map[int64]int64  // product → its category (0: none)
	minPrice   map[int64]int64  // product → its cheapest SKU's list price
	categories map[int64]int64  // every category → its parent (0: top)
	skus       map[int64]skuRef
	// customSegments are the saved custom segments named as audiences
	// (custom:12), id → name.
	customSegments map[int64]string
}

type skuRef struct {
	productID, listPrice int64
	code                 string
}

// ancestors is c and every category above it.
func (r refs) ancestors(c int64) []int64 {
	var out []int64
	for seen := 0; c != 0 && seen < 64; seen++ {
		out = append(out, c)
		c = r.categories[c]
	}
	return out
}

// loadRefs reads the products, categories and SKUs that ps name.
func loadRefs(ctx context.Context, q db.Queryer, ps ...promo.Promotion) (refs, error) {
	r := refs{products: map[int64]string{}, productCat: map[int64]int64{}, minPrice: map[int64]int64{}, categories: map[int64]int64{}, skus: map[int64]skuRef{},
		customSegments: map[int64]string{}}
	for _, id := range customIDs(ps) {
		g, err := audience.Get(ctx, q, id)
		switch {
		case errors.Is(err, audience.ErrNotFound):
		case err != nil:
			return r, fmt.Errorf("promotion: load custom segment %d: %w", id, err)
		default:
			r.customSegments[id] = g.Name
		}
	}
	var productIDs, skuIDs []int64
	for _, p := range ps {
		productIDs = append(productIDs, p.ProductIDs...)
		skuIDs = append(skuIDs, p.BundleSKUs...)
		if p.Gift.SKUID > 0 {
			skuIDs = append(skuIDs, p.Gift.SKUID)
		}
	}
	rows, err := q.Query(ctx, `SELECT id, COALESCE(parent_id, 0) FROM categories`)
	if err != nil {
		return r, fmt.Errorf("promotion: load categories: %w", err)
	}
	for rows.Next() {
		var id, parent int64
		if err := rows.Scan(&id, &parent); err != nil {
			rows.Close()
			return r, err
		}
		r.categories[id] = parent
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return r, err
	}
	if len(skuIDs) > 0 {
		rows, err := q.Query(ctx, `SELECT id, product_id, list_price, code FROM skus WHERE id IN (`+db.Placeholders(len(skuIDs), 1)+`)`, db.Args(skuIDs)...)
		if err != nil {
			return r, fmt.Errorf("promotion: load SKUs: %w", err)
		}
		for rows.Next() {
			var id int64
			var k skuRef
			if err := rows.Scan(&id, &k.productID, &k.listPrice, &k.code); err != nil {
				rows.Close()
				return r, err
			}
			r.skus[id] = k
			productIDs = append(productIDs, k.productID)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return r, err
		}
	}
	if len(productIDs) > 0 {
		rows, err := q.Query(ctx, `SELECT p.id, p.title, COALESCE(p.category_id, 0), COALESCE(MIN(k.list_price), 0)
			FROM products p LEFT JOIN skus k ON k.product_id = p.id
			WHERE p.id IN (`+db.Placeholders(len(productIDs), 1)+`) GROUP BY p.id, p.title, p.category_id`, db.Args(productIDs)...)
		if err != nil {
			return r, fmt.Errorf("promotion: load products: %w", err)
		}
		for rows.Next() {
			var id, cat, low int64
			var title string
			if err := rows.Scan(&id, &title, &cat, &low); err != nil {
				rows.Close()
				return r, err
			}
			r.products[id], r.productCat[id], r.minPrice[id] = title, cat, low
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return r, err
		}
	}
	return r, nil
}

// normalize trims what the operator typed and fills what the server
// decides: the gift's product comes from its SKU, and a bundle's scope is
// its SKUs (stored as order so the scope check passes).
func normalize(in Input, r refs) Input {
	in.Name = strings.TrimSpace(in.Name)
	in.Note = strings.TrimSpace(in.Note)
	in.Group = strings.TrimSpace(in.Group)
	in.ID = 0
	if in.Scope == "" {
		in.Scope = promo.ScopeOrder
	}
	if in.Kind == promo.KindGift {
		if k, ok := r.skus[in.Gift.SKUID]; ok {
			in.Gift.ProductID = k.productID
		}
		in.Gift.InStock = false // decided at every pricing from the stock
	}
	if in.Kind == promo.KindBundle {
		in.Scope = promo.ScopeOrder
	}
	return in
}

// check is the store's validation of p on top of promo.Promotion.Validate:
// the ids it names exist, and no discount is larger than what it
// requires the buyer to spend.
func check(p promo.Promotion, r refs) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if len(p.Name) > 200 {
		return apperr.Field("name", "at most 200 bytes; buyers read it on the checkout page")
	}
	if err := checkSegments(p, r); err != nil {
		return err
	}
	if p.Scope == promo.ScopeProducts {
		for i, id := range p.ProductIDs {
			if _, ok := r.products[id]; !ok {
				return apperr.Field(fmt.Sprintf("product_ids[%d]", i), "there is no product %d", id)
			}
		}
	}
	if p.Scope == promo.ScopeCategories {
		for i, id := range p.CategoryIDs {
			if _, ok := r.categories[id]; !ok {
				return apperr.Field(fmt.Sprintf("category_ids[%d]", i), "there is no category %d", id)
			}
		}
	}
	switch p.Kind {
	case promo.KindFixedOff:
		if !p.PerUnit && p.Threshold > 0 && p.Amount >= p.Threshold {
			return apperr.Field("amount", "¥%s off is not below the threshold ¥%s: the buyer would get the items for nothing; raise the threshold or lower the amount",
				yuan(p.Amount), yuan(p.Threshold))
		}
		if p.PerUnit && p.Scope == promo.ScopeProducts {
			for _, id := range p.ProductIDs {
				if low := r.minPrice[id]; low > 0 && p.Amount >= low {
					return apperr.Field("amount", "¥%s off each unit is not below the price of %s (¥%s): it would be free; lower the amount",
						yuan(p.Amount), r.products[id], yuan(low))
				}
			}
		}
	case promo.KindTieredOff:
		for i, l := range p.Levels {
			if l.Off >= l.Threshold {
				return apperr.Field(fmt.Sprintf("levels[%d].off", i), "满%s减%s takes off as much as the buyer spends; the discount must be below the threshold",
					yuan(l.Threshold), yuan(l.Off))
			}
		}
	case promo.KindBundle:
		var sum int64
		for i, id := range p.BundleSKUs {
			k, ok := r.skus[id]
			if !ok {
				return apperr.Field(fmt.Sprintf("bundle_skus[%d]", i), "there is no SKU %d", id)
			}
			sum += k.listPrice
		}
		if p.BundlePrice >= sum {
			return apperr.Field("bundle_price", "the bundle's SKUs cost ¥%s together at list price, so a bundle price of ¥%s saves the buyer nothing; set it below ¥%s",
				yuan(sum), yuan(p.BundlePrice), yuan(sum))
		}
	case promo.KindGift:
		if _, ok := r.skus[p.Gift.SKUID]; !ok {
			return apperr.Field("gift.sku_id", "there is no SKU %d", p.Gift.SKUID)
		}
	}
	return nil
}

// checkLive is what scheduling adds: the window is not over, and no other
// exclusive promotion runs at the same time on the same items.
func checkLive(p promo.Promotion, others []Promotion, r refs, now time.Time, loc *time.Location) error {
	if !p.EndsAt.IsZero() && !p.EndsAt.After(now) {
		return apperr.Field("ends_at", "%s is already past, so the promotion would never run; move ends_at later", p.EndsAt.In(loc).Format("2006-01-02 15:04"))
	}
	if !p.Exclusive {
		return nil
	}
	for _, o := range others {
		if o.ID == p.ID || !o.Exclusive || (o.Stored != StatusScheduled && o.Stored != StatusPaused) || o.Status == StatusEnded {
			continue
		}
		if overlapsInTime(p, o.Promotion) && overlapsInScope(p, o.Promotion, r) {
			return apperr.Field("exclusive", "overlaps with exclusive promotion #%d “%s” (%s) on the same items: an exclusive promotion applies alone, so only one of them would ever apply. Move the dates, narrow the scope, or untick exclusive on one of them",
				o.ID, o.Name, window(o.Promotion, loc))
		}
	}
	return nil
}

func window(p promo.Promotion, loc *time.Location) string {
	f := func(t time.Time, open string) string {
		if t.IsZero() {
			return open
		}
		return t.In(loc).Format("2006-01-02 15:04")
	}
	return f(p.StartsAt, "from now") + " – " + f(p.EndsAt, "open-ended")
}

// overlapsInTime: the windows [starts, ends) meet and the themed days can
// fall on the same day.
func overlapsInTime(a, b promo.Promotion) bool {
	if !a.EndsAt.IsZero() && !b.StartsAt.IsZero() && !a.EndsAt.After(b.StartsAt) {
		return false
	}
	if !b.EndsAt.IsZero() && !a.StartsAt.IsZero() && !b.EndsAt.After(a.StartsAt) {
		return false
	}
	sa, sb := a.Schedule, b.Schedule
	onlyWeekdays := func(s promo.Schedule) bool { return len(s.Weekdays) > 0 && len(s.MonthDays) == 0 }
	onlyMonthDays := func(s promo.Schedule) bool { return len(s.MonthDays) > 0 && len(s.Weekdays) == 0 }
	if onlyWeekdays(sa) && onlyWeekdays(sb) {
		return slices.ContainsFunc(sa.Weekdays, func(d time.Weekday) bool { return slices.Contains(sb.Weekdays, d) })
	}
	if onlyMonthDays(sa) && onlyMonthDays(sb) {
		return slices.ContainsFunc(sa.MonthDays, func(d int) bool { return slices.Contains(sb.MonthDays, d) })
	}
	return true
}

// reach is what a promotion's scope covers: every product, or products
// and categories (a category covers its subcategories).
type reach struct {
	all        bool
	products   []int64
	categories []int64
}

func reachOf(p promo.Promotion, r refs) reach {
	if p.Kind == promo.KindBundle {
		var out reach
		for _, id := range p.BundleSKUs {
			out.products = append(out.products, r.skus[id].productID)
		}
		return out
	}
	switch p.Scope {
	case promo.ScopeProducts:
		return reach{products: p.ProductIDs}
	case promo.ScopeCategories:
		return reach{categories: p.CategoryIDs}
	}
	return reach{all: true}
}

// covers: category c is one of cats or below one of them.
func (r refs) covers(cats []int64, c int64) bool {
	return slices.ContainsFunc(r.ancestors(c), func(a int64) bool { return slices.Contains(cats, a) })
}

func overlapsInScope(a, b promo.Promotion, r refs) bool {
	x, y := reachOf(a, r), reachOf(b, r)
	if x.all || y.all {
		return true
	}
	if slices.ContainsFunc(x.products, func(id int64) bool { return slices.Contains(y.products, id) }) {
		return true
	}
	if slices.ContainsFunc(x.products, func(id int64) bool { return r.covers(y.categories, r.productCat[id]) }) ||
		slices.ContainsFunc(y.products, func(id int64) bool { return r.covers(x.categories, r.productCat[id]) }) {
		return true
	}
	// Two category sets meet when one holds a category at or below one of
	// the other's.
	return slices.ContainsFunc(x.categories, func(c int64) bool { return r.covers(y.categories, c) }) ||
		slices.ContainsFunc(y.categories, func(c int64) bool { return r.covers(x.categories, c) })
}

func yuan(fen int64) string {
	if fen%100 == 0 {
		return strconv.FormatInt(fen/100, 10)
	}
	return fmt.Sprintf("%d.%02d", fen/100, fen%100)
}

func itoa[T ~int | ~int64](n T) string { return strconv.FormatInt(int64(n), 10) }
