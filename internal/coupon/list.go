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
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/page"
	"github.com/storeops/storeops/internal/promo"
)

const couponColumns = `c.id, c.template_id, t.name, t.description, t.rule, c.customer_id, c.status, c.source, c.code,
	COALESCE(c.shared_code, ''), c.valid_from, c.valid_to, COALESCE(c.order_id, 0), c.discount, c.returned, c.issued_at, c.locked_at, c.used_at`

const couponFrom = ` FROM coupons c JOIN coupon_templates t ON t.id = c.template_id`

func scanCoupon(row interface{ Scan(...any) error }) (Coupon, error) {
	var c Coupon
	var rule string
	var from, to, issued int64
	var locked, used sql.NullInt64
	err := row.Scan(&c.ID, &c.TemplateID, &c.TemplateName, &c.Description, &rule, &c.CustomerID, &c.State, &c.Source, &c.Code,
		&c.sharedCode, &from, &to, &c.OrderID, &c.Discount, &c.Returned, &issued, &locked, &used)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal([]byte(rule), &c.Rule); err != nil {
		return c, fmt.Errorf("coupon %d: rule: %w", c.ID, err)
	}
	c.ValidFrom, c.ValidTo, c.IssuedAt = time.UnixMilli(from).UTC(), time.UnixMilli(to).UTC(), time.UnixMilli(issued).UTC()
	c.LockedAt, c.UsedAt = optTime(locked), optTime(used)
	return c, nil
}

func getCoupon(ctx context.Context, q db.Queryer, id int64) (Coupon, error) {
	c, err := scanCoupon(q.QueryRow(ctx, `SELECT `+couponColumns+couponFrom+` WHERE c.id = $1`, id))
	if db.IsNoRows(err) {
		return c, fmt.Errorf("coupon %d: %w", id, apperr.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("coupon %d: %w", id, err)
	}
	return c, nil
}

// Get returns a coupon.
func (s *Service) Get(ctx context.Context, id int64) (Coupon, error) { return getCoupon(ctx, s.DB, id) }

// Filter narrows List.
type Filter struct {
	CustomerID int64
	TemplateID int64
	OrderID    int64
	State      State
	page.Request
}

// List lists coupons, newest first.
func (s *Service) List(ctx context.Context, f Filter) ([]Coupon, string, error) {
	if f.State != "" && !ValidState(string(f.State)) {
		return nil, "", apperr.Field("state", "must be issued, locked, used or expired, not %q", f.State)
	}
	where, args := []string{"1 = 1"}, []any{}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if f.CustomerID > 0 {
		add("c.customer_id = ?", f.CustomerID)
	}
	if f.TemplateID > 0 {
		add("c.template_id = ?", f.TemplateID)
	}
	if f.OrderID > 0 {
		add("c.order_id = ?", f.OrderID)
	}
	if f.State != "" {
		add("c.status = ?", string(f.State))
	}
	if f.After > 0 {
		add("c.id < ?", f.After)
	}
	if f.Limit <= 0 {
		f.Limit = page.DefaultLimit
	}
	args = append(args, f.Limit)
	rows, err := s.DB.Query(ctx, `SELECT `+couponColumns+couponFrom+` WHERE `+strings.Join(where, " AND ")+
		` ORDER BY c.id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, "", fmt.Errorf("list coupons: %w", err)
	}
	defer rows.Close()
	out := []Coupon{}
	for rows.Next() {
		c, err := scanCoupon(rows)
		if err != nil {
			return nil, "", fmt.Errorf("list coupons: %w", err)
		}
		out = append(out, c)
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

// MaxPerOrder is how many coupons one order may present.
const MaxPerOrder = 10

// ForPricing returns the buyer's coupons ids names, ready for the pricing
// engine, refusing (a FieldError on "coupons") one that is not the buyer's
// — told exactly like one that doesn't exist, so ids reveal nothing —
// used, locked by an order, expired or not yet valid at at. The engine
// then decides whether each applies to the cart (threshold, scope,
// channel, first order).
func (s *Service) ForPricing(ctx context.Context, customerID int64, ids []int64, at time.Time) ([]promo.Coupon, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if customerID <= 0 {
		return nil, apperr.Field("coupons", "sign in to use coupons")
	}
	if len(ids) > MaxPerOrder {
		return nil, apperr.Field("coupons", "at most %d coupons per order, not %d", MaxPerOrder, len(ids))
	}
	// One query for all of them: this runs on every quote and checkout.
	ph := make([]string, len(ids))
	args := []any{customerID}
	for i, id := range ids {
		for _, prev := range ids[:i] {
			if prev == id {
				return nil, apperr.Field("coupons", "coupon %d is listed twice", id)
			}
		}
		args = append(args, id)
		ph[i] = "$" + strconv.Itoa(i+2)
	}
	rows, err := s.DB.Query(ctx, `SELECT `+couponColumns+couponFrom+` WHERE c.customer_id = $1 AND c.id IN (`+strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("coupons for pricing: %w", err)
	}
	defer rows.Close()
	byID := make(map[int64]Coupon, len(ids))
	for rows.Next() {
		c, err := scanCoupon(rows)
		if err != nil {
			return nil, fmt.Errorf("coupons for pricing: %w", err)
		}
		byID[c.ID] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("coupons for pricing: %w", err)
	}
	out := make([]promo.Coupon, 0, len(ids))
	for _, id := range ids {
		c, ok := byID[id]
		if !ok {
			return nil, apperr.Field("coupons", "you have no coupon %d", id)
		}
		if why := usable(c, at); why != "" {
			return nil, apperr.Field("coupons", "%s", why)
		}
		out = append(out, c.ForEngine())
	}
	return out, nil
}

// ForEngine is the coupon as the pricing engine takes it: its rule under
// the template's name, limited to the coupon's own window.
func (c Coupon) ForEngine() promo.Coupon {
	p := c.Rule.Promotion(c.TemplateID, c.TemplateName)
	p.StartsAt, p.EndsAt = c.ValidFrom, c.ValidTo
	return promo.Coupon{ID: c.ID, Code: c.Label(), Rule: p}
}

// ExpireDue expires issued coupons whose window has passed at now; locked
// ones wait for their order (paid: used; called off: expired then). Safe on
// several instances at once.
func (s *Service) ExpireDue(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.DB.Exec(ctx, `UPDATE coupons SET status = 'expired', updated_at = $1 WHERE status = 'issued' AND valid_to <= $1`, now.UTC().UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("expire coupons: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// Claimable is a template a buyer may claim, with how many they hold.
type Claimable struct {
	Template
	Claimed  int64 `json:"claimed" doc:"coupons of it I got so far"`
	CanClaim bool  `json:"can_claim"`
}

// ListClaimable lists the active, claimable templates still in their
// window, with the customer's count (0 for a guest).
func (s *Service) ListClaimable(ctx context.Context, customerID int64) ([]Claimable, error) {
	now := s.now().UnixMilli()
	rows, err := s.DB.Query(ctx, `SELECT `+templateColumns+`, COALESCE((SELECT claimed FROM coupon_claims k
			WHERE k.template_id = coupon_templates.id AND k.customer_id = $1), 0)
		FROM coupon_templates WHERE status = 'active' AND claimable AND (valid_to IS NULL OR valid_to > $2)
		ORDER BY id DESC LIMIT 200`, customerID, now)
	if err != nil {
		return nil, fmt.Errorf("claimable coupons: %w", err)
	}
	defer rows.Close()
	out := []Claimable{}
	for rows.Next() {
		var c Claimable
		t, err := scanTemplate(rows, &c.Claimed)
		if err != nil {
			return nil, err
		}
		c.Template = t
		// A shared code is for those the shop gave it to, not for the
		// list every buyer sees.
		c.SharedCode = ""
		c.CanClaim = customerID > 0 && c.Claimed < t.PerCustomerLimit && t.Left() != 0
		out = append(out, c)
	}
	return out, rows.Err()
}
