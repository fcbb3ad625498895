package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
)

// Failed logins are counted per username and per client address: after
// LoginMaxFailures within LoginWindow, the key is locked for LoginLockout.
const (
	LoginMaxFailures = 5
	LoginWindow      = 15 * time.Minute
	LoginLockout     = 15 * time.Minute
)

var (
	// ErrBadCredentials is the answer to an unknown username and to a wrong
	// password alike, so the login form does not tell which usernames exist.
	ErrBadCredentials = errors.New("wrong username or password")
	// ErrOperatorDisabled is returned, after a correct password only, to an
	// operator whose account an admin has disabled.
	ErrOperatorDisabled = errors.New("this account is disabled; ask an admin to enable it")
)

// RateLimitedError refuses a login while its username or address is locked
// after too many failures.
type RateLimitedError struct {
	RetryAfter time.Duration
}

func (e *RateLimitedError) Error() string {
	m := int((e.RetryAfter + time.Minute - 1) / time.Minute)
	if m <= 1 {
		return "too many failed logins; try again in a minute"
	}
	return fmt.Sprintf("too many failed logins; try again in %d minutes", m)
}

// userKey bounds the key's length: a name longer than any username still
// counts, without letting a client store megabytes per attempt.
func userKey(username string) string { return "user:" + truncate(username, 64) }
func ipKey(ip string) string         { return "ip:" + ip }

func loginKeys(username, ip string) []string {
	keys := []string{userKey(username)}
	if ip != "" {
		keys = append(keys, ipKey(ip))
	}
	return keys
}

// Login checks the username and password and opens a session. It returns
// the session and the value for the session cookie, which is not stored
// anywhere and cannot be recovered later.
func (s *Service) Login(ctx context.Context, username, password, ip, userAgent string) (Session, string, error) {
	username = NormalizeUsername(username)
	keys := loginKeys(username, ip)
	now := s.now()
	if wait, err := s.lockedFor(ctx, keys, now); err != nil {
		return Session{}, "", err
	} else if wait > 0 {
		return Session{}, "", &RateLimitedError{RetryAfter: wait}
	}

	op, hash, err := s.operatorWithHash(ctx, username)
	known := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Session{}, "", err
	}
	if !known {
		// Spend the time a real check takes, so that timing does not tell
		// which usernames exist.
		hash = dummyHash()
	}
	ok, err := CheckPassword(hash, password)
	if err != nil && known {
		return Session{}, "", fmt.Errorf("login %s: %w", username, err)
	}
	if !ok || !known {
		if err := s.recordFailure(ctx, keys, now); err != nil {
			return Session{}, "", err
		}
		return Session{}, "", ErrBadCredentials
	}
	if op.Disabled {
		return Session{}, "", ErrOperatorDisabled
	}

	var rehash string
	if needsRehash(hash) {
		// The parameters were raised since this hash was made; the password
		// is at hand only now, so upgrade it while we can. A failure here
		// costs nothing but the upgrade.
		rehash, _ = HashPassword(password)
	}
	sess, cookie, err := newSession(op.ID, now, ip, userAgent)
	if err != nil {
		return Session{}, "", err
	}
	ctx = audit.WithActor(ctx, audit.Actor{Kind: "operator", ID: op.ID, Name: op.Username, IP: ip})
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		// Success clears the address's count too: the username's own count
		// still bounds guessing against each account, and a shop whose staff
		// share one office address would otherwise lock each other out.
		for _, k := range keys {
			if _, err := tx.Exec(ctx, `DELETE FROM login_failures WHERE key = $1`, k); err != nil {
				return fmt.Errorf("clear failed logins: %w", err)
			}
		}
		if rehash != "" {
			if _, err := tx.Exec(ctx, `UPDATE operators SET password_hash = $1 WHERE id = $2 AND password_hash = $3`, rehash, op.ID, hash); err != nil {
				return fmt.Errorf("upgrade password hash: %w", err)
			}
		}
		if err := insertSession(ctx, tx, sess); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "operator.login", "operator", op.ID, nil, map[string]string{"ip": ip, "user_agent": userAgent})
	})
	if err != nil {
		return Session{}, "", err
	}
	return sess, cookie, nil
}

func (s *Service) operatorWithHash(ctx context.Context, username string) (Operator, string, error) {
	var o Operator
	var role, hash string
	var created, updated int64
	err := s.DB.QueryRow(ctx, `SELECT `+operatorColumns+`, password_hash FROM operators WHERE username = $1`, username).
		Scan(&o.ID, &o.Username, &o.DisplayName, &role, &o.Lang, &o.Disabled, &created, &updated, &hash)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return o, "", err
		}
		return o, "", fmt.Errorf("look up operator %s: %w", username, err)
	}
	o.Role = Role(role)
	o.CreatedAt = time.UnixMilli(created).UTC()
	o.UpdatedAt = time.UnixMilli(updated).UTC()
	return o, hash, nil
}

// lockedFor returns how long the longest lock among keys still holds.
func (s *Service) lockedFor(ctx context.Context, keys []string, now time.Time) (time.Duration, error) {
	var wait time.Duration
	for _, k := range keys {
		var until int64
		err := s.DB.QueryRow(ctx, `SELECT locked_until FROM login_failures WHERE key = $1`, k).Scan(&until)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("check failed logins: %w", err)
		}
		if d := time.UnixMilli(until).Sub(now); d > wait {
			wait = d
		}
	}
	return wait, nil
}

// recordFailure counts one failed login against each key. A count whose
// window has passed starts again at one; the failure that reaches
// LoginMaxFailures within the window locks the key.
func (s *Service) recordFailure(ctx context.Context, keys []string, now time.Time) error {
	ms := now.UnixMilli()
	windowStart := now.Add(-LoginWindow).UnixMilli()
	lockUntil := now.Add(LoginLockout).UnixMilli()
	return s.DB.InTx(ctx, func(tx *db.Tx) error {
		for _, k := range keys {
			// In ON CONFLICT … SET, login_failures.* is the row as it was,
			// on both engines.
			_, err := tx.Exec(ctx, `INSERT INTO login_failures (key, failures, window_start, locked_until) VALUES ($1, 1, $2, 0)
				ON CONFLICT (key) DO UPDATE SET
					failures = CASE WHEN login_failures.window_start <= $3 THEN 1 ELSE login_failures.failures + 1 END,
					window_start = CASE WHEN login_failures.window_start <= $3 THEN $2 ELSE login_failures.window_start END,
					locked_until = CASE
						WHEN login_failures.window_start <= $3 THEN 0
						WHEN login_failures.failures + 1 >= $4 THEN $5
						ELSE login_failures.locked_until END`,
				k, ms, windowStart, int64(LoginMaxFailures), lockUntil)
			if err != nil {
				return fmt.Errorf("record failed login: %w", err)
			}
		}
		return nil
	})
}

// PurgeLoginFailures deletes counts whose window and lock have both passed.
func (s *Service) PurgeLoginFailures(ctx context.Context) (int64, error) {
	now := s.now()
	res, err := s.DB.Exec(ctx, `DELETE FROM login_failures WHERE window_start <= $1 AND locked_until <= $2`,
		now.Add(-LoginWindow).UnixMilli(), now.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("purge failed logins: %w", err)
	}
	return res.RowsAffected()
}
