package presale

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/order/price"
)

// Kinds of price.Applied on presale orders; PromotionID is the presale.
const (
	KindDeposit = "presale_deposit" // the deposit order: nothing off, X per unit
	KindTail    = "presale"         // the tail order: list price − tail
)

// intent is what a presale checkout is for, carried in its context from
// Deposit or PayTail to the Pricer and the Hook (the checkout request has
// no field for it).
type intent struct {
	presaleID int64 // the deposit's presale
	depositID int64 // > 0: the tail of this deposit
}

type intentKey struct{}

func withIntent(ctx context.Context, in *intent) context.Context {
	return context.WithValue(ctx, intentKey{}, in)
}

func intentFrom(ctx context.Context) *intent {
	in, _ := ctx.Value(intentKey{}).(*intent)
	return in
}

// Pricer prices a presale checkout (one started by Deposit or PayTail,
// which say so in the context) and everything else through Next. A presale
// line takes no other promotion, coupon or points: the deposit's inflation
// and the tail discount are the deal. Refusals here are by reading; the
// hook's conditional writes are the rule.
type Pricer struct {
	Presales *Service
	Next     price.Pricer
}

// Price implements price.Pricer.
func (p Pricer) Price(ctx context.Context, r price.Request) (price.Priced, error) {
	in := intentFrom(ctx)
	if in == nil {
		return p.Next.Price(ctx, r)
	}
	if err := price.CheckLines(r.Lines); err != nil {
		return price.Priced{}, err
	}
	if len(r.Lines) != 1 {
		return price.Priced{}, apperr.Field("lines", "a presale order has exactly one line: the presale's SKU")
	}
	if r.CustomerID <= 0 {
		return price.Priced{}, fmt.Errorf("sign in to buy in a presale: %w", apperr.ErrForbidden)
	}
	ps, err := p.Presales.offer(ctx, in.presaleID)
	if err != nil {
		return price.Priced{}, err
	}
	l := r.Lines[0]
	if l.SKUID != ps.SKUID {
		return price.Priced{}, apperr.Field("lines[0].sku_id", "the presale %s sells SKU %d (%s), not %d", ps.Name, ps.SKUID, ps.Code, l.SKUID)
	}
	if in.depositID == 0 {
		return p.deposit(ctx, r, ps)
	}
	if err := p.Presales.tailDue(ctx, in.depositID, r, l.Quantity, ps); err != nil {
		return price.Priced{}, err
	}
	return p.tail(ctx, r, ps)
}

// deposit prices a deposit order: the deposit is the item, X per unit; it
// costs no goods (they are the tail order's), ships free, and takes no
// coupon or points (the inflation is the deal).
func (p Pricer) deposit(ctx context.Context, r price.Request, ps Presale) (price.Priced, error) {
	if len(r.Coupons) > 0 {
		return price.Priced{}, apperr.Field("coupons", "a presale deposit takes no coupons; use them on the tail")
	}
	if r.Points > 0 {
		return price.Priced{}, apperr.Field("points", "a presale deposit takes no points; use them on the tail")
	}
	q := r.Lines[0].Quantity
	if err := ps.takesDeposit(r, q); err != nil {
		return price.Priced{}, err
	}
	out, err := price.List(ctx, p.Presales.DB, r.Lines)
	if err != nil {
		return price.Priced{}, err
	}
	t := ps.terms()
	lp := &out.Lines[0]
	lp.ListPrice, lp.UnitPrice, lp.Discount, lp.Total, lp.UnitCost = t.Deposit, t.Deposit, 0, t.Deposit*q, 0
	lp.Stock = price.StockNone
	lp.Explanation = []string{fmt.Sprintf("预售定金 %s, 抵 %s", yuan(t.Deposit), yuan(t.DepositValue))}
	out.ItemsTotal, out.Discount, out.Total, out.CostTotal = lp.Total, 0, lp.Total, 0
	out.FreeShipping = true
	out.Applied = append(out.Applied, price.Applied{Kind: KindDeposit, PromotionID: ps.ID, Name: ps.Name})
	out.Explanation = append(out.Explanation, fmt.Sprintf("预售 %s: 定金 %s × %d, 每件抵 %s; 尾款 %s/件 (%s – %s)",
		ps.Name, yuan(t.Deposit), q, yuan(t.DepositValue), yuan(t.TailUnit()), ps.TailStartsAt.Format("2006-01-02 15:04"),
		ps.TailEndsAt.Format("2006-01-02 15:04")))
	return out, nil
}

// tail prices a tail order. The line starts from the tail, P − Y − d per
// unit (price.WithBasePrices), and goes through the rest of the pricers:
// the store's promotions, the buyer's coupons and points apply to the
// tail as the engine allows. The line then shows the SKU's list price,
// with the presale's part (list − tail) in its discount.
func (p Pricer) tail(ctx context.Context, r price.Request, ps Presale) (price.Priced, error) {
	t := ps.terms()
	unit := t.TailUnit()
	why := fmt.Sprintf("预售价 %s − 定金抵 %s − 尾款立减 %s = 尾款 %s", yuan(t.PresalePrice), yuan(t.DepositValue), yuan(t.TailDiscount), yuan(unit))
	out, err := p.Next.Price(price.WithBasePrices(ctx, map[int64]price.BasePrice{ps.SKUID: {Unit: unit, Why: why}}), r)
	if err != nil {
		return price.Priced{}, err
	}
	i := slices.IndexFunc(out.Lines, func(l price.LinePrice) bool { return l.SKUID == ps.SKUID && !l.Gift })
	if i < 0 || out.Lines[i].FlashItemID != 0 || out.Lines[i].ListPrice != unit {
		// Another deal (a flash sale of the SKU) took the line over.
		return price.Priced{}, fmt.Errorf("%s is in another sale now; pay the tail after it: %w", ps.Code, apperr.ErrConflict)
	}
	lp := &out.Lines[i]
	q := lp.Quantity
	off := (ps.ListPrice - unit) * q
	lp.ListPrice = ps.ListPrice
	lp.Discount += off
	lp.Stock = price.StockPool
	out.ItemsTotal += off
	out.Discount += off
	out.Applied = append([]price.Applied{{Kind: KindTail, PromotionID: ps.ID, Name: ps.Name, Off: off}}, out.Applied...)
	out.Explanation = append([]string{fmt.Sprintf("预售 %s 尾款: %s × %d (定金 %s × %d 已付)", ps.Name, yuan(unit), q, yuan(t.Deposit), q)},
		out.Explanation...)
	return out, nil
}

// offer reads what pricing a presale's order needs: its row and SKU code,
// without the deposit counts Get adds up (a deposit rush reads it for
// every checkout).
func (s *Service) offer(ctx context.Context, id int64) (Presale, error) {
	var p Presale
	var ds, de, ts, te int64
	var ended sql.NullInt64
	err := s.DB.QueryRow(ctx, `SELECT ps.id, ps.name, ps.sku_id, k.code, k.list_price, ps.presale_price, ps.deposit, ps.deposit_value, ps.tail_discount,
			ps.per_customer_limit, ps.deposit_starts_at, ps.deposit_ends_at, ps.tail_starts_at, ps.tail_ends_at, ps.stock, ps.deposited, ps.ended_at
		FROM presales ps JOIN skus k ON k.id = ps.sku_id WHERE ps.id = $1`, id).
		Scan(&p.ID, &p.Name, &p.SKUID, &p.Code, &p.ListPrice, &p.PresalePrice, &p.Deposit, &p.DepositValue, &p.TailDiscount, &p.PerCustomerLimit,
			&ds, &de, &ts, &te, &p.Stock, &p.Deposited, &ended)
	if errors.Is(err, sql.ErrNoRows) {
		return Presale{}, fmt.Errorf("presale %d: %w", id, apperr.ErrNotFound)
	}
	if err != nil {
		return Presale{}, fmt.Errorf("presale: %w", err)
	}
	p.Windows = Windows{ms(ds), ms(de), ms(ts), ms(te)}
	p.EndedAt = optMS(ended)
	return p, nil
}

// takesDeposit says why the presale takes no deposit of n units now.
func (p Presale) takesDeposit(r price.Request, n int64) error {
	if ph := p.Windows.PhaseAt(r.At, p.EndedAt != nil); ph != DepositOpen {
		return fmt.Errorf("%s is %s: %w", p.Name, ph, ErrNotTakingDeposits)
	}
	if n > p.PerCustomerLimit {
		return apperr.Field("lines[0].quantity", "the presale %s allows %d per customer, not %d", p.Name, p.PerCustomerLimit, n)
	}
	if p.Stock-p.Deposited < n {
		return fmt.Errorf("%s: %d left: %w", p.Name, max(p.Stock-p.Deposited, 0), ErrSoldOut)
	}
	return nil
}

// tailDue says why the deposit has no tail of n units to pay now.
func (s *Service) tailDue(ctx context.Context, depositID int64, r price.Request, n int64, ps Presale) error {
	var customer, qty int64
	var st string
	var tail sql.NullInt64
	err := s.DB.QueryRow(ctx, `SELECT customer_id, quantity, status, tail_order_id FROM presale_deposits WHERE id = $1 AND presale_id = $2`,
		depositID, ps.ID).Scan(&customer, &qty, &st, &tail)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && customer != r.CustomerID) {
		return fmt.Errorf("deposit %d: %w", depositID, apperr.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("presale: %w", err)
	}
	if n != qty {
		return apperr.Field("lines[0].quantity", "the deposit is on %d units; the tail is for the same %d, not %d", qty, qty, n)
	}
	return tailOpen(st, tail.Valid, ps, r.At.UnixMilli())
}

func tailOpen(st string, hasTail bool, ps Presale, at int64) error {
	switch {
	case st != "paid":
		return fmt.Errorf("the deposit is %s: %w", st, ErrNoTailDue)
	case hasTail:
		return fmt.Errorf("a tail order is already waiting for payment; pay it: %w", ErrNoTailDue)
	case at < ps.TailStartsAt.UnixMilli():
		return fmt.Errorf("it opens at %s: %w", ps.TailStartsAt.Format("2006-01-02 15:04 MST"), ErrTailClosed)
	case at >= ps.TailEndsAt.UnixMilli():
		return fmt.Errorf("it closed at %s: %w", ps.TailEndsAt.Format("2006-01-02 15:04 MST"), ErrTailClosed)
	}
	return nil
}
