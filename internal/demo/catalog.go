package demo

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

type role uint8

const (
	traffic role = iota
	profit
	longtail
)

var roleNames = [...]string{traffic: "traffic", profit: "profit", longtail: "longtail"}

func roleOf(b byte) role {
	switch b {
	case 'T':
		return traffic
	case 'P':
		return profit
	}
	return longtail
}

// roleShare is each role's share of units sold before seasons and tastes:
// traffic drivers sell most per SKU, long-tail items rarely.
var roleShare = [...]float64{traffic: 0.45, profit: 0.45, longtail: 0.10}

// roleMargin is the range of gross margins by role.
var roleMargin = [...][2]float64{traffic: {0.10, 0.20}, profit: {0.40, 0.60}, longtail: {0.30, 0.50}}

// zipfExponent spreads popularity within a role: a few hits, many quiet ones.
var zipfExponent = [...]float64{traffic: 0.9, profit: 1.0, longtail: 0.6}

type category struct {
	id, parent int64
	name, en   string
	sort       int64
}

type product struct {
	id         int64
	seed       *productSeed
	leaf       *leafSeed
	code       string
	categoryID int64
	role       role
	status     string
	createdAt  int64
	updatedAt  int64
	launch     int // first day it can be sold
	off        int // first day it can no longer be sold
	skus       []int
}

type sku struct {
	id        int64
	index     int // position in catalog.skus
	product   *product
	code      string
	spec      string
	attrs     string
	price     int64
	cost      int64
	barcode   string
	weightG   int64
	base      float64 // popularity before seasons
	top       int
	season    season
	apparel   bool
	createdAt int64

	// the stock ledger's state while history is written
	onHand   int64
	reserved int64
	lastAt   int64
	rate     float64 // units sold per unit of demand weight, smoothed
	sold     int64   // units sold today
}

func (s *sku) sellable(day int) bool { return day >= s.product.launch && day < s.product.off }

type catalog struct {
	categories []category
	products   []*product
	skus       []*sku
}

type dim struct {
	name   string
	values []string
	extra  []int64 // extra price by value, 分
}

func parseVariants(spec string) []dim {
	var dims []dim
	for _, part := range strings.Split(spec, "|") {
		name, vals, _ := strings.Cut(part, ":")
		d := dim{name: name}
		for _, v := range strings.Split(vals, ",") {
			var extra int64
			if i := strings.LastIndexByte(v, '+'); i > 0 {
				if n, err := strconv.ParseInt(v[i+1:], 10, 64); err == nil {
					v, extra = v[:i], n
				}
			}
			d.values = append(d.values, v)
			d.extra = append(d.extra, extra)
		}
		dims = append(dims, d)
	}
	return dims
}

// sizeShare is how sizes sell: the middle sizes most.
var sizeShare = map[int][]float64{
	1: {1}, 2: {1, 0.8}, 3: {0.7, 1, 0.6}, 4: {0.5, 1, 0.85, 0.4}, 5: {0.4, 0.8, 1, 0.7, 0.35},
}

func valueShare(d dim, i int) float64 {
	w := 1.0
	if d.name == "尺码" || d.name == "尺寸" {
		w = sizeShare[len(d.values)][i]
	} else {
		w = 1 / math.Pow(float64(i+1), 0.7)
	}
	if d.extra[i] > 0 {
		w *= 0.7
	}
	return w
}

// ean13 is a barcode with a valid check digit under China's 69 prefix.
func ean13(item int) string {
	s := fmt.Sprintf("6920418%05d", item%100000)
	sum := 0
	for i, c := range s {
		n := int(c - '0')
		if i%2 == 1 {
			n *= 3
		}
		sum += n
	}
	return s + strconv.Itoa((10-sum%10)%10)
}

var apparelWeight = map[string][2]int64{"WC": {700, 1500}, "MJ": {800, 1600}}

var topWeight = [numTops][2]int64{
	topWomen: {200, 600}, topMen: {250, 700}, topBeauty: {60, 300},
	topAccessories: {50, 600}, topHome: {300, 2500}, topFood: {200, 1200},
}

func seasonLabel(s season) string {
	switch s {
	case summer:
		return "春夏"
	case winter:
		return "秋冬"
	}
	return "四季"
}

// jsonObject writes key/value pairs as a JSON object in the order given.
func jsonObject(kv ...string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv[i])
		v, _ := json.Marshal(kv[i+1])
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.String()
}

// buildCatalog lays out the assortment: which items launched during the
// history, which were taken off the shelf, which are drafts, which are hits.
func buildCatalog(r *rand.Rand, tl *timeline, ids *idRange) *catalog {
	c := &catalog{}
	origin := tl.start[0]

	leafID := map[string]int64{}
	leafSeedOf := map[string]*leafSeed{}
	for t := range numTops {
		c.categories = append(c.categories, category{id: ids.next(tCategories), name: tops[t].name, en: tops[t].nameEN, sort: int64(t + 1)})
	}
	for t := range numTops {
		n := int64(0)
		for i := range leaves {
			l := &leaves[i]
			if l.top != t {
				continue
			}
			n++
			id := ids.next(tCategories)
			c.categories = append(c.categories, category{id: id, parent: c.categories[t].id, name: l.name, en: l.nameEN, sort: n})
			leafID[l.code] = id
			leafSeedOf[l.code] = l
		}
	}

	// Statuses and launch dates. The anchor product is always an old hit.
	n := len(productSeeds)
	order := r.Perm(n)
	status := make([]string, n)
	launch := make([]int, n)
	off := make([]int, n)
	for i := range n {
		status[i] = "on_sale"
		off[i] = tl.days + horizon
	}
	drafts, offShelf, arrivals := 3, 6, n/8
	for _, i := range order {
		ps := &productSeeds[i]
		if ps.title == anchorTitle {
			continue
		}
		switch {
		case drafts > 0 && ps.role != 'T':
			status[i] = "draft"
			launch[i] = tl.days + horizon
			drafts--
		case offShelf > 0 && (ps.role == 'L' || offShelf <= 2):
			status[i] = "off_shelf"
			off[i] = max(1, int(uniform(r, 0.35, 0.85)*float64(tl.days)))
			offShelf--
		case arrivals > 0:
			launch[i] = max(1, int(uniform(r, 0.1, 0.9)*float64(tl.days)))
			arrivals--
		}
	}

	// Popularity: a Zipf law over each role's products in a random order,
	// with the anchor dress pinned as the best-selling profit item.
	rank := make([]int, n)
	var perRole [3][]int
	for _, i := range r.Perm(n) {
		ro := roleOf(productSeeds[i].role)
		if productSeeds[i].title == anchorTitle {
			perRole[ro] = append([]int{i}, perRole[ro]...)
			continue
		}
		perRole[ro] = append(perRole[ro], i)
	}
	var zipfSum [3]float64
	for ro, list := range perRole {
		for k, i := range list {
			rank[i] = k
			zipfSum[ro] += 1 / math.Pow(float64(k+1), zipfExponent[ro])
		}
	}

	perLeaf := map[string]int{}
	itemNo := 0
	for i := range productSeeds {
		ps := &productSeeds[i]
		leaf := leafSeedOf[ps.leaf]
		perLeaf[ps.leaf]++
		ro := roleOf(ps.role)
		p := &product{
			id:         ids.next(tProducts),
			seed:       ps,
			leaf:       leaf,
			code:       fmt.Sprintf("%s%02d", ps.leaf, perLeaf[ps.leaf]),
			categoryID: leafID[ps.leaf],
			role:       ro,
			status:     status[i],
			launch:     launch[i],
			off:        off[i],
		}
		switch {
		case p.status == "draft":
			p.createdAt = tl.cutoff - between(r, 1*day, 15*day)
			p.updatedAt = p.createdAt + between(r, 0, 2*day)
			p.updatedAt = min(p.updatedAt, tl.cutoff-1)
		case p.launch > 0:
			p.createdAt = tl.start[p.launch] - between(r, 12*hour, 60*hour)
			p.updatedAt = p.createdAt
		default:
			p.createdAt = origin - between(r, 15*day, 240*day)
			p.updatedAt = p.createdAt
		}
		if p.status == "off_shelf" {
			p.updatedAt = tl.localClock(p.off, 10, int(r.IntN(50)))
		}
		share := roleShare[ro] * (1 / math.Pow(float64(rank[i]+1), zipfExponent[ro])) / zipfSum[ro]
		margin := uniform(r, roleMargin[ro][0], roleMargin[ro][1])
		dims := parseVariants(ps.variants)
		combos := [][]int{{}}
		for _, d := range dims {
			var next [][]int
			for _, cmb := range combos {
				for vi := range d.values {
					next = append(next, append(append([]int{}, cmb...), vi))
				}
			}
			combos = next
		}
		var shares []float64
		var shareSum float64
		for _, cmb := range combos {
			w := 1.0
			for di, vi := range cmb {
				w *= valueShare(dims[di], vi)
			}
			shares = append(shares, w)
			shareSum += w
		}
		wr := topWeight[leaf.top]
		if aw, ok := apparelWeight[leaf.code]; ok {
			wr = aw
		}
		weight := between(r, wr[0], wr[1]) / 10 * 10
		for vi, cmb := range combos {
			itemNo++
			price := ps.price
			var specParts, kv []string
			for di, v := range cmb {
				d := dims[di]
				price += d.extra[v]
				specParts = append(specParts, d.values[v])
				kv = append(kv, d.name, d.values[v])
			}
			cost := int64(math.Round(float64(price)*(1-margin)/10)) * 10
			s := &sku{
				id:        ids.next(tSKUs),
				index:     len(c.skus),
				product:   p,
				code:      fmt.Sprintf("HJ-%s-%02d", p.code, vi+1),
				spec:      strings.Join(specParts, " / "),
				attrs:     jsonObject(kv...),
				price:     price,
				cost:      cost,
				barcode:   ean13(itemNo),
				weightG:   weight,
				base:      share * shares[vi] / shareSum,
				top:       leaf.top,
				season:    leaf.season,
				apparel:   leaf.top == topWomen || leaf.top == topMen,
				createdAt: p.createdAt,
			}
			p.skus = append(p.skus, len(c.skus))
			c.skus = append(c.skus, s)
		}
		c.products = append(c.products, p)
	}
	return c
}

func (c *catalog) productAttrs(p *product, r *rand.Rand) string {
	t := tops[p.leaf.top]
	kv := []string{t.attrKey, pick(r, p.leaf.attrs)}
	switch p.leaf.top {
	case topWomen, topMen:
		kv = append(kv, "适用季节", seasonLabel(p.leaf.season), "版型", pick(r, []string{"宽松", "修身", "标准"}))
	case topBeauty:
		kv = append(kv, "适用肤质", pick(r, []string{"所有肤质", "干性肌肤", "油性肌肤", "混合性肌肤", "敏感肌"}), "保质期", "36个月")
	case topFood:
		kv = append(kv, "保质期", pick(r, []string{"6个月", "9个月", "12个月", "18个月"}), "储存方式", "阴凉干燥处")
	default:
		kv = append(kv, "风格", pick(r, []string{"简约", "北欧", "日式", "复古"}))
	}
	return jsonObject(kv...)
}

func (c *catalog) productImages(p *product, r *rand.Rand) string {
	n := 2 + r.IntN(3)
	urls := []string{fmt.Sprintf("https://img.example.com/products/%s/main.jpg", p.code)}
	for i := 1; i < n; i++ {
		urls = append(urls, fmt.Sprintf("https://img.example.com/products/%s/detail-%d.jpg", p.code, i))
	}
	b, _ := json.Marshal(urls)
	return string(b)
}

func (c *catalog) searchText(p *product) string {
	parts := []string{p.seed.title, p.seed.titleEN}
	for _, i := range p.skus {
		parts = append(parts, c.skus[i].code)
	}
	parts = append(parts, tops[p.leaf.top].name, p.leaf.name)
	return strings.ToLower(strings.Join(parts, " "))
}
