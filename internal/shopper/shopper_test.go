package shopper_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/shopper"
)

func TestMain(m *testing.M) {
	auth.UseCheapHashesForTests()
	os.Exit(m.Run())
}

func TestSignIn_PasswordSessionsAndRegistration(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 6, 18, 2, 0, 0, 0, time.UTC)
		cs := &customer.Service{DB: d}
		s := &shopper.Service{DB: d, Customers: cs, Now: func() time.Time { return now }}
		noPhone, _ := cs.Create(ctx, customer.Profile{Name: "无手机"})
		if err := s.SetPassword(ctx, noPhone.ID, "good-pass-1"); !isField(err, "phone") {
			t.Errorf("no phone: %v", err)
		}
		c, _ := cs.Create(ctx, customer.Profile{Name: "张三", Phone: "13800138000"})
		if err := s.SetPassword(ctx, c.ID, "12345678"); !isField(err, "password") {
			t.Errorf("digits-only password: %v", err)
		}
		if err := s.SetPassword(ctx, c.ID, "good-pass-1"); err != nil {
			t.Fatal(err)
		}
		for _, bad := range [][2]string{{"13800138000", "wrong-pass"}, {"13900000000", "good-pass-1"}} {
			if _, _, err := s.SignIn(ctx, bad[0], bad[1]); !errors.Is(err, shopper.ErrBadCredentials) {
				t.Errorf("sign in %v: %v", bad, err)
			}
		}
		// Guessing is limited per phone number.
		for range auth.LoginMaxFailures - 1 {
			s.SignIn(ctx, "13800138000", "wrong-pass")
		}
		var limited *auth.RateLimitedError
		if _, _, err := s.SignIn(ctx, "13800138000", "good-pass-1"); !errors.As(err, &limited) {
			t.Fatalf("after %d failures: %v, want rate limited", auth.LoginMaxFailures, err)
		}
		now = now.Add(auth.LoginLockout)
		id, token, err := s.SignIn(ctx, "138 0013 8000", "good-pass-1")
		if err != nil || id != c.ID || token == "" {
			t.Fatalf("sign in: %d %q %v", id, token, err)
		}
		if got, err := s.Authenticate(ctx, token); err != nil || got != c.ID {
			t.Errorf("authenticate: %d %v", got, err)
		}
		if err := s.SignOut(ctx, token); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, token); !errors.Is(err, shopper.ErrInvalidSession) {
			t.Errorf("after sign out: %v", err)
		}
		// A new password ends the sessions at once, also ones this
		// instance has just looked up (and keeps in memory).
		_, token, _ = s.SignIn(ctx, "13800138000", "good-pass-1")
		if _, err := s.Authenticate(ctx, token); err != nil {
			t.Fatal(err)
		}
		if err := s.SetPassword(ctx, c.ID, "good-pass-1b"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, token); !errors.Is(err, shopper.ErrInvalidSession) {
			t.Errorf("after a new password: %v", err)
		}
		_, token, _ = s.SignIn(ctx, "13800138000", "good-pass-1b")
		now = now.Add(shopper.SessionTTL)
		if _, err := s.Authenticate(ctx, token); !errors.Is(err, shopper.ErrInvalidSession) {
			t.Errorf("expired session: %v", err)
		}
		if n, _ := s.PurgeExpired(ctx); n != 1 {
			t.Errorf("purged %d sessions", n)
		}

		twin, _ := cs.Create(ctx, customer.Profile{Name: "同号", Phone: "13800138000"})
		if err := s.SetPassword(ctx, twin.ID, "good-pass-2"); !errors.Is(err, apperr.ErrConflict) {
			t.Errorf("second customer with the phone: %v", err)
		}
		if _, _, err := s.Register(ctx, shopper.Registration{Name: "新人", Phone: "13800138000", Password: "good-pass-3"}); !errors.Is(err, shopper.ErrPhoneTaken) {
			t.Errorf("register a taken phone: %v", err)
		}
		nc, token, err := s.Register(ctx, shopper.Registration{Name: "新人", Phone: "13700137000", Password: "good-pass-3"})
		if err != nil || nc.Phone != "13700137000" {
			t.Fatalf("register: %+v %v", nc, err)
		}
		if got, err := s.Authenticate(ctx, token); err != nil || got != nc.ID {
			t.Errorf("registered customer's token: %d %v", got, err)
		}
	})
}

func isField(err error, field string) bool {
	var fe *apperr.FieldError
	return errors.As(err, &fe) && fe.Field == field
}
