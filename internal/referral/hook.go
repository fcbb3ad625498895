package referral

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/webhook"
)

// Hook follows invitees' orders in the orders' own transactions: the
// first payment after linking qualifies (or voids, or holds) the
// invitation, and a refund of that order in its holding period voids it.
// It only reads and writes the database, and every write is conditional
// on the invitation's status, so a rerun (db.InTxRerun) changes nothing
// twice.
type Hook struct{}

var (
	_ order.Hook     = Hook{}
	_ order.CaseHook = Hook{}
)

// Placed implements order.Hook: placing an order changes nothing.
func (Hook) Placed(context.Context, *db.Tx, order.Placed) error { return nil }

// Moved implements order.Hook.
func (Hook) Moved(ctx context.Context, tx *db.Tx, m order.Moved) error {
	if m.CustomerID == 0 {
		return nil
	}
	switch {
	case m.From == order.PendingPayment && m.To == order.Paid:
		return firstPaid(ctx, tx, m)
	case m.From != order.PendingPayment && (m.To == order.Cancelled || m.To == order.Closed):
		return refunded(ctx, tx, m.OrderID, m.At)
	}
	return nil
}

// CaseMoved implements order.CaseHook: an after-sales refund of the first
// order may leave it below the minimum (or at nothing).
func (Hook) CaseMoved(ctx context.Context, tx *db.Tx, m order.CaseMoved) error {
	if m.To != order.CaseRefunded || m.CustomerID == 0 {
		return nil
	}
	return refunded(ctx, tx, m.OrderID, m.At)
}

// firstPaid decides a linked invitation at its invitee's payment. The
// common case — a buyer nobody invited — costs one indexed read.
func firstPaid(ctx context.Context, tx *db.Tx, m order.Moved) error {
	var id, inviter int64
	var status, device, flags string
	err := tx.QueryRow(ctx, `SELECT id, inviter_id, status, device_id, flags FROM referral_invitations WHERE invitee_id = $1`, m.CustomerID).
		Scan(&id, &inviter, &status, &device, &flags)
	if db.IsNoRows(err) || (err == nil && Status(status) != Linked) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("referral: invitation of customer %d: %w", m.CustomerID, err)
	}
	// Touching the inviter's code row makes the first payments of one
	// inviter's invitees take turns on PostgreSQL, so each one counts
	// the look-alikes committed before it (SQLite has one writer).
	if _, err := tx.Exec(ctx, `UPDATE referral_codes SET updated_at = $1 WHERE customer_id = $2`, m.At.UnixMilli(), inviter); err != nil {
		return fmt.Errorf("referral: %w", err)
	}
	p, err := LoadProgramme(ctx, tx)
	if err != nil {
		return err
	}
	var total, paidAt int64
	var shipTo string
	if err := tx.QueryRow(ctx, `SELECT total, ship_to, COALESCE(paid_at, $2) FROM orders WHERE id = $1`, m.OrderID, m.At.UnixMilli()).
		Scan(&total, &shipTo, &paidAt); err != nil {
		return fmt.Errorf("referral: order %s: %w", m.No, err)
	}
	fp := Fingerprint{Device: device}
	if a, ok := parseShipTo(shipTo); ok {
		fp.Phone, fp.Address = customer.NormalizePhone(a.Phone), AddressKey(a.Province, a.City, a.District, a.Detail)
	}
	if fp.Phone == "" {
		if err := tx.QueryRow(ctx, `SELECT phone FROM customers WHERE id = $1`, m.CustomerID).Scan(&fp.Phone); err != nil {
			return fmt.Errorf("referral: customer %d: %w", m.CustomerID, err)
		}
	}
	// Orders paid before this one (by payment time, then id), so that the
	// answer is the same however often this runs.
	fo := FirstOrder{Paid: total}
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM orders WHERE customer_id = $1 AND paid_at IS NOT NULL AND id <> $2
		AND (paid_at < $3 OR (paid_at = $3 AND id < $2))`, m.CustomerID, m.OrderID, paidAt).Scan(&fo.PriorPaid); err != nil {
		return fmt.Errorf("referral: paid orders of customer %d: %w", m.CustomerID, err)
	}
	in, err := inviterPrints(ctx, tx, inviter)
	if err != nil {
		return err
	}
	fo.Self = SelfFlags(in, fp)
	others, err := otherInvitees(ctx, tx, inviter, id)
	if err != nil {
		return err
	}
	var shared []string
	fo.Shared, shared = SharedWith(fp, others)
	out := Qualify(p, fo)
	now := m.At.UnixMilli()
	var qualifies, voided any
	if out.Status == Paid {
		qualifies = QualifiesAt(p, m.At).UnixMilli()
	} else {
		voided = now
	}
	res, err := tx.Exec(ctx, `UPDATE referral_invitations SET status = $1, void_reason = $2, review = $3, flags = $4, phone = $5, address_key = $6,
		order_id = $7, order_total = $8, paid_at = $9, qualifies_at = $10, voided_at = $11, updated_at = $9
		WHERE id = $12 AND status = 'linked'`,
		string(out.Status), out.VoidReason, string(out.Review), joinFlags(flags, append(fo.Self, shared...)...), fp.Phone, fp.Address,
		m.OrderID, total, now, qualifies, voided, id)
	if err != nil {
		return fmt.Errorf("referral: invitation %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	ev := EventPaid
	switch {
	case out.Status == Void:
		ev = EventVoided
	case out.Review == ReviewPending:
		ev = EventHeld
	}
	return emit(ctx, tx, ev, id)
}

// refunded voids a paid invitation whose first order's refunds leave it
// below the minimum. Past the holding period the invitation is rewarded
// and stays so.
func refunded(ctx context.Context, tx *db.Tx, orderID int64, at time.Time) error {
	var id int64
	err := tx.QueryRow(ctx, `SELECT id FROM referral_invitations WHERE order_id = $1 AND status = 'paid'`, orderID).Scan(&id)
	if db.IsNoRows(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("referral: invitation of order %d: %w", orderID, err)
	}
	p, err := LoadProgramme(ctx, tx)
	if err != nil {
		return err
	}
	var total, back int64
	if err := tx.QueryRow(ctx, `SELECT total, refunded_total FROM orders WHERE id = $1`, orderID).Scan(&total, &back); err != nil {
		return fmt.Errorf("referral: order %d: %w", orderID, err)
	}
	if !RefundVoids(p, total, back) {
		return nil
	}
	return void(ctx, tx, id, VoidRefunded, "", at)
}

// void moves a linked or paid invitation to void, once.
func void(ctx context.Context, tx *db.Tx, id int64, reason, note string, at time.Time) error {
	res, err := tx.Exec(ctx, `UPDATE referral_invitations SET status = 'void', void_reason = $1, note = CASE WHEN $2 = '' THEN note ELSE $2 END,
		review = CASE WHEN review = 'pending' THEN 'none' ELSE review END, voided_at = $3, updated_at = $3
		WHERE id = $4 AND status IN ('linked', 'paid')`, reason, note, at.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("referral: void invitation %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	return emit(ctx, tx, EventVoided, id)
}

func emit(ctx context.Context, tx *db.Tx, typ string, id int64) error {
	if ok, err := webhook.Wanted(ctx, tx, typ); err != nil || !ok {
		return err
	}
	v, err := getInvitation(ctx, tx, id)
	if err != nil {
		return err
	}
	return webhook.Emit(ctx, tx, typ, v)
}

func parseShipTo(s string) (order.ShipTo, bool) {
	var a order.ShipTo
	if s == "" || json.Unmarshal([]byte(s), &a) != nil {
		return a, false
	}
	return a, true
}

// inviterPrints gathers the inviter's phones, devices and addresses: their
// account's phone, their address book, the ship-to of their latest orders,
// and the device they asked for their code from.
func inviterPrints(ctx context.Context, tx *db.Tx, inviter int64) (Inviter, error) {
	var in Inviter
	var phone, device string
	if err := tx.QueryRow(ctx, `SELECT c.phone, COALESCE(r.device_id, '') FROM customers c LEFT JOIN referral_codes r ON r.customer_id = c.id
		WHERE c.id = $1`, inviter).Scan(&phone, &device); err != nil {
		return in, fmt.Errorf("referral: inviter %d: %w", inviter, err)
	}
	if phone != "" {
		in.Phones = append(in.Phones, phone)
	}
	if device != "" {
		in.Devices = append(in.Devices, device)
	}
	rows, err := tx.Query(ctx, `SELECT phone, province, city, district, detail FROM customer_addresses WHERE customer_id = $1`, inviter)
	if err != nil {
		return in, fmt.Errorf("referral: inviter %d addresses: %w", inviter, err)
	}
	for rows.Next() {
		var a order.ShipTo
		if err := rows.Scan(&a.Phone, &a.Province, &a.City, &a.District, &a.Detail); err != nil {
			rows.Close()
			return in, err
		}
		in.add(a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return in, err
	}
	rows, err = tx.Query(ctx, `SELECT ship_to FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 20`, inviter)
	if err != nil {
		return in, fmt.Errorf("referral: inviter %d orders: %w", inviter, err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return in, err
		}
		if a, ok := parseShipTo(s); ok {
			in.add(a)
		}
	}
	return in, rows.Err()
}

func (in *Inviter) add(a order.ShipTo) {
	if p := customer.NormalizePhone(a.Phone); p != "" {
		in.Phones = append(in.Phones, p)
	}
	if k := AddressKey(a.Province, a.City, a.District, a.Detail); k != "" {
		in.Addresses = append(in.Addresses, k)
	}
}

// otherInvitees are the fingerprints of the inviter's other invitees
// (void ones too: an abuser's earlier tries count against the next).
func otherInvitees(ctx context.Context, tx *db.Tx, inviter, except int64) ([]Fingerprint, error) {
	rows, err := tx.Query(ctx, `SELECT device_id, phone, address_key FROM referral_invitations WHERE inviter_id = $1 AND id <> $2
		ORDER BY id DESC LIMIT 1000`, inviter, except)
	if err != nil {
		return nil, fmt.Errorf("referral: invitees of %d: %w", inviter, err)
	}
	defer rows.Close()
	var out []Fingerprint
	for rows.Next() {
		var f Fingerprint
		if err := rows.Scan(&f.Device, &f.Phone, &f.Address); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
