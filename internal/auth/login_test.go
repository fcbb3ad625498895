package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
)

func TestLogin_SuccessOpensASession(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, clk := newService(d)
		o := mustCreate(t, s, "zhou", RoleOperator, "yunying-2025")
		sess, cookie, err := s.Login(ctx, " ZHOU", "yunying-2025", "10.0.0.7", "Mozilla/5.0")
		if err != nil {
			t.Fatal(err)
		}
		if len(cookie) != 43 || strings.ContainsAny(cookie, "+/=") {
			t.Errorf("cookie %q is not 32 bytes of unpadded base64url", cookie)
		}
		if sess.ID != hashSecret(cookie) || len(sess.ID) != 64 || strings.Contains(sess.ID, cookie) {
			t.Errorf("session id %q is not the SHA-256 hex of the cookie", sess.ID)
		}
		if sess.OperatorID != o.ID || !sess.CreatedAt.Equal(clk.Now()) || !sess.ExpiresAt.Equal(clk.Now().Add(12*time.Hour)) ||
			sess.IP != "10.0.0.7" || sess.UserAgent != "Mozilla/5.0" {
			t.Errorf("session %+v", sess)
		}
		var stored string
		if err := d.QueryRow(ctx, `SELECT id FROM sessions WHERE operator_id = $1`, o.ID).Scan(&stored); err != nil || stored != sess.ID {
			t.Errorf("stored session id %q, %v; want %q", stored, err, sess.ID)
		}
		got, _, err := s.Authenticate(ctx, cookie)
		if err != nil || got != o {
			t.Errorf("Authenticate = %+v, %v", got, err)
		}
		_, cookie2, err := s.Login(ctx, "zhou", "yunying-2025", "10.0.0.7", "Mozilla/5.0")
		if err != nil || cookie2 == cookie {
			t.Errorf("second login: %v, cookie reused: %v", err, cookie2 == cookie)
		}
	})
}

func TestLogin_WrongPasswordAndUnknownUserLookAlike(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(d)
		mustCreate(t, s, "zhou", RoleOperator, "yunying-2025")
		_, _, errPw := s.Login(ctx, "zhou", "yunying-2024", "10.0.0.7", "")
		_, _, errUser := s.Login(ctx, "zhuo", "yunying-2025", "10.0.0.8", "")
		if errPw != ErrBadCredentials || errUser != ErrBadCredentials {
			t.Fatalf("wrong password: %v; unknown user: %v; want ErrBadCredentials for both", errPw, errUser)
		}
		var n int64
		d.QueryRow(ctx, `SELECT COUNT(*) FROM sessions`).Scan(&n)
		if n != 0 {
			t.Errorf("%d sessions after failed logins", n)
		}
		for _, k := range []string{"user:zhou", "ip:10.0.0.7", "user:zhuo", "ip:10.0.0.8"} {
			var f int64
			if err := d.QueryRow(ctx, `SELECT failures FROM login_failures WHERE key = $1`, k).Scan(&f); err != nil || f != 1 {
				t.Errorf("failures of %s = %d, %v; want 1", k, f, err)
			}
		}
	})
}

func TestLogin_DisabledOperatorCannotLogIn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(d)
		mustCreate(t, s, "boss", RoleAdmin, "laoban-2025")
		o := mustCreate(t, s, "left", RoleViewer, "zoule-2025")
		if _, err := s.UpdateOperator(ctx, o.ID, OperatorUpdate{Disabled: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Login(ctx, "left", "zoule-2025", "", ""); !errors.Is(err, ErrOperatorDisabled) {
			t.Errorf("disabled login = %v, want ErrOperatorDisabled", err)
		}
		if _, _, err := s.Login(ctx, "left", "wrong-pass", "", ""); err != ErrBadCredentials {
			t.Errorf("disabled, wrong password = %v, want ErrBadCredentials", err)
		}
	})
}

func TestLogin_LockedAfterFiveFailuresUntilTheLockPasses(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, clk := newService(d)
		mustCreate(t, s, "zhou", RoleOperator, "yunying-2025")
		for i := range LoginMaxFailures {
			if _, _, err := s.Login(ctx, "zhou", "guess-"+string(rune('a'+i)), "10.0.0.7", ""); err != ErrBadCredentials {
				t.Fatalf("failure %d: %v, want ErrBadCredentials", i+1, err)
			}
			clk.Add(time.Minute)
		}
		// Locked at the fifth failure, a minute ago: even the right password
		// is refused without being checked, from any address.
		for _, ip := range []string{"10.0.0.7", "192.168.1.9"} {
			_, _, err := s.Login(ctx, "zhou", "yunying-2025", ip, "")
			var rl *RateLimitedError
			if !errors.As(err, &rl) {
				t.Fatalf("login from %s while locked = %v, want RateLimitedError", ip, err)
			}
			if rl.RetryAfter != LoginLockout-time.Minute {
				t.Errorf("RetryAfter = %v, want %v", rl.RetryAfter, LoginLockout-time.Minute)
			}
			if !strings.Contains(rl.Error(), "14 minutes") {
				t.Errorf("message %q should say when to try again", rl.Error())
			}
		}
		clk.Add(LoginLockout - time.Minute - time.Second)
		if _, _, err := s.Login(ctx, "zhou", "yunying-2025", "192.168.1.9", ""); err == nil {
			t.Fatal("login a second before the lock ends succeeded")
		}
		clk.Add(time.Second)
		if _, _, err := s.Login(ctx, "zhou", "yunying-2025", "192.168.1.9", ""); err != nil {
			t.Fatalf("login after the lock: %v", err)
		}
		var n int64
		d.QueryRow(ctx, `SELECT COUNT(*) FROM login_failures WHERE key IN ('user:zhou', 'ip:192.168.1.9')`).Scan(&n)
		if n != 0 {
			t.Errorf("success left %d failure counts", n)
		}
	})
}

func TestLogin_AddressLockedAfterFailuresOnManyUsernames(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(d)
		mustCreate(t, s, "zhou", RoleOperator, "yunying-2025")
		for _, u := range []string{"admin", "root", "test", "shop", "boss"} {
			if _, _, err := s.Login(ctx, u, "123456789", "203.0.113.5", ""); err != ErrBadCredentials {
				t.Fatalf("spray %s: %v", u, err)
			}
		}
		var rl *RateLimitedError
		if _, _, err := s.Login(ctx, "zhou", "yunying-2025", "203.0.113.5", ""); !errors.As(err, &rl) || rl.RetryAfter != LoginLockout {
			t.Fatalf("login from the sprayed address = %v, want RateLimitedError of %v", err, LoginLockout)
		}
		if _, _, err := s.Login(ctx, "zhou", "yunying-2025", "198.51.100.1", ""); err != nil {
			t.Fatalf("login from another address: %v", err)
		}
	})
}

func TestLogin_FailuresOutsideTheWindowDoNotAddUp(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, clk := newService(d)
		mustCreate(t, s, "zhou", RoleOperator, "yunying-2025")
		fail := func(n int) {
			t.Helper()
			for range n {
				if _, _, err := s.Login(ctx, "zhou", "wrong-password", "10.0.0.7", ""); err != ErrBadCredentials {
					t.Fatalf("failure: %v", err)
				}
			}
		}
		fail(4)
		clk.Add(LoginWindow)
		fail(4) // a new window: 4, not 8
		if _, _, err := s.Login(ctx, "zhou", "yunying-2025", "10.0.0.7", ""); err != nil {
			t.Fatalf("login after 4+4 failures in two windows: %v", err)
		}
		// Success starts the count again.
		fail(4)
		if _, _, err := s.Login(ctx, "zhou", "yunying-2025", "10.0.0.7", ""); err != nil {
			t.Fatalf("login after a success and 4 failures: %v", err)
		}
	})
}

func TestLogin_UpgradesAHashMadeWithOlderParameters(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(d)
		o := mustCreate(t, s, "zhou", RoleOperator, "yunying-2025")
		hashParams = HashParams{Memory: 128, Time: 2, Threads: 1}
		t.Cleanup(func() { hashParams = cheapParams })
		if _, _, err := s.Login(ctx, "zhou", "yunying-2025", "", ""); err != nil {
			t.Fatal(err)
		}
		var h string
		d.QueryRow(ctx, `SELECT password_hash FROM operators WHERE id = $1`, o.ID).Scan(&h)
		if !strings.Contains(h, "$m=128,t=2,p=1$") {
			t.Fatalf("hash after login %q, want the raised parameters", h)
		}
		if ok, err := CheckPassword(h, "yunying-2025"); !ok || err != nil {
			t.Fatalf("upgraded hash does not check: %v, %v", ok, err)
		}
	})
}

func TestPurgeLoginFailures_KeepsLiveCounts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, clk := newService(d)
		s.Login(ctx, "once", "wrong-password", "", "")
		clk.Add(time.Minute)
		for range LoginMaxFailures {
			s.Login(ctx, "locked", "wrong-password", "", "")
		}
		clk.Add(LoginWindow - time.Minute)
		s.Login(ctx, "fresh", "wrong-password", "", "")
		// "once" has aged out; "locked" is still locked; "fresh" is live.
		n, err := s.PurgeLoginFailures(ctx)
		if err != nil || n != 1 {
			t.Fatalf("purged %d, %v; want 1", n, err)
		}
		clk.Add(LoginLockout)
		if n, _ := s.PurgeLoginFailures(ctx); n != 2 {
			t.Fatalf("purged %d after the lock, want 2", n)
		}
	})
}

func TestRateLimitedError_SaysWhenToTryAgain(t *testing.T) {
	cases := []struct {
		d    time.Duration
		want string
	}{
		{15 * time.Minute, "try again in 15 minutes"},
		{14*time.Minute + time.Second, "try again in 15 minutes"},
		{90 * time.Second, "try again in 2 minutes"},
		{time.Minute, "try again in a minute"},
		{time.Second, "try again in a minute"},
	}
	for _, c := range cases {
		if got := (&RateLimitedError{RetryAfter: c.d}).Error(); !strings.HasSuffix(got, c.want) {
			t.Errorf("RetryAfter %v: %q, want …%q", c.d, got, c.want)
		}
	}
}
