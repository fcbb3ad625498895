package referral

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/apperr"
)

func field(err error) string {
	var fe *apperr.FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	return ""
}

func TestStatus_MovesForwardOnly(t *testing.T) {
	for _, c := range []struct {
		from, to Status
		ok       bool
	}{
		{Linked, Paid, true}, {Linked, Void, true}, {Linked, Rewarded, false},
		{Paid, Rewarded, true}, {Paid, Void, true}, {Paid, Linked, false},
		{Rewarded, Void, false}, {Rewarded, Paid, false}, {Void, Paid, false}, {Void, Rewarded, false},
	} {
		if got := c.from.CanMove(c.to); got != c.ok {
			t.Errorf("%s → %s: %v, want %v", c.from, c.to, got, c.ok)
		}
	}
}

func TestProgramme_ValidateNamesTheField(t *testing.T) {
	ok := Programme{Enabled: true, InviterPoints: 500, HoldingDays: 7, ReviewThreshold: 2}
	for _, c := range []struct {
		name  string
		edit  func(*Programme)
		field string
	}{
		{"valid", func(*Programme) {}, ""},
		{"off without rewards is fine", func(p *Programme) { p.Enabled, p.InviterPoints = false, 0 }, ""},
		{"on without any reward", func(p *Programme) { p.InviterPoints = 0 }, "inviter_points"},
		{"invitee coupon alone is a reward", func(p *Programme) { p.InviterPoints, p.InviteeCouponTemplateID = 0, 3 }, ""},
		{"negative points", func(p *Programme) { p.InviteePoints = -1 }, "invitee_points"},
		{"too many points", func(p *Programme) { p.InviterPoints = MaxPoints + 1 }, "inviter_points"},
		{"holding a year", func(p *Programme) { p.HoldingDays = 365 }, "holding_days"},
		{"negative holding", func(p *Programme) { p.HoldingDays = -1 }, "holding_days"},
		{"cap too high", func(p *Programme) { p.MonthlyCap = MaxMonthlyCap + 1 }, "monthly_cap"},
		{"threshold 0", func(p *Programme) { p.ReviewThreshold = 0 }, "review_threshold"},
		{"negative minimum", func(p *Programme) { p.MinOrderAmount = -100 }, "min_order_amount"},
		{"negative template", func(p *Programme) { p.InviterCouponTemplateID = -2 }, "inviter_coupon_template_id"},
	} {
		p := ok
		c.edit(&p)
		if got := field(p.Validate()); got != c.field {
			t.Errorf("%s: field %q, want %q (%v)", c.name, got, c.field, p.Validate())
		}
	}
}

func TestAddressKey_IgnoresSpacesPunctuationAndCase(t *testing.T) {
	a := AddressKey("上海", "上海", "浦东新区", "世纪大道 100 号")
	for _, b := range []string{
		AddressKey("上海", "上海", "浦东新区", "世纪大道100号"),
		AddressKey(" 上海", "上海 ", "浦东新区", "世纪大道，100号。"),
	} {
		if a != b {
			t.Errorf("%q != %q", a, b)
		}
	}
	if AddressKey("上海", "上海", "浦东新区", "世纪大道 101 号") == a {
		t.Error("another number is another address")
	}
	if AddressKey("Zhejiang", "Hangzhou", "", "1 West Lake Rd") != AddressKey("zhejiang", "HANGZHOU", "", "1 west lake rd.") {
		t.Error("case and dots should not matter")
	}
	if AddressKey("上海", "上海", "浦东新区", "  ") != "" {
		t.Error("no detail, no key: a province alone matches too many buyers")
	}
}

func TestSelfFlags(t *testing.T) {
	in := Inviter{Phones: []string{"13800138000"}, Devices: []string{"dev-a"}, Addresses: []string{"k1"}}
	for _, c := range []struct {
		f    Fingerprint
		want []string
	}{
		{Fingerprint{}, nil},
		{Fingerprint{Device: "dev-b", Phone: "13900139000", Address: "k2"}, nil},
		{Fingerprint{Device: "dev-a"}, []string{FlagInviterDevice}},
		{Fingerprint{Phone: "13800138000", Address: "k1"}, []string{FlagInviterPhone, FlagInviterAddr}},
	} {
		if got := SelfFlags(in, c.f); !slices.Equal(got, c.want) {
			t.Errorf("%+v: %v, want %v", c.f, got, c.want)
		}
	}
}

func TestSharedWith_CountsLookalikeInvitees(t *testing.T) {
	others := []Fingerprint{
		{Device: "d1", Phone: "p1", Address: "a1"},
		{Device: "d1", Phone: "p2", Address: "a2"},
		{Device: "d3", Phone: "p3", Address: "a1"},
		{Device: "", Phone: "", Address: ""},
		{Device: "d4", Phone: "p4", Address: "a4"},
	}
	n, flags := SharedWith(Fingerprint{Device: "d1", Address: "a1"}, others)
	if n != 3 || !slices.Equal(flags, []string{FlagSharedDevice, FlagSharedAddress}) {
		t.Fatalf("got %d %v, want 3 [shared_device shared_address]", n, flags)
	}
	// Empty parts never match each other.
	if n, flags := SharedWith(Fingerprint{}, others); n != 0 || flags != nil {
		t.Fatalf("empty fingerprint: %d %v", n, flags)
	}
}

func TestQualify(t *testing.T) {
	p := Programme{NewCustomersOnly: true, MinOrderAmount: 5000, ReviewThreshold: 2, HoldingDays: 7}
	for _, c := range []struct {
		name string
		p    Programme
		o    FirstOrder
		want Outcome
	}{
		{"plain first order", p, FirstOrder{Paid: 12900}, Outcome{Paid, "", ReviewNone}},
		{"ordered before", p, FirstOrder{Paid: 12900, PriorPaid: 1}, Outcome{Void, VoidNotNew, ReviewNone}},
		{"ordered before, programme open to all", Programme{ReviewThreshold: 2}, FirstOrder{Paid: 12900, PriorPaid: 3}, Outcome{Paid, "", ReviewNone}},
		{"below the minimum", p, FirstOrder{Paid: 4999}, Outcome{Void, VoidBelowMinimum, ReviewNone}},
		{"paid nothing", Programme{ReviewThreshold: 2}, FirstOrder{Paid: 0}, Outcome{Void, VoidBelowMinimum, ReviewNone}},
		{"the inviter's address", p, FirstOrder{Paid: 12900, Self: []string{FlagInviterAddr}}, Outcome{Void, VoidSelfReferral, ReviewNone}},
		{"one look-alike: flagged, not held", p, FirstOrder{Paid: 12900, Shared: 1}, Outcome{Paid, "", ReviewNone}},
		{"two look-alikes: held", p, FirstOrder{Paid: 12900, Shared: 2}, Outcome{Paid, "", ReviewPending}},
		{"self beats look-alikes", p, FirstOrder{Paid: 12900, Shared: 5, Self: []string{FlagInviterDevice}}, Outcome{Void, VoidSelfReferral, ReviewNone}},
	} {
		if got := Qualify(c.p, c.o); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestRefundVoids(t *testing.T) {
	p := Programme{MinOrderAmount: 5000}
	for _, c := range []struct {
		total, refunded int64
		want            bool
	}{
		{12900, 0, false}, {12900, 7900, false}, {12900, 7901, true}, {12900, 12900, true},
		{3000, 0, true}, // never qualified; a refund check must not rescue it either
	} {
		if got := RefundVoids(p, c.total, c.refunded); got != c.want {
			t.Errorf("total %d refunded %d: %v, want %v", c.total, c.refunded, got, c.want)
		}
	}
	if !RefundVoids(Programme{}, 100, 100) || RefundVoids(Programme{}, 100, 99) {
		t.Error("without a minimum only a full refund voids")
	}
}

func TestMonth_InTheStoreZone(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	// 2026-06-30 17:00 UTC is 1 July 01:00 in Shanghai.
	at := time.Date(2026, 6, 30, 17, 0, 0, 0, time.UTC)
	if Month(at, sh) != 202607 || Month(at, time.UTC) != 202606 {
		t.Fatalf("got %d / %d", Month(at, sh), Month(at, time.UTC))
	}
}

func TestMask(t *testing.T) {
	for in, want := range map[string]string{"": "*", "张": "张*", "张三": "张*", "欧阳娜娜": "欧***", "Alexander": "A***"} {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestJoinFlags_SortedUnique(t *testing.T) {
	if got := joinFlags("shared_phone", "inviter_device", "shared_phone", ""); got != "inviter_device,shared_phone" {
		t.Fatal(got)
	}
	if got := splitFlags(""); len(got) != 0 {
		t.Fatal(got)
	}
}
