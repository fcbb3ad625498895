package payment_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/payment"
)

func TestSign_IsHMACOfTimestampDotBody(t *testing.T) {
	m := hmac.New(sha256.New, []byte("s3cret"))
	m.Write([]byte("1781748000.{\"a\":1}"))
	if got, want := payment.Sign("s3cret", 1781748000, []byte(`{"a":1}`)), hex.EncodeToString(m.Sum(nil)); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

func TestSandbox_OutcomesAndSecret(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := &payment.Sandbox{DB: d}
		for outcome, want := range map[string]string{"": payment.StatusSucceeded, "succeed": payment.StatusSucceeded,
			"fail": payment.StatusFailed, "pending": payment.StatusPending} {
			r, err := s.Charge(ctx, payment.Charge{Amount: 100, Outcome: outcome})
			if err != nil || r.Status != want || r.Ref == "" {
				t.Errorf("outcome %q: %+v %v", outcome, r, err)
			}
		}
		var fe *apperr.FieldError
		if _, err := s.Charge(ctx, payment.Charge{Outcome: "steal"}); !errors.As(err, &fe) || fe.Field != "outcome" {
			t.Errorf("unknown outcome: %v", err)
		}
		a, err := s.Secret(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := (&payment.Sandbox{DB: d}).Secret(ctx); a != b || len(a) != 64 {
			t.Errorf("secret changed between calls: %q %q", a, b)
		}
		now := time.Unix(1781748000, 0)
		body := []byte(`{"ref":"sbx_1","status":"succeeded","nonce":"n1"}`)
		if _, err := s.Verify(ctx, d, "1781748000", payment.Sign(a, 1781748000, body), body, now.Add(-4*time.Minute)); err != nil {
			t.Errorf("callback 4 minutes early: %v", err)
		}
		if _, err := s.Verify(ctx, d, "1781748000", payment.Sign(a, 1781748000, body), body, now.Add(6*time.Minute)); !errors.Is(err, payment.ErrBadCallback) {
			t.Errorf("callback 6 minutes late: %v", err)
		}
		if _, err := s.Verify(ctx, d, "soon", "x", body, now); !errors.Is(err, payment.ErrBadCallback) {
			t.Errorf("bad timestamp: %v", err)
		}
		if n, err := payment.PurgeNonces(ctx, d, now.Add(time.Hour)); err != nil || n != 1 {
			t.Errorf("purged %d nonces, %v", n, err)
		}
	})
}
