package points

import (
	"context"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/db"
)

// ExpireDue writes an expire movement for every customer holding points
// past their expiry at now, and reports how many customers lost points.
//
// Points are spent oldest first (FIFO), and expiry follows earning, so
// what is left of the expired points is what they added
// (Σ positive movements with expires_at ≤ now) less everything taken since
// the start (redeemed, expired, reversed, adjusted down, net of redeemed
// points given back), capped at the balance. Running it again at once
// finds nothing left, and the movement's key names the customer and the
// latest expiry it covers, so two instances running it together expire
// once.
func (s *Service) ExpireDue(ctx context.Context, now time.Time) (int, error) {
	at := now.UTC().UnixMilli()
	rows, err := s.DB.Query(ctx, `SELECT DISTINCT l.customer_id FROM points_ledger l JOIN points_balances b ON b.customer_id = l.customer_id
		WHERE l.expires_at <= $1 AND l.points > 0 AND b.balance > 0 ORDER BY l.customer_id`, at)
	if err != nil {
		return 0, fmt.Errorf("points due to expire: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		var wrote bool
		err := s.DB.InTx(ctx, func(tx *db.Tx) error {
			var err error
			wrote, err = expireCustomer(ctx, tx, id, now)
			return err
		})
		if err != nil {
			return n, err
		}
		if wrote {
			n++
		}
	}
	return n, nil
}

func expireCustomer(ctx context.Context, tx *db.Tx, customerID int64, now time.Time) (bool, error) {
	at := now.UTC().UnixMilli()
	var expired, taken, latest int64
	if err := tx.QueryRow(ctx, `SELECT
			COALESCE(SUM(CASE WHEN points > 0 AND expires_at IS NOT NULL AND expires_at <= $2 THEN points ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN points > 0 AND expires_at IS NOT NULL THEN 0 ELSE -points END), 0),
			COALESCE(MAX(CASE WHEN points > 0 AND expires_at <= $2 THEN expires_at END), 0)
		FROM points_ledger WHERE customer_id = $1`, customerID, at).Scan(&expired, &taken, &latest); err != nil {
		return false, fmt.Errorf("points to expire of customer %d: %w", customerID, err)
	}
	bal, err := Balance(ctx, tx, customerID)
	if err != nil {
		return false, err
	}
	due := min(expired-taken, bal)
	if due <= 0 {
		return false, nil
	}
	wrote, err := Write(ctx, tx, Entry{CustomerID: customerID, Kind: Expire, Points: -due, SourceKind: "expiry", SourceID: latest,
		Key: fmt.Sprintf("expire:%d:%d", customerID, latest), Reason: "expired " + time.UnixMilli(latest).UTC().Format(time.DateOnly), At: now})
	if isInsufficient(err) {
		return false, nil // spent meanwhile: the next run sees what is left
	}
	return wrote, err
}
