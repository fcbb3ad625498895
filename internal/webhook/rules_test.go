package webhook

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/apperr"
)

func TestCheckURL_OnlyPublicHTTPUnlessAllowed(t *testing.T) {
	cases := []struct {
		url          string
		ok, okIfOpen bool
	}{
		{"https://erp.example.com/hooks", true, true},
		{"http://203.0.113.9:8080/in", true, true},
		{"ftp://example.com/x", false, false},
		{"file:///etc/passwd", false, false},
		{"example.com/hooks", false, false},
		{"https://user:pw@example.com/", false, false},
		{"", false, false},
		{"http://127.0.0.1:9000/", false, true},
		{"http://localhost/", false, true},
		{"http://10.1.2.3/", false, true},
		{"http://192.168.1.10/", false, true},
		{"http://172.16.0.1/", false, true},
		{"http://169.254.169.254/latest/meta-data", false, true},
		{"http://[::1]/", false, true},
		{"http://[::ffff:127.0.0.1]/", false, true},
		{"http://100.64.0.1/", false, true},
		{"http://0.0.0.0/", false, true},
		{"http://erp.internal/", false, true},
	}
	for _, c := range cases {
		for _, open := range []bool{false, true} {
			want := c.ok
			if open {
				want = c.okIfOpen
			}
			err := checkURL(c.url, open)
			var fe *apperr.FieldError
			if (err == nil) != want || (err != nil && (!errors.As(err, &fe) || fe.Field != "url")) {
				t.Errorf("checkURL(%q, allowPrivate=%v) = %v, want ok=%v", c.url, open, err, want)
			}
		}
	}
}

func TestPublicAddr(t *testing.T) {
	for a, want := range map[string]bool{"8.8.8.8": true, "2001:4860:4860::8888": true, "127.0.0.1": false, "10.0.0.1": false,
		"fe80::1": false, "fc00::1": false, "::": false, "224.0.0.1": false} {
		if got := publicAddr(netip.MustParseAddr(a)); got != want {
			t.Errorf("publicAddr(%s) = %v, want %v", a, got, want)
		}
	}
}

func TestBackoff_DoublesUpToTheCapWithJitter(t *testing.T) {
	base, max := 30*time.Second, 6*time.Hour
	cases := []struct {
		n      int64
		jitter float64
		want   time.Duration
	}{
		{1, 1, 30 * time.Second},
		{1, 0, 15 * time.Second},
		{2, 1, time.Minute},
		{3, 1, 2 * time.Minute},
		{10, 1, 30 * time.Second << 9},
		{11, 1, 6 * time.Hour},
		{40, 1, 6 * time.Hour},
		{40, 0, 3 * time.Hour},
	}
	for _, c := range cases {
		if got := Backoff(c.n, base, max, c.jitter); got != c.want {
			t.Errorf("Backoff(%d, jitter %v) = %v, want %v", c.n, c.jitter, got, c.want)
		}
	}
}

func TestVerify_AcceptsOnlyTheSignedBodyFresh(t *testing.T) {
	at := time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)
	body := []byte(`{"id":1,"type":"order.paid"}`)
	h := Sign("whsec_x", at, body)
	if err := Verify("whsec_x", h, body, at.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatalf("good signature: %v", err)
	}
	for name, c := range map[string]struct {
		secret, header string
		body           []byte
		now            time.Time
	}{
		"other secret":   {"whsec_y", h, body, at},
		"tampered body":  {"whsec_x", h, []byte(`{"id":1,"type":"order.refunded"}`), at},
		"too old":        {"whsec_x", h, body, at.Add(10 * time.Minute)},
		"no header":      {"whsec_x", "", body, at},
		"time swapped":   {"whsec_x", "t=" + strconv.FormatInt(at.Unix()+60, 10) + h[strings.Index(h, ","):], body, at},
		"signature only": {"whsec_x", "v1=" + h[len(h)-64:], body, at},
	} {
		if err := Verify(c.secret, c.header, c.body, c.now, 5*time.Minute); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: %v, want ErrBadSignature", name, err)
		}
	}
}

func TestMatches(t *testing.T) {
	cases := []struct {
		patterns []string
		typ      string
		want     bool
	}{
		{[]string{"*"}, "brief.created", true},
		{[]string{"order.*"}, "order.paid", true},
		{[]string{"order.*"}, "orders.paid", false},
		{[]string{"order.paid"}, "order.paid", true},
		{[]string{"order.paid"}, "order.paid_late", false},
		{[]string{"aftersale.*", "order.refunded"}, "order.refunded", true},
		{nil, "order.paid", false},
	}
	for _, c := range cases {
		if got := Matches(c.patterns, c.typ); got != c.want {
			t.Errorf("Matches(%v, %s) = %v", c.patterns, c.typ, got)
		}
	}
	for p, want := range map[string]bool{"*": true, "order.*": true, "order.paid": true, "order": false, "Order.Paid": false, "order.**": false, ".*": false} {
		if got := validPattern(p); got != want {
			t.Errorf("validPattern(%q) = %v", p, got)
		}
	}
}
