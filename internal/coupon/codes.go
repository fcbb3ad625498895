package coupon

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
)

// codeAlphabet leaves out 0/O and 1/I/L, which buyers misread when typing
// a code from a card or a screenshot.
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// codeLen random characters give 31^10 ≈ 8·10^14 codes: guessing one of a
// batch of 10,000 takes some 10^10 tries.
const codeLen = 10

// MaxBatch is the most codes one generation makes.
const MaxBatch = 10000

var prefixPattern = regexp.MustCompile(`^[A-Z0-9]{0,8}$`)

// NewCode is a random one-time code after prefix.
func NewCode(prefix string) string {
	var b [codeLen]byte
	rand.Read(b[:])
	out := make([]byte, 0, len(prefix)+codeLen)
	out = append(out, prefix...)
	for _, x := range b {
		// 256 % 31 = 8: the first eight letters are a hair likelier
		// (9/256 against 8/256), which costs under a bit of the 49.5.
		out = append(out, codeAlphabet[int(x)%len(codeAlphabet)])
	}
	return string(out)
}

// Batch is one generation of one-time codes.
type Batch struct {
	TemplateID int64    `json:"template_id"`
	Batch      int64    `json:"batch"`
	Codes      []string `json:"codes"`
}

// GenerateCodes makes count new one-time codes for the template, each
// redeemable once by one customer. With a total limit, codes are refused
// beyond what the limit can still honour (issued + codes not yet redeemed).
func (s *Service) GenerateCodes(ctx context.Context, templateID int64, count int, prefix string) (Batch, error) {
	prefix = NormalizeCode(prefix)
	if count < 1 || count > MaxBatch {
		return Batch{}, apperr.Field("count", "must be from 1 to %d, not %d", MaxBatch, count)
	}
	if !prefixPattern.MatchString(prefix) {
		return Batch{}, apperr.Field("prefix", "at most 8 letters or digits, such as VIP")
	}
	out := Batch{TemplateID: templateID, Codes: make([]string, 0, count)}
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		// Touching the template row first serialises generations of one
		// template, so their batch numbers differ.
		res, err := tx.Exec(ctx, `UPDATE coupon_templates SET updated_at = $1 WHERE id = $2 AND status <> 'ended'`, now.UnixMilli(), templateID)
		if err != nil {
			return fmt.Errorf("generate codes: %w", err)
		}
		t, err := getTemplate(ctx, tx, templateID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%q has ended; codes can't be added: %w", t.Name, ErrNotIssuing)
		}
		var open int64
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM coupon_codes WHERE template_id = $1 AND kind = 'unique' AND redeemed_at IS NULL`,
			templateID).Scan(&open); err != nil {
			return fmt.Errorf("generate codes: %w", err)
		}
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(batch), 0) + 1 FROM coupon_codes WHERE template_id = $1`, templateID).Scan(&out.Batch); err != nil {
			return fmt.Errorf("generate codes: %w", err)
		}
		if t.TotalLimit > 0 && t.Issued+open+int64(count) > t.TotalLimit {
			return apperr.Field("count", "the total limit is %d: %d issued and %d codes not yet redeemed leave room for %d more codes",
				t.TotalLimit, t.Issued, open, max(0, t.TotalLimit-t.Issued-open))
		}
		for len(out.Codes) < count {
			n := min(count-len(out.Codes), 400)
			codes := make([]string, n)
			var ph []string
			args := []any{templateID, out.Batch, now.UnixMilli()}
			for i := range codes {
				codes[i] = NewCode(prefix)
				args = append(args, codes[i])
				ph = append(ph, "($"+strconv.Itoa(len(args))+", $1, 'unique', $2, $3)")
			}
			// A collision with a code already in the store is skipped and
			// made again in the next round.
			rows, err := tx.Query(ctx, `INSERT INTO coupon_codes (code, template_id, kind, batch, created_at) VALUES `+strings.Join(ph, ", ")+
				` ON CONFLICT (code) DO NOTHING RETURNING code`, args...)
			if err != nil {
				return fmt.Errorf("generate codes: %w", err)
			}
			for rows.Next() {
				var c string
				if err := rows.Scan(&c); err != nil {
					rows.Close()
					return err
				}
				out.Codes = append(out.Codes, c)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, "coupon_template.codes", "coupon_template", templateID, nil,
			map[string]any{"batch": out.Batch, "count": count, "prefix": prefix})
	})
	if err != nil {
		return Batch{}, err
	}
	return out, nil
}

// Code is one one-time code and whether it was redeemed.
type Code struct {
	Code       string     `json:"code"`
	Batch      int64      `json:"batch"`
	CouponID   int64      `json:"coupon_id,omitempty"`
	CustomerID int64      `json:"customer_id,omitempty"`
	RedeemedAt *time.Time `json:"redeemed_at"`
	CreatedAt  time.Time  `json:"created_at"`
}

// Codes lists a template's one-time codes (of one batch, or all with batch
// 0) in the order they were made, for the CSV export.
func (s *Service) Codes(ctx context.Context, templateID, batch int64) ([]Code, error) {
	if _, err := s.GetTemplate(ctx, templateID); err != nil {
		return nil, err
	}
	q, args := `SELECT k.code, k.batch, COALESCE(k.coupon_id, 0), COALESCE(c.customer_id, 0), k.redeemed_at, k.created_at
		FROM coupon_codes k LEFT JOIN coupons c ON c.id = k.coupon_id
		WHERE k.template_id = $1 AND k.kind = 'unique'`, []any{templateID}
	if batch > 0 {
		q, args = q+` AND k.batch = $2`, append(args, batch)
	}
	rows, err := s.DB.Query(ctx, q+` ORDER BY k.batch, k.code`, args...)
	if err != nil {
		return nil, fmt.Errorf("codes of template %d: %w", templateID, err)
	}
	defer rows.Close()
	out := []Code{}
	for rows.Next() {
		var c Code
		var redeemed sql.NullInt64
		var created int64
		if err := rows.Scan(&c.Code, &c.Batch, &c.CouponID, &c.CustomerID, &redeemed, &created); err != nil {
			return nil, err
		}
		c.RedeemedAt, c.CreatedAt = optTime(redeemed), time.UnixMilli(created).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}
