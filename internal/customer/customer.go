// Package customer keeps the shop's customers (客户): their profile, the
// channel they came from, marketing consent, tags and delivery addresses.
package customer

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/storeops/storeops/internal/apperr"
)

// Channels a customer first came from (渠道); "" when unknown.
const (
	ChannelSearch     = "search"      // 搜索
	ChannelLive       = "live"        // 直播
	ChannelShortVideo = "short_video" // 短视频
	ChannelCommunity  = "community"   // 社群
	ChannelAds        = "ads"         // 广告
	ChannelDirect     = "direct"      // 直接
)

// Genders as recorded; "" when not given.
const (
	GenderFemale = "female"
	GenderMale   = "male"
	GenderOther  = "other"
)

const (
	maxName     = 64
	maxEmail    = 254
	maxNote     = 2000
	maxExtID    = 128
	maxTag      = 32
	maxTags     = 100
	maxDetail   = 200
	maxRegion   = 32
	maxPostcode = 16
)

// Customer is one person who buys, or may buy, from the shop.
type Customer struct {
	ID               int64     `json:"id"`
	ExternalID       string    `json:"external_id"` // the id on the platform the customer came from
	Name             string    `json:"name"`
	Phone            string    `json:"phone"`
	Email            string    `json:"email"`
	Gender           string    `json:"gender"`
	Birthday         string    `json:"birthday"` // YYYY-MM-DD or ""
	SourceChannel    string    `json:"source_channel"`
	ConsentSMS       bool      `json:"consent_sms"`
	ConsentEmail     bool      `json:"consent_email"`
	ConsentWeCom     bool      `json:"consent_wecom"`
	ConsentUpdatedAt time.Time `json:"consent_updated_at,omitzero"` // zero: never given or withdrawn
	Note             string    `json:"note"`
	Tags             []string  `json:"tags"`
	Addresses        []Address `json:"addresses,omitempty"` // filled by Get, not by List
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

// Profile is what an operator enters to create or change a customer.
type Profile struct {
	ExternalID    string `json:"external_id"`
	Name          string `json:"name"`
	Phone         string `json:"phone"`
	Email         string `json:"email"`
	Gender        string `json:"gender"`
	Birthday      string `json:"birthday"`
	SourceChannel string `json:"source_channel"`
	Note          string `json:"note"`
}

// Consent is what marketing the customer agreed to receive, per channel.
type Consent struct {
	SMS   bool `json:"sms"`
	Email bool `json:"email"`
	WeCom bool `json:"wecom"` // 企业微信
}

// Address is a delivery address.
type Address struct {
	ID         int64     `json:"id"`
	CustomerID int64     `json:"customer_id"`
	Recipient  string    `json:"recipient"`
	Phone      string    `json:"phone"`
	Province   string    `json:"province"`
	City       string    `json:"city"`
	District   string    `json:"district"`
	Detail     string    `json:"detail"`
	Postcode   string    `json:"postcode"`
	IsDefault  bool      `json:"is_default"`
	CreatedAt  time.Time `json:"created_at"`
}

// AddressInput is what an operator enters for an address. Default makes it
// the default; clearing it on the current default changes nothing, since a
// customer with addresses always has exactly one default.
type AddressInput struct {
	Recipient string `json:"recipient"`
	Phone     string `json:"phone"`
	Province  string `json:"province"`
	City      string `json:"city"`
	District  string `json:"district"`
	Detail    string `json:"detail"`
	Postcode  string `json:"postcode"`
	Default   bool   `json:"default"`
}

// ValidChannel reports whether c is a source channel ("" included).
func ValidChannel(c string) bool {
	switch c {
	case "", ChannelSearch, ChannelLive, ChannelShortVideo, ChannelCommunity, ChannelAds, ChannelDirect:
		return true
	}
	return false
}

var (
	mainlandMobile = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	international  = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`) // E.164: at most 15 digits
	phoneSpacing   = strings.NewReplacer(" ", "", "-", "", "(", "", ")", "")
)

// NormalizePhone drops the spaces, dashes and brackets people type in phone
// numbers: "138 0013 8000" is stored as 13800138000.
func NormalizePhone(p string) string { return phoneSpacing.Replace(strings.TrimSpace(p)) }

// ValidPhone reports whether p (normalised) is a mainland mobile number or
// an international one written with + and its country code.
func ValidPhone(p string) bool { return mainlandMobile.MatchString(p) || international.MatchString(p) }

// ValidEmail checks the shape of an address: something@domain.tld without
// spaces. Whether it receives mail only sending can tell.
func ValidEmail(e string) bool {
	if len(e) > maxEmail || strings.ContainsFunc(e, func(r rune) bool { return r <= ' ' }) {
		return false
	}
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" || strings.Contains(domain, "@") {
		return false
	}
	dot := strings.LastIndexByte(domain, '.')
	return dot > 0 && dot < len(domain)-1 && !strings.HasPrefix(domain, ".") && !strings.Contains(domain, "..")
}

// NormalizeTag trims a tag; ValidateTag then checks it.
func NormalizeTag(t string) string { return strings.TrimSpace(t) }

// ValidateTag checks one tag (1–32 characters, no commas: lists of tags are
// typed and shown comma-separated).
func ValidateTag(field, tag string) error {
	n := utf8.RuneCountInString(tag)
	switch {
	case n == 0:
		return apperr.Field(field, "a tag cannot be empty")
	case n > maxTag:
		return apperr.Field(field, "a tag has at most %d characters (%q has %d)", maxTag, tag, n)
	case strings.ContainsFunc(tag, func(r rune) bool { return r == ',' || r < ' ' }):
		return apperr.Field(field, "a tag cannot contain a comma (%q); add two tags instead", tag)
	}
	return nil
}

func (p Profile) normalized() Profile {
	p.ExternalID = strings.TrimSpace(p.ExternalID)
	p.Name = strings.TrimSpace(p.Name)
	p.Phone = NormalizePhone(p.Phone)
	p.Email = strings.TrimSpace(p.Email)
	p.Gender = strings.TrimSpace(p.Gender)
	p.Birthday = strings.TrimSpace(p.Birthday)
	p.SourceChannel = strings.TrimSpace(p.SourceChannel)
	return p
}

// Validate says which field of p is wrong, if any, judging p as it would
// be stored (trimmed, phone normalised).
func (p Profile) Validate() error {
	p = p.normalized()
	if p.Name == "" && p.Phone == "" && p.Email == "" {
		return apperr.Field("name", "give at least a name, a phone number or an email")
	}
	if n := utf8.RuneCountInString(p.Name); n > maxName {
		return apperr.Field("name", "at most %d characters (this is %d)", maxName, n)
	}
	if p.Phone != "" && !ValidPhone(p.Phone) {
		return apperr.Field("phone", "%q is not a mobile number such as 13800138000, or +country code and number such as +85291234567", p.Phone)
	}
	if p.Email != "" && !ValidEmail(p.Email) {
		return apperr.Field("email", "%q is not an email address such as name@example.com", p.Email)
	}
	switch p.Gender {
	case "", GenderFemale, GenderMale, GenderOther:
	default:
		return apperr.Field("gender", "must be female, male, other or empty, not %q", p.Gender)
	}
	if p.Birthday != "" {
		d, err := time.Parse(time.DateOnly, p.Birthday)
		if err != nil || d.Year() < 1900 {
			return apperr.Field("birthday", "%q is not a date written YYYY-MM-DD, such as 1995-08-21", p.Birthday)
		}
	}
	if !ValidChannel(p.SourceChannel) {
		return apperr.Field("source_channel", "must be search, live, short_video, community, ads, direct or empty, not %q", p.SourceChannel)
	}
	if n := utf8.RuneCountInString(p.ExternalID); n > maxExtID {
		return apperr.Field("external_id", "at most %d characters", maxExtID)
	}
	if n := utf8.RuneCountInString(p.Note); n > maxNote {
		return apperr.Field("note", "at most %d characters (this is %d)", maxNote, n)
	}
	return nil
}

// searchText is what List's Query matches: name, phone and email.
func (p Profile) searchText() string {
	return strings.ToLower(strings.Join([]string{p.Name, p.Phone, p.Email}, " "))
}

func (a AddressInput) normalized() AddressInput {
	a.Recipient = strings.TrimSpace(a.Recipient)
	a.Phone = NormalizePhone(a.Phone)
	a.Province = strings.TrimSpace(a.Province)
	a.City = strings.TrimSpace(a.City)
	a.District = strings.TrimSpace(a.District)
	a.Detail = strings.TrimSpace(a.Detail)
	a.Postcode = strings.TrimSpace(a.Postcode)
	return a
}

// Validate says which field of a is wrong, if any, judging a as it would
// be stored (trimmed, phone normalised).
func (a AddressInput) Validate() error {
	a = a.normalized()
	if a.Recipient == "" {
		return apperr.Field("recipient", "give the recipient's name")
	}
	if n := utf8.RuneCountInString(a.Recipient); n > maxName {
		return apperr.Field("recipient", "at most %d characters (this is %d)", maxName, n)
	}
	if !ValidPhone(a.Phone) {
		return apperr.Field("phone", "the courier needs a mobile number such as 13800138000 (or +country code and number), not %q", a.Phone)
	}
	for _, f := range []struct{ name, v string }{{"province", a.Province}, {"city", a.City}, {"district", a.District}} {
		if n := utf8.RuneCountInString(f.v); n > maxRegion {
			return apperr.Field(f.name, "at most %d characters (this is %d)", maxRegion, n)
		}
	}
	if a.Detail == "" {
		return apperr.Field("detail", "give the street, building and room")
	}
	if n := utf8.RuneCountInString(a.Detail); n > maxDetail {
		return apperr.Field("detail", "at most %d characters (this is %d)", maxDetail, n)
	}
	if len(a.Postcode) > maxPostcode {
		return apperr.Field("postcode", "at most %d characters", maxPostcode)
	}
	return nil
}

func fieldTooManyTags() error {
	return apperr.Field("tags", "at most %d tags per customer", maxTags)
}
