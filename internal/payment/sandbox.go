package payment

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/db"
)

// SandboxName is the sandbox provider's name in the payments table.
const SandboxName = "sandbox"

// Sandbox outcomes a buyer can choose when paying.
const (
	OutcomeSucceed = "succeed"
	OutcomeFail    = "fail"
	OutcomePending = "pending"
)

// CallbackMaxAge is how old a signed callback may be; older ones are
// refused, so a captured request cannot be replayed later.
const CallbackMaxAge = 5 * time.Minute

// Headers of a sandbox callback: the unix time in seconds it was signed
// at, and the hex HMAC-SHA256 of "<timestamp>.<body>" under the store's
// sandbox secret.
const (
	HeaderTimestamp = "X-Sandbox-Timestamp"
	HeaderSignature = "X-Sandbox-Signature"
)

const secretKey = "payment.sandbox_secret"

// Sandbox is the built-in provider: no money moves. A charge succeeds,
// fails, or stays pending until a signed callback confirms it, as a real
// gateway's asynchronous notification would.
type Sandbox struct {
	DB *db.DB
}

func (s *Sandbox) Name() string { return SandboxName }

// ChargesInstantly implements Instant: the sandbox answers from memory.
func (s *Sandbox) ChargesInstantly() bool { return true }

// CheckOutcome refuses an outcome the sandbox does not know.
func CheckOutcome(o string) error {
	switch o {
	case "", OutcomeSucceed, OutcomeFail, OutcomePending:
		return nil
	}
	return apperr.Field("outcome", "must be succeed, fail or pending, not %q", o)
}

// Charge answers at once according to c.Outcome.
func (s *Sandbox) Charge(ctx context.Context, c Charge) (Result, error) {
	ref := "sbx_" + randomHex(12)
	switch c.Outcome {
	case "", OutcomeSucceed:
		return Result{Status: StatusSucceeded, Ref: ref}, nil
	case OutcomeFail:
		return Result{Status: StatusFailed, Ref: ref, Failure: "the sandbox declined the payment (outcome fail)"}, nil
	case OutcomePending:
		return Result{Status: StatusPending, Ref: ref}, nil
	}
	return Result{}, apperr.Field("outcome", "must be succeed, fail or pending, not %q", c.Outcome)
}

// Refund always succeeds in the sandbox.
func (s *Sandbox) Refund(ctx context.Context, ref string, amount int64) error { return nil }

// Secret returns the store's callback secret, generating it on first use.
func (s *Sandbox) Secret(ctx context.Context) (string, error) {
	var v string
	err := s.DB.QueryRow(ctx, `SELECT value FROM store_settings WHERE key = $1`, secretKey).Scan(&v)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("sandbox secret: %w", err)
	}
	// Two instances generating at once: the first insert wins and both read it.
	if _, err := s.DB.Exec(ctx, `INSERT INTO store_settings (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING`,
		secretKey, randomHex(32), time.Now().UnixMilli()); err != nil {
		return "", fmt.Errorf("sandbox secret: %w", err)
	}
	if err := s.DB.QueryRow(ctx, `SELECT value FROM store_settings WHERE key = $1`, secretKey).Scan(&v); err != nil {
		return "", fmt.Errorf("sandbox secret: %w", err)
	}
	return v, nil
}

// Callback is the body of a sandbox notification: the payment's reference,
// its final status (succeeded or failed) and a nonce used once.
type Callback struct {
	Ref    string `json:"ref"`
	Status string `json:"status"`
	Nonce  string `json:"nonce"`
}

// Sign is the signature of body sent at unix second ts.
func Sign(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify checks a callback's signature and age, decodes it and spends its
// nonce in q (the transaction that applies it, so a callback that fails to
// apply can be sent again). Any failure is ErrBadCallback with the reason.
func (s *Sandbox) Verify(ctx context.Context, q db.Queryer, timestamp, signature string, body []byte, now time.Time) (Callback, error) {
	ts, err := strconv.ParseInt(strings.TrimSpace(timestamp), 10, 64)
	if err != nil {
		return Callback{}, fmt.Errorf("%w: %s must be the unix time in seconds", ErrBadCallback, HeaderTimestamp)
	}
	age := now.Sub(time.Unix(ts, 0))
	if age > CallbackMaxAge || age < -CallbackMaxAge {
		return Callback{}, fmt.Errorf("%w: signed %s ago; callbacks older than %s (or from the future) are refused", ErrBadCallback, age.Round(time.Second), CallbackMaxAge)
	}
	secret, err := s.Secret(ctx)
	if err != nil {
		return Callback{}, err
	}
	want := Sign(secret, ts, body)
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(strings.TrimSpace(signature)))) {
		return Callback{}, fmt.Errorf("%w: the signature does not match", ErrBadCallback)
	}
	var cb Callback
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cb); err != nil {
		return Callback{}, apperr.Field("body", "not a sandbox callback: %v", err)
	}
	if cb.Status != StatusSucceeded && cb.Status != StatusFailed {
		return Callback{}, apperr.Field("status", "must be succeeded or failed, not %q", cb.Status)
	}
	if cb.Nonce == "" || len(cb.Nonce) > 128 {
		return Callback{}, apperr.Field("nonce", "give a unique nonce of 1 to 128 characters")
	}
	res, err := q.Exec(ctx, `INSERT INTO payment_callback_nonces (nonce, received_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
		cb.Nonce, now.UnixMilli())
	if err != nil {
		return Callback{}, fmt.Errorf("sandbox callback nonce: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Callback{}, fmt.Errorf("%w: nonce %q was used before (replayed callback)", ErrBadCallback, cb.Nonce)
	}
	return cb, nil
}

// PurgeNonces forgets nonces older than the callback age limit: a replay
// of those is refused by its timestamp already.
func PurgeNonces(ctx context.Context, d *db.DB, now time.Time) (int64, error) {
	res, err := d.Exec(ctx, `DELETE FROM payment_callback_nonces WHERE received_at < $1`, now.Add(-2*CallbackMaxAge).UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("purge callback nonces: %w", err)
	}
	return res.RowsAffected()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
