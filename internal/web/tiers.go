package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/tier"
)

// tiersPage is the ladder settings page: the form (the saved ladder or
// what was typed) and how many customers hold each tier.
type tiersPage struct {
	Config tier.Config
	// Actions are the growth actions form: saved, or as typed.
	Actions      []tier.ActionRule
	Distribution []tier.Count
	Charts       []chart
	Errors       map[string]string
	Error        string
}

func (c *Console) tiers() *tier.Service {
	if c.Tiers != nil {
		return c.Tiers
	}
	return &tier.Service{DB: c.DB}
}

// tierOf is the customer page's tier card.
func (c *Console) tierOf(ctx context.Context, id int64) (*tier.Membership, error) {
	m, err := c.tiers().Membership(ctx, id)
	if err != nil {
		return nil, err
	}
	return &m, nil
}

func (c *Console) tiersView(w http.ResponseWriter, r *http.Request) {
	cfg, err := c.tiers().Config(r.Context())
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	c.tiersPage(w, r, http.StatusOK, tiersPage{Config: cfg, Errors: map[string]string{}})
}

func (c *Console) tiersPage(w http.ResponseWriter, r *http.Request, status int, pg tiersPage) {
	v := viewerFrom(r.Context())
	var err error
	if pg.Distribution, err = c.tiers().Distribution(r.Context()); err != nil {
		c.serverError(w, r, err)
		return
	}
	if pg.Actions == nil {
		if pg.Actions, err = c.tiers().Actions(r.Context()); err != nil {
			c.serverError(w, r, err)
			return
		}
	}
	x := make([]string, len(pg.Distribution))
	n := make([]int64, len(pg.Distribution))
	for i, d := range pg.Distribution {
		x[i] = tierName(v.Lang, d.Level)
		n[i] = d.Customers
	}
	pg.Charts = []chart{{ID: "chart-tiers", Title: tr(v, "membership.distribution"), Kind: "bar", X: x, Scale: 1, Lang: v.Lang,
		Series: []chartSeries{{Name: tr(v, "membership.customers"), Data: n}}}}
	c.render(w, r, status, "tiers", tr(v, "nav.tiers"), "tiers", pg)
}

func tierName(lang string, l tier.Level) string {
	if strings.HasPrefix(lang, "zh") {
		return l.NameZh
	}
	return l.NameEn
}

// saveTiers saves the ladder form: the tiers keep their codes and order
// (adding or removing a tier is PUT /api/v1/tiers); names, thresholds and
// benefits change.
func (c *Console) saveTiers(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	cfg, err := c.tiers().Config(r.Context())
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	pg := tiersPage{Errors: map[string]string{}}
	num := func(field, raw string) int64 {
		n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
		if err != nil {
			pg.Errors[field] = tr(v, "membership.whole_number")
		}
		return n
	}
	cfg.GrowthPerYuan = num("growth_per_yuan", r.PostFormValue("growth_per_yuan"))
	cfg.WindowMonths = int(num("window_months", r.PostFormValue("window_months")))
	for i := range cfg.Levels {
		l := &cfg.Levels[i]
		key := func(name string) string { return fmt.Sprintf("levels[%d].%s", i, name) }
		l.NameZh = strings.TrimSpace(r.PostFormValue(key("name_zh")))
		l.NameEn = strings.TrimSpace(r.PostFormValue(key("name_en")))
		l.Threshold = num(key("threshold"), r.PostFormValue(key("threshold")))
		l.KeepThreshold = num(key("keep_threshold"), r.PostFormValue(key("keep_threshold")))
		l.DiscountBP = num(key("discount_bp"), r.PostFormValue(key("discount_bp")))
		l.FreeShipping = r.PostFormValue(key("free_shipping")) != ""
		l.BirthdayGift = r.PostFormValue(key("birthday_gift")) != ""
		l.PriorityShipping = r.PostFormValue(key("priority_shipping")) != ""
		l.DedicatedService = r.PostFormValue(key("dedicated_service")) != ""
	}
	pg.Config = cfg
	c.saveTiersForm(w, r, pg, "/tiers", "flash.tiers_saved", func() error {
		_, err := c.tiers().Save(r.Context(), cfg)
		return err
	})
}

// saveTiersForm saves a form of the tiers page when it has no errors yet
// and redirects to to; a refused field shows the page again next to it.
func (c *Console) saveTiersForm(w http.ResponseWriter, r *http.Request, pg tiersPage, to, flash string, save func() error) {
	v := viewerFrom(r.Context())
	if len(pg.Errors) == 0 {
		err := save()
		if err == nil {
			c.redirect(w, r, to, flash)
			return
		}
		var fe *apperr.FieldError
		if !errors.As(err, &fe) {
			c.fail(w, r, err)
			return
		}
		pg.Errors[fe.Field] = fieldMessage(v, fe)
	}
	pg.Error = tr(v, "form.fix_errors")
	c.tiersPage(w, r, http.StatusUnprocessableEntity, pg)
}
