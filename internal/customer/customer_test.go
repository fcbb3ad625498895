package customer_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/customer"
)

func TestValidPhone(t *testing.T) {
	cases := map[string]bool{
		"13800138000":       true,
		"19912345678":       true,
		"138 0013 8000":     true, // spaces typed by people are dropped
		"138-0013-8000":     true,
		"+85291234567":      true,
		"+1 (415) 555-2671": true,
		"+8613800138000":    true,
		"12800138000":       false, // no mainland mobile starts 12
		"1380013800":        false, // 10 digits
		"138001380001":      false,
		"+0123456789":       false, // no country code starts with 0
		"+12345":            false,
		"+1234567890123456": false, // 16 digits: longer than E.164
		"02112345678":       false, // a landline, not a mobile
		"abc":               false,
		"":                  false,
	}
	for in, want := range cases {
		if got := customer.ValidPhone(customer.NormalizePhone(in)); got != want {
			t.Errorf("ValidPhone(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestValidEmail(t *testing.T) {
	cases := map[string]bool{
		"lin@example.com":        true,
		"lin.wei+vip@mail.qq.cn": true,
		"lin@example":            false,
		"@example.com":           false,
		"lin@@example.com":       false,
		"lin@.example.com":       false,
		"lin@example..com":       false,
		"lin@example.":           false,
		"lin wei@example.com":    false,
		"lin":                    false,
	}
	for in, want := range cases {
		if got := customer.ValidEmail(in); got != want {
			t.Errorf("ValidEmail(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestProfile_Validate(t *testing.T) {
	cases := []struct {
		name  string
		p     customer.Profile
		field string
	}{
		{"name only", customer.Profile{Name: "林薇"}, ""},
		{"phone only", customer.Profile{Phone: "13800138000"}, ""},
		{"phone typed with spaces", customer.Profile{Phone: "138 0013 8000"}, ""},
		{"blank name only", customer.Profile{Name: "  "}, "name"},
		{"email only", customer.Profile{Email: "lin@example.com"}, ""},
		{"everything", customer.Profile{Name: "林薇", Phone: "+85291234567", Email: "lin@example.com", Gender: "female",
			Birthday: "1995-08-21", SourceChannel: customer.ChannelShortVideo}, ""},
		{"nothing to reach or name", customer.Profile{Note: "VIP"}, "name"},
		{"name too long", customer.Profile{Name: strings.Repeat("林", 65)}, "name"},
		{"landline", customer.Profile{Phone: "02112345678"}, "phone"},
		{"email without domain", customer.Profile{Email: "lin@"}, "email"},
		{"unknown gender", customer.Profile{Name: "x", Gender: "f"}, "gender"},
		{"impossible date", customer.Profile{Name: "x", Birthday: "1995-02-30"}, "birthday"},
		{"short year", customer.Profile{Name: "x", Birthday: "95-08-21"}, "birthday"},
		{"before 1900", customer.Profile{Name: "x", Birthday: "1850-01-01"}, "birthday"},
		{"unknown channel", customer.Profile{Name: "x", SourceChannel: "tiktok"}, "source_channel"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.p.Validate()
			if got := fieldOf(err); got != c.field || (c.field == "" && err != nil) {
				t.Fatalf("Validate() = %v, want field %q", err, c.field)
			}
		})
	}
}

func TestValidateTag(t *testing.T) {
	cases := map[string]bool{
		"高净值":                   true,
		"618 新客":                true,
		strings.Repeat("标", 32): true,
		strings.Repeat("标", 33): false,
		"":                      false,
		"a,b":                   false,
		"line\nbreak":           false,
	}
	for tag, ok := range cases {
		err := customer.ValidateTag("tag", tag)
		if (err == nil) != ok || (!ok && fieldOf(err) != "tag") {
			t.Errorf("ValidateTag(%q) = %v, want ok=%v", tag, err, ok)
		}
	}
}

func TestAddressInput_Validate(t *testing.T) {
	good := customer.AddressInput{Recipient: "林薇", Phone: "13800138000", Province: "浙江省", City: "杭州市", District: "西湖区", Detail: "文三路 90 号 3 幢 501"}
	if err := good.Validate(); err != nil {
		t.Fatalf("valid address: %v", err)
	}
	cases := []struct {
		edit  func(a *customer.AddressInput)
		field string
	}{
		{func(a *customer.AddressInput) { a.Recipient = "" }, "recipient"},
		{func(a *customer.AddressInput) { a.Phone = "" }, "phone"},
		{func(a *customer.AddressInput) { a.Detail = "" }, "detail"},
		{func(a *customer.AddressInput) { a.City = strings.Repeat("杭", 33) }, "city"},
		{func(a *customer.AddressInput) { a.Postcode = strings.Repeat("1", 17) }, "postcode"},
	}
	for _, c := range cases {
		a := good
		c.edit(&a)
		if err := a.Validate(); fieldOf(err) != c.field {
			t.Errorf("%+v: %v, want field %s", a, err, c.field)
		}
	}
}

func fieldOf(err error) string {
	var fe *apperr.FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	return ""
}
