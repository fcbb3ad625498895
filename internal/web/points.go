package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/cart"
	"github.com/storeops/storeops/internal/points"
)

func (c *Console) points() *points.Service { return &points.Service{DB: c.DB} }

// customerPointsLimit is how many movements the customer page shows; the
// API pages through all of them.
const customerPointsLimit = 10

// pointsOf is the customer page's points card.
func (c *Console) pointsOf(ctx context.Context, id int64) (*points.Account, error) {
	a, err := c.points().Account(ctx, id, 0, customerPointsLimit)
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// adjustPoints gives or takes a customer's points by hand.
func (c *Console) adjustPoints(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	id := parseID(r.PathValue("id"))
	n, perr := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("points")), 10, 64)
	var err error
	if perr != nil {
		err = apperr.Field("points", "give a whole number of points, positive to add, negative to take")
	} else {
		_, err = c.points().Adjust(r.Context(), id, points.AdjustInput{Points: n, Reason: r.PostFormValue("reason")})
	}
	var fe *apperr.FieldError
	switch {
	case err == nil:
		c.redirect(w, r, fmt.Sprintf("/customers/%d#points", id), "flash.points_adjusted")
	case errors.As(err, &fe):
		cu, gerr := c.Customers.Get(r.Context(), id)
		if gerr != nil {
			c.fail(w, r, gerr)
			return
		}
		c.customerPage(w, r, http.StatusUnprocessableEntity, id, &customerPage{Profile: profileOf(cu), Error: fieldMessage(v, fe)})
	default:
		c.fail(w, r, err)
	}
}

type pointsRulesPage struct {
	Rules  points.Rules
	Ladder string // one rung a line: "1 200 首购激励"
	Errors map[string]string
	Error  string
}

func (c *Console) pointsRules(w http.ResponseWriter, r *http.Request) {
	rules, err := c.points().Rules(r.Context())
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	c.renderPointsRules(w, r, http.StatusOK, &pointsRulesPage{Rules: rules, Ladder: ladderText(rules.Ladder)})
}

func (c *Console) renderPointsRules(w http.ResponseWriter, r *http.Request, status int, pg *pointsRulesPage) {
	v := viewerFrom(r.Context())
	c.render(w, r, status, "points", tr(v, "nav.points"), "points", pg)
}

func (c *Console) savePointsRules(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	pg := &pointsRulesPage{Ladder: r.PostFormValue("ladder"), Errors: map[string]string{}}
	num := func(name string) int64 {
		n, err := strconv.ParseInt(strings.TrimSpace(r.PostFormValue(name)), 10, 64)
		if err != nil {
			pg.Errors[name] = tr(v, "points.whole_number")
		}
		return n
	}
	pg.Rules = points.Rules{EarnPerYuan: num("earn_points_per_yuan"), RedeemPerYuan: num("redeem_points_per_yuan"),
		MaxShareBP: num("max_share_bp"), ExpiryMonths: num("expiry_months")}
	ladder, lerr := parseLadder(pg.Ladder)
	if lerr != nil {
		pg.Errors["ladder"] = tr(v, "points.ladder_format")
	}
	pg.Rules.Ladder = ladder
	if len(pg.Errors) > 0 {
		pg.Error = tr(v, "form.fix_errors")
		c.renderPointsRules(w, r, http.StatusUnprocessableEntity, pg)
		return
	}
	_, err := c.points().SaveRules(r.Context(), pg.Rules)
	var fe *apperr.FieldError
	switch {
	case err == nil:
		c.redirect(w, r, "/points", "flash.points_rules_saved")
	case errors.As(err, &fe):
		pg.Errors[fe.Field] = fieldMessage(v, fe)
		pg.Error = tr(v, "form.fix_errors")
		c.renderPointsRules(w, r, http.StatusUnprocessableEntity, pg)
	default:
		c.fail(w, r, err)
	}
}

// ladderText is the ladder as the form's textarea shows it.
func ladderText(l []points.Rung) string {
	var b strings.Builder
	for _, g := range l {
		fmt.Fprintf(&b, "%d %d %s\n", g.OrderNumber, g.Bonus, g.Label)
	}
	return b.String()
}

// parseLadder reads "order-number bonus [label]" lines; blank lines are
// skipped.
func parseLadder(s string) ([]points.Rung, error) {
	out := []points.Rung{}
	for line := range strings.Lines(s) {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 2 {
			return nil, fmt.Errorf("line %q: want order number and bonus", strings.TrimSpace(line))
		}
		n, err1 := strconv.ParseInt(f[0], 10, 64)
		b, err2 := strconv.ParseInt(f[1], 10, 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("line %q: want whole numbers", strings.TrimSpace(line))
		}
		out = append(out, points.Rung{OrderNumber: n, Bonus: b, Label: strings.Join(f[2:], " ")})
	}
	return out, nil
}

// cartOf is the customer's cart priced as the storefront prices it, with
// what their points would take off (customer service answers "how many
// points can I use?"); nil when the cart is empty.
func (c *Console) cartOf(ctx context.Context, id int64) (*cart.View, error) {
	if c.Carts == nil {
		return nil, nil
	}
	v, err := c.Carts.Get(ctx, cart.Owner{CustomerID: id})
	if err != nil {
		// A cart the pricer refuses (a line gone to another currency) is
		// the buyer's to fix at checkout; the customer page still shows.
		if c.Log != nil {
			c.Log.Warn("customer page: price the cart", "customer", id, "err", err)
		}
		return nil, nil
	}
	if len(v.Items) == 0 {
		return nil, nil
	}
	return &v, nil
}
