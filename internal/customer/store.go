package customer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/page"
	"github.com/storeops/storeops/internal/webhook"
)

// Service is the customer book over a database.
type Service struct {
	DB  *db.DB
	Now func() time.Time // nil: the wall clock
	// Saved, when set, runs in the transaction of every create and update
	// with the customer as saved (the member tiers earn 完善资料 growth
	// for a completed profile there).
	Saved func(ctx context.Context, tx *db.Tx, c Customer) error
}

// Filter selects customers for List.
type Filter struct {
	Query   string // every whitespace-separated term must occur in the name, phone or email
	Tag     string
	Channel string // source channel; "" for any
	page.Request
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) saved(ctx context.Context, tx *db.Tx, c Customer) error {
	if s.Saved == nil {
		return nil
	}
	return s.Saved(ctx, tx, c)
}

// Create adds a customer.
func (s *Service) Create(ctx context.Context, p Profile) (Customer, error) {
	p = p.normalized()
	if err := p.Validate(); err != nil {
		return Customer{}, err
	}
	var out Customer
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		if err := checkExternalID(ctx, tx, 0, p.ExternalID); err != nil {
			return err
		}
		now := s.now().UnixMilli()
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO customers (external_id, name, phone, email, gender, birthday, source_channel, note, search_text, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id`,
			nullIfEmpty(p.ExternalID), p.Name, p.Phone, p.Email, p.Gender, p.Birthday, p.SourceChannel, p.Note, p.searchText(), now).Scan(&id); err != nil {
			return fmt.Errorf("create customer: %w", err)
		}
		var err error
		if out, err = getCustomer(ctx, tx, id); err != nil {
			return err
		}
		if err := webhook.Emit(ctx, tx, webhook.CustomerCreated, out); err != nil {
			return err
		}
		if err := s.saved(ctx, tx, out); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "customer.create", "customer", id, nil, out)
	})
	return out, err
}

// Update replaces a customer's profile; tags, consent and addresses have
// their own methods.
func (s *Service) Update(ctx context.Context, id int64, p Profile) (Customer, error) {
	p = p.normalized()
	if err := p.Validate(); err != nil {
		return Customer{}, err
	}
	var out Customer
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		before, err := getCustomer(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := checkExternalID(ctx, tx, id, p.ExternalID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE customers SET external_id = $1, name = $2, phone = $3, email = $4, gender = $5,
			birthday = $6, source_channel = $7, note = $8, search_text = $9, updated_at = $10 WHERE id = $11`,
			nullIfEmpty(p.ExternalID), p.Name, p.Phone, p.Email, p.Gender, p.Birthday, p.SourceChannel, p.Note,
			p.searchText(), s.now().UnixMilli(), id); err != nil {
			return fmt.Errorf("update customer %d: %w", id, err)
		}
		if out, err = getCustomer(ctx, tx, id); err != nil {
			return err
		}
		if err := s.saved(ctx, tx, out); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "customer.update", "customer", id, before, out)
	})
	return out, err
}

// Get returns a customer with tags and addresses (the default first).
func (s *Service) Get(ctx context.Context, id int64) (Customer, error) {
	c, err := getCustomer(ctx, s.DB, id)
	if err != nil {
		return c, err
	}
	c.Addresses, err = listAddresses(ctx, s.DB, id)
	return c, err
}

// List returns a page of customers, newest first, with their tags (not
// their addresses), and the cursor of the next page ("" after the last).
func (s *Service) List(ctx context.Context, f Filter) ([]Customer, string, error) {
	if !ValidChannel(f.Channel) {
		return nil, "", apperr.Field("channel", "must be search, live, short_video, community, ads or direct, not %q", f.Channel)
	}
	if f.Limit <= 0 || f.Limit > page.MaxLimit {
		f.Limit = page.DefaultLimit
	}
	var conds []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Channel != "" {
		conds = append(conds, "c.source_channel = "+arg(f.Channel))
	}
	if tag := NormalizeTag(f.Tag); tag != "" {
		conds = append(conds, "c.id IN (SELECT customer_id FROM customer_tags WHERE tag = "+arg(tag)+")")
	}
	if f.After > 0 {
		conds = append(conds, "c.id < "+arg(f.After))
	}
	var match string
	if match, args = db.MatchAll(f.Query, args, "c.search_text"); match != "" {
		conds = append(conds, match)
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	out, err := queryCustomers(ctx, s.DB, where+" ORDER BY c.id DESC LIMIT "+arg(f.Limit), args...)
	if err != nil {
		return nil, "", err
	}
	var last int64
	if len(out) > 0 {
		last = out[len(out)-1].ID
	}
	return out, page.Next(f.Request, len(out), last), nil
}

// SetConsent records what marketing the customer agrees to, and when: the
// time is what shows the consent was current when a message was sent.
func (s *Service) SetConsent(ctx context.Context, id int64, c Consent) error {
	return s.DB.InTx(ctx, func(tx *db.Tx) error {
		var before Consent
		if err := tx.QueryRow(ctx, `SELECT consent_sms, consent_email, consent_wecom FROM customers WHERE id = $1`, id).
			Scan(&before.SMS, &before.Email, &before.WeCom); err != nil {
			return notFound(id, err)
		}
		now := s.now().UnixMilli()
		if _, err := tx.Exec(ctx, `UPDATE customers SET consent_sms = $1, consent_email = $2, consent_wecom = $3,
			consent_updated_at = $4, updated_at = $4 WHERE id = $5`, c.SMS, c.Email, c.WeCom, now, id); err != nil {
			return fmt.Errorf("set consent of customer %d: %w", id, err)
		}
		return audit.Record(ctx, tx, "customer.consent", "customer", id, before, c)
	})
}

const customerSelect = `SELECT c.id, COALESCE(c.external_id, ''), c.name, c.phone, c.email, c.gender, c.birthday,
	c.source_channel, c.consent_sms, c.consent_email, c.consent_wecom, COALESCE(c.consent_updated_at, 0), c.note,
	c.created_at, c.updated_at,
	COALESCE((SELECT string_agg(t.tag, ',' ORDER BY t.tag) FROM customer_tags t WHERE t.customer_id = c.id), '')
	FROM customers c`

func getCustomer(ctx context.Context, q db.Queryer, id int64) (Customer, error) {
	cs, err := queryCustomers(ctx, q, " WHERE c.id = $1", id)
	if err != nil {
		return Customer{}, err
	}
	if len(cs) == 0 {
		return Customer{}, fmt.Errorf("customer %d: %w", id, apperr.ErrNotFound)
	}
	return cs[0], nil
}

func queryCustomers(ctx context.Context, q db.Queryer, rest string, args ...any) ([]Customer, error) {
	rows, err := q.Query(ctx, customerSelect+rest, args...)
	if err != nil {
		return nil, fmt.Errorf("list customers: %w", err)
	}
	defer rows.Close()
	out := []Customer{}
	for rows.Next() {
		var c Customer
		var consentAt, created, updated int64
		var tags string
		if err := rows.Scan(&c.ID, &c.ExternalID, &c.Name, &c.Phone, &c.Email, &c.Gender, &c.Birthday,
			&c.SourceChannel, &c.ConsentSMS, &c.ConsentEmail, &c.ConsentWeCom, &consentAt, &c.Note,
			&created, &updated, &tags); err != nil {
			return nil, fmt.Errorf("list customers: %w", err)
		}
		if consentAt != 0 {
			c.ConsentUpdatedAt = fromMillis(consentAt)
		}
		c.CreatedAt, c.UpdatedAt = fromMillis(created), fromMillis(updated)
		// Tags hold no commas (ValidateTag), so the aggregate splits back exactly.
		c.Tags = []string{}
		if tags != "" {
			c.Tags = strings.Split(tags, ",")
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func checkExternalID(ctx context.Context, q db.Queryer, self int64, ext string) error {
	if ext == "" {
		return nil
	}
	var owner int64
	err := q.QueryRow(ctx, `SELECT id FROM customers WHERE external_id = $1`, ext).Scan(&owner)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("check external id: %w", err)
	case owner != self:
		return apperr.Field("external_id", "%q already belongs to customer %d", ext, owner)
	}
	return nil
}

// touch marks a customer changed. Being an UPDATE it also takes the row's
// lock, so two edits of one customer's tags or addresses run one after the
// other on PostgreSQL too, and the default-address rule holds.
func touch(ctx context.Context, tx *db.Tx, id int64, now time.Time) error {
	res, err := tx.Exec(ctx, `UPDATE customers SET updated_at = $1 WHERE id = $2`, now.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("customer %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("customer %d: %w", id, apperr.ErrNotFound)
	}
	return nil
}

func notFound(id int64, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("customer %d: %w", id, apperr.ErrNotFound)
	}
	return fmt.Errorf("customer %d: %w", id, err)
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
