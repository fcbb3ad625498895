package auth

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
)

func lastSeen(t *testing.T, d *db.DB, id string) (seen, expires time.Time) {
	t.Helper()
	var s, e int64
	if err := d.QueryRow(context.Background(), `SELECT last_seen_at, expires_at FROM sessions WHERE id = $1`, id).Scan(&s, &e); err != nil {
		t.Fatalf("read session: %v", err)
	}
	return time.UnixMilli(s).UTC(), time.UnixMilli(e).UTC()
}

func TestAuthenticate_SlidesIdleExpiryAndWritesAtMostOnceAMinute(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, clk := newService(d)
		o := mustCreate(t, s, "wu.li", RoleDesigner, "meigong-2025")
		start := clk.Now()
		sess, cookie, err := s.Login(ctx, "wu.li", "meigong-2025", "", "")
		if err != nil {
			t.Fatal(err)
		}
		clk.Add(30 * time.Second)
		got, gs, err := s.Authenticate(ctx, cookie)
		if err != nil || got.ID != o.ID || gs.ID != sess.ID {
			t.Fatalf("Authenticate = %+v, %+v, %v", got, gs, err)
		}
		if seen, _ := lastSeen(t, d, sess.ID); !seen.Equal(start) {
			t.Errorf("last_seen written after 30s: %v", seen)
		}
		clk.Add(31 * time.Second)
		_, gs, err = s.Authenticate(ctx, cookie)
		if err != nil {
			t.Fatal(err)
		}
		seen, exp := lastSeen(t, d, sess.ID)
		if !seen.Equal(clk.Now()) || !exp.Equal(clk.Now().Add(SessionIdle)) || !gs.ExpiresAt.Equal(exp) {
			t.Errorf("after 61s: last_seen %v expires %v (returned %v), want %v and +12h", seen, exp, gs.ExpiresAt, clk.Now())
		}

		clk.Add(SessionIdle - time.Millisecond)
		if _, _, err := s.Authenticate(ctx, cookie); err != nil {
			t.Fatalf("a millisecond before idle expiry: %v", err)
		}
		clk.Add(SessionIdle)
		if _, _, err := s.Authenticate(ctx, cookie); !errors.Is(err, ErrInvalidSession) {
			t.Fatalf("after 12h idle: %v, want ErrInvalidSession", err)
		}
	})
}

func TestAuthenticate_EndsSevenDaysAfterLoginHoweverActive(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, clk := newService(d)
		mustCreate(t, s, "wu.li", RoleDesigner, "meigong-2025")
		start := clk.Now()
		_, cookie, err := s.Login(ctx, "wu.li", "meigong-2025", "", "")
		if err != nil {
			t.Fatal(err)
		}
		for clk.Now().Sub(start) < SessionMaxAge-11*time.Hour {
			clk.Add(11 * time.Hour)
			if _, _, err := s.Authenticate(ctx, cookie); err != nil {
				t.Fatalf("active session refused after %v: %v", clk.Now().Sub(start), err)
			}
		}
		_, sess, err := s.Authenticate(ctx, cookie)
		if err != nil || !sess.ExpiresAt.Equal(start.Add(SessionMaxAge)) {
			t.Fatalf("expiry near the end %v, %v; want capped at %v", sess.ExpiresAt, err, start.Add(SessionMaxAge))
		}
		clk.Add(start.Add(SessionMaxAge).Sub(clk.Now()))
		if _, _, err := s.Authenticate(ctx, cookie); !errors.Is(err, ErrInvalidSession) {
			t.Fatalf("at 7 days: %v, want ErrInvalidSession", err)
		}
	})
}

func TestLogout_EndsTheSession(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(d)
		mustCreate(t, s, "wu.li", RoleDesigner, "meigong-2025")
		_, c1, _ := s.Login(ctx, "wu.li", "meigong-2025", "", "")
		_, c2, _ := s.Login(ctx, "wu.li", "meigong-2025", "", "")
		if err := s.Logout(ctx, c1); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Authenticate(ctx, c1); !errors.Is(err, ErrInvalidSession) {
			t.Errorf("after logout: %v", err)
		}
		if _, _, err := s.Authenticate(ctx, c2); err != nil {
			t.Errorf("the other session ended too: %v", err)
		}
		if err := s.Logout(ctx, c1); err != nil {
			t.Errorf("second logout: %v", err)
		}
		for _, c := range []string{"", "not-a-cookie"} {
			if _, _, err := s.Authenticate(ctx, c); !errors.Is(err, ErrInvalidSession) {
				t.Errorf("Authenticate(%q) = %v", c, err)
			}
		}
	})
}

func TestAuthenticate_DisabledOperatorLosesSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(d)
		mustCreate(t, s, "boss", RoleAdmin, "laoban-2025")
		o := mustCreate(t, s, "wu.li", RoleDesigner, "meigong-2025")
		_, cookie, _ := s.Login(ctx, "wu.li", "meigong-2025", "", "")
		if _, err := s.UpdateOperator(ctx, o.ID, OperatorUpdate{Disabled: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Authenticate(ctx, cookie); !errors.Is(err, ErrInvalidSession) {
			t.Errorf("disabled operator's session: %v", err)
		}
		var n int64
		d.QueryRow(ctx, `SELECT COUNT(*) FROM sessions WHERE operator_id = $1`, o.ID).Scan(&n)
		if n != 0 {
			t.Errorf("%d sessions left after disabling", n)
		}
		// Enabling again does not bring the old session back.
		if _, err := s.UpdateOperator(ctx, o.ID, OperatorUpdate{Disabled: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Authenticate(ctx, cookie); !errors.Is(err, ErrInvalidSession) {
			t.Errorf("session after re-enabling: %v", err)
		}
	})
}

func TestPurgeExpiredSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, clk := newService(d)
		mustCreate(t, s, "wu.li", RoleDesigner, "meigong-2025")
		s.Login(ctx, "wu.li", "meigong-2025", "", "")
		s.Login(ctx, "wu.li", "meigong-2025", "", "")
		clk.Add(6 * time.Hour)
		_, live, _ := s.Login(ctx, "wu.li", "meigong-2025", "", "")
		clk.Add(6 * time.Hour)
		n, err := s.PurgeExpiredSessions(ctx)
		if err != nil || n != 2 {
			t.Fatalf("purged %d, %v; want 2", n, err)
		}
		if _, _, err := s.Authenticate(ctx, live); err != nil {
			t.Errorf("live session purged: %v", err)
		}
	})
}
