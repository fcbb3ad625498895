// Package price is the seam between the order and the promotions engine:
// the server, never the client, decides what every line costs. The default
// Pricer charges each SKU's list price; the promotions engine plugs in
// behind the same interface.
package price

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/db"
)

// Limits on what one order or cart may ask for.
const (
	MaxQuantity = 999 // units of one SKU per line
	MaxLines    = 100 // lines per order
)

// ErrNotOnSale: a SKU exists but its product is a draft or off the shelf.
var ErrNotOnSale = fmt.Errorf("not on sale: %w", apperr.ErrConflict)

// Line is what a buyer asks for: a SKU and how many. There is no price.
type Line struct {
	SKUID    int64 `json:"sku_id"`
	Quantity int64 `json:"quantity"`
}

// Request asks for the price of lines for a customer (0: a guest) on a
// channel at an instant; promotions depend on all four.
type Request struct {
	CustomerID int64
	Channel    string
	Lines      []Line
	At         time.Time
	// Coupons are ids of the buyer's own coupons to use; the pricer
	// refuses one that is not theirs or not usable (a FieldError on
	// "coupons").
	Coupons []int64
	// Points is how many of the buyer's points to redeem (0: none).
	Points int64
	// GroupBuy: the checkout opens or joins a group (拼团) and is priced
	// at the group price (internal/groupbuy); nil for any other order.
	GroupBuy *GroupBuy
}

// GroupBuy is what a group-buy checkout is for: opening a group of a
// campaign (the buyer leads it, under a new share code) or joining the
// group with a share code.
type GroupBuy struct {
	CampaignID int64  // Open: the campaign
	Code       string // the group's share code: new for Open, given for Join
	Open       bool
}

// Applied is one promotion, coupon or points redemption that took money
// off the order, for the order's record and the promotion's results. The
// checkout hooks read it to take what the order holds (a coupon is locked
// by the order that applied it).
type Applied struct {
	Kind        string `json:"kind"` // promotion, coupon, points, flash_sale
	PromotionID int64  `json:"promotion_id,omitempty"`
	CouponID    int64  `json:"coupon_id,omitempty"`
	Name        string `json:"name"`
	Off         int64  `json:"off"`              // 分 taken off the order
	Points      int64  `json:"points,omitempty"` // points redeemed
}

// LinePrice is one priced line. ListPrice and UnitPrice are per unit;
// Discount is what promotions took off the whole line, so
// Total = ListPrice × Quantity − Discount. UnitCost is the SKU's cost, kept
// on the order for the margin.
type LinePrice struct {
	SKUID     int64  `json:"sku_id"`
	ProductID int64  `json:"product_id"`
	Title     string `json:"title"`
	Spec      string `json:"spec"`
	Code      string `json:"code"`
	Quantity  int64  `json:"quantity"`
	ListPrice int64  `json:"list_price"`
	UnitPrice int64  `json:"unit_price"`
	Discount  int64  `json:"discount"`
	Total     int64  `json:"total"`
	UnitCost  int64  `json:"-"`
	// CategoryID is the product's category (0: none), for promotions
	// scoped to categories.
	CategoryID  int64    `json:"-"`
	Explanation []string `json:"explanation"`
	// Gift: a line a promotion added at price 0 (赠品); when its stock runs
	// out before the checkout commits, the order goes on without it.
	Gift bool `json:"gift,omitempty"`
	// FlashItemID: the line is sold from this flash-sale item's pool,
	// whose units are reserved already (the checkout does not reserve
	// them again).
	FlashItemID int64 `json:"flash_item_id,omitempty"`
	// Stock says how the order treats the line's units: StockShelf, the
	// checkout reserves them; StockPool, a promotion's pool holds them
	// reserved already (the checkout does not reserve them and an unpaid
	// order that closes does not release them; the pool's hook does);
	// StockNone, the line moves no goods at all (a presale deposit, 定金:
	// money toward goods another order delivers).
	Stock string `json:"stock,omitempty"`
}

// How an order line treats stock (LinePrice.Stock).
const (
	StockShelf = ""
	StockPool  = "pool"
	StockNone  = "none"
)

// Priced is the answer: every line and the totals (before shipping).
type Priced struct {
	Lines       []LinePrice `json:"lines"`
	Currency    string      `json:"currency"`
	ItemsTotal  int64       `json:"items_total"`    // Σ list price × quantity
	Discount    int64       `json:"discount_total"` // Σ line discounts
	Total       int64       `json:"total"`          // ItemsTotal − Discount
	CostTotal   int64       `json:"-"`
	Explanation []string    `json:"explanation"`
	Applied     []Applied   `json:"applied"`
	// FreeShipping waives the order's shipping fee whatever its total (a
	// member tier's benefit, a promotion); the pricer says why in
	// Explanation.
	FreeShipping bool `json:"free_shipping,omitempty"`
	// PointsOffer is what the signed-in buyer's points can take off this
	// basket (nil: a guest, a buyer without points, or the store takes
	// none).
	PointsOffer *PointsOffer `json:"points_offer,omitempty"`
}

// PointsOffer is the most the buyer's points can pay on a basket: Usable
// points (at most Balance) take Off 分 off, at PerYuan points a ¥1 and at
// most MaxShareBP of what is left to pay after promotions and coupons.
// Asking for Usable points at checkout takes exactly Off.
type PointsOffer struct {
	Balance    int64 `json:"balance"`
	Usable     int64 `json:"usable"`
	Off        int64 `json:"off"`
	PerYuan    int64 `json:"points_per_yuan"`
	MaxShareBP int64 `json:"max_share_bp"`
}

// Pricer prices lines. Implementations refuse what CheckLines refuses,
// unknown SKUs (a FieldError naming the line) and SKUs not on sale
// (ErrNotOnSale).
type Pricer interface {
	Price(ctx context.Context, r Request) (Priced, error)
}

// CheckLines refuses what no pricer should price: no lines, too many, a
// quantity outside 1…MaxQuantity, a SKU twice. The error names the field
// the API uses (lines[2].quantity).
func CheckLines(lines []Line) error {
	if len(lines) == 0 {
		return apperr.Field("lines", "add at least one item")
	}
	if len(lines) > MaxLines {
		return apperr.Field("lines", "at most %d lines per order (this has %d)", MaxLines, len(lines))
	}
	seen := make(map[int64]int, len(lines))
	for i, l := range lines {
		if l.SKUID <= 0 {
			return apperr.Field(fmt.Sprintf("lines[%d].sku_id", i), "must be the id of a SKU, not %d", l.SKUID)
		}
		if l.Quantity <= 0 || l.Quantity > MaxQuantity {
			return apperr.Field(fmt.Sprintf("lines[%d].quantity", i), "must be from 1 to %d, not %d", MaxQuantity, l.Quantity)
		}
		if j, dup := seen[l.SKUID]; dup {
			return apperr.Field(fmt.Sprintf("lines[%d].sku_id", i), "SKU %d is already in lines[%d]; change that line's quantity instead", l.SKUID, j)
		}
		seen[l.SKUID] = i
	}
	return nil
}

// ListPricer charges every SKU its list price: the default until the
// promotions engine takes over.
type ListPricer struct {
	DB *db.DB
}

// Price implements Pricer.
func (p ListPricer) Price(ctx context.Context, r Request) (Priced, error) {
	out, err := List(ctx, p.DB, r.Lines)
	if err != nil {
		return Priced{}, err
	}
	if len(r.Coupons) > 0 {
		return Priced{}, apperr.Field("coupons", "coupons are not taken at list prices; leave coupons empty")
	}
	if r.Points > 0 {
		return Priced{}, apperr.Field("points", "points are not taken at list prices; leave points at 0")
	}
	return out, nil
}

// BasePrice is the unit price a line starts from instead of its SKU's list
// price, with why (for the line's explanation).
type BasePrice struct {
	Unit int64
	Why  string
}

type baseKey struct{}

// WithBasePrices returns ctx in which List starts the given SKUs' lines at
// a base price instead of their list price: the price a deal of its own
// fixed before the store's promotions and coupons apply to what is left
// (a presale's tail, 尾款). Every pricer that lays its discounts over List
// then discounts from the base.
func WithBasePrices(ctx context.Context, base map[int64]BasePrice) context.Context {
	return context.WithValue(ctx, baseKey{}, base)
}

// List prices lines at their SKUs' list prices (or the base prices the
// context carries, see WithBasePrices) with every refusal of a Pricer
// (CheckLines, unknown SKUs, ErrNotOnSale, mixed currencies): the base
// other pricers lay their discounts over.
func List(ctx context.Context, q db.Queryer, lines []Line) (Priced, error) {
	if err := CheckLines(lines); err != nil {
		return Priced{}, err
	}
	skus, err := loadSKUs(ctx, q, lines)
	if err != nil {
		return Priced{}, err
	}
	r := Request{Lines: lines}
	base, _ := ctx.Value(baseKey{}).(map[int64]BasePrice)
	out := Priced{Lines: make([]LinePrice, 0, len(r.Lines)), Explanation: []string{}, Applied: []Applied{}}
	for i, l := range r.Lines {
		k, ok := skus[l.SKUID]
		field := fmt.Sprintf("lines[%d].sku_id", i)
		if !ok {
			return Priced{}, apperr.Field(field, "there is no SKU %d", l.SKUID)
		}
		if k.status != "on_sale" {
			return Priced{}, fmt.Errorf("%s: %s (%s) is %s: %w", field, k.title, k.code, strings.ReplaceAll(k.status, "_", " "), ErrNotOnSale)
		}
		if out.Currency == "" {
			out.Currency = k.currency
		} else if out.Currency != k.currency {
			return Priced{}, apperr.Field(field, "%s is priced in %s but the order is in %s; buy it in a separate order", k.code, k.currency, out.Currency)
		}
		lp := LinePrice{SKUID: k.id, ProductID: k.productID, Title: k.title, Spec: k.spec, Code: k.code, Quantity: l.Quantity,
			ListPrice: k.listPrice, UnitPrice: k.listPrice, Total: k.listPrice * l.Quantity, UnitCost: k.cost,
			CategoryID: k.categoryID, Explanation: []string{"list price"}}
		if b, ok := base[l.SKUID]; ok {
			lp.ListPrice, lp.UnitPrice, lp.Total, lp.Explanation = b.Unit, b.Unit, b.Unit*l.Quantity, []string{b.Why}
		}
		out.Lines = append(out.Lines, lp)
		out.ItemsTotal += lp.ListPrice * lp.Quantity
		out.Discount += lp.Discount
		out.CostTotal += lp.UnitCost * lp.Quantity
	}
	out.Total = out.ItemsTotal - out.Discount
	return out, nil
}

type skuRow struct {
	id, productID, listPrice, cost int64
	categoryID                     int64
	code, spec, title, status      string
	currency                       string
}

func loadSKUs(ctx context.Context, q db.Queryer, lines []Line) (map[int64]skuRow, error) {
	ids := make([]int64, len(lines))
	for i, l := range lines {
		ids[i] = l.SKUID
	}
	slices.Sort(ids)
	var args []any
	ph := make([]string, len(ids))
	for i, id := range ids {
		args = append(args, id)
		ph[i] = "$" + strconv.Itoa(i+1)
	}
	rows, err := q.Query(ctx, `SELECT k.id, k.product_id, k.list_price, k.cost_price, k.code, k.spec, p.title, p.status, k.currency,
			COALESCE(p.category_id, 0) FROM skus k JOIN products p ON p.id = k.product_id WHERE k.id IN (`+strings.Join(ph, ",")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("price: load SKUs: %w", err)
	}
	defer rows.Close()
	out := make(map[int64]skuRow, len(ids))
	for rows.Next() {
		var k skuRow
		if err := rows.Scan(&k.id, &k.productID, &k.listPrice, &k.cost, &k.code, &k.spec, &k.title, &k.status, &k.currency, &k.categoryID); err != nil {
			return nil, fmt.Errorf("price: load SKUs: %w", err)
		}
		out[k.id] = k
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("price: load SKUs: %w", err)
	}
	return out, nil
}
