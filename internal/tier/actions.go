package tier

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/settings"
)

// Actions that earn growth besides paid spend. The product emits them:
// the storefront's daily check-in (签到), a customer profile that becomes
// complete (完善资料), an invitation rewarded after its holding period
// (邀请成功, internal/referral). ActionManual is an operator's grant.
const (
	ActionCheckIn  = "check_in"
	ActionProfile  = "profile_completed"
	ActionReferral = "referral_converted"
	ActionManual   = "manual"
)

// ActionRule is how much growth an action earns and how often: at most
// DailyCap times a day (the store's day) and LifetimeCap times ever (0:
// no cap). Growth 0 turns the action off.
type ActionRule struct {
	Code        string `json:"code"`
	NameZh      string `json:"name_zh"`
	NameEn      string `json:"name_en"`
	Growth      int64  `json:"growth"`
	DailyCap    int64  `json:"daily_cap"`
	LifetimeCap int64  `json:"lifetime_cap"`
}

// DefaultActions are the actions before the shop changes them: a check-in
// is worth 5 (once a day: a month of daily check-ins is 150, a tenth of
// gold), completing the profile 50 once, a friend's first order that
// stays paid through its holding period 100, for at most 20 friends.
func DefaultActions() []ActionRule {
	return []ActionRule{
		{Code: ActionCheckIn, NameZh: "每日签到", NameEn: "Daily check-in", Growth: 5, DailyCap: 1},
		{Code: ActionProfile, NameZh: "完善资料", NameEn: "Profile completed", Growth: 50, LifetimeCap: 1},
		{Code: ActionReferral, NameZh: "邀请好友成功", NameEn: "Referral converted", Growth: 100, LifetimeCap: 20},
	}
}

// Limits of the action rules and of a manual grant.
const (
	MaxActionGrowth = 100_000
	MaxActionCap    = 1000
	MaxGrant        = 1_000_000
	maxReason       = 200
)

// ValidateActions names the first field to fix (actions[i].growth), as
// an *apperr.FieldError.
func ValidateActions(rules []ActionRule) error {
	for i, r := range rules {
		f := func(name string) string { return fmt.Sprintf("actions[%d].%s", i, name) }
		switch {
		case !slices.ContainsFunc(DefaultActions(), func(d ActionRule) bool { return d.Code == r.Code }):
			return apperr.Field(f("code"), "%q is not an action; use check_in, profile_completed or referral_converted", r.Code)
		case slices.IndexFunc(rules, func(o ActionRule) bool { return o.Code == r.Code }) != i:
			return apperr.Field(f("code"), "%q is given twice; keep one", r.Code)
		case r.Growth < 0 || r.Growth > MaxActionGrowth:
			return apperr.Field(f("growth"), "give 0 (off) to %d growth, not %d", MaxActionGrowth, r.Growth)
		case r.DailyCap < 0 || r.DailyCap > MaxActionCap:
			return apperr.Field(f("daily_cap"), "give 0 (no cap) to %d times a day, not %d", MaxActionCap, r.DailyCap)
		case r.LifetimeCap < 0 || r.LifetimeCap > MaxActionCap:
			return apperr.Field(f("lifetime_cap"), "give 0 (no cap) to %d times, not %d", MaxActionCap, r.LifetimeCap)
		case r.DailyCap > 0 && r.LifetimeCap > 0 && r.DailyCap > r.LifetimeCap:
			return apperr.Field(f("daily_cap"), "a daily cap of %d is above the lifetime cap of %d", r.DailyCap, r.LifetimeCap)
		}
	}
	return nil
}

// LoadActions reads the action rules: every action of DefaultActions, with
// the shop's figures where it saved them.
func LoadActions(ctx context.Context, q db.Queryer) ([]ActionRule, error) {
	out := DefaultActions()
	rows, err := q.Query(ctx, `SELECT code, growth, daily_cap, lifetime_cap FROM growth_actions`)
	if err != nil {
		return nil, fmt.Errorf("growth actions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r ActionRule
		if err := rows.Scan(&r.Code, &r.Growth, &r.DailyCap, &r.LifetimeCap); err != nil {
			return nil, fmt.Errorf("growth actions: %w", err)
		}
		if i := slices.IndexFunc(out, func(d ActionRule) bool { return d.Code == r.Code }); i >= 0 {
			out[i].Growth, out[i].DailyCap, out[i].LifetimeCap = r.Growth, r.DailyCap, r.LifetimeCap
		}
	}
	return out, rows.Err()
}

// Actions reads the action rules.
func (s *Service) Actions(ctx context.Context) ([]ActionRule, error) { return LoadActions(ctx, s.DB) }

// SaveActions saves the figures of the actions given (by code; names are
// the code's) and returns every rule.
func (s *Service) SaveActions(ctx context.Context, rules []ActionRule) ([]ActionRule, error) {
	if err := ValidateActions(rules); err != nil {
		return nil, err
	}
	now := s.now().UnixMilli()
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		before, err := LoadActions(ctx, tx)
		if err != nil {
			return err
		}
		for _, r := range rules {
			if _, err := tx.Exec(ctx, `INSERT INTO growth_actions (code, growth, daily_cap, lifetime_cap, updated_at) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (code) DO UPDATE SET growth = excluded.growth, daily_cap = excluded.daily_cap,
				lifetime_cap = excluded.lifetime_cap, updated_at = excluded.updated_at`, r.Code, r.Growth, r.DailyCap, r.LifetimeCap, now); err != nil {
				return fmt.Errorf("save growth action %s: %w", r.Code, err)
			}
		}
		after, err := LoadActions(ctx, tx)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, "tier.actions", "growth_actions", 1, before, after)
	})
	if err != nil {
		return nil, err
	}
	return s.Actions(ctx)
}

// Event is one action of a customer. Key names the event uniquely within
// its action (the date of a check-in, the invitation's id): the same event
// earns once.
type Event struct {
	CustomerID int64
	Action     string
	Key        string
	Reason     string // "": the action's name
	At         time.Time
}

// Earned is what an action earned: Growth > 0, or why not — Repeat (this
// event earned already), Capped (the daily or lifetime cap is reached:
// "daily" or "lifetime"), Off (the action earns 0).
type Earned struct {
	Action string `json:"action"`
	Growth int64  `json:"growth"`
	Repeat bool   `json:"repeat,omitempty"`
	Capped string `json:"capped,omitempty"`
	Off    bool   `json:"off,omitempty"`
}

// source is the unique source of an action's movement.
func (e Event) source() string { return "action:" + e.Action + ":" + e.Key }

// Earn records an action's growth in tx, within its caps, once per event,
// and upgrades at once when the window's growth crosses a threshold.
func Earn(ctx context.Context, tx *db.Tx, e Event) (Earned, error) {
	out := Earned{Action: e.Action}
	if e.CustomerID <= 0 || strings.TrimSpace(e.Key) == "" {
		return out, fmt.Errorf("growth action %s: no customer or key", e.Action)
	}
	rules, err := LoadActions(ctx, tx)
	if err != nil {
		return out, err
	}
	i := slices.IndexFunc(rules, func(r ActionRule) bool { return r.Code == e.Action })
	if i < 0 {
		return out, fmt.Errorf("growth action %q is not an action", e.Action)
	}
	rule := rules[i]
	if rule.Growth == 0 {
		out.Off = true
		return out, nil
	}
	c, err := Load(ctx, tx)
	if err != nil {
		return out, err
	}
	// Take the customer's row first: two actions of one customer at once
	// count their caps one after the other.
	if _, err := tx.Exec(ctx, `INSERT INTO customer_tiers (customer_id, tier, growth, since, updated_at) VALUES ($1, $2, 0, 0, $3)
		ON CONFLICT (customer_id) DO UPDATE SET updated_at = excluded.updated_at`, e.CustomerID, c.Levels[0].Code, e.At.UnixMilli()); err != nil {
		if db.IsForeignKeyViolation(err) {
			return out, fmt.Errorf("there is no customer %d: %w", e.CustomerID, apperr.ErrNotFound)
		}
		return out, fmt.Errorf("growth of customer %d: %w", e.CustomerID, err)
	}
	var seen int64
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM growth_movements WHERE source = $1`, e.source()).Scan(&seen); err != nil {
		return out, fmt.Errorf("growth action %s: %w", e.source(), err)
	}
	if seen > 0 {
		out.Repeat = true
		return out, nil
	}
	// A grant that was reversed still counts toward the caps: undoing and
	// redoing an action does not earn again.
	count := func(from, to int64) (int64, error) {
		var n int64
		err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM growth_movements WHERE customer_id = $1 AND action = $2 AND amount > 0 AND at >= $3 AND at < $4`,
			e.CustomerID, e.Action, from, to).Scan(&n)
		return n, err
	}
	if rule.LifetimeCap > 0 {
		n, err := count(0, 1<<62)
		if err != nil {
			return out, fmt.Errorf("growth action %s: %w", e.Action, err)
		}
		if n >= rule.LifetimeCap {
			out.Capped = "lifetime"
			return out, nil
		}
	}
	if rule.DailyCap > 0 {
		st, err := settings.Load(ctx, tx)
		if err != nil {
			return out, err
		}
		from, to := storeDay(e.At, st.Location())
		n, err := count(from.UnixMilli(), to.UnixMilli())
		if err != nil {
			return out, fmt.Errorf("growth action %s: %w", e.Action, err)
		}
		if n >= rule.DailyCap {
			out.Capped = "daily"
			return out, nil
		}
	}
	reason := e.Reason
	if reason == "" {
		reason = rule.NameZh + " " + rule.NameEn
	}
	if err := Apply(ctx, tx, c, Movement{CustomerID: e.CustomerID, Source: e.source(), Amount: rule.Growth, At: e.At,
		Action: e.Action, Reason: reason}); err != nil {
		return out, err
	}
	out.Growth = rule.Growth
	return out, nil
}

// storeDay is the store's day around t, as UTC instants [from, to).
func storeDay(t time.Time, loc *time.Location) (time.Time, time.Time) {
	l := t.In(loc)
	from := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	return from.UTC(), from.AddDate(0, 0, 1).UTC()
}

// DayKey is the store's date of t (20261122), the key of a daily action.
func DayKey(t time.Time, loc *time.Location) string { return t.In(loc).Format("20060102") }

// CheckIn is the storefront's daily check-in (签到): growth once per store
// day; a second check-in the same day earns nothing and says so (Repeat).
func (s *Service) CheckIn(ctx context.Context, customerID int64) (Earned, error) {
	now := s.now()
	st, err := settings.Cached(ctx, s.DB)
	if err != nil {
		return Earned{}, err
	}
	var out Earned
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		var err error
		out, err = Earn(ctx, tx, Event{CustomerID: customerID, Action: ActionCheckIn,
			Key: strconv.FormatInt(customerID, 10) + ":" + DayKey(now, st.Location()), At: now})
		return err
	})
	return out, err
}

// Grant is an operator's manual change of a customer's growth: Growth
// signed and not 0, with the reason the customer page shows. Key, when
// given, makes a retry count once.
type Grant struct {
	Growth int64  `json:"growth"`
	Reason string `json:"reason"`
	Key    string `json:"key,omitempty"`
}

// Validate names the field to fix.
func (g Grant) Validate() error {
	switch {
	case g.Growth == 0 || g.Growth > MaxGrant || g.Growth < -MaxGrant:
		return apperr.Field("growth", "give a growth from -%d to %d other than 0 (negative takes growth away)", MaxGrant, MaxGrant)
	case strings.TrimSpace(g.Reason) == "":
		return apperr.Field("reason", "say why (the customer page shows it), e.g. 客诉补偿")
	case utf8.RuneCountInString(g.Reason) > maxReason:
		return apperr.Field("reason", "at most %d characters", maxReason)
	case utf8.RuneCountInString(g.Key) > 100:
		return apperr.Field("key", "at most 100 characters")
	}
	return nil
}

// ErrGrantKeyUsed is a grant key used before for another grant.
var ErrGrantKeyUsed = fmt.Errorf("this key was used for another grant: %w", apperr.ErrConflict)

// GrantGrowth records an operator's grant (audited as tier.grant). A
// positive grant upgrades at once when it crosses a threshold; a negative
// one, like a refund, waits for the scheduled evaluation to downgrade. A
// key seen before returns that grant's movement without a second one.
func (s *Service) GrantGrowth(ctx context.Context, customerID int64, g Grant) (GrowthMovement, error) {
	g.Reason, g.Key = strings.TrimSpace(g.Reason), strings.TrimSpace(g.Key)
	if err := g.Validate(); err != nil {
		return GrowthMovement{}, err
	}
	now := s.now()
	source := fmt.Sprintf("manual:%d:%d", customerID, now.UnixNano())
	if g.Key != "" {
		source = fmt.Sprintf("manual:%d:key:%s", customerID, g.Key)
	}
	var out GrowthMovement
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		c, err := Load(ctx, tx)
		if err != nil {
			return err
		}
		if err := existingCustomer(ctx, tx, customerID); err != nil {
			return err
		}
		if err := Apply(ctx, tx, c, Movement{CustomerID: customerID, Source: source, Amount: g.Growth, At: now,
			Action: ActionManual, Reason: g.Reason}); err != nil {
			return err
		}
		if out, err = movementBySource(ctx, tx, source); err != nil {
			return err
		}
		if out.Amount != g.Growth || out.Reason != g.Reason {
			return ErrGrantKeyUsed
		}
		if out.At.UnixMilli() != now.UnixMilli() {
			return nil // the key's grant, made before
		}
		return audit.Record(ctx, tx, "tier.grant", "customer", customerID, nil, out)
	})
	return out, err
}

// ErrNotReversible is a movement that cannot be reversed by hand: spend
// (its refunds reverse it), a reversal, or one reversed already.
var ErrNotReversible = fmt.Errorf("this growth cannot be reversed: %w", apperr.ErrConflict)

// Reverse takes back an action's or a grant's growth (a grant made in
// error, an action found abusive) with the reason; the reversal is its own
// movement (reverse:<source>), so it happens once. Like a refund it never
// downgrades at once.
func (s *Service) Reverse(ctx context.Context, customerID, movementID int64, reason string) (GrowthMovement, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return GrowthMovement{}, apperr.Field("reason", "say why the growth is taken back")
	}
	if utf8.RuneCountInString(reason) > maxReason {
		return GrowthMovement{}, apperr.Field("reason", "at most %d characters", maxReason)
	}
	now := s.now()
	var out GrowthMovement
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		m, err := movementByID(ctx, tx, customerID, movementID)
		if err != nil {
			return err
		}
		if m.Action == "" || m.Amount <= 0 || strings.HasPrefix(m.Source, "reverse:") {
			return ErrNotReversible
		}
		src := "reverse:" + m.Source
		var n int64
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM growth_movements WHERE source = $1`, src).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrNotReversible
		}
		c, err := Load(ctx, tx)
		if err != nil {
			return err
		}
		if err := Apply(ctx, tx, c, Movement{CustomerID: customerID, Source: src, Amount: -m.Amount, At: now, Action: m.Action,
			Reason: reason}); err != nil {
			return err
		}
		if out, err = movementBySource(ctx, tx, src); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "tier.reverse", "customer", customerID, m, out)
	})
	return out, err
}

func existingCustomer(ctx context.Context, q db.Queryer, id int64) error {
	var n int64
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM customers WHERE id = $1`, id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("customer %d: %w", id, apperr.ErrNotFound)
	}
	return nil
}

// GrowthMovement is one change of a customer's growth as the customer
// page shows it.
type GrowthMovement struct {
	ID      int64     `json:"id"`
	Source  string    `json:"source"`
	OrderID int64     `json:"order_id,omitempty"`
	Action  string    `json:"action,omitempty"` // "" spend; an action code; manual
	Reason  string    `json:"reason,omitempty"`
	Amount  int64     `json:"growth"`
	At      time.Time `json:"at"`
	// Reversed: a later movement took this one back.
	Reversed bool `json:"reversed,omitempty"`
}

const movementColumns = `m.id, m.source, COALESCE(m.order_id, 0), m.action, m.reason, m.amount, m.at,
	EXISTS (SELECT 1 FROM growth_movements r WHERE r.source = 'reverse:' || m.source)`

func scanMovement(sc interface{ Scan(...any) error }) (GrowthMovement, error) {
	var m GrowthMovement
	var at int64
	if err := sc.Scan(&m.ID, &m.Source, &m.OrderID, &m.Action, &m.Reason, &m.Amount, &at, &m.Reversed); err != nil {
		return m, err
	}
	m.At = time.UnixMilli(at).UTC()
	return m, nil
}

func movementBySource(ctx context.Context, q db.Queryer, source string) (GrowthMovement, error) {
	m, err := scanMovement(q.QueryRow(ctx, `SELECT `+movementColumns+` FROM growth_movements m WHERE m.source = $1`, source))
	if err != nil {
		return m, fmt.Errorf("growth movement %s: %w", source, err)
	}
	return m, nil
}

func movementByID(ctx context.Context, q db.Queryer, customerID, id int64) (GrowthMovement, error) {
	m, err := scanMovement(q.QueryRow(ctx, `SELECT `+movementColumns+` FROM growth_movements m WHERE m.id = $1 AND m.customer_id = $2`, id, customerID))
	if db.IsNoRows(err) {
		return m, fmt.Errorf("growth movement %d of customer %d: %w", id, customerID, apperr.ErrNotFound)
	}
	return m, err
}

// Movements are a customer's last 50 growth movements, newest first.
func Movements(ctx context.Context, q db.Queryer, customerID int64) ([]GrowthMovement, error) {
	rows, err := q.Query(ctx, `SELECT `+movementColumns+` FROM growth_movements m WHERE m.customer_id = $1 ORDER BY m.at DESC, m.id DESC LIMIT 50`, customerID)
	if err != nil {
		return nil, fmt.Errorf("growth of customer %d: %w", customerID, err)
	}
	defer rows.Close()
	out := []GrowthMovement{}
	for rows.Next() {
		m, err := scanMovement(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// ProfileSaved earns 完善资料 growth once, when a customer's profile is
// complete: name, phone, email, gender and birthday all given. It runs in
// the transaction that saved the customer (customer.Service.Saved).
func ProfileSaved(ctx context.Context, tx *db.Tx, c customer.Customer) error {
	if !ProfileComplete(c) {
		return nil
	}
	_, err := Earn(ctx, tx, Event{CustomerID: c.ID, Action: ActionProfile, Key: strconv.FormatInt(c.ID, 10), At: c.UpdatedAt})
	return err
}

// ProfileComplete: every field a shop asks a member for is filled in.
func ProfileComplete(c customer.Customer) bool {
	for _, v := range []string{c.Name, c.Phone, c.Email, c.Gender, c.Birthday} {
		if strings.TrimSpace(v) == "" {
			return false
		}
	}
	return true
}
