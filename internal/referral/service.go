package referral

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/coupon"
	"github.com/storeops/storeops/internal/db"
)

// Service is the referral programme over a database.
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

const programmeColumns = `enabled, COALESCE(inviter_coupon_template_id, 0), inviter_points, COALESCE(invitee_coupon_template_id, 0), invitee_points,
	holding_days, monthly_cap, new_customers_only, min_order_amount, review_threshold, updated_at`

// LoadProgramme reads the programme in q (a transaction or the database).
func LoadProgramme(ctx context.Context, q db.Queryer) (Programme, error) {
	var p Programme
	var updated int64
	err := q.QueryRow(ctx, `SELECT `+programmeColumns+` FROM referral_programme WHERE id = 1`).Scan(&p.Enabled, &p.InviterCouponTemplateID,
		&p.InviterPoints, &p.InviteeCouponTemplateID, &p.InviteePoints, &p.HoldingDays, &p.MonthlyCap, &p.NewCustomersOnly,
		&p.MinOrderAmount, &p.ReviewThreshold, &updated)
	if db.IsNoRows(err) {
		return DefaultProgramme(), nil
	}
	if err != nil {
		return Programme{}, fmt.Errorf("referral programme: %w", err)
	}
	if updated > 0 {
		p.UpdatedAt = time.UnixMilli(updated).UTC()
	}
	return p, nil
}

// Programme reads the programme.
func (s *Service) Programme(ctx context.Context) (Programme, error) { return LoadProgramme(ctx, s.DB) }

// SaveProgramme changes the programme, audited. A reward coupon must be a
// template that still issues coupons.
func (s *Service) SaveProgramme(ctx context.Context, p Programme) (Programme, error) {
	if err := p.Validate(); err != nil {
		return Programme{}, err
	}
	for _, t := range []struct {
		field string
		id    int64
	}{{"inviter_coupon_template_id", p.InviterCouponTemplateID}, {"invitee_coupon_template_id", p.InviteeCouponTemplateID}} {
		if t.id == 0 {
			continue
		}
		var status string
		err := s.DB.QueryRow(ctx, `SELECT status FROM coupon_templates WHERE id = $1`, t.id).Scan(&status)
		if db.IsNoRows(err) {
			return Programme{}, apperr.Field(t.field, "there is no coupon template %d; choose one from the coupons page", t.id)
		}
		if err != nil {
			return Programme{}, fmt.Errorf("referral programme: %w", err)
		}
		if coupon.Status(status) == coupon.StatusEnded {
			return Programme{}, apperr.Field(t.field, "coupon template %d has ended and issues nothing; choose an active one", t.id)
		}
	}
	now := s.now()
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		before, err := LoadProgramme(ctx, tx)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO referral_programme (id, enabled, inviter_coupon_template_id, inviter_points, invitee_coupon_template_id,
			invitee_points, holding_days, monthly_cap, new_customers_only, min_order_amount, review_threshold, updated_at)
			VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (id) DO UPDATE SET enabled = excluded.enabled, inviter_coupon_template_id = excluded.inviter_coupon_template_id,
			inviter_points = excluded.inviter_points, invitee_coupon_template_id = excluded.invitee_coupon_template_id,
			invitee_points = excluded.invitee_points, holding_days = excluded.holding_days, monthly_cap = excluded.monthly_cap,
			new_customers_only = excluded.new_customers_only, min_order_amount = excluded.min_order_amount,
			review_threshold = excluded.review_threshold, updated_at = excluded.updated_at`,
			p.Enabled, nullID(p.InviterCouponTemplateID), p.InviterPoints, nullID(p.InviteeCouponTemplateID), p.InviteePoints,
			p.HoldingDays, p.MonthlyCap, p.NewCustomersOnly, p.MinOrderAmount, p.ReviewThreshold, now.UnixMilli()); err != nil {
			return fmt.Errorf("save referral programme: %w", err)
		}
		after := p
		after.UpdatedAt = now
		return audit.Record(ctx, tx, "referral.programme", "referral_programme", 1, before, after)
	})
	if err != nil {
		return Programme{}, err
	}
	return s.Programme(ctx)
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// codeAlphabet leaves out 0/O and 1/I/L, which buyers misread when they
// type a code from a poster.
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// CodeLen is an invite code's length: 31⁸ ≈ 8.5×10¹¹ codes, so guessing one
// is hopeless and collisions are retried.
const CodeLen = 8

func newCode() string {
	b := make([]byte, CodeLen)
	rand.Read(b)
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(b)
}

// NormalizeCode is a code as typed, as the store keeps it.
func NormalizeCode(code string) string { return strings.ToUpper(strings.TrimSpace(code)) }

// MaxDeviceLen bounds a device id kept from the storefront.
const MaxDeviceLen = 100

func cleanDevice(d string) string {
	d = strings.TrimSpace(d)
	if len(d) > MaxDeviceLen {
		d = d[:MaxDeviceLen]
	}
	return d
}

// Code is the customer's invite code, made the first time they ask for it
// and the same ever after. device, when the storefront knows it, is kept as
// the device the inviter uses (an invitee on it is the inviter).
func (s *Service) Code(ctx context.Context, customerID int64, device string) (string, error) {
	if customerID <= 0 {
		return "", fmt.Errorf("sign in to get your invite code: %w", apperr.ErrForbidden)
	}
	device = cleanDevice(device)
	var code, known string
	err := s.DB.QueryRow(ctx, `SELECT code, device_id FROM referral_codes WHERE customer_id = $1`, customerID).Scan(&code, &known)
	if err == nil && (device == "" || device == known) {
		return code, nil
	}
	if err != nil && !db.IsNoRows(err) {
		return "", fmt.Errorf("invite code: %w", err)
	}
	// A new code collides with another customer's about once in 10¹¹:
	// ON CONFLICT DO NOTHING leaves the row missing, and we try again.
	for range 5 {
		err = s.DB.InTx(ctx, func(tx *db.Tx) error {
			now := s.now().UnixMilli()
			if _, err := tx.Exec(ctx, `INSERT INTO referral_codes (customer_id, code, device_id, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $4) ON CONFLICT DO NOTHING`, customerID, newCode(), device, now); err != nil {
				if db.IsForeignKeyViolation(err) {
					return fmt.Errorf("there is no customer %d: %w", customerID, apperr.ErrNotFound)
				}
				return fmt.Errorf("invite code: %w", err)
			}
			if device != "" {
				if _, err := tx.Exec(ctx, `UPDATE referral_codes SET device_id = $1, updated_at = $2 WHERE customer_id = $3 AND device_id <> $1`,
					device, now, customerID); err != nil {
					return fmt.Errorf("invite code: %w", err)
				}
			}
			return tx.QueryRow(ctx, `SELECT code FROM referral_codes WHERE customer_id = $1`, customerID).Scan(&code)
		})
		if !db.IsNoRows(err) {
			break
		}
	}
	if err != nil {
		return "", fmt.Errorf("invite code: %w", err)
	}
	return code, nil
}

// CheckCode tells, before an account is made for a new customer with
// phone, whether Link would take code: the programme runs, the code is the
// shop's, and it is not an account with the same phone. Sign-up calls it
// first so that a bad code refuses the sign-up instead of leaving an
// account without its invitation.
func (s *Service) CheckCode(ctx context.Context, code, phone string) error {
	code = NormalizeCode(code)
	if code == "" {
		return errNoCode()
	}
	p, err := LoadProgramme(ctx, s.DB)
	if err != nil {
		return err
	}
	if !p.Enabled {
		return errNotRunning()
	}
	var inviterPhone string
	err = s.DB.QueryRow(ctx, `SELECT c.phone FROM referral_codes r JOIN customers c ON c.id = r.customer_id WHERE r.code = $1`, code).Scan(&inviterPhone)
	if db.IsNoRows(err) {
		return errUnknownCode(code)
	}
	if err != nil {
		return fmt.Errorf("check invite code: %w", err)
	}
	if phone != "" && phone == inviterPhone {
		return errOwnPhone()
	}
	return nil
}

// LinkInput links a customer to an inviter's code.
type LinkInput struct {
	CustomerID int64  `json:"-"`
	Code       string `json:"invite_code"`
	DeviceID   string `json:"device_id" doc:"the storefront's id of this device or browser (the event snippet's anonymous id), if it has one"`
}

// Link makes the customer the invitee of the code's owner. It is refused,
// naming invite_code, when the programme is off, the code is unknown or the
// customer's own (or an account with their phone), the customer was
// invited by someone else, or has ordered before while the programme wants
// new customers. Linking again to the same code is the same invitation.
func (s *Service) Link(ctx context.Context, in LinkInput) (Invitation, error) {
	if in.CustomerID <= 0 {
		return Invitation{}, fmt.Errorf("sign in to use an invite code: %w", apperr.ErrForbidden)
	}
	code := NormalizeCode(in.Code)
	if code == "" {
		return Invitation{}, errNoCode()
	}
	device := cleanDevice(in.DeviceID)
	var id int64
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		p, err := LoadProgramme(ctx, tx)
		if err != nil {
			return err
		}
		var inviter int64
		var inviterDevice, inviterPhone string
		err = tx.QueryRow(ctx, `SELECT r.customer_id, r.device_id, c.phone FROM referral_codes r JOIN customers c ON c.id = r.customer_id
			WHERE r.code = $1`, code).Scan(&inviter, &inviterDevice, &inviterPhone)
		if db.IsNoRows(err) {
			return errUnknownCode(code)
		}
		if err != nil {
			return fmt.Errorf("link invite code: %w", err)
		}
		var prior, priorInviter int64
		err = tx.QueryRow(ctx, `SELECT id, inviter_id FROM referral_invitations WHERE invitee_id = $1`, in.CustomerID).Scan(&prior, &priorInviter)
		switch {
		case err == nil && priorInviter == inviter:
			id = prior
			return nil
		case err == nil:
			return apperr.Field("invite_code", "you have already used another customer's invite code; each customer can be invited once")
		case !db.IsNoRows(err):
			return fmt.Errorf("link invite code: %w", err)
		}
		if !p.Enabled {
			return errNotRunning()
		}
		if inviter == in.CustomerID {
			return apperr.Field("invite_code", "that is your own invite code; share it with friends instead")
		}
		var phone string
		var paidOrders int64
		if err := tx.QueryRow(ctx, `SELECT phone, (SELECT COUNT(*) FROM orders WHERE customer_id = $1 AND paid_at IS NOT NULL AND paid_at <= $2)
			FROM customers WHERE id = $1`, in.CustomerID, s.now().UnixMilli()).Scan(&phone, &paidOrders); err != nil {
			if db.IsNoRows(err) {
				return fmt.Errorf("there is no customer %d: %w", in.CustomerID, apperr.ErrNotFound)
			}
			return fmt.Errorf("link invite code: %w", err)
		}
		if phone != "" && phone == inviterPhone {
			return errOwnPhone()
		}
		if p.NewCustomersOnly && paidOrders > 0 {
			return apperr.Field("invite_code", "invite codes are for new customers, and you have ordered here before")
		}
		flags := ""
		if device != "" && device == inviterDevice {
			flags = FlagInviterDevice
		}
		now := s.now().UnixMilli()
		// Two links racing for the same invitee: the second inserts
		// nothing, and reads the first (committed by then).
		err = tx.QueryRow(ctx, `INSERT INTO referral_invitations (inviter_id, invitee_id, code, status, flags, device_id, linked_at, updated_at)
			VALUES ($1, $2, $3, 'linked', $4, $5, $6, $6) ON CONFLICT (invitee_id) DO NOTHING RETURNING id`,
			inviter, in.CustomerID, code, flags, device, now).Scan(&id)
		if db.IsNoRows(err) {
			err = tx.QueryRow(ctx, `SELECT id, inviter_id FROM referral_invitations WHERE invitee_id = $1`, in.CustomerID).Scan(&prior, &priorInviter)
			if err == nil && priorInviter == inviter {
				id = prior
				return nil
			}
			if err != nil && !db.IsNoRows(err) {
				return fmt.Errorf("link invite code: %w", err)
			}
			return apperr.Field("invite_code", "you have just used another invite code; each customer can be invited once")
		}
		if err != nil {
			return fmt.Errorf("link invite code: %w", err)
		}
		return emit(ctx, tx, EventLinked, id)
	})
	if err != nil {
		return Invitation{}, err
	}
	return getInvitation(ctx, s.DB, id)
}

// The refusals of a code, all on the invite_code field.
func errNoCode() error {
	return apperr.Field("invite_code", "enter the invite code your friend shared")
}
func errNotRunning() error {
	return apperr.Field("invite_code", "the shop's referral programme is not running now")
}
func errOwnPhone() error {
	return apperr.Field("invite_code", "that code belongs to an account with your phone number; you cannot invite yourself")
}
func errUnknownCode(code string) error {
	return apperr.Field("invite_code", "%s is not an invite code of this shop; check it letter by letter", code)
}
