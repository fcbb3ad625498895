package web

import (
	"net/http"
	"strings"

	"github.com/storeops/storeops/internal/settings"
)

// commonZones and commonCurrencies are offered as suggestions; any IANA zone
// and ISO 4217 code is accepted.
var (
	commonZones      = []string{"Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo", "Europe/London", "America/Los_Angeles", "UTC"}
	commonCurrencies = []string{"CNY", "HKD", "TWD", "SGD", "USD", "EUR", "JPY"}
)

type settingsPage struct {
	Store      settings.Store
	Zones      []string
	Currencies []string
	Errors     map[string]string
	Error      string
}

func (c *Console) settingsForm(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	c.settingsPage(w, r, http.StatusOK, settingsPage{Store: v.Store})
}

func (c *Console) settingsPage(w http.ResponseWriter, r *http.Request, status int, pg settingsPage) {
	v := viewerFrom(r.Context())
	pg.Zones, pg.Currencies = commonZones, commonCurrencies
	c.render(w, r, status, "settings", tr(v, "nav.settings"), "settings", pg)
}

func (c *Console) saveSettings(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	st := settings.Store{
		Name:     strings.TrimSpace(r.PostFormValue("name")),
		TimeZone: strings.TrimSpace(r.PostFormValue("time_zone")),
		Currency: strings.ToUpper(strings.TrimSpace(r.PostFormValue("currency"))),
	}
	if err := st.Validate(); err != nil {
		// settings says "field: what is wrong".
		field, msg, _ := strings.Cut(err.Error(), ": ")
		c.settingsPage(w, r, http.StatusUnprocessableEntity, settingsPage{Store: st,
			Errors: map[string]string{field: tr(v, "form.invalid_field", msg)}, Error: tr(v, "form.fix_errors")})
		return
	}
	if err := settings.Save(r.Context(), c.DB, st); err != nil {
		c.serverError(w, r, err)
		return
	}
	c.redirect(w, r, "/settings", "flash.settings_saved")
}
