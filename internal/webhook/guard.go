package webhook

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// A webhook URL is entered by an operator but requested by the server: left
// unchecked it would let anyone with the webhooks permission make storeops
// call its own admin ports, the cloud metadata service or the office
// network (SSRF). So only http and https are allowed, and loopback, private,
// link-local and other non-public addresses are refused — both when the URL
// is saved and again at connect time, after DNS, so a name that resolves to
// 10.0.0.5 (or is changed to later) is refused too. Service.AllowPrivate
// lifts the address rule for a shop whose ERP sits on its own network, and
// for tests against httptest on 127.0.0.1.

// ErrPrivateAddress is a webhook URL that points into a private network.
var ErrPrivateAddress = errors.New("the address is loopback, private or otherwise not public; webhooks are sent to public addresses only (the server's --webhooks-allow-private setting lifts this)")

// checkURL says what is wrong with a webhook URL, if anything.
func checkURL(raw string, allowPrivate bool) error {
	if raw == "" {
		return fieldErr("url", "give the URL to post events to, e.g. https://erp.example.com/storeops/events")
	}
	if len(raw) > 2000 {
		return fieldErr("url", "at most 2000 characters")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return fieldErr("url", "%q is not an absolute http:// or https:// URL", raw)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fieldErr("url", "only http:// and https:// URLs can receive webhooks, not %s://", u.Scheme)
	}
	if u.User != nil {
		return fieldErr("url", "put no user name or password in the URL; the receiver checks the Storeops-Signature header instead")
	}
	if u.Fragment != "" {
		return fieldErr("url", "a URL with a #fragment cannot be posted to")
	}
	if allowPrivate {
		return nil
	}
	host := strings.ToLower(u.Hostname())
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || strings.HasSuffix(host, ".local") || strings.HasSuffix(host, ".internal") {
		return fieldErr("url", "%s: %s", host, ErrPrivateAddress.Error())
	}
	if ip, err := netip.ParseAddr(host); err == nil && !publicAddr(ip) {
		return fieldErr("url", "%s: %s", host, ErrPrivateAddress.Error())
	}
	return nil
}

var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10") // carrier-grade NAT

// publicAddr reports whether ip is an address on the public internet.
func publicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsValid() && ip.IsGlobalUnicast() && !ip.IsPrivate() && !ip.IsLoopback() &&
		!ip.IsLinkLocalUnicast() && !sharedAddressSpace.Contains(ip) && !ip.IsUnspecified()
}

// newClient is the HTTP client deliveries go through: a time limit per
// request, no redirects (a 3xx is a failed attempt: following one would
// post the event somewhere the operator never entered), and, unless
// allowPrivate, a dialer that refuses non-public addresses after DNS.
func newClient(timeout time.Duration, allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: timeout}
	if !allowPrivate {
		d.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("webhook: %s: %w", address, err)
			}
			if !publicAddr(ap.Addr()) {
				return fmt.Errorf("webhook: %s: %w", ap.Addr(), ErrPrivateAddress)
			}
			return nil
		}
	}
	tr := &http.Transport{
		Proxy:                 nil, // a proxy would dial for us and skip the address check
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
