package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/tier"
)

// grantGrowth is the customer page's 调整成长值 form: growth (negative
// takes it) with a reason; a wrong field shows the page again with why.
func (c *Console) grantGrowth(w http.ResponseWriter, r *http.Request) {
	id := parseID(r.PathValue("id"))
	n, perr := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("growth")), 10, 64)
	var err error
	if perr != nil {
		err = apperr.Field("growth", "give a whole number of growth, positive to add, negative to take")
	} else {
		_, err = c.tiers().GrantGrowth(r.Context(), id, tier.Grant{Growth: n, Reason: r.PostFormValue("growth_reason")})
	}
	c.afterGrowth(w, r, id, err, "flash.growth_granted")
}

// reverseGrowth takes back an action's or a grant's growth with a reason.
func (c *Console) reverseGrowth(w http.ResponseWriter, r *http.Request) {
	id := parseID(r.PathValue("id"))
	_, err := c.tiers().Reverse(r.Context(), id, parseID(r.PathValue("movement")), r.PostFormValue("reason"))
	c.afterGrowth(w, r, id, err, "flash.growth_reversed")
}

func (c *Console) afterGrowth(w http.ResponseWriter, r *http.Request, id int64, err error, flash string) {
	v := viewerFrom(r.Context())
	var fe *apperr.FieldError
	switch {
	case err == nil:
		c.redirect(w, r, fmt.Sprintf("/customers/%d#customer-tier", id), flash)
	case errors.As(err, &fe), errors.Is(err, tier.ErrNotReversible):
		cu, gerr := c.Customers.Get(r.Context(), id)
		if gerr != nil {
			c.fail(w, r, gerr)
			return
		}
		msg := tr(v, "membership.not_reversible")
		if fe != nil {
			msg = fieldMessage(v, fe)
		}
		c.customerPage(w, r, http.StatusUnprocessableEntity, id, &customerPage{Profile: profileOf(cu), Error: msg})
	default:
		c.fail(w, r, err)
	}
}

// saveGrowthActions saves the tiers page's growth actions form.
func (c *Console) saveGrowthActions(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	cfg, err := c.tiers().Config(r.Context())
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	actions, err := c.tiers().Actions(r.Context())
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	pg := tiersPage{Config: cfg, Errors: map[string]string{}}
	for i := range actions {
		a := &actions[i]
		for name, dst := range map[string]*int64{"growth": &a.Growth, "daily_cap": &a.DailyCap, "lifetime_cap": &a.LifetimeCap} {
			key := fmt.Sprintf("actions[%d].%s", i, name)
			n, err := strconv.ParseInt(strings.TrimSpace(r.PostFormValue(key)), 10, 64)
			if err != nil {
				pg.Errors[key] = tr(v, "membership.whole_number")
			}
			*dst = n
		}
	}
	pg.Actions = actions
	c.saveTiersForm(w, r, pg, "/tiers#growth-actions", "flash.growth_actions_saved", func() error {
		_, err := c.tiers().SaveActions(r.Context(), actions)
		return err
	})
}
