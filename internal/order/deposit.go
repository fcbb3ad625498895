package order

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/db"
)

// Deposit is where a presale deposit order (定金, presale_role deposit)
// stands in its presale (internal/presale): the order itself stays paid
// once the deposit is paid, but it ships nothing, and what the shop waits
// for is the tail (尾款), due in the presale's tail window.
type Deposit struct {
	PresaleID    int64     `json:"presale_id"`
	Presale      string    `json:"presale" doc:"the presale's name"`
	Status       string    `json:"status" doc:"pending (unpaid), paid (tail due), completed (tail paid), closed, forfeited (tail not paid in time), refunded"`
	TailStartsAt time.Time `json:"tail_starts_at"`
	TailEndsAt   time.Time `json:"tail_ends_at" doc:"the tail is due before this instant"`
	TailOrderID  int64     `json:"tail_order_id,omitempty" doc:"the tail order placed (waiting for payment, or paid)"`
}

// TailDue reports whether the deposit is paid and its tail not yet.
func (d *Deposit) TailDue() bool { return d != nil && d.Status == "paid" }

// loadDeposits fills Deposit on the deposit orders of os, in one query.
func loadDeposits(ctx context.Context, q db.Queryer, os []Order) error {
	var ids []string
	var args []any
	at := map[int64]int{}
	for i, o := range os {
		if o.PresaleRole == PresaleDeposit {
			args = append(args, o.ID)
			ids = append(ids, "$"+strconv.Itoa(len(args)))
			at[o.ID] = i
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := q.Query(ctx, `SELECT d.deposit_order_id, p.id, p.name, d.status, p.tail_starts_at, p.tail_ends_at, COALESCE(d.tail_order_id, 0)
		FROM presale_deposits d JOIN presales p ON p.id = d.presale_id WHERE d.deposit_order_id IN (`+strings.Join(ids, ", ")+`)`, args...)
	if err != nil {
		return fmt.Errorf("deposits of orders: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, starts, ends int64
		d := &Deposit{}
		if err := rows.Scan(&id, &d.PresaleID, &d.Presale, &d.Status, &starts, &ends, &d.TailOrderID); err != nil {
			return fmt.Errorf("deposits of orders: %w", err)
		}
		d.TailStartsAt, d.TailEndsAt = time.UnixMilli(starts).UTC(), time.UnixMilli(ends).UTC()
		os[at[id]].Deposit = d
	}
	return rows.Err()
}
