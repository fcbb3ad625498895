package catalog

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/storeops/storeops/internal/apperr"
)

// Roles in the product matrix: 引流款 brings visitors in at a thin margin,
// 利润款 earns the margin, 长尾款 fills out the range.
const (
	RoleTraffic  = "traffic"
	RoleProfit   = "profit"
	RoleLongtail = "longtail"
)

// Statuses: only on_sale products can be bought.
const (
	StatusDraft    = "draft"
	StatusOnSale   = "on_sale"
	StatusOffShelf = "off_shelf"
)

// MaxPrice is the highest price accepted, in 分 (¥1,000,000,000): far above
// anything a shop sells, low enough that sums of many lines stay in int64.
const MaxPrice = 100_000_000_000

const (
	maxTitle       = 200
	maxDescription = 20000
	maxImages      = 30
	maxSKUs        = 200
	maxCode        = 64
	maxSpec        = 100
	maxBarcode     = 64
	maxWeightG     = 10_000_000
	maxAttributes  = 50
	maxAttrKey     = 64
	maxAttrValue   = 500
	maxImageURL    = 2000
)

// Product is an SPU (商品) with its SKUs (规格).
type Product struct {
	ID           int64             `json:"id"`
	Title        string            `json:"title"`
	TitleEn      string            `json:"title_en"`
	CategoryID   *int64            `json:"category_id"`
	CategoryName string            `json:"category_name"`
	Role         string            `json:"role"`
	Status       string            `json:"status"`
	Description  string            `json:"description"`
	Attributes   map[string]string `json:"attributes"`
	Images       []string          `json:"images"`
	SKUs         []SKU             `json:"skus"`
	CreatedAt    time.Time         `json:"created_at"`
	UpdatedAt    time.Time         `json:"updated_at"`
}

// SKU is a variant that is stocked and priced. OnHand, Reserved and
// Available are read from the stock table, which inventory keeps.
type SKU struct {
	ID         int64             `json:"id"`
	ProductID  int64             `json:"product_id"`
	Code       string            `json:"code"`
	Spec       string            `json:"spec"` // e.g. "红色 / M"
	Attributes map[string]string `json:"attributes"`
	ListPrice  int64             `json:"list_price"`
	CostPrice  int64             `json:"cost_price"`
	Currency   string            `json:"currency"`
	Barcode    string            `json:"barcode"`
	WeightG    int64             `json:"weight_g"`
	OnHand     int64             `json:"on_hand"`
	Reserved   int64             `json:"reserved"`
	Available  int64             `json:"available"`
	// MemberPrices are the SKU's member prices by tier code (set with
	// Service.SetMemberPrices, not with the product).
	MemberPrices MemberPrices `json:"member_prices"`
}

// ProductInput is what an operator enters for a product. On update it
// replaces every field, and SKUs is the full list of variants: matched to
// the existing ones by code, new codes added, missing codes removed.
type ProductInput struct {
	Title       string            `json:"title"`
	TitleEn     string            `json:"title_en"`
	CategoryID  *int64            `json:"category_id"`
	Role        string            `json:"role"`   // "": longtail
	Status      string            `json:"status"` // "": draft for a new product, unchanged on update
	Description string            `json:"description"`
	Attributes  map[string]string `json:"attributes"`
	Images      []string          `json:"images"`
	SKUs        []SKUInput        `json:"skus"`
}

// SKUInput is one variant of a ProductInput.
type SKUInput struct {
	Code       string            `json:"code"`
	Spec       string            `json:"spec"`
	Attributes map[string]string `json:"attributes"`
	ListPrice  int64             `json:"list_price"`
	CostPrice  int64             `json:"cost_price"` // may exceed ListPrice: a loss leader is a choice
	Currency   string            `json:"currency"`   // "": CNY
	Barcode    string            `json:"barcode"`
	WeightG    int64             `json:"weight_g"`
}

func (in ProductInput) normalized() ProductInput {
	in.Title = strings.TrimSpace(in.Title)
	in.TitleEn = strings.TrimSpace(in.TitleEn)
	in.Role = strings.TrimSpace(in.Role)
	if in.Role == "" {
		in.Role = RoleLongtail
	}
	in.Status = strings.TrimSpace(in.Status)
	in.Images = slices.Clone(in.Images)
	for i := range in.Images {
		in.Images[i] = strings.TrimSpace(in.Images[i])
	}
	in.SKUs = slices.Clone(in.SKUs)
	for i := range in.SKUs {
		k := &in.SKUs[i]
		k.Code = strings.TrimSpace(k.Code)
		k.Spec = strings.TrimSpace(k.Spec)
		k.Barcode = strings.TrimSpace(k.Barcode)
		k.Currency = strings.ToUpper(strings.TrimSpace(k.Currency))
		if k.Currency == "" {
			k.Currency = "CNY"
		}
	}
	return in
}

// ValidRole reports whether r is a product-matrix role.
func ValidRole(r string) bool { return r == RoleTraffic || r == RoleProfit || r == RoleLongtail }

// ValidStatus reports whether s is a product status.
func ValidStatus(s string) bool { return s == StatusDraft || s == StatusOnSale || s == StatusOffShelf }

// Validate says which field of in is wrong and how, as an *apperr.FieldError
// naming it the way the API does (skus[1].list_price). It judges in as the
// service would store it: trimmed, currency upper-cased, defaults filled.
// Status may be empty.
func (in ProductInput) Validate() error {
	in = in.normalized()
	if in.Title == "" {
		return apperr.Field("title", "give the product a title")
	}
	if n := utf8.RuneCountInString(in.Title); n > maxTitle {
		return apperr.Field("title", "at most %d characters (this is %d)", maxTitle, n)
	}
	if n := utf8.RuneCountInString(in.TitleEn); n > maxTitle {
		return apperr.Field("title_en", "at most %d characters (this is %d)", maxTitle, n)
	}
	if in.CategoryID != nil && *in.CategoryID <= 0 {
		return apperr.Field("category_id", "must be the id of an existing category, or empty")
	}
	if !ValidRole(in.Role) {
		return apperr.Field("role", "must be traffic, profit or longtail, not %q", in.Role)
	}
	if in.Status != "" && !ValidStatus(in.Status) {
		return apperr.Field("status", "must be draft, on_sale or off_shelf, not %q", in.Status)
	}
	if n := utf8.RuneCountInString(in.Description); n > maxDescription {
		return apperr.Field("description", "at most %d characters (this is %d)", maxDescription, n)
	}
	if err := validateAttributes("attributes", in.Attributes); err != nil {
		return err
	}
	if len(in.Images) > maxImages {
		return apperr.Field("images", "at most %d images", maxImages)
	}
	for i, img := range in.Images {
		if err := validateImageURL(img); err != nil {
			return apperr.Field(fmt.Sprintf("images[%d]", i), "%s", err.Error())
		}
	}
	if len(in.SKUs) == 0 {
		return apperr.Field("skus", "a product needs at least one SKU")
	}
	if len(in.SKUs) > maxSKUs {
		return apperr.Field("skus", "at most %d SKUs per product", maxSKUs)
	}
	seen := make(map[string]int, len(in.SKUs))
	for i, k := range in.SKUs {
		if err := k.validate(fmt.Sprintf("skus[%d].", i)); err != nil {
			return err
		}
		if j, dup := seen[k.Code]; dup {
			return apperr.Field(fmt.Sprintf("skus[%d].code", i), "%q is already used by skus[%d]; every SKU needs its own code", k.Code, j)
		}
		seen[k.Code] = i
	}
	return nil
}

func (k SKUInput) validate(prefix string) error {
	if k.Code == "" {
		return apperr.Field(prefix+"code", "give the SKU a code")
	}
	if n := utf8.RuneCountInString(k.Code); n > maxCode {
		return apperr.Field(prefix+"code", "at most %d characters (this is %d)", maxCode, n)
	}
	if strings.ContainsFunc(k.Code, func(r rune) bool { return r <= ' ' }) {
		return apperr.Field(prefix+"code", "no spaces or control characters (%q)", k.Code)
	}
	if n := utf8.RuneCountInString(k.Spec); n > maxSpec {
		return apperr.Field(prefix+"spec", "at most %d characters (this is %d)", maxSpec, n)
	}
	if err := validateAttributes(prefix+"attributes", k.Attributes); err != nil {
		return err
	}
	if err := validatePrice(k.ListPrice); err != nil {
		return apperr.Field(prefix+"list_price", "%s", err.Error())
	}
	if err := validatePrice(k.CostPrice); err != nil {
		return apperr.Field(prefix+"cost_price", "%s", err.Error())
	}
	if !isCurrencyCode(k.Currency) {
		return apperr.Field(prefix+"currency", "%q is not a three-letter ISO 4217 code such as CNY", k.Currency)
	}
	if n := utf8.RuneCountInString(k.Barcode); n > maxBarcode {
		return apperr.Field(prefix+"barcode", "at most %d characters (this is %d)", maxBarcode, n)
	}
	if k.WeightG < 0 || k.WeightG > maxWeightG {
		return apperr.Field(prefix+"weight_g", "must be from 0 to %d grams", maxWeightG)
	}
	return nil
}

func validatePrice(p int64) error {
	if p < 0 {
		return fmt.Errorf("cannot be negative (%d 分)", p)
	}
	if p > MaxPrice {
		return fmt.Errorf("at most %d 分 (¥1,000,000,000)", int64(MaxPrice))
	}
	return nil
}

func isCurrencyCode(c string) bool {
	if len(c) != 3 {
		return false
	}
	for i := range 3 {
		if c[i] < 'A' || c[i] > 'Z' {
			return false
		}
	}
	return true
}

func validateImageURL(s string) error {
	if len(s) > maxImageURL {
		return fmt.Errorf("URL longer than %d characters", maxImageURL)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL such as https://img.example.com/a.jpg", s)
	}
	return nil
}

func validateAttributes(field string, m map[string]string) error {
	if len(m) > maxAttributes {
		return apperr.Field(field, "at most %d attributes", maxAttributes)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys) // report the same field first every time
	for _, k := range keys {
		if strings.TrimSpace(k) == "" {
			return apperr.Field(field, "attribute names cannot be empty")
		}
		if n := utf8.RuneCountInString(k); n > maxAttrKey {
			return apperr.Field(field+"."+k, "attribute names have at most %d characters", maxAttrKey)
		}
		if n := utf8.RuneCountInString(m[k]); n > maxAttrValue {
			return apperr.Field(field+"."+k, "at most %d characters (this is %d)", maxAttrValue, n)
		}
	}
	return nil
}

// SearchText is what product search matches: the titles, SKU codes and the
// names of the category and its ancestors, lower-cased.
func SearchText(title, titleEn string, codes, categoryNames []string) string {
	parts := make([]string, 0, 2+len(codes)+len(categoryNames))
	for _, s := range append(append([]string{title, titleEn}, codes...), categoryNames...) {
		if s = strings.TrimSpace(s); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.ToLower(strings.Join(parts, " "))
}
