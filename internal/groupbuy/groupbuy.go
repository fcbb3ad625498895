// Package groupbuy runs group buys (拼团): a campaign sells its SKUs at a
// group price to groups of N buyers. A buyer opens a group and shares its
// code, or joins a group by code; each member buys with an ordinary order
// priced at the group price. The group succeeds when N members have paid
// within its time limit; when the limit passes first, a job fails it and
// refunds every paid member (the order service's Cancel) and closes the
// unpaid members' orders.
//
// Slots: a member holds a slot from checkout until their order closes
// unpaid; a group never holds more than N (one conditional UPDATE in the
// checkout transaction), so a full group refuses further joins. Success is
// marked in the transaction of the Nth payment, with the same kind of
// conditional UPDATE. The per-customer limit is units per campaign, held
// by one conditional upsert, as in flash sales.
//
// Group orders must not ship before their group succeeds: the hook refuses
// the Ship move of a member's order while its group is forming or failed.
package groupbuy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/order"
)

// Bounds.
const (
	MinGroupSize     = 2
	MaxGroupSize     = 50
	DefaultTimeLimit = 24 * time.Hour
	MinTimeLimit     = 10 * time.Minute
	MaxTimeLimit     = 7 * 24 * time.Hour
	maxItems         = 50
	maxName          = 100
)

// Refusals (409).
var (
	ErrFull          = fmt.Errorf("the group is full: %w", apperr.ErrConflict)
	ErrGroupClosed   = fmt.Errorf("the group is no longer open: %w", apperr.ErrConflict)
	ErrNotRunning    = fmt.Errorf("the group buy is not running: %w", apperr.ErrConflict)
	ErrLimit         = fmt.Errorf("the group buy's limit per customer is reached: %w", apperr.ErrConflict)
	ErrAlreadyMember = fmt.Errorf("you are already in this group: %w", apperr.ErrConflict)
	ErrNotSucceeded  = fmt.Errorf("the order's group has not succeeded; ship it after the group succeeds: %w", apperr.ErrConflict)
)

// Status of a campaign, from its window and whether it was ended.
type Status string

const (
	Scheduled Status = "scheduled"
	Active    Status = "active"
	Ended     Status = "ended"
)

// Duration is a time.Duration that reads and writes as "24h0m0s" in JSON.
type Duration time.Duration

func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return apperr.Field("time_limit", "write a duration such as 24h or 90m, not %q", string(b))
	}
	*d = Duration(v)
	return nil
}

// Campaign is a group-buy campaign (拼团活动).
type Campaign struct {
	ID               int64      `json:"id"`
	Name             string     `json:"name"`
	GroupSize        int64      `json:"group_size"`
	TimeLimit        Duration   `json:"time_limit"`
	PerCustomerLimit int64      `json:"per_customer_limit"`
	StartsAt         time.Time  `json:"starts_at"`
	EndsAt           time.Time  `json:"ends_at"`
	EndedAt          *time.Time `json:"ended_at"`
	Status           Status     `json:"status"`
	Items            []Item     `json:"items"`
	Groups           Counts     `json:"groups"`
	CreatedAt        time.Time  `json:"created_at"`
}

// Counts are a campaign's groups by state.
type Counts struct {
	Forming   int64 `json:"forming"`
	Succeeded int64 `json:"succeeded"`
	Failed    int64 `json:"failed"`
}

// Item is one SKU of a campaign.
type Item struct {
	SKUID       int64  `json:"sku_id"`
	Code        string `json:"code"`
	Title       string `json:"title"`
	ListPrice   int64  `json:"list_price"`
	GroupPrice  int64  `json:"group_price"`
	LeaderPrice int64  `json:"leader_price" doc:"分 the member who opens a group pays; 0: the group price"`
}

// CampaignInput creates a campaign.
type CampaignInput struct {
	Name             string      `json:"name"`
	GroupSize        int64       `json:"group_size" doc:"members a group needs, 2 to 50"`
	TimeLimit        Duration    `json:"time_limit" doc:"how long a group has to fill, from its opening (default 24h)"`
	PerCustomerLimit int64       `json:"per_customer_limit" doc:"units one customer may buy in the campaign (default 1)"`
	StartsAt         time.Time   `json:"starts_at"`
	EndsAt           time.Time   `json:"ends_at" doc:"no group opens after this; open groups may still fill within their time limit"`
	Items            []ItemInput `json:"items"`
}

// ItemInput is one SKU of a new campaign.
type ItemInput struct {
	SKUID       int64 `json:"sku_id"`
	GroupPrice  int64 `json:"group_price" doc:"分, below the list price"`
	LeaderPrice int64 `json:"leader_price" doc:"分, at most the group price; 0: no leader price"`
}

// CampaignPatch changes what can change while groups run.
type CampaignPatch struct {
	Name             *string    `json:"name"`
	EndsAt           *time.Time `json:"ends_at"`
	PerCustomerLimit *int64     `json:"per_customer_limit"`
}

// Validate checks what can be checked without the database.
func (in *CampaignInput) Validate(now time.Time) error {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > maxName {
		return apperr.Field("name", "give the campaign a name of 1 to %d characters", maxName)
	}
	if in.GroupSize < MinGroupSize || in.GroupSize > MaxGroupSize {
		return apperr.Field("group_size", "a group needs %d to %d members, not %d", MinGroupSize, MaxGroupSize, in.GroupSize)
	}
	if in.TimeLimit == 0 {
		in.TimeLimit = Duration(DefaultTimeLimit)
	}
	if d := time.Duration(in.TimeLimit); d < MinTimeLimit || d > MaxTimeLimit {
		return apperr.Field("time_limit", "must be from %s to %s, not %s", MinTimeLimit, MaxTimeLimit, d)
	}
	if in.PerCustomerLimit == 0 {
		in.PerCustomerLimit = 1
	}
	if in.PerCustomerLimit < 0 || in.PerCustomerLimit > 999 {
		return apperr.Field("per_customer_limit", "must be from 1 to 999, not %d", in.PerCustomerLimit)
	}
	if err := checkWindow(in.StartsAt, in.EndsAt, now); err != nil {
		return err
	}
	if len(in.Items) == 0 || len(in.Items) > maxItems {
		return apperr.Field("items", "give 1 to %d items", maxItems)
	}
	seen := map[int64]int{}
	for i, it := range in.Items {
		f := func(name string) string { return fmt.Sprintf("items[%d].%s", i, name) }
		if it.SKUID <= 0 {
			return apperr.Field(f("sku_id"), "must be the id of a SKU")
		}
		if j, dup := seen[it.SKUID]; dup {
			return apperr.Field(f("sku_id"), "SKU %d is already items[%d]", it.SKUID, j)
		}
		seen[it.SKUID] = i
		if it.GroupPrice < 0 {
			return apperr.Field(f("group_price"), "must not be negative")
		}
		if it.LeaderPrice < 0 {
			return apperr.Field(f("leader_price"), "must not be negative")
		}
		if it.LeaderPrice > it.GroupPrice {
			return apperr.Field(f("leader_price"), "the leader's price %s must not be above the group price %s; 0 gives the leader the group price",
				yuan(it.LeaderPrice), yuan(it.GroupPrice))
		}
	}
	return nil
}

func checkWindow(starts, ends, now time.Time) error {
	if starts.IsZero() || ends.IsZero() {
		return apperr.Field("starts_at", "give both starts_at and ends_at")
	}
	if !ends.After(starts) {
		return apperr.Field("ends_at", "must be after starts_at (%s); the dates look reversed", starts.Format(time.RFC3339))
	}
	if !ends.After(now) {
		return apperr.Field("ends_at", "is in the past; a group buy must end in the future")
	}
	return nil
}

// Service runs group buys over a database. Orders places the members'
// orders (the order service, whose Pricer and Hooks include this
// package's).
type Service struct {
	DB     *db.DB
	Orders Checkouter
	Now    func() time.Time
}

// Checkouter places an order (the order service).
type Checkouter interface {
	Checkout(ctx context.Context, in order.CheckoutInput) (order.Order, error)
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Create validates a campaign and writes it. A SKU has one group price at
// a time: a SKU in another campaign over the same window is refused.
func (s *Service) Create(ctx context.Context, in CampaignInput) (Campaign, error) {
	now := s.now()
	if err := in.Validate(now); err != nil {
		return Campaign{}, err
	}
	var id int64
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		for i, it := range in.Items {
			field := func(n string) string { return fmt.Sprintf("items[%d].%s", i, n) }
			var list int64
			var code, status string
			err := tx.QueryRow(ctx, `SELECT k.list_price, k.code, p.status FROM skus k JOIN products p ON p.id = k.product_id WHERE k.id = $1`,
				it.SKUID).Scan(&list, &code, &status)
			if errors.Is(err, sql.ErrNoRows) {
				return apperr.Field(field("sku_id"), "there is no SKU %d", it.SKUID)
			}
			if err != nil {
				return fmt.Errorf("group buy: %w", err)
			}
			if status != "on_sale" {
				return apperr.Field(field("sku_id"), "%s is not on sale (%s); put it on sale first", code, status)
			}
			if it.GroupPrice >= list {
				return apperr.Field(field("group_price"), "%s: the group price %s must be below the list price %s",
					code, yuan(it.GroupPrice), yuan(list))
			}
			var other string
			err = tx.QueryRow(ctx, `SELECT c.name FROM group_buy_items i JOIN group_buy_campaigns c ON c.id = i.campaign_id
				WHERE i.sku_id = $1 AND c.ended_at IS NULL AND c.starts_at < $2 AND c.ends_at > $3 LIMIT 1`,
				it.SKUID, in.EndsAt.UnixMilli(), in.StartsAt.UnixMilli()).Scan(&other)
			if err == nil {
				return apperr.Field(field("sku_id"), "%s is already in the group buy %q at that time; a SKU has one group price at a time", code, other)
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("group buy: %w", err)
			}
		}
		err := tx.QueryRow(ctx, `INSERT INTO group_buy_campaigns (name, group_size, time_limit_ms, per_customer_limit, starts_at, ends_at, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`, in.Name, in.GroupSize, time.Duration(in.TimeLimit).Milliseconds(),
			in.PerCustomerLimit, in.StartsAt.UnixMilli(), in.EndsAt.UnixMilli(), now.UnixMilli()).Scan(&id)
		if err != nil {
			return fmt.Errorf("group buy: %w", err)
		}
		for _, it := range in.Items {
			if _, err := tx.Exec(ctx, `INSERT INTO group_buy_items (campaign_id, sku_id, group_price, leader_price) VALUES ($1, $2, $3, $4)`,
				id, it.SKUID, it.GroupPrice, it.LeaderPrice); err != nil {
				return fmt.Errorf("group buy: %w", err)
			}
		}
		return audit.Record(ctx, tx, "group_buy.create", "group_buy", id, nil, in)
	})
	if err != nil {
		return Campaign{}, err
	}
	return s.Get(ctx, id)
}

// Update changes a campaign's name, end or per-customer limit. Prices and
// the group size stay as they were (members bought on them): end the
// campaign and create another to change those.
func (s *Service) Update(ctx context.Context, id int64, p CampaignPatch) (Campaign, error) {
	before, err := s.Get(ctx, id)
	if err != nil {
		return Campaign{}, err
	}
	if before.Status == Ended {
		return Campaign{}, fmt.Errorf("group buy %q has ended; create a new one: %w", before.Name, apperr.ErrConflict)
	}
	name, ends, limit := before.Name, before.EndsAt, before.PerCustomerLimit
	if p.Name != nil {
		name = strings.TrimSpace(*p.Name)
		if name == "" || utf8.RuneCountInString(name) > maxName {
			return Campaign{}, apperr.Field("name", "give the campaign a name of 1 to %d characters", maxName)
		}
	}
	if p.EndsAt != nil {
		ends = p.EndsAt.UTC()
		if err := checkWindow(before.StartsAt, ends, s.now()); err != nil {
			return Campaign{}, err
		}
	}
	if p.PerCustomerLimit != nil {
		limit = *p.PerCustomerLimit
		if limit < 1 || limit > 999 {
			return Campaign{}, apperr.Field("per_customer_limit", "must be from 1 to 999, not %d", limit)
		}
	}
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE group_buy_campaigns SET name = $1, ends_at = $2, per_customer_limit = $3, updated_at = $4
			WHERE id = $5 AND ended_at IS NULL`, name, ends.UnixMilli(), limit, s.now().UnixMilli(), id)
		if err != nil {
			return fmt.Errorf("group buy: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("group buy %q ended meanwhile: %w", before.Name, apperr.ErrConflict)
		}
		return audit.Record(ctx, tx, "group_buy.update", "group_buy", id, before, p)
	})
	if err != nil {
		return Campaign{}, err
	}
	return s.Get(ctx, id)
}

// Delete removes a campaign nobody has opened a group in; one with groups
// is ended instead (its groups and orders are history).
func (s *Service) Delete(ctx context.Context, id int64) error {
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		var name string
		var groups int64
		err := tx.QueryRow(ctx, `SELECT name, (SELECT COUNT(*) FROM group_buy_groups WHERE campaign_id = c.id) FROM group_buy_campaigns c WHERE id = $1`, id).
			Scan(&name, &groups)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("group buy %d: %w", id, apperr.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("group buy: %w", err)
		}
		if groups > 0 {
			return fmt.Errorf("group buy %q has %d groups; end it instead of deleting it: %w", name, groups, apperr.ErrConflict)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM group_buy_campaigns WHERE id = $1`, id); err != nil {
			return fmt.Errorf("group buy: %w", err)
		}
		return audit.Record(ctx, tx, "group_buy.delete", "group_buy", id, map[string]any{"name": name}, nil)
	})
	return err
}

// End stops a campaign now: no group opens after this. Groups already
// open may still fill within their time limit, or fail and be refunded.
func (s *Service) End(ctx context.Context, id int64) (Campaign, error) {
	now := s.now()
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE group_buy_campaigns SET ended_at = $1, updated_at = $1 WHERE id = $2 AND ended_at IS NULL`, now.UnixMilli(), id)
		if err != nil {
			return fmt.Errorf("end group buy %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var x int64
			if err := tx.QueryRow(ctx, `SELECT id FROM group_buy_campaigns WHERE id = $1`, id).Scan(&x); errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("group buy %d: %w", id, apperr.ErrNotFound)
			}
			return nil // ended already
		}
		return audit.Record(ctx, tx, "group_buy.end", "group_buy", id, nil, nil)
	})
	if err != nil {
		return Campaign{}, err
	}
	return s.Get(ctx, id)
}

func status(starts, ends time.Time, ended *time.Time, now time.Time) Status {
	switch {
	case ended != nil || !now.Before(ends):
		return Ended
	case now.Before(starts):
		return Scheduled
	}
	return Active
}

// Get returns a campaign with its items and group counts.
func (s *Service) Get(ctx context.Context, id int64) (Campaign, error) {
	cs, err := s.list(ctx, `WHERE c.id = $1`, id)
	if err != nil {
		return Campaign{}, err
	}
	if len(cs) == 0 {
		return Campaign{}, fmt.Errorf("group buy %d: %w", id, apperr.ErrNotFound)
	}
	return cs[0], nil
}

// List returns the campaigns not ended, then the latest ended ones, latest
// start first (at most 100).
func (s *Service) List(ctx context.Context) ([]Campaign, error) {
	return s.list(ctx, `WHERE c.id IN (SELECT id FROM group_buy_campaigns ORDER BY (ended_at IS NULL) DESC, starts_at DESC LIMIT 100)`)
}

func (s *Service) list(ctx context.Context, where string, args ...any) ([]Campaign, error) {
	rows, err := s.DB.Query(ctx, `SELECT c.id, c.name, c.group_size, c.time_limit_ms, c.per_customer_limit, c.starts_at, c.ends_at, c.ended_at, c.created_at,
			(SELECT COUNT(*) FROM group_buy_groups g WHERE g.campaign_id = c.id AND g.status = 'forming'),
			(SELECT COUNT(*) FROM group_buy_groups g WHERE g.campaign_id = c.id AND g.status = 'succeeded'),
			(SELECT COUNT(*) FROM group_buy_groups g WHERE g.campaign_id = c.id AND g.status = 'failed'),
			COALESCE(i.sku_id, 0), COALESCE(k.code, ''), COALESCE(p.title, ''), COALESCE(k.list_price, 0),
			COALESCE(i.group_price, 0), COALESCE(i.leader_price, 0)
		FROM group_buy_campaigns c LEFT JOIN group_buy_items i ON i.campaign_id = c.id
		LEFT JOIN skus k ON k.id = i.sku_id LEFT JOIN products p ON p.id = k.product_id `+where+`
		ORDER BY c.starts_at DESC, c.id DESC, i.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("group buys: %w", err)
	}
	defer rows.Close()
	now := s.now()
	var out []Campaign
	for rows.Next() {
		var c Campaign
		var it Item
		var limit, starts, ends, created int64
		var ended sql.NullInt64
		if err := rows.Scan(&c.ID, &c.Name, &c.GroupSize, &limit, &c.PerCustomerLimit, &starts, &ends, &ended, &created,
			&c.Groups.Forming, &c.Groups.Succeeded, &c.Groups.Failed,
			&it.SKUID, &it.Code, &it.Title, &it.ListPrice, &it.GroupPrice, &it.LeaderPrice); err != nil {
			return nil, fmt.Errorf("group buys: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].ID != c.ID {
			c.TimeLimit = Duration(time.Duration(limit) * time.Millisecond)
			c.StartsAt, c.EndsAt, c.CreatedAt = time.UnixMilli(starts).UTC(), time.UnixMilli(ends).UTC(), time.UnixMilli(created).UTC()
			if ended.Valid {
				t := time.UnixMilli(ended.Int64).UTC()
				c.EndedAt = &t
			}
			c.Status = status(c.StartsAt, c.EndsAt, c.EndedAt, now)
			c.Items = []Item{}
			out = append(out, c)
		}
		if it.SKUID != 0 {
			last := &out[len(out)-1]
			last.Items = append(last.Items, it)
		}
	}
	return out, rows.Err()
}

func yuan(fen int64) string { return fmt.Sprintf("¥%d.%02d", fen/100, fen%100) }
