package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
)

const (
	// TokenPrefix starts every API token secret, so a leaked one is easy to
	// recognise (secret scanners, logs).
	TokenPrefix = "so_"
	// ScopeAll grants whatever the token's operator may do.
	ScopeAll = "*"

	TokenNameMaxLen = 64
	tokenShownLen   = 8 // characters of the secret after "so_" shown in lists
	tokenTouch      = time.Minute
)

// ErrInvalidToken means the secret is unknown, revoked or expired, or its
// operator is disabled; the API answers 401.
var ErrInvalidToken = errors.New("invalid API token: unknown, revoked or expired")

// Token is an API token as lists show it; its secret is shown once, when
// it is created, and only its SHA-256 is kept.
type Token struct {
	ID         int64     `json:"id"`
	OperatorID int64     `json:"operator_id"`
	Name       string    `json:"name"`
	Prefix     string    `json:"prefix"` // the first characters after "so_", to tell tokens apart
	Scopes     []string  `json:"scopes"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"` // zero: never
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
}

// Active reports whether the token can be used at now.
func (t Token) Active(now time.Time) bool {
	return t.RevokedAt.IsZero() && (t.ExpiresAt.IsZero() || now.Before(t.ExpiresAt))
}

// Allows reports whether a request with this token may do p when the
// token's operator has role: a scope must grant p and the role must hold
// it. The role is the operator's at the time of the request, so demoting
// an operator narrows their tokens at once.
func (t Token) Allows(role Role, p Permission) bool {
	if !Can(role, p) {
		return false
	}
	for _, s := range t.Scopes {
		if scopeGrants(s, p) {
			return true
		}
	}
	return false
}

// scopeGrants: "*" grants everything, a permission grants itself, and
// area:write grants area:read too, since changing what one cannot see
// is of no use.
func scopeGrants(scope string, p Permission) bool {
	switch {
	case scope == ScopeAll, scope == string(p):
		return true
	case p.Action() == actionRead && scope == string(Write(p.Area())):
		return true
	}
	return false
}

// normalizeScopes validates scopes against role and returns them sorted
// without duplicates; "*" swallows the rest.
func normalizeScopes(scopes []string, role Role) ([]string, error) {
	if len(scopes) == 0 {
		return nil, apperr.Field("scopes", "choose at least one scope, such as products:read, or * for everything your role may do")
	}
	var out []string
	for _, s := range scopes {
		s = strings.TrimSpace(s)
		if s == ScopeAll {
			return []string{ScopeAll}, nil
		}
		p := Permission(s)
		if !ValidPermission(p) {
			return nil, apperr.Field("scopes", "%q is not a scope; use area:read or area:write with an area of %s, or *", s, strings.Join(Areas(), ", "))
		}
		if !Can(role, p) {
			return nil, apperr.Field("scopes", "the role %s cannot %s %s, so a token of this operator cannot either", role, p.Action(), p.Area())
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// CreateToken issues an API token for the operator with the given scopes,
// expiring after ttl (0: never). It returns the token and its secret; the
// secret cannot be shown again. Whether the caller may issue tokens for
// this operator is for the caller to check (CanManageTokens).
func (s *Service) CreateToken(ctx context.Context, operatorID int64, name string, scopes []string, ttl time.Duration) (Token, string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Token{}, "", apperr.Field("name", "give the token a name that says where it is used, such as \"ERP sync\"")
	}
	if n := utf8.RuneCountInString(name); n > TokenNameMaxLen {
		return Token{}, "", apperr.Field("name", "must be at most %d characters long (this one has %d)", TokenNameMaxLen, n)
	}
	if ttl < 0 {
		return Token{}, "", apperr.Field("ttl", "must not be negative; use 0 for a token that does not expire")
	}
	raw, err := randomSecret()
	if err != nil {
		return Token{}, "", err
	}
	secret := TokenPrefix + raw
	now := time.UnixMilli(s.now().UnixMilli()).UTC()
	t := Token{
		OperatorID: operatorID,
		Name:       name,
		Prefix:     raw[:tokenShownLen],
		CreatedAt:  now,
	}
	if ttl > 0 {
		t.ExpiresAt = time.UnixMilli(now.Add(ttl).UnixMilli()).UTC()
	}
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		op, err := getOperator(ctx, tx, operatorID)
		if err != nil {
			return err
		}
		if op.Disabled {
			return fmt.Errorf("create token for %s: %w", op.Username, ErrOperatorDisabled)
		}
		if t.Scopes, err = normalizeScopes(scopes, op.Role); err != nil {
			return err
		}
		var expires any
		if !t.ExpiresAt.IsZero() {
			expires = t.ExpiresAt.UnixMilli()
		}
		if err := tx.QueryRow(ctx, `INSERT INTO api_tokens (operator_id, name, prefix, token_hash, scopes, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			operatorID, t.Name, t.Prefix, hashSecret(secret), strings.Join(t.Scopes, " "), now.UnixMilli(), expires).Scan(&t.ID); err != nil {
			return fmt.Errorf("create token: %w", err)
		}
		return audit.Record(ctx, tx, "token.create", "api_token", t.ID, nil, t)
	})
	if err != nil {
		return Token{}, "", err
	}
	return t, secret, nil
}

const tokenColumns = `id, operator_id, name, prefix, scopes, created_at, expires_at, last_used_at, revoked_at`

func scanToken(row interface{ Scan(...any) error }, extra ...any) (Token, error) {
	var t Token
	var scopes string
	var created int64
	var expires, used, revoked sql.NullInt64
	dest := append([]any{&t.ID, &t.OperatorID, &t.Name, &t.Prefix, &scopes, &created, &expires, &used, &revoked}, extra...)
	if err := row.Scan(dest...); err != nil {
		return t, err
	}
	t.Scopes = strings.Fields(scopes)
	t.CreatedAt = time.UnixMilli(created).UTC()
	t.ExpiresAt = nullTime(expires)
	t.LastUsedAt = nullTime(used)
	t.RevokedAt = nullTime(revoked)
	return t, nil
}

func nullTime(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMilli(n.Int64).UTC()
}

// ListTokens returns the tokens of an operator (0: of everyone), newest
// first, revoked and expired ones included.
func (s *Service) ListTokens(ctx context.Context, operatorID int64) ([]Token, error) {
	query, args := `SELECT `+tokenColumns+` FROM api_tokens ORDER BY id DESC`, []any(nil)
	if operatorID != 0 {
		query, args = `SELECT `+tokenColumns+` FROM api_tokens WHERE operator_id = $1 ORDER BY id DESC`, []any{operatorID}
	}
	rows, err := s.DB.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// GetToken returns the token with id, so a caller can check whose it is
// before revoking it.
func (s *Service) GetToken(ctx context.Context, id int64) (Token, error) {
	return getToken(ctx, s.DB, id)
}

func getToken(ctx context.Context, q db.Queryer, id int64) (Token, error) {
	t, err := scanToken(q.QueryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("token %d: %w", id, apperr.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("get token %d: %w", id, err)
	}
	return t, nil
}

// RevokeToken ends a token for good. Revoking a revoked token changes
// nothing.
func (s *Service) RevokeToken(ctx context.Context, id int64) error {
	now := time.UnixMilli(s.now().UnixMilli()).UTC()
	return s.DB.InTx(ctx, func(tx *db.Tx) error {
		before, err := getToken(ctx, tx, id)
		if err != nil {
			return err
		}
		if !before.RevokedAt.IsZero() {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2`, now.UnixMilli(), id); err != nil {
			return fmt.Errorf("revoke token %d: %w", id, err)
		}
		after := before
		after.RevokedAt = now
		return audit.Record(ctx, tx, "token.revoke", "api_token", id, before, after)
	})
}

// AuthenticateToken returns the operator and token a secret belongs to, or
// an error wrapping ErrInvalidToken. What the request may do is then
// Token.Allows with the operator's role.
func (s *Service) AuthenticateToken(ctx context.Context, secret string) (Operator, Token, error) {
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) < len(TokenPrefix)+tokenShownLen {
		return Operator{}, Token{}, ErrInvalidToken
	}
	var o Operator
	var role string
	var oc, ou int64
	t, err := scanToken(s.DB.QueryRow(ctx, `SELECT t.id, t.operator_id, t.name, t.prefix, t.scopes, t.created_at, t.expires_at, t.last_used_at, t.revoked_at,
			o.id, o.username, o.display_name, o.role, o.lang, o.disabled, o.created_at, o.updated_at
		FROM api_tokens t JOIN operators o ON o.id = t.operator_id WHERE t.token_hash = $1`, hashSecret(secret)),
		&o.ID, &o.Username, &o.DisplayName, &role, &o.Lang, &o.Disabled, &oc, &ou)
	if errors.Is(err, sql.ErrNoRows) {
		return Operator{}, Token{}, ErrInvalidToken
	}
	if err != nil {
		return Operator{}, Token{}, fmt.Errorf("authenticate token: %w", err)
	}
	o.Role = Role(role)
	o.CreatedAt, o.UpdatedAt = time.UnixMilli(oc).UTC(), time.UnixMilli(ou).UTC()

	now := time.UnixMilli(s.now().UnixMilli()).UTC()
	switch {
	case !t.RevokedAt.IsZero():
		return Operator{}, Token{}, fmt.Errorf("%w (token %s… was revoked)", ErrInvalidToken, t.Prefix)
	case !t.Active(now):
		return Operator{}, Token{}, fmt.Errorf("%w (token %s… expired %s)", ErrInvalidToken, t.Prefix, t.ExpiresAt.Format(time.RFC3339))
	case o.Disabled:
		return Operator{}, Token{}, fmt.Errorf("%w (%w)", ErrInvalidToken, ErrOperatorDisabled)
	}
	if t.LastUsedAt.IsZero() || now.Sub(t.LastUsedAt) >= tokenTouch {
		if _, err := s.DB.Exec(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, now.UnixMilli(), t.ID); err != nil {
			return Operator{}, Token{}, fmt.Errorf("note token use: %w", err)
		}
		t.LastUsedAt = now
	}
	return o, t, nil
}
