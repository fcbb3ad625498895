package coupon

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/page"
)

// Service is the shop's coupons over a database.
type Service struct {
	DB  *db.DB
	Now func() time.Time // nil: the wall clock
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

const templateColumns = `id, name, description, status, rule, claimable, valid_from, valid_to, valid_days, total_limit,
	per_customer_limit, issued, created_at, updated_at,
	COALESCE((SELECT code FROM coupon_codes c WHERE c.template_id = coupon_templates.id AND c.kind = 'shared'), '')`

// scanTemplate reads templateColumns, then extra columns into extra.
func scanTemplate(row interface{ Scan(...any) error }, extra ...any) (Template, error) {
	var t Template
	var rule string
	var from, to sql.NullInt64
	var created, updated int64
	err := row.Scan(append([]any{&t.ID, &t.Name, &t.Description, &t.Status, &rule, &t.Claimable, &from, &to, &t.ValidDays, &t.TotalLimit,
		&t.PerCustomerLimit, &t.Issued, &created, &updated, &t.SharedCode}, extra...)...)
	if err != nil {
		return t, err
	}
	if err := json.Unmarshal([]byte(rule), &t.Rule); err != nil {
		return t, fmt.Errorf("coupon template %d: rule: %w", t.ID, err)
	}
	t.ValidFrom, t.ValidTo = optTime(from), optTime(to)
	t.CreatedAt, t.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return t, nil
}

func optTime(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := time.UnixMilli(n.Int64).UTC()
	return &t
}

func optMillis(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

// GetTemplate returns a template.
func (s *Service) GetTemplate(ctx context.Context, id int64) (Template, error) {
	return getTemplate(ctx, s.DB, id)
}

func getTemplate(ctx context.Context, q db.Queryer, id int64) (Template, error) {
	t, err := scanTemplate(q.QueryRow(ctx, `SELECT `+templateColumns+` FROM coupon_templates WHERE id = $1`, id))
	if db.IsNoRows(err) {
		return t, fmt.Errorf("coupon template %d: %w", id, apperr.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("coupon template %d: %w", id, err)
	}
	return t, nil
}

// TemplateFilter narrows ListTemplates.
type TemplateFilter struct {
	Status    Status
	Claimable bool // only claimable ones
	Query     string
	page.Request
}

// ListTemplates lists templates, newest first.
func (s *Service) ListTemplates(ctx context.Context, f TemplateFilter) ([]Template, string, error) {
	where, args := []string{"1 = 1"}, []any{}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if f.Status != "" {
		add("status = ?", string(f.Status))
	}
	if f.Claimable {
		where = append(where, "claimable")
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		add("LOWER(name) LIKE ?", db.LikeContains(strings.ToLower(q)))
	}
	if f.After > 0 {
		add("id < ?", f.After)
	}
	if f.Limit <= 0 {
		f.Limit = page.DefaultLimit
	}
	args = append(args, f.Limit)
	rows, err := s.DB.Query(ctx, `SELECT `+templateColumns+` FROM coupon_templates WHERE `+strings.Join(where, " AND ")+
		` ORDER BY id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, "", fmt.Errorf("list coupon templates: %w", err)
	}
	defer rows.Close()
	out := []Template{}
	for rows.Next() {
		t, err := scanTemplate(rows)
		if err != nil {
			return nil, "", fmt.Errorf("list coupon templates: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	var last int64
	if len(out) > 0 {
		last = out[len(out)-1].ID
	}
	return out, page.Next(f.Request, len(out), last), nil
}

// CreateTemplate validates and stores a new, active template.
func (s *Service) CreateTemplate(ctx context.Context, in Input) (Template, error) {
	in.Normalize()
	if err := in.Validate(); err != nil {
		return Template{}, err
	}
	var id int64
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		if err := checkScope(ctx, tx, in.Rule); err != nil {
			return err
		}
		rule, _ := json.Marshal(in.Rule)
		now := s.now().UnixMilli()
		if err := tx.QueryRow(ctx, `INSERT INTO coupon_templates (name, description, kind, rule, status, claimable, valid_from, valid_to,
				valid_days, total_limit, per_customer_limit, created_at, updated_at)
			VALUES ($1, $2, $3, $4, 'active', $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id`,
			in.Name, in.Description, string(in.Rule.Kind), string(rule), in.Claimable, optMillis(in.ValidFrom), optMillis(in.ValidTo),
			in.ValidDays, in.TotalLimit, in.PerCustomerLimit, now).Scan(&id); err != nil {
			return fmt.Errorf("create coupon template: %w", err)
		}
		if err := setSharedCode(ctx, tx, id, "", in.SharedCode, now); err != nil {
			return err
		}
		t, err := getTemplate(ctx, tx, id)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, "coupon_template.create", "coupon_template", id, nil, t)
	})
	if err != nil {
		return Template{}, err
	}
	return s.GetTemplate(ctx, id)
}

// UpdateTemplate changes a template. Once coupons were issued its rule and
// validity are fixed (customers hold coupons promising them): end it and
// create a new one instead. Limits may change, not below what was issued.
func (s *Service) UpdateTemplate(ctx context.Context, id int64, in Input) (Template, error) {
	in.Normalize()
	if err := in.Validate(); err != nil {
		return Template{}, err
	}
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		before, err := getTemplate(ctx, tx, id)
		if err != nil {
			return err
		}
		if before.Status == StatusEnded {
			return fmt.Errorf("coupon template %q has ended and can't change; create a new one: %w", before.Name, apperr.ErrConflict)
		}
		if before.Issued > 0 {
			if err := sameTerms(before, in); err != nil {
				return err
			}
		}
		if err := checkScope(ctx, tx, in.Rule); err != nil {
			return err
		}
		rule, _ := json.Marshal(in.Rule)
		now := s.now().UnixMilli()
		res, err := tx.Exec(ctx, `UPDATE coupon_templates SET name = $1, description = $2, kind = $3, rule = $4, claimable = $5,
				valid_from = $6, valid_to = $7, valid_days = $8, total_limit = $9, per_customer_limit = $10, updated_at = $11
			WHERE id = $12 AND ($9 = 0 OR issued <= $9) AND issued = $13`,
			in.Name, in.Description, string(in.Rule.Kind), string(rule), in.Claimable, optMillis(in.ValidFrom), optMillis(in.ValidTo),
			in.ValidDays, in.TotalLimit, in.PerCustomerLimit, now, id, before.Issued)
		if err != nil {
			return fmt.Errorf("update coupon template %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			cur, err := getTemplate(ctx, tx, id)
			if err != nil {
				return err
			}
			if in.TotalLimit > 0 && cur.Issued > in.TotalLimit {
				return apperr.Field("total_limit", "%d coupons are already issued; the total limit can't be lower", cur.Issued)
			}
			return fmt.Errorf("coupons of %q were issued meanwhile; reload and try again: %w", cur.Name, apperr.ErrConflict)
		}
		if err := setSharedCode(ctx, tx, id, before.SharedCode, in.SharedCode, now); err != nil {
			return err
		}
		after, err := getTemplate(ctx, tx, id)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, "coupon_template.update", "coupon_template", id, before, after)
	})
	if err != nil {
		return Template{}, err
	}
	return s.GetTemplate(ctx, id)
}

// sameTerms refuses a change of what issued coupons promise.
func sameTerms(t Template, in Input) error {
	a, _ := json.Marshal(t.Rule)
	b, _ := json.Marshal(in.Rule)
	if string(a) != string(b) {
		return apperr.Field("rule", "%d coupons are already issued with this rule; end this template and create a new one to change it", t.Issued)
	}
	if t.ValidDays != in.ValidDays || !sameTime(t.ValidFrom, in.ValidFrom) || !sameTime(t.ValidTo, in.ValidTo) {
		return apperr.Field("valid_to", "%d coupons are already issued with this validity; end this template and create a new one to change it", t.Issued)
	}
	return nil
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.UnixMilli() == b.UnixMilli()
}

// setSharedCode moves the template's shared code from old to code in the
// store's one code space; a code some template already has is a field error.
func setSharedCode(ctx context.Context, tx *db.Tx, id int64, old, code string, now int64) error {
	if old == code {
		return nil
	}
	if old != "" {
		if _, err := tx.Exec(ctx, `DELETE FROM coupon_codes WHERE code = $1 AND template_id = $2 AND kind = 'shared'`, old, id); err != nil {
			return fmt.Errorf("shared code: %w", err)
		}
	}
	if code == "" {
		return nil
	}
	res, err := tx.Exec(ctx, `INSERT INTO coupon_codes (code, template_id, kind, created_at) VALUES ($1, $2, 'shared', $3)
		ON CONFLICT (code) DO NOTHING`, code, id, now)
	if err != nil {
		return fmt.Errorf("shared code: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var other int64
		tx.QueryRow(ctx, `SELECT template_id FROM coupon_codes WHERE code = $1`, code).Scan(&other)
		return apperr.Field("shared_code", "the code %s is already taken by coupon template %d; choose another", code, other)
	}
	return nil
}

// checkScope refuses products and categories the catalog doesn't have.
func checkScope(ctx context.Context, q db.Queryer, r Rule) error {
	check := func(field, table, noun string, ids []int64) error {
		for i, id := range ids {
			var one int
			err := q.QueryRow(ctx, `SELECT 1 FROM `+table+` WHERE id = $1`, id).Scan(&one)
			if db.IsNoRows(err) {
				return apperr.Field(fmt.Sprintf("rule.%s[%d]", field, i), "there is no %s %d", noun, id)
			}
			if err != nil {
				return fmt.Errorf("check %s: %w", field, err)
			}
		}
		return nil
	}
	if r.Scope == "products" {
		if err := check("product_ids", "products", "product", r.ProductIDs); err != nil {
			return err
		}
	}
	if r.Scope == "categories" {
		if err := check("category_ids", "categories", "category", r.CategoryIDs); err != nil {
			return err
		}
	}
	return nil
}

// Pause stops a template issuing coupons until Resume; Resume undoes it.
func (s *Service) Pause(ctx context.Context, id int64) (Template, error) {
	return s.setStatus(ctx, id, StatusPaused, StatusActive)
}

// Resume lets a paused template issue coupons again.
func (s *Service) Resume(ctx context.Context, id int64) (Template, error) {
	return s.setStatus(ctx, id, StatusActive, StatusPaused)
}

// End stops a template for good and expires its coupons not yet used;
// those locked by an unpaid order stay with it.
func (s *Service) End(ctx context.Context, id int64) (Template, error) {
	return s.setStatus(ctx, id, StatusEnded, StatusActive, StatusPaused)
}

func (s *Service) setStatus(ctx context.Context, id int64, to Status, from ...Status) (Template, error) {
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		before, err := getTemplate(ctx, tx, id)
		if err != nil {
			return err
		}
		allowed := false
		for _, f := range from {
			allowed = allowed || before.Status == f
		}
		if !allowed {
			return fmt.Errorf("coupon template %q is %s and can't become %s: %w", before.Name, before.Status, to, apperr.ErrConflict)
		}
		now := s.now().UnixMilli()
		res, err := tx.Exec(ctx, `UPDATE coupon_templates SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4`, string(to), now, id, string(before.Status))
		if err != nil {
			return fmt.Errorf("coupon template %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("coupon template %q changed meanwhile; reload: %w", before.Name, apperr.ErrConflict)
		}
		if to == StatusEnded {
			if _, err := tx.Exec(ctx, `UPDATE coupons SET status = 'expired', updated_at = $1 WHERE template_id = $2 AND status = 'issued'`, now, id); err != nil {
				return fmt.Errorf("expire coupons of template %d: %w", id, err)
			}
		}
		return audit.Record(ctx, tx, "coupon_template."+statusAction(to), "coupon_template", id,
			map[string]any{"status": before.Status}, map[string]any{"status": to})
	})
	if err != nil {
		return Template{}, err
	}
	return s.GetTemplate(ctx, id)
}

func statusAction(to Status) string {
	switch to {
	case StatusPaused:
		return "pause"
	case StatusEnded:
		return "end"
	}
	return "resume"
}
