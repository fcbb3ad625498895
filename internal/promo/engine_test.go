package promo_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/promo"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

// A Sunday afternoon in Shanghai: no themed day.
var sunday = time.Date(2026, 11, 22, 15, 0, 0, 0, shanghai)

func line(sku, price, qty int64, cats ...int64) promo.Line {
	return promo.Line{SKUID: sku, ProductID: sku * 10, CategoryIDs: cats, Quantity: qty, ListPrice: price}
}

func price(t *testing.T, in promo.Input) promo.Result {
	t.Helper()
	if in.At.IsZero() {
		in.At = sunday
	}
	r, err := promo.Price(in)
	if err != nil {
		t.Fatalf("Price: %v", err)
	}
	checkInvariants(t, r)
	return r
}

// checkInvariants holds for every result: totals add up, steps add up to
// line discounts, no line is negative.
func checkInvariants(t *testing.T, r promo.Result) {
	t.Helper()
	var items, disc, total, steps int64
	for _, l := range r.Lines {
		if l.Total < 0 || l.Discount < 0 {
			t.Fatalf("line %d: total %d, discount %d", l.SKUID, l.Total, l.Discount)
		}
		if l.ListPrice*l.Quantity-l.Discount != l.Total {
			t.Fatalf("line %d: %d×%d − %d ≠ %d", l.SKUID, l.ListPrice, l.Quantity, l.Discount, l.Total)
		}
		var sum int64
		for _, d := range l.Discounts {
			sum += d.Off
		}
		if sum != l.Discount {
			t.Fatalf("line %d: discounts %v sum to %d, not %d", l.SKUID, l.Discounts, sum, l.Discount)
		}
		items += l.ListPrice * l.Quantity
		disc += l.Discount
		total += l.Total
	}
	for _, s := range r.Steps {
		var sum int64
		for _, lo := range s.Lines {
			sum += lo.Off
		}
		if sum != s.Off {
			t.Fatalf("step %s: lines sum to %d, not %d", s.Name, sum, s.Off)
		}
		steps += s.Off
	}
	if items != r.ItemsTotal || disc != r.Discount || total != r.Total || steps != r.Discount || r.ItemsTotal-r.Discount != r.Total {
		t.Fatalf("totals do not add up: items %d/%d discount %d/%d steps %d total %d/%d", items, r.ItemsTotal, disc, r.Discount, steps, total, r.Total)
	}
}

func tiered(id int64, repeat bool, levels ...promo.Level) promo.Promotion {
	return promo.Promotion{ID: id, Name: "满减", Kind: promo.KindTieredOff, Scope: promo.ScopeOrder, Levels: levels, Repeat: repeat}
}

func notApplied(r promo.Result, id int64) string {
	for _, n := range r.NotApplied {
		if n.PromotionID == id {
			return n.Reason
		}
	}
	return ""
}

func TestTieredOff_SpendOver300Gets50Off(t *testing.T) {
	p := tiered(1, false, promo.Level{Threshold: 30000, Off: 5000}, promo.Level{Threshold: 50000, Off: 10000})
	r := price(t, promo.Input{Lines: []promo.Line{line(1, 20000, 1), line(2, 15000, 1)}, Promotions: []promo.Promotion{p}})
	if r.Total != 30000 || r.Discount != 5000 {
		t.Fatalf("¥350 under 满300减50: total %d discount %d, want 30000 and 5000", r.Total, r.Discount)
	}
	// 5000 × 200/350 = 2857.14, × 150/350 = 2142.86: the spare 分 goes to the larger remainder.
	if r.Lines[0].Discount != 2857 || r.Lines[1].Discount != 2143 {
		t.Errorf("allocation %d + %d, want 2857 + 2143", r.Lines[0].Discount, r.Lines[1].Discount)
	}
	if !strings.Contains(r.Lines[0].Explanation[0], "满减: −¥28.57") {
		t.Errorf("explanation %q", r.Lines[0].Explanation)
	}

	r = price(t, promo.Input{Lines: []promo.Line{line(1, 29999, 1)}, Promotions: []promo.Promotion{p}})
	if r.Discount != 0 || !strings.Contains(notApplied(r, 1), "¥0.01 more needed") {
		t.Errorf("¥299.99: discount %d, reason %q", r.Discount, notApplied(r, 1))
	}
	r = price(t, promo.Input{Lines: []promo.Line{line(1, 25000, 2)}, Promotions: []promo.Promotion{p}})
	if r.Discount != 10000 {
		t.Errorf("¥500 reaches 满500减100: discount %d, want 10000", r.Discount)
	}
}

func TestTieredOff_RepeatEvery300(t *testing.T) {
	cases := []struct {
		name  string
		spend int64
		cap   int64
		want  int64
	}{
		{"299 gets nothing", 29900, 0, 0},
		{"300 gets 50", 30000, 0, 5000},
		{"950 gets 3×50", 95000, 0, 15000},
		{"1200 gets 4×50", 120000, 0, 20000},
		{"capped at 100", 95000, 10000, 10000},
	}
	for _, c := range cases {
		p := tiered(1, true, promo.Level{Threshold: 30000, Off: 5000})
		p.Cap = c.cap
		r := price(t, promo.Input{Lines: []promo.Line{line(1, c.spend, 1)}, Promotions: []promo.Promotion{p}})
		if r.Discount != c.want {
			t.Errorf("%s: discount %d, want %d", c.name, r.Discount, c.want)
		}
	}
}

func TestTieredOff_PerCategoryCountsOnlyThatCategory(t *testing.T) {
	p := tiered(1, false, promo.Level{Threshold: 30000, Off: 5000})
	p.Scope, p.CategoryIDs = promo.ScopeCategories, []int64{7}
	lines := []promo.Line{line(1, 20000, 1, 7), line(2, 20000, 1, 8)}
	r := price(t, promo.Input{Lines: lines, Promotions: []promo.Promotion{p}})
	if r.Discount != 0 {
		t.Errorf("¥200 in category 7 must not reach 满300: discount %d", r.Discount)
	}
	lines[0].Quantity = 2
	r = price(t, promo.Input{Lines: lines, Promotions: []promo.Promotion{p}})
	if r.Discount != 5000 || r.Lines[0].Discount != 5000 || r.Lines[1].Discount != 0 {
		t.Errorf("category 7 at ¥400: %+v", r.Lines)
	}
}

func TestStacking_ExclusivePromotionPicksBestForBuyer(t *testing.T) {
	manjian := tiered(1, false, promo.Level{Threshold: 30000, Off: 5000})
	cases := []struct {
		name     string
		rate     int64
		wantOff  int64
		wantLoss int64 // the promotion reported as not applied
	}{
		{"exclusive 8折 beats 满300减50 on ¥400", 2000, 8000, 1},
		{"满300减50 beats exclusive 9折 on ¥400", 1000, 5000, 2},
	}
	for _, c := range cases {
		excl := promo.Promotion{ID: 2, Name: "限时折扣", Kind: promo.KindPercentOff, Scope: promo.ScopeOrder, RateBP: c.rate, Exclusive: true}
		r := price(t, promo.Input{Lines: []promo.Line{line(1, 40000, 1)}, Promotions: []promo.Promotion{manjian, excl}})
		if r.Discount != c.wantOff {
			t.Errorf("%s: discount %d, want %d", c.name, r.Discount, c.wantOff)
		}
		if why := notApplied(r, c.wantLoss); !strings.Contains(why, "does not combine") {
			t.Errorf("%s: #%d reason %q", c.name, c.wantLoss, why)
		}
	}
}

func TestStacking_SameGroupOnlyOneAndFreePromotionsStack(t *testing.T) {
	a := tiered(1, false, promo.Level{Threshold: 30000, Off: 3000})
	b := tiered(2, false, promo.Level{Threshold: 30000, Off: 4000})
	a.Group, b.Group = "满减", "满减"
	item := promo.Promotion{ID: 3, Name: "新品立减", Kind: promo.KindFixedOff, Scope: promo.ScopeProducts, ProductIDs: []int64{10}, Amount: 1000}
	r := price(t, promo.Input{Lines: []promo.Line{line(1, 40000, 1)}, Promotions: []promo.Promotion{a, b, item}})
	if r.Discount != 5000 {
		t.Errorf("discount %d, want 1000 (item) + 4000 (the better 满减)", r.Discount)
	}
	if notApplied(r, 1) == "" || notApplied(r, 2) != "" || notApplied(r, 3) != "" {
		t.Errorf("not applied: %+v", r.NotApplied)
	}
}

func TestStacking_PriorityBreaksATie(t *testing.T) {
	a := tiered(1, false, promo.Level{Threshold: 30000, Off: 5000})
	b := tiered(2, false, promo.Level{Threshold: 30000, Off: 5000})
	a.Group, b.Group, b.Priority = "g", "g", 9
	r := price(t, promo.Input{Lines: []promo.Line{line(1, 40000, 1)}, Promotions: []promo.Promotion{a, b}})
	if len(r.Steps) != 1 || r.Steps[0].PromotionID != 2 {
		t.Errorf("equal savings: the higher priority must win, steps %+v", r.Steps)
	}
}

func TestStacking_LeavesOutAnItemDiscountThatCostsTheBuyer(t *testing.T) {
	// ¥10 off drops ¥305 under 满300减50: paying 255 beats paying 295.
	item := promo.Promotion{ID: 1, Name: "立减", Kind: promo.KindFixedOff, Scope: promo.ScopeProducts, ProductIDs: []int64{10}, Amount: 1000}
	in := promo.Input{Lines: []promo.Line{line(1, 30500, 1)}, Promotions: []promo.Promotion{item, tiered(2, false, promo.Level{Threshold: 30000, Off: 5000})}}
	r := price(t, in)
	if r.Total != 25500 || !strings.HasPrefix(notApplied(r, 1), "left out: the buyer pays less without it") {
		t.Errorf("total %d, want 25500; %+v", r.Total, r.NotApplied)
	}
	// At ¥320 both fit: ¥310 still reaches 满300.
	in.Lines[0].ListPrice = 32000
	if r = price(t, in); r.Total != 26000 {
		t.Errorf("total %d, want 26000", r.Total)
	}
}

func TestMemberDay_OnlyOnWednesdayInShanghai(t *testing.T) {
	day := promo.Promotion{ID: 1, Name: "周三会员日", Kind: promo.KindMemberDiscount, Scope: promo.ScopeOrder,
		TierRatesBP: map[string]int64{"gold": 1500}, Schedule: promo.Schedule{Weekdays: []time.Weekday{time.Wednesday}}}
	cases := []struct {
		at   time.Time
		want int64
	}{
		{time.Date(2026, 11, 24, 15, 59, 0, 0, time.UTC), 0},   // Tue 23:59 in Shanghai, though Tue in UTC too
		{time.Date(2026, 11, 24, 16, 0, 0, 0, time.UTC), 1500}, // Wed 00:00 in Shanghai, still Tuesday in UTC
		{time.Date(2026, 11, 25, 15, 59, 0, 0, time.UTC), 1500},
		{time.Date(2026, 11, 25, 16, 0, 0, 0, time.UTC), 0}, // Thu 00:00 in Shanghai, still Wednesday in UTC
	}
	for _, c := range cases {
		r := price(t, promo.Input{At: c.at, Location: shanghai, Customer: promo.Customer{Tier: "gold"},
			Lines: []promo.Line{line(1, 10000, 1)}, Promotions: []promo.Promotion{day}})
		if r.Discount != c.want {
			t.Errorf("%s: discount %d, want %d (%+v)", c.at, r.Discount, c.want, r.NotApplied)
		}
	}
	// The store's zone decides: a store on UTC is still on Tuesday then.
	r := price(t, promo.Input{At: time.Date(2026, 11, 24, 16, 0, 0, 0, time.UTC), Location: time.UTC, Customer: promo.Customer{Tier: "gold"},
		Lines: []promo.Line{line(1, 10000, 1)}, Promotions: []promo.Promotion{day}})
	if r.Discount != 0 || !strings.Contains(notApplied(r, 1), "Tuesday") {
		t.Errorf("UTC store on Tuesday: discount %d, %+v", r.Discount, r.NotApplied)
	}
	r = price(t, promo.Input{At: time.Date(2026, 11, 25, 12, 0, 0, 0, shanghai), Customer: promo.Customer{Tier: "silver"},
		Lines: []promo.Line{line(1, 10000, 1)}, Promotions: []promo.Promotion{day}})
	if r.Discount != 0 || notApplied(r, 1) == "" {
		t.Errorf("a tier without a rate gets nothing: %d %+v", r.Discount, r.NotApplied)
	}
}

func TestNewArrivalDay_OnThe15thInStoreZone(t *testing.T) {
	p := promo.Promotion{ID: 1, Name: "每月15日新品日", Kind: promo.KindPercentOff, Scope: promo.ScopeOrder, RateBP: 1000,
		Schedule: promo.Schedule{MonthDays: []int{15}}}
	for at, want := range map[time.Time]int64{
		time.Date(2026, 12, 14, 16, 0, 0, 0, time.UTC): 1000, // 15th 00:00 in Shanghai
		time.Date(2026, 12, 15, 16, 0, 0, 0, time.UTC): 0,
		time.Date(2026, 12, 14, 12, 0, 0, 0, time.UTC): 0,
	} {
		r := price(t, promo.Input{At: at, Lines: []promo.Line{line(1, 10000, 1)}, Promotions: []promo.Promotion{p}})
		if r.Discount != want {
			t.Errorf("%s: discount %d, want %d", at, r.Discount, want)
		}
	}
}

func TestMemberPrice_CompetesWithTierDiscount(t *testing.T) {
	rate := promo.Promotion{ID: 1, Name: "金卡95折", Kind: promo.KindMemberDiscount, Scope: promo.ScopeOrder, TierRatesBP: map[string]int64{"gold": 500}}
	withMP := line(1, 10000, 2)
	withMP.MemberPrice = 9000
	lines := []promo.Line{withMP, line(2, 10000, 1)}
	r := price(t, promo.Input{Customer: promo.Customer{Tier: "gold"}, Lines: lines, Promotions: []promo.Promotion{rate}})
	if r.Lines[0].Total != 18000 || r.Lines[1].Total != 9500 {
		t.Errorf("member price on line 1, 5%% off on line 2: %d, %d", r.Lines[0].Total, r.Lines[1].Total)
	}
	r = price(t, promo.Input{Lines: lines, Promotions: []promo.Promotion{rate}})
	if r.Discount != 0 {
		t.Errorf("a guest pays list price: discount %d", r.Discount)
	}
}

func TestPercentAndFixedOff(t *testing.T) {
	lines := []promo.Line{line(1, 10000, 2, 5), line(2, 3333, 3, 6)}
	cases := []struct {
		name string
		p    promo.Promotion
		want [2]int64 // discount per line
	}{
		{"8折 on product 10", promo.Promotion{Kind: promo.KindPercentOff, Scope: promo.ScopeProducts, ProductIDs: []int64{10}, RateBP: 2000}, [2]int64{4000, 0}},
		{"8折 capped at ¥30", promo.Promotion{Kind: promo.KindPercentOff, Scope: promo.ScopeProducts, ProductIDs: []int64{10}, RateBP: 2000, Cap: 3000}, [2]int64{3000, 0}},
		{"10% on category 6 rounds half up", promo.Promotion{Kind: promo.KindPercentOff, Scope: promo.ScopeCategories, CategoryIDs: []int64{6}, RateBP: 1000}, [2]int64{0, 1000}},
		{"threshold not met", promo.Promotion{Kind: promo.KindPercentOff, Scope: promo.ScopeOrder, RateBP: 1000, Threshold: 40000}, [2]int64{0, 0}},
		{"order 9折", promo.Promotion{Kind: promo.KindPercentOff, Scope: promo.ScopeOrder, RateBP: 1000}, [2]int64{2000, 1000}},
		{"¥5 off each unit", promo.Promotion{Kind: promo.KindFixedOff, Scope: promo.ScopeCategories, CategoryIDs: []int64{5, 6}, Amount: 500, PerUnit: true}, [2]int64{1000, 1500}},
		{"¥5 off each unit capped at ¥20", promo.Promotion{Kind: promo.KindFixedOff, Scope: promo.ScopeCategories, CategoryIDs: []int64{5, 6}, Amount: 500, PerUnit: true, Cap: 2000}, [2]int64{800, 1200}},
		{"¥50 off products", promo.Promotion{Kind: promo.KindFixedOff, Scope: promo.ScopeProducts, ProductIDs: []int64{20}, Amount: 5000}, [2]int64{0, 5000}},
		{"fixed off never beyond the line", promo.Promotion{Kind: promo.KindFixedOff, Scope: promo.ScopeProducts, ProductIDs: []int64{20}, Amount: 50000}, [2]int64{0, 9999}},
	}
	for _, c := range cases {
		c.p.ID, c.p.Name = 1, c.name
		r := price(t, promo.Input{Lines: lines, Promotions: []promo.Promotion{c.p}})
		if got := [2]int64{r.Lines[0].Discount, r.Lines[1].Discount}; got != c.want {
			t.Errorf("%s: %v, want %v (%+v)", c.name, got, c.want, r.NotApplied)
		}
	}
}

func TestBuyNGetM_CheapestUnitsFree(t *testing.T) {
	p := promo.Promotion{ID: 1, Name: "买2送1", Kind: promo.KindBuyNGetM, Scope: promo.ScopeCategories, CategoryIDs: []int64{1}, BuyN: 2, GetM: 1}
	cases := []struct {
		name  string
		lines []promo.Line
		want  []int64
	}{
		{"3 units: the cheapest free", []promo.Line{line(1, 5000, 2, 1), line(2, 3000, 1, 1)}, []int64{0, 3000}},
		{"2 units: nothing", []promo.Line{line(1, 5000, 2, 1)}, []int64{0}},
		{"6 units: two cheapest free", []promo.Line{line(1, 5000, 5, 1), line(2, 3000, 1, 1)}, []int64{5000, 3000}},
		{"out of scope does not count", []promo.Line{line(1, 5000, 2, 1), line(2, 100, 1, 2)}, []int64{0, 0}},
	}
	for _, c := range cases {
		r := price(t, promo.Input{Lines: c.lines, Promotions: []promo.Promotion{p}})
		var got []int64
		for _, l := range r.Lines {
			got = append(got, l.Discount)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestBundle_SetAtBundlePrice(t *testing.T) {
	p := promo.Promotion{ID: 1, Name: "早餐套餐", Kind: promo.KindBundle, BundleSKUs: []int64{1, 2}, BundlePrice: 10000}
	cases := []struct {
		name  string
		lines []promo.Line
		want  int64
	}{
		{"one set", []promo.Line{line(1, 8000, 1), line(2, 4000, 1)}, 2000},
		{"two sets, one extra unit at full price", []promo.Line{line(1, 8000, 3), line(2, 4000, 2)}, 4000},
		{"incomplete", []promo.Line{line(1, 8000, 3)}, 0},
		{"already cheaper", []promo.Line{line(1, 5000, 1), line(2, 4000, 1)}, 0},
	}
	for _, c := range cases {
		r := price(t, promo.Input{Lines: c.lines, Promotions: []promo.Promotion{p}})
		if r.Discount != c.want {
			t.Errorf("%s: discount %d, want %d (%+v)", c.name, r.Discount, c.want, r.NotApplied)
		}
	}
}

func TestGift_AddedAtThresholdAndReportedWhenOutOfStock(t *testing.T) {
	cases := []struct {
		name    string
		spend   int64
		inStock bool
		added   bool
		reason  string
	}{
		{"threshold met", 20000, true, true, ""},
		{"one 分 short", 19999, true, false, "¥0.01 more needed"},
		{"out of stock: reported, not an error", 20000, false, false, "gift SKU 99 is out of stock, not added"},
	}
	for _, c := range cases {
		g := promo.Promotion{ID: 1, Name: "加购赠小样", Kind: promo.KindGift, Scope: promo.ScopeOrder, Threshold: 20000,
			Gift: promo.Gift{SKUID: 99, ProductID: 990, Quantity: 1, InStock: c.inStock}}
		r := price(t, promo.Input{Lines: []promo.Line{line(1, c.spend, 1)}, Promotions: []promo.Promotion{g}})
		added := len(r.Lines) == 2 && r.Lines[1].Gift && r.Lines[1].SKUID == 99 && r.Lines[1].Total == 0
		if added != c.added || r.Total != c.spend || !strings.Contains(notApplied(r, 1), c.reason) {
			t.Errorf("%s: added %v, total %d, reason %q", c.name, added, r.Total, notApplied(r, 1))
		}
	}
}

func TestMemberPrice_Table(t *testing.T) {
	rate := promo.Promotion{ID: 1, Name: "金卡95折", Kind: promo.KindMemberDiscount, Scope: promo.ScopeOrder, TierRatesBP: map[string]int64{"gold": 500}}
	cases := []struct {
		name        string
		tier        string
		memberPrice int64
		promos      []promo.Promotion
		want        int64
	}{
		{"guest pays list", "", 9000, nil, 10000},
		{"member pays member price", "silver", 9000, nil, 9000},
		{"member price above list is ignored", "silver", 11000, nil, 10000},
		{"member price replaces a lower tier rate", "gold", 9800, []promo.Promotion{rate}, 9800},
		{"member price at list keeps the SKU out of the tier rate", "gold", 10000, []promo.Promotion{rate}, 10000},
		{"member price beats the tier rate", "gold", 9000, []promo.Promotion{rate}, 9000},
		{"no rate for the tier", "silver", 0, []promo.Promotion{rate}, 10000},
	}
	for _, c := range cases {
		l := line(1, 10000, 1)
		l.MemberPrice = c.memberPrice
		r := price(t, promo.Input{Customer: promo.Customer{Tier: c.tier}, Lines: []promo.Line{l}, Promotions: c.promos})
		if r.Total != c.want {
			t.Errorf("%s: total %d, want %d", c.name, r.Total, c.want)
		}
	}
}

func TestFirstOrderOffer(t *testing.T) {
	p := promo.Promotion{ID: 1, Name: "新人首单立减", Kind: promo.KindFixedOff, Scope: promo.ScopeOrder, Amount: 1000, FirstOrderOnly: true}
	for first, want := range map[bool]int64{true: 1000, false: 0} {
		r := price(t, promo.Input{Customer: promo.Customer{ID: 1, FirstOrder: first}, Lines: []promo.Line{line(1, 5000, 1)}, Promotions: []promo.Promotion{p}})
		if r.Discount != want {
			t.Errorf("first order %v: discount %d, want %d", first, r.Discount, want)
		}
	}
}

func TestCoupon_LiveRoomOnlyAndAfterPromotions(t *testing.T) {
	c := promo.Coupon{Code: "LIVE20", Rule: promo.Promotion{ID: 7, Name: "直播间专属券 满200减20", Kind: promo.KindTieredOff, Scope: promo.ScopeOrder,
		Levels: []promo.Level{{Threshold: 20000, Off: 2000}}, Channels: []string{"live"}}}
	m := tiered(1, false, promo.Level{Threshold: 30000, Off: 5000})
	in := promo.Input{Channel: "live", Lines: []promo.Line{line(1, 24000, 1)}, Promotions: []promo.Promotion{m}, Coupons: []promo.Coupon{c}}
	r := price(t, in)
	if r.Discount != 2000 || len(r.Steps) != 1 || r.Steps[0].Coupon != "LIVE20" {
		t.Errorf("live: %+v", r.Steps)
	}
	in.Channel = "search"
	r = price(t, in)
	if r.Discount != 0 || !strings.Contains(notApplied(r, 7), "only on channels") {
		t.Errorf("search: %+v", r.NotApplied)
	}
	// The coupon's threshold counts what is left after the promotions: ¥350 − 50 = ¥300 ≥ 200.
	in.Channel, in.Lines = "live", []promo.Line{line(1, 35000, 1)}
	r = price(t, in)
	if r.Discount != 7000 {
		t.Errorf("满减 then coupon: discount %d, want 7000", r.Discount)
	}
	in.Coupons = append(in.Coupons, c)
	if r = price(t, in); r.Discount != 7000 {
		t.Errorf("the same coupon twice counts once: %d", r.Discount)
	}
}

func TestPoints_CappedAtShareOfWhatIsLeft(t *testing.T) {
	lines := []promo.Line{line(1, 6000, 1), line(2, 4000, 1)}
	r := price(t, promo.Input{Lines: lines, Points: promo.Points{Amount: 8000, MaxShareBP: 5000}})
	if r.PointsUsed != 5000 || r.Total != 5000 || r.Lines[0].Discount != 3000 || r.Lines[1].Discount != 2000 {
		t.Errorf("points capped at 50%%: used %d, lines %+v", r.PointsUsed, r.Lines)
	}
	r = price(t, promo.Input{Lines: lines, Points: promo.Points{Amount: 100000}})
	if r.PointsUsed != 10000 || r.Total != 0 {
		t.Errorf("points never beyond the total: used %d total %d", r.PointsUsed, r.Total)
	}
}

func TestPrice_AppliesStepsInTheDocumentedOrder(t *testing.T) {
	mp := line(1, 20000, 2, 1)
	mp.MemberPrice = 18000
	in := promo.Input{
		Customer: promo.Customer{Tier: "gold"},
		Lines:    []promo.Line{mp, line(2, 10000, 1, 2)},
		Promotions: []promo.Promotion{
			{ID: 4, Name: "整单95折", Kind: promo.KindPercentOff, Scope: promo.ScopeOrder, RateBP: 500},
			tiered(3, false, promo.Level{Threshold: 40000, Off: 4000}),
			{ID: 2, Name: "品类立减", Kind: promo.KindFixedOff, Scope: promo.ScopeCategories, CategoryIDs: []int64{2}, Amount: 1000},
		},
		Coupons: []promo.Coupon{{Code: "C1", Rule: promo.Promotion{ID: 5, Name: "券", Kind: promo.KindFixedOff, Scope: promo.ScopeOrder, Amount: 1000}}},
		Points:  promo.Points{Amount: 500},
	}
	r := price(t, in)
	var stages []promo.Stage
	for _, s := range r.Steps {
		stages = append(stages, s.Stage)
	}
	want := []promo.Stage{promo.StageMember, promo.StageItem, promo.StageTiered, promo.StageOrder, promo.StageCoupon, promo.StagePoints}
	if !slices.Equal(stages, want) {
		t.Fatalf("stages %v, want %v", stages, want)
	}
	// 36000 + 10000 → member 36000+10000 → item 36000+9000=45000 → 满400减40: 41000 → 95折: 38950 → 券: 37950 → points: 37450.
	if r.Total != 37450 {
		t.Errorf("total %d, want 37450; steps %+v", r.Total, r.Steps)
	}
}

func TestPrice_InvalidInput(t *testing.T) {
	cases := []struct {
		in    promo.Input
		field string
	}{
		{promo.Input{}, "lines"},
		{promo.Input{Lines: []promo.Line{{SKUID: 1, Quantity: 0}}}, "lines[0].quantity"},
		{promo.Input{Lines: []promo.Line{{SKUID: 1, Quantity: 1}, {SKUID: 1, Quantity: 1}}}, "lines[1].sku_id"},
		{promo.Input{Lines: []promo.Line{{SKUID: 1, Quantity: 1, ListPrice: -1}}}, "lines[0].list_price"},
		{promo.Input{Lines: []promo.Line{line(1, 1, 1)}, Points: promo.Points{Amount: -1}}, "points.amount"},
		{promo.Input{Lines: []promo.Line{line(1, 1, 1)}}, "at"},
	}
	for _, c := range cases {
		_, err := promo.Price(c.in)
		var fe *apperr.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%+v: %v, want a field error on %s", c.in, err, c.field)
		}
	}
	// An invalid promotion does not fail the checkout.
	r := price(t, promo.Input{Lines: []promo.Line{line(1, 100, 1)}, Promotions: []promo.Promotion{{ID: 3, Name: "x", Kind: "nope"}}})
	if !strings.HasPrefix(notApplied(r, 3), "invalid: kind") {
		t.Errorf("invalid promotion: %+v", r.NotApplied)
	}
}

func TestToPriced_OverlaysTheEngineOnAListPrice(t *testing.T) {
	lines := []promo.Line{line(1, 20000, 1), line(2, 15000, 1)}
	g := promo.Promotion{ID: 2, Name: "赠品", Kind: promo.KindGift, Scope: promo.ScopeOrder, Gift: promo.Gift{SKUID: 9, Quantity: 1, InStock: true}}
	r := price(t, promo.Input{Lines: lines, Promotions: []promo.Promotion{tiered(1, false, promo.Level{Threshold: 30000, Off: 5000}), g}})
	list := pricedList{{1, 20000, 1, 9000}, {2, 15000, 1, 7000}}.priced()
	p, err := promo.ToPriced(list, r)
	if err != nil {
		t.Fatal(err)
	}
	if p.Total != 30000 || p.Discount != 5000 || p.ItemsTotal != 35000 || p.CostTotal != 16000 || p.Currency != "CNY" || len(p.Lines) != 3 {
		t.Fatalf("%+v", p)
	}
	if p.Lines[0].Title != "SKU 1" || p.Lines[0].Total != 17143 || p.Lines[2].SKUID != 9 || p.Lines[2].Total != 0 {
		t.Errorf("lines %+v", p.Lines)
	}
	if len(p.Explanation) != 2 || !strings.HasPrefix(p.Explanation[0], "1. tiered: 满减 −¥50.00") {
		t.Errorf("explanation %q", p.Explanation)
	}
	list.Lines[1].Quantity = 2
	if _, err := promo.ToPriced(list, r); err == nil {
		t.Error("a different quantity must be refused")
	}
}

func TestStacking_CouponsStackWithAnExclusivePromotionUnlessExclusiveThemselves(t *testing.T) {
	excl := promo.Promotion{ID: 1, Name: "限时8折", Kind: promo.KindPercentOff, Scope: promo.ScopeOrder, RateBP: 2000, Exclusive: true}
	coupon := promo.Coupon{Code: "C", Rule: promo.Promotion{ID: 2, Name: "券", Kind: promo.KindFixedOff, Scope: promo.ScopeOrder, Amount: 1000}}
	in := promo.Input{Lines: []promo.Line{line(1, 10000, 1)}, Promotions: []promo.Promotion{excl}, Coupons: []promo.Coupon{coupon}}
	if r := price(t, in); r.Total != 7000 {
		t.Errorf("8折 then ¥10 coupon: total %d, want 7000", r.Total)
	}
	in.Coupons[0].Rule.Exclusive = true
	r := price(t, in)
	if r.Total != 8000 || !strings.Contains(notApplied(r, 2), "does not combine") {
		t.Errorf("an exclusive coupon against 8折: total %d, %+v", r.Total, r.NotApplied)
	}
	in.Coupons[0].Rule.Amount = 3000
	if r := price(t, in); r.Total != 7000 || notApplied(r, 1) == "" {
		t.Errorf("an exclusive ¥30 coupon beats 8折: total %d, %+v", r.Total, r.NotApplied)
	}
}

func TestGift_NeedsAnItemInScope(t *testing.T) {
	g := promo.Promotion{ID: 1, Name: "赠品", Kind: promo.KindGift, Scope: promo.ScopeProducts, ProductIDs: []int64{77}, Gift: promo.Gift{SKUID: 9, Quantity: 1, InStock: true}}
	r := price(t, promo.Input{Lines: []promo.Line{line(1, 10000, 1)}, Promotions: []promo.Promotion{g}})
	if len(r.Lines) != 1 || notApplied(r, 1) != "no item in scope" {
		t.Errorf("%+v", r)
	}
}

// Ten promotions on a full cart: the worst case the engine enumerates
// exhaustively.
func BenchmarkPrice_TenPromotionsOnAHundredLines(b *testing.B) { benchConflicting(b, 100) }

// The same promotions on an ordinary cart.
func BenchmarkPrice_TenPromotionsOnFiveLines(b *testing.B) { benchConflicting(b, 5) }

func benchConflicting(b *testing.B, lines int) {
	in := promo.Input{At: sunday}
	for i := range lines {
		in.Lines = append(in.Lines, line(int64(i+1), int64(1000+i*37), int64(1+i%5), int64(1+i%3)))
	}
	for i := range 10 {
		p := tiered(int64(i+1), i%2 == 0, promo.Level{Threshold: int64(10000 * (i + 1)), Off: int64(1000 * (i + 1))})
		// No conflicts: all 2^10 combinations are allowed and priced.
		in.Promotions = append(in.Promotions, p)
	}
	for b.Loop() {
		if _, err := promo.Price(in); err != nil {
			b.Fatal(err)
		}
	}
}

func TestStacking_BeyondTheBoundHigherPriorityWins(t *testing.T) {
	var ps []promo.Promotion
	for i := range promo.MaxConflicting + 1 {
		p := tiered(int64(i+1), false, promo.Level{Threshold: 10000, Off: int64(100 * (i + 1))})
		p.Group, p.Priority = "满减", i%4
		ps = append(ps, p)
	}
	// Priorities 0,1,2,3,0,1,2,3,0,1,2: the first with priority 3 is #4, not the biggest (#11).
	r := price(t, promo.Input{Lines: []promo.Line{line(1, 10000, 1)}, Promotions: ps})
	if len(r.Steps) != 1 || r.Steps[0].PromotionID != 4 {
		t.Fatalf("steps %+v", r.Steps)
	}
	if why := notApplied(r, 11); !strings.Contains(why, "higher priority won") {
		t.Errorf("reason %q", why)
	}
}

// The reasons a promotion's conditions rule it out, word for word: the
// engine writes them without fmt, and the buyer and the operator read them.
func TestNotApplied_ConditionReasons(t *testing.T) {
	base := promo.Promotion{ID: 1, Name: "p", Kind: promo.KindFixedOff, Scope: promo.ScopeOrder, Amount: 100}
	cases := []struct {
		change func(*promo.Promotion)
		want   string
	}{
		{func(p *promo.Promotion) { p.StartsAt = sunday.AddDate(0, 0, 1) }, "not started yet (starts 2026-11-23 15:00)"},
		{func(p *promo.Promotion) { p.EndsAt = sunday.AddDate(0, 0, -1) }, "ended 2026-11-21 15:00"},
		{func(p *promo.Promotion) { p.Schedule.Weekdays = []time.Weekday{time.Wednesday} }, "not on today's schedule (Sunday 22 November in Asia/Shanghai)"},
		{func(p *promo.Promotion) { p.Channels = []string{"live", "mini app"} }, `only on channels [live mini app], not "search"`},
		{func(p *promo.Promotion) { p.ForTiers = []string{"gold"} }, "only for member tiers [gold]"},
		{func(p *promo.Promotion) { p.Segments = []string{"vip", "new"} }, "only for segments [vip new]"},
		{func(p *promo.Promotion) { p.FirstOrderOnly = true }, "first order only"},
	}
	for _, c := range cases {
		p := base
		c.change(&p)
		r := price(t, promo.Input{Channel: "search", Customer: promo.Customer{Tier: "silver", Segments: []string{"old"}},
			Lines: []promo.Line{line(1, 5000, 1)}, Promotions: []promo.Promotion{p}})
		if got := notApplied(r, 1); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}
