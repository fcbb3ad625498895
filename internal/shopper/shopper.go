// Package shopper signs customers in to the storefront: a phone number and
// a password (argon2id, the same hashing as operators), and a bearer token
// per session. Operators are auth's business; this is the buyers' side.
package shopper

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
)

// SessionTTL is how long a storefront sign-in lasts.
const SessionTTL = 30 * 24 * time.Hour

var (
	// ErrBadCredentials: unknown phone or wrong password (never which).
	ErrBadCredentials = errors.New("the phone number or password is wrong")
	// ErrInvalidSession: the token names no live session.
	ErrInvalidSession = errors.New("not signed in or the session has expired; sign in again")
	// ErrPhoneTaken: another customer signs in with this phone.
	ErrPhoneTaken = fmt.Errorf("another customer already signs in with this phone number: %w", apperr.ErrConflict)
)

// SessionCache is how long an instance trusts a session it looked up
// without asking the database again: every storefront call authenticates,
// and in a flash sale that read was a third of a refused attempt's cost. A
// sign-out takes effect at once on the instance that served it and within
// this on the others.
const SessionCache = 5 * time.Second

// maxCached bounds the sessions kept in memory; beyond it the cache starts
// afresh.
const maxCached = 200_000

// Service is storefront sign-in over a database.
type Service struct {
	DB        *db.DB
	Customers *customer.Service
	Now       func() time.Time

	sessions sync.Map // token hash → cachedSession
	cached   atomic.Int64
}

type cachedSession struct {
	customerID, expires int64 // expires: unix ms
	at                  time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func hashToken(t string) string {
	sum := sha256.Sum256([]byte(t))
	return hex.EncodeToString(sum[:])
}

// SetPassword lets a customer sign in with their phone number and
// password; an operator sets it (the customer needs a valid phone).
func (s *Service) SetPassword(ctx context.Context, customerID int64, password string) error {
	if err := auth.ValidatePassword(password); err != nil {
		return err
	}
	c, err := s.Customers.Get(ctx, customerID)
	if err != nil {
		return err
	}
	if !customer.ValidPhone(c.Phone) {
		return apperr.Field("phone", "the customer needs a valid mobile number to sign in with; set it on the customer first")
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *db.Tx) error {
		return s.saveCredentials(ctx, tx, customerID, c.Phone, hash)
	})
}

func (s *Service) saveCredentials(ctx context.Context, tx *db.Tx, customerID int64, phone, hash string) error {
	var other int64
	err := tx.QueryRow(ctx, `SELECT customer_id FROM customer_credentials WHERE phone = $1`, phone).Scan(&other)
	if err == nil && other != customerID {
		return ErrPhoneTaken
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("set password: %w", err)
	}
	now := s.now().UnixMilli()
	if _, err := tx.Exec(ctx, `INSERT INTO customer_credentials (customer_id, phone, password_hash, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $4) ON CONFLICT (customer_id) DO UPDATE SET phone = excluded.phone,
		password_hash = excluded.password_hash, updated_at = excluded.updated_at`, customerID, phone, hash, now); err != nil {
		if db.IsUniqueViolation(err) {
			return ErrPhoneTaken
		}
		return fmt.Errorf("set password: %w", err)
	}
	// A new password ends every session signed in with the old one.
	if _, err := tx.Exec(ctx, `DELETE FROM customer_sessions WHERE customer_id = $1`, customerID); err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	s.sessions.Range(func(k, v any) bool {
		if v.(cachedSession).customerID == customerID {
			s.sessions.Delete(k)
		}
		return true
	})
	return audit.Record(ctx, tx, "customer.set_password", "customer", customerID, nil, map[string]any{"phone": phone})
}

// Registration is what a new customer enters on the storefront.
type Registration struct {
	Name     string `json:"name"`
	Phone    string `json:"phone"`
	Password string `json:"password"`
}

// Register creates a customer who signs in with phone and password, and
// signs them in.
func (s *Service) Register(ctx context.Context, r Registration) (customer.Customer, string, error) {
	if err := auth.ValidatePassword(r.Password); err != nil {
		return customer.Customer{}, "", err
	}
	phone := customer.NormalizePhone(r.Phone)
	if !customer.ValidPhone(phone) {
		return customer.Customer{}, "", apperr.Field("phone", "give a mobile number such as 13800138000")
	}
	var taken bool
	if err := s.DB.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM customer_credentials WHERE phone = $1)`, phone).Scan(&taken); err != nil {
		return customer.Customer{}, "", fmt.Errorf("register: %w", err)
	}
	if taken {
		return customer.Customer{}, "", ErrPhoneTaken
	}
	hash, err := auth.HashPassword(r.Password)
	if err != nil {
		return customer.Customer{}, "", err
	}
	c, err := s.Customers.Create(ctx, customer.Profile{Name: strings.TrimSpace(r.Name), Phone: phone, SourceChannel: customer.ChannelDirect})
	if err != nil {
		return customer.Customer{}, "", err
	}
	if err := s.DB.InTx(ctx, func(tx *db.Tx) error { return s.saveCredentials(ctx, tx, c.ID, phone, hash) }); err != nil {
		return customer.Customer{}, "", err
	}
	token, err := s.startSession(ctx, c.ID)
	return c, token, err
}

var dummy struct {
	once sync.Once
	hash string
}

// SignIn checks a phone and password and opens a session, returning the
// customer and the bearer token.
func (s *Service) SignIn(ctx context.Context, phone, password string) (int64, string, error) {
	phone = customer.NormalizePhone(phone)
	key := "customer:" + truncate(phone, 32)
	if wait, err := s.lockedFor(ctx, key); err != nil {
		return 0, "", err
	} else if wait > 0 {
		return 0, "", &auth.RateLimitedError{RetryAfter: wait}
	}
	id, token, err := s.signIn(ctx, phone, password)
	if errors.Is(err, ErrBadCredentials) {
		if ferr := s.recordFailure(ctx, key); ferr != nil {
			return 0, "", ferr
		}
	}
	return id, token, err
}

func (s *Service) signIn(ctx context.Context, phone, password string) (int64, string, error) {
	var id int64
	var hash string
	err := s.DB.QueryRow(ctx, `SELECT customer_id, password_hash FROM customer_credentials WHERE phone = $1`, phone).Scan(&id, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		// Spend the time a check takes, so the answer does not tell
		// which phone numbers have accounts.
		dummy.once.Do(func() { dummy.hash, _ = auth.HashPassword("\x00no-such-customer") })
		auth.CheckPassword(dummy.hash, password)
		return 0, "", ErrBadCredentials
	}
	if err != nil {
		return 0, "", fmt.Errorf("sign in: %w", err)
	}
	ok, err := auth.CheckPassword(hash, password)
	if err != nil {
		return 0, "", fmt.Errorf("sign in: %w", err)
	}
	if !ok {
		return 0, "", ErrBadCredentials
	}
	token, err := s.startSession(ctx, id)
	return id, token, err
}

// OpenSession starts a storefront session for a customer without a
// password, for trusted tools in the same process (the load generator's
// simulated shoppers); the storefront itself signs in with SignIn.
func (s *Service) OpenSession(ctx context.Context, customerID int64) (string, error) {
	return s.startSession(ctx, customerID)
}

func (s *Service) startSession(ctx context.Context, customerID int64) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	token := "cs_" + base64.RawURLEncoding.EncodeToString(b[:])
	now := s.now()
	if _, err := s.DB.Exec(ctx, `INSERT INTO customer_sessions (id, customer_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		hashToken(token), customerID, now.UnixMilli(), now.Add(SessionTTL).UnixMilli()); err != nil {
		return "", fmt.Errorf("sign in: %w", err)
	}
	return token, nil
}

// Authenticate returns the customer a bearer token belongs to.
func (s *Service) Authenticate(ctx context.Context, token string) (int64, error) {
	if token == "" {
		return 0, ErrInvalidSession
	}
	h := hashToken(token)
	if v, ok := s.sessions.Load(h); ok {
		c := v.(cachedSession)
		if time.Since(c.at) < SessionCache {
			if s.now().UnixMilli() >= c.expires {
				return 0, ErrInvalidSession
			}
			return c.customerID, nil
		}
	}
	var id, expires int64
	err := s.DB.QueryRow(ctx, `SELECT customer_id, expires_at FROM customer_sessions WHERE id = $1`, h).Scan(&id, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrInvalidSession
	}
	if err != nil {
		return 0, fmt.Errorf("authenticate customer: %w", err)
	}
	if s.now().UnixMilli() >= expires {
		return 0, ErrInvalidSession
	}
	if s.cached.Add(1) > maxCached {
		s.sessions.Clear()
		s.cached.Store(0)
	}
	s.sessions.Store(h, cachedSession{customerID: id, expires: expires, at: time.Now()})
	return id, nil
}

// SignOut ends the token's session; an unknown token is not an error.
func (s *Service) SignOut(ctx context.Context, token string) error {
	s.sessions.Delete(hashToken(token))
	if _, err := s.DB.Exec(ctx, `DELETE FROM customer_sessions WHERE id = $1`, hashToken(token)); err != nil {
		return fmt.Errorf("sign out: %w", err)
	}
	return nil
}

// PurgeExpired deletes ended sessions.
func (s *Service) PurgeExpired(ctx context.Context) (int64, error) {
	res, err := s.DB.Exec(ctx, `DELETE FROM customer_sessions WHERE expires_at <= $1`, s.now().UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("purge customer sessions: %w", err)
	}
	return res.RowsAffected()
}

// Failed sign-ins are counted per phone number in the table the console's
// logins use (its purge job clears both): after auth.LoginMaxFailures
// within auth.LoginWindow the phone is locked for auth.LoginLockout.
func (s *Service) lockedFor(ctx context.Context, key string) (time.Duration, error) {
	var until int64
	err := s.DB.QueryRow(ctx, `SELECT locked_until FROM login_failures WHERE key = $1`, key).Scan(&until)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("check failed sign-ins: %w", err)
	}
	return max(0, time.UnixMilli(until).Sub(s.now())), nil
}

func (s *Service) recordFailure(ctx context.Context, key string) error {
	now := s.now()
	_, err := s.DB.Exec(ctx, `INSERT INTO login_failures (key, failures, window_start, locked_until) VALUES ($1, 1, $2, 0)
		ON CONFLICT (key) DO UPDATE SET
			failures = CASE WHEN login_failures.window_start <= $3 THEN 1 ELSE login_failures.failures + 1 END,
			window_start = CASE WHEN login_failures.window_start <= $3 THEN $2 ELSE login_failures.window_start END,
			locked_until = CASE
				WHEN login_failures.window_start <= $3 THEN 0
				WHEN login_failures.failures + 1 >= $4 THEN $5
				ELSE login_failures.locked_until END`,
		key, now.UnixMilli(), now.Add(-auth.LoginWindow).UnixMilli(), int64(auth.LoginMaxFailures), now.Add(auth.LoginLockout).UnixMilli())
	if err != nil {
		return fmt.Errorf("record failed sign-in: %w", err)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
