// Package auth is who may use the store and what they may do: operators
// (操作员) and their roles, passwords, console sessions and API tokens.
//
// The permission matrix (roles.go) is plain data. The Service stores
// operators, sessions, tokens and failed logins in the database, so any
// number of instances can share them. What the Service does not decide is
// who is asking: a handler checks the caller's permission (Can, or
// CanManageTokens for API tokens, which every operator may manage for
// themselves) before calling a method that changes something.
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
	"github.com/storeops/storeops/internal/i18n"
)

// Service keeps operators, sessions and API tokens.
type Service struct {
	DB  *db.DB
	Now func() time.Time // nil: time.Now
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Operator is a member of the shop's staff who uses the console or the API.
// It never carries the password hash, so it can be shown, logged and
// audited as it is.
type Operator struct {
	ID          int64     `json:"id"`
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	Role        Role      `json:"role"`
	Lang        string    `json:"lang"` // "" follows the browser
	Disabled    bool      `json:"disabled"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Can reports whether the operator holds permission p; a disabled operator
// holds none.
func (o Operator) Can(p Permission) bool { return !o.Disabled && Can(o.Role, p) }

// Name is how the console and the audit log call the operator.
func (o Operator) Name() string {
	if o.DisplayName != "" {
		return o.DisplayName
	}
	return o.Username
}

// NewOperator is what CreateOperator needs.
type NewOperator struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Role        Role   `json:"role"`
	Password    string `json:"password"`
	Lang        string `json:"lang"`
}

// OperatorUpdate changes the fields that are not nil.
type OperatorUpdate struct {
	DisplayName *string `json:"display_name"`
	Role        *string `json:"role"`
	Disabled    *bool   `json:"disabled"`
	Lang        *string `json:"lang"`
}

// ErrLastAdmin refuses a change that would leave the store without an
// enabled admin, since nobody could then manage staff or settings.
var ErrLastAdmin = fmt.Errorf("%w: the store must keep at least one enabled admin; make another operator admin first", apperr.ErrConflict)

const (
	UsernameMinLen    = 3
	UsernameMaxLen    = 32
	DisplayNameMaxLen = 64
)

// NormalizeUsername is how usernames are compared and stored: trimmed and in
// lower case, so "Alice" and "alice" are one operator.
func NormalizeUsername(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// ValidateUsername checks a normalized username: 3–32 letters, digits, dots,
// underscores or hyphens.
func ValidateUsername(name string) error {
	n := len(name)
	if n == 0 {
		return apperr.Field("username", "enter a username of %d to %d letters, digits, dots, underscores or hyphens", UsernameMinLen, UsernameMaxLen)
	}
	for _, c := range name {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return apperr.Field("username", "%q is not allowed; use only letters a–z, digits, dots, underscores and hyphens", c)
		}
	}
	if n < UsernameMinLen || n > UsernameMaxLen {
		return apperr.Field("username", "must be %d to %d characters long (this one has %d)", UsernameMinLen, UsernameMaxLen, n)
	}
	return nil
}

func validateDisplayName(s string) error {
	if n := utf8.RuneCountInString(s); n > DisplayNameMaxLen {
		return apperr.Field("display_name", "must be at most %d characters long (this one has %d)", DisplayNameMaxLen, n)
	}
	return nil
}

func validateRole(s string) error {
	if !ValidRole(s) {
		names := make([]string, len(roles))
		for i, r := range roles {
			names[i] = string(r)
		}
		return apperr.Field("role", "%q is not a role; choose one of %s", s, strings.Join(names, ", "))
	}
	return nil
}

func validateLang(s string) error {
	if s != "" && !slices.Contains(i18n.Supported, s) {
		return apperr.Field("lang", "%q is not a console language; choose one of %s, or leave it empty to follow the browser", s, strings.Join(i18n.Supported, ", "))
	}
	return nil
}

const operatorColumns = `id, username, display_name, role, lang, disabled, created_at, updated_at`

func scanOperator(row interface{ Scan(...any) error }) (Operator, error) {
	var o Operator
	var role string
	var created, updated int64
	if err := row.Scan(&o.ID, &o.Username, &o.DisplayName, &role, &o.Lang, &o.Disabled, &created, &updated); err != nil {
		return o, err
	}
	o.Role = Role(role)
	o.CreatedAt = time.UnixMilli(created).UTC()
	o.UpdatedAt = time.UnixMilli(updated).UTC()
	return o, nil
}

// CreateOperator validates and stores a new operator.
func (s *Service) CreateOperator(ctx context.Context, n NewOperator) (Operator, error) {
	username := NormalizeUsername(n.Username)
	display := strings.TrimSpace(n.DisplayName)
	for _, err := range []error{
		ValidateUsername(username),
		validateDisplayName(display),
		validateRole(string(n.Role)),
		ValidatePassword(n.Password),
		validateLang(n.Lang),
	} {
		if err != nil {
			return Operator{}, err
		}
	}
	// Hash before the transaction: argon2 is slow on purpose and must not
	// hold the writer.
	hash, err := HashPassword(n.Password)
	if err != nil {
		return Operator{}, err
	}
	now := s.now().UnixMilli()
	var o Operator
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		var err error
		o, err = scanOperator(tx.QueryRow(ctx, `INSERT INTO operators (username, display_name, role, password_hash, lang, disabled, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING `+operatorColumns,
			username, display, string(n.Role), hash, n.Lang, false, now))
		if db.IsUniqueViolation(err) {
			return apperr.Field("username", "%q is already taken; choose another username", username)
		}
		if err != nil {
			return fmt.Errorf("create operator %s: %w", username, err)
		}
		return audit.Record(ctx, tx, "operator.create", "operator", o.ID, nil, o)
	})
	if err != nil {
		return Operator{}, err
	}
	return o, nil
}

// ListOperators returns every operator, disabled ones included, by username.
func (s *Service) ListOperators(ctx context.Context) ([]Operator, error) {
	rows, err := s.DB.Query(ctx, `SELECT `+operatorColumns+` FROM operators ORDER BY username`)
	if err != nil {
		return nil, fmt.Errorf("list operators: %w", err)
	}
	defer rows.Close()
	var out []Operator
	for rows.Next() {
		o, err := scanOperator(rows)
		if err != nil {
			return nil, fmt.Errorf("list operators: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// GetOperator returns the operator with id, or an error wrapping
// apperr.ErrNotFound.
func (s *Service) GetOperator(ctx context.Context, id int64) (Operator, error) {
	return getOperator(ctx, s.DB, id)
}

func getOperator(ctx context.Context, q db.Queryer, id int64) (Operator, error) {
	o, err := scanOperator(q.QueryRow(ctx, `SELECT `+operatorColumns+` FROM operators WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return o, fmt.Errorf("operator %d: %w", id, apperr.ErrNotFound)
	}
	if err != nil {
		return o, fmt.Errorf("get operator %d: %w", id, err)
	}
	return o, nil
}

// GetOperatorByUsername returns the operator called name (in any case).
func (s *Service) GetOperatorByUsername(ctx context.Context, name string) (Operator, error) {
	username := NormalizeUsername(name)
	o, err := scanOperator(s.DB.QueryRow(ctx, `SELECT `+operatorColumns+` FROM operators WHERE username = $1`, username))
	if errors.Is(err, sql.ErrNoRows) {
		return o, fmt.Errorf("operator %q: %w", username, apperr.ErrNotFound)
	}
	if err != nil {
		return o, fmt.Errorf("get operator %q: %w", username, err)
	}
	return o, nil
}

// SetPassword replaces the operator's password and ends their sessions, so
// that whoever knew the old one is logged out everywhere.
func (s *Service) SetPassword(ctx context.Context, id int64, pw string) error {
	if err := ValidatePassword(pw); err != nil {
		return err
	}
	hash, err := HashPassword(pw)
	if err != nil {
		return err
	}
	now := s.now().UnixMilli()
	return s.DB.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE operators SET password_hash = $1, updated_at = $2 WHERE id = $3`, hash, now, id)
		if err != nil {
			return fmt.Errorf("set password of operator %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("operator %d: %w", id, apperr.ErrNotFound)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE operator_id = $1`, id); err != nil {
			return fmt.Errorf("end sessions of operator %d: %w", id, err)
		}
		// The hash stays out of the log: the record says only that it changed.
		return audit.Record(ctx, tx, "operator.password", "operator", id, nil, map[string]bool{"password_changed": true})
	})
}

// UpdateOperator changes the fields of u that are set. Disabling an operator
// ends their sessions. The last enabled admin can be neither disabled nor
// given another role (ErrLastAdmin).
func (s *Service) UpdateOperator(ctx context.Context, id int64, u OperatorUpdate) (Operator, error) {
	if u.DisplayName != nil {
		d := strings.TrimSpace(*u.DisplayName)
		u.DisplayName = &d
		if err := validateDisplayName(d); err != nil {
			return Operator{}, err
		}
	}
	if u.Role != nil {
		if err := validateRole(*u.Role); err != nil {
			return Operator{}, err
		}
	}
	if u.Lang != nil {
		if err := validateLang(*u.Lang); err != nil {
			return Operator{}, err
		}
	}
	now := s.now()
	var after Operator
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		before, err := getOperator(ctx, tx, id)
		if err != nil {
			return err
		}
		after = before
		if u.DisplayName != nil {
			after.DisplayName = *u.DisplayName
		}
		if u.Role != nil {
			after.Role = Role(*u.Role)
		}
		if u.Disabled != nil {
			after.Disabled = *u.Disabled
		}
		if u.Lang != nil {
			after.Lang = *u.Lang
		}
		if after == before {
			return nil
		}
		wasAdmin := before.Role == RoleAdmin && !before.Disabled
		isAdmin := after.Role == RoleAdmin && !after.Disabled
		if wasAdmin && !isAdmin {
			if err := keepAnAdmin(ctx, tx, id); err != nil {
				return err
			}
		}
		after.UpdatedAt = time.UnixMilli(now.UnixMilli()).UTC()
		if _, err := tx.Exec(ctx, `UPDATE operators SET display_name = $1, role = $2, disabled = $3, lang = $4, updated_at = $5 WHERE id = $6`,
			after.DisplayName, string(after.Role), after.Disabled, after.Lang, now.UnixMilli(), id); err != nil {
			return fmt.Errorf("update operator %d: %w", id, err)
		}
		if after.Disabled && !before.Disabled {
			if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE operator_id = $1`, id); err != nil {
				return fmt.Errorf("end sessions of operator %d: %w", id, err)
			}
		}
		return audit.Record(ctx, tx, "operator.update", "operator", id, before, after)
	})
	if err != nil {
		return Operator{}, err
	}
	return after, nil
}

// keepAnAdmin returns ErrLastAdmin unless an enabled admin other than id
// remains. It first locks the enabled admins' rows: on PostgreSQL two
// transactions demoting the last two admins at once would otherwise each
// see the other still enabled; with the lock the second waits and then
// counts the first one's change.
func keepAnAdmin(ctx context.Context, tx *db.Tx, id int64) error {
	if _, err := tx.Exec(ctx, `UPDATE operators SET updated_at = updated_at WHERE role = 'admin' AND NOT disabled`); err != nil {
		return fmt.Errorf("lock admins: %w", err)
	}
	var others int64
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM operators WHERE role = 'admin' AND NOT disabled AND id <> $1`, id).Scan(&others); err != nil {
		return fmt.Errorf("count admins: %w", err)
	}
	if others == 0 {
		return ErrLastAdmin
	}
	return nil
}
