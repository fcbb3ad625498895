package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Headers of every delivery.
const (
	HeaderSignature = "Storeops-Signature" // t=<unix seconds>,v1=<hex HMAC-SHA256>
	HeaderEvent     = "Storeops-Event"     // the event type
	HeaderEventID   = "Storeops-Event-Id"  // the same on every retry and replay: dedupe by it
	HeaderDelivery  = "Storeops-Delivery"  // this delivery's id
)

// Sign is the Storeops-Signature header for body sent at t: the HMAC-SHA256,
// keyed by the endpoint's secret, of "<unix seconds>.<body>". The time is
// inside the signed text so a captured request cannot be replayed later
// with a fresh timestamp.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// ErrBadSignature: the signature header does not match the body and secret,
// or its time is too far from now.
var ErrBadSignature = errors.New("webhook signature does not verify")

// Verify checks a Storeops-Signature header as a receiver would: the HMAC
// matches, and its timestamp is within tolerance of now.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrBadSignature
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return ErrBadSignature
}

// newSecret is a signing secret: whsec_ and 32 random bytes in hex.
func newSecret() string {
	var b [32]byte
	rand.Read(b[:])
	return "whsec_" + hex.EncodeToString(b[:])
}

func secretHint(s string) string {
	if len(s) < 4 {
		return ""
	}
	return "…" + s[len(s)-4:]
}
