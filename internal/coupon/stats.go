package coupon

import (
	"context"
	"fmt"

	"github.com/storeops/storeops/internal/order/purchase"
)

// Stats is how a template's coupons did.
type Stats struct {
	TemplateID int64 `json:"template_id"`
	Issued     int64 `json:"issued" doc:"coupons made, in every state"`
	Available  int64 `json:"available" doc:"issued and not yet used (state issued)"`
	Locked     int64 `json:"locked"`
	Used       int64 `json:"used"`
	Expired    int64 `json:"expired"`
	// UsedRateBP is used ÷ issued in basis points (核销率).
	UsedRateBP int64 `json:"used_rate_bp"`
	// Discount is the 分 the used coupons took off their orders.
	Discount int64 `json:"discount"`
	// GMV is the total of the paid orders that used one of the coupons.
	GMV    int64 `json:"gmv"`
	Orders int64 `json:"orders"`
	// Codes: one-time codes made and redeemed.
	Codes         int64 `json:"codes"`
	CodesRedeemed int64 `json:"codes_redeemed"`
}

// UsedRate is used ÷ issued in basis points, 0 with nothing issued.
func UsedRate(used, issued int64) int64 {
	if issued == 0 {
		return 0
	}
	return used * 10000 / issued
}

// Stats counts a template's coupons by state, what the used ones gave and
// what their orders brought in.
func (s *Service) Stats(ctx context.Context, templateID int64) (Stats, error) {
	if _, err := s.GetTemplate(ctx, templateID); err != nil {
		return Stats{}, err
	}
	st := Stats{TemplateID: templateID}
	rows, err := s.DB.Query(ctx, `SELECT status, COUNT(*), COALESCE(SUM(discount), 0) FROM coupons WHERE template_id = $1 GROUP BY status`, templateID)
	if err != nil {
		return st, fmt.Errorf("coupon stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var n, off int64
		if err := rows.Scan(&state, &n, &off); err != nil {
			return st, err
		}
		st.Issued += n
		switch State(state) {
		case StateIssued:
			st.Available = n
		case StateLocked:
			st.Locked = n
		case StateUsed:
			st.Used, st.Discount = n, off
		case StateExpired:
			st.Expired = n
		}
	}
	if err := rows.Err(); err != nil {
		return st, err
	}
	st.UsedRateBP = UsedRate(st.Used, st.Issued)
	// One order may use two coupons of the template: its total counts once.
	// A presale's tail is worth its deposit too (package purchase).
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(`+purchase.Value("o")+`), 0) FROM orders o
		WHERE o.id IN (SELECT order_id FROM coupons WHERE template_id = $1 AND status = 'used')`, templateID).Scan(&st.Orders, &st.GMV); err != nil {
		return st, fmt.Errorf("coupon stats: %w", err)
	}
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*), COUNT(redeemed_at) FROM coupon_codes WHERE template_id = $1 AND kind = 'unique'`,
		templateID).Scan(&st.Codes, &st.CodesRedeemed); err != nil {
		return st, fmt.Errorf("coupon stats: %w", err)
	}
	return st, nil
}
