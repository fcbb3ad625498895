package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/db"
)

// A console session ends after SessionIdle without a request, and in any
// case SessionMaxAge after the login. Activity is written at most every
// sessionTouch, so that reading a page is not a write.
const (
	SessionIdle   = 12 * time.Hour
	SessionMaxAge = 7 * 24 * time.Hour
	sessionTouch  = time.Minute
)

// ErrInvalidSession means the cookie names no live session: unknown,
// expired, logged out, or its operator disabled. The console answers by
// showing the login page.
var ErrInvalidSession = errors.New("not logged in or the session has expired; log in again")

// Session is a logged-in console visit. ID is the SHA-256 of the cookie
// value; the value itself is known only to the browser.
type Session struct {
	ID         string    `json:"-"`
	OperatorID int64     `json:"operator_id"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	IP         string    `json:"ip"`
	UserAgent  string    `json:"user_agent"`
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func randomSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random secret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// sessionExpiry is when a session last active at seen ends: idle expiry,
// capped by the absolute maximum from its creation.
func sessionExpiry(created, seen time.Time) time.Time {
	idle, hard := seen.Add(SessionIdle), created.Add(SessionMaxAge)
	if idle.Before(hard) {
		return idle
	}
	return hard
}

func newSession(operatorID int64, now time.Time, ip, userAgent string) (Session, string, error) {
	cookie, err := randomSecret()
	if err != nil {
		return Session{}, "", err
	}
	now = time.UnixMilli(now.UnixMilli()).UTC()
	return Session{
		ID:         hashSecret(cookie),
		OperatorID: operatorID,
		CreatedAt:  now,
		ExpiresAt:  sessionExpiry(now, now),
		LastSeenAt: now,
		IP:         ip,
		UserAgent:  truncate(userAgent, 512),
	}, cookie, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary so the column stays valid UTF-8.
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

func insertSession(ctx context.Context, q db.Queryer, s Session) error {
	_, err := q.Exec(ctx, `INSERT INTO sessions (id, operator_id, created_at, expires_at, last_seen_at, ip, user_agent)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		s.ID, s.OperatorID, s.CreatedAt.UnixMilli(), s.ExpiresAt.UnixMilli(), s.LastSeenAt.UnixMilli(), s.IP, s.UserAgent)
	if err != nil {
		return fmt.Errorf("open session: %w", err)
	}
	return nil
}

// Authenticate returns the operator and session the cookie value belongs
// to, extending the session's idle expiry; ErrInvalidSession otherwise.
func (s *Service) Authenticate(ctx context.Context, cookieValue string) (Operator, Session, error) {
	if cookieValue == "" {
		return Operator{}, Session{}, ErrInvalidSession
	}
	id := hashSecret(cookieValue)
	var sess Session
	var created, expires, seen int64
	var o Operator
	var role string
	var oc, ou int64
	err := s.DB.QueryRow(ctx, `SELECT s.id, s.operator_id, s.created_at, s.expires_at, s.last_seen_at, s.ip, s.user_agent,
			o.id, o.username, o.display_name, o.role, o.lang, o.disabled, o.created_at, o.updated_at
		FROM sessions s JOIN operators o ON o.id = s.operator_id WHERE s.id = $1`, id).
		Scan(&sess.ID, &sess.OperatorID, &created, &expires, &seen, &sess.IP, &sess.UserAgent,
			&o.ID, &o.Username, &o.DisplayName, &role, &o.Lang, &o.Disabled, &oc, &ou)
	if errors.Is(err, sql.ErrNoRows) {
		return Operator{}, Session{}, ErrInvalidSession
	}
	if err != nil {
		return Operator{}, Session{}, fmt.Errorf("authenticate session: %w", err)
	}
	o.Role = Role(role)
	o.CreatedAt, o.UpdatedAt = time.UnixMilli(oc).UTC(), time.UnixMilli(ou).UTC()
	sess.CreatedAt = time.UnixMilli(created).UTC()
	sess.ExpiresAt = time.UnixMilli(expires).UTC()
	sess.LastSeenAt = time.UnixMilli(seen).UTC()

	now := time.UnixMilli(s.now().UnixMilli()).UTC()
	if !now.Before(sess.ExpiresAt) {
		return Operator{}, Session{}, fmt.Errorf("%w (expired %s)", ErrInvalidSession, sess.ExpiresAt.Format(time.RFC3339))
	}
	if o.Disabled {
		return Operator{}, Session{}, fmt.Errorf("%w (%w)", ErrInvalidSession, ErrOperatorDisabled)
	}
	if now.Sub(sess.LastSeenAt) >= sessionTouch {
		exp := sessionExpiry(sess.CreatedAt, now)
		// A session that expired or was deleted meanwhile is not revived:
		// the update matches only a live row.
		res, err := s.DB.Exec(ctx, `UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id = $3 AND expires_at > $1`,
			now.UnixMilli(), exp.UnixMilli(), id)
		if err != nil {
			return Operator{}, Session{}, fmt.Errorf("extend session: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return Operator{}, Session{}, ErrInvalidSession
		}
		sess.LastSeenAt, sess.ExpiresAt = now, exp
	}
	return o, sess, nil
}

// Logout ends the session of the cookie value; ending one that does not
// exist is not an error, so a double click on "log out" is harmless.
func (s *Service) Logout(ctx context.Context, cookieValue string) error {
	if cookieValue == "" {
		return nil
	}
	if _, err := s.DB.Exec(ctx, `DELETE FROM sessions WHERE id = $1`, hashSecret(cookieValue)); err != nil {
		return fmt.Errorf("log out: %w", err)
	}
	return nil
}

// PurgeExpiredSessions deletes the sessions that have ended and returns how
// many; a recurring job calls it.
func (s *Service) PurgeExpiredSessions(ctx context.Context) (int64, error) {
	res, err := s.DB.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, s.now().UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("purge sessions: %w", err)
	}
	return res.RowsAffected()
}
