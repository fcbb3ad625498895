package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/cart"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/page"
	"github.com/storeops/storeops/internal/points"
	"github.com/storeops/storeops/internal/referral"
	"github.com/storeops/storeops/internal/tier"
)

var customerChannels = []string{customer.ChannelSearch, customer.ChannelLive, customer.ChannelShortVideo,
	customer.ChannelCommunity, customer.ChannelAds, customer.ChannelDirect}

var customerGenders = []string{customer.GenderFemale, customer.GenderMale, customer.GenderOther}

type customersPage struct {
	Query    string
	Tag      string
	Channel  string
	Channels []string
	Rows     []customer.Customer
	Next     string
	Error    string
}

func (c *Console) customers(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	q := r.URL.Query()
	pg := customersPage{Query: q.Get("q"), Tag: q.Get("tag"), Channels: customerChannels}
	if ch := q.Get("channel"); customer.ValidChannel(ch) {
		pg.Channel = ch
	}
	req, err := page.Parse("", q.Get("cursor"))
	if err != nil {
		pg.Error = tr(v, "err.bad_cursor")
		req = page.Request{}
	}
	req.Limit = 30
	list, next, err := c.Customers.List(r.Context(), customer.Filter{Query: pg.Query, Tag: pg.Tag, Channel: pg.Channel, Request: req})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	pg.Rows = list
	if next != "" {
		pg.Next = "/customers?" + withCursor(q, next)
	}
	if isHTMX(r, "customer-table") {
		c.renderBlock(w, r, http.StatusOK, "customers", "customer_table", tr(v, "nav.customers"), "customers", pg)
		return
	}
	c.render(w, r, http.StatusOK, "customers", tr(v, "nav.customers"), "customers", pg)
}

// customerOrdersLimit is how many of a customer's orders the detail page
// shows; the order list filtered on the customer has them all.
const customerOrdersLimit = 20

type customerPage struct {
	Customer customer.Customer
	Profile  customer.Profile   // the form's values: the saved ones, or what was typed
	Orders   []order.Order      // the newest customerOrdersLimit
	Value    *customerValueCard // RFM segment, stage, CLV; nil without segments:read
	Points   *points.Account    // balance and the newest movements
	Tier     *tier.Membership   // member tier, growth and its changes
	// Cart is the customer's cart priced as the storefront shows it, with
	// its points offer; nil when empty or without carts.
	Cart *cart.View
	// Referral is the 邀请有礼 card; nil without promotions:read.
	Referral *referral.CustomerSummary
	Channels []string
	Genders  []string
	Errors   map[string]string
	Error    string
	TagError string
}

func (c *Console) customerDetail(w http.ResponseWriter, r *http.Request) {
	c.customerPage(w, r, http.StatusOK, parseID(r.PathValue("id")), nil)
}

// customerPage shows a customer; pg carries a form that did not save.
func (c *Console) customerPage(w http.ResponseWriter, r *http.Request, status int, id int64, pg *customerPage) {
	v := viewerFrom(r.Context())
	cu, err := c.Customers.Get(r.Context(), id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if pg == nil {
		pg = &customerPage{Profile: profileOf(cu)}
	}
	pg.Customer, pg.Channels, pg.Genders = cu, customerChannels, customerGenders
	if pg.Orders, _, err = c.Orders.List(r.Context(), order.Filter{CustomerID: id, Request: page.Request{Limit: customerOrdersLimit}}); err != nil {
		c.serverError(w, r, err)
		return
	}
	if pg.Value, err = c.customerValueOf(r.Context(), v, cu); err != nil {
		c.serverError(w, r, err)
		return
	}
	if pg.Points, err = c.pointsOf(r.Context(), id); err != nil {
		c.serverError(w, r, err)
		return
	}
	if pg.Tier, err = c.tierOf(r.Context(), id); err != nil {
		c.serverError(w, r, err)
		return
	}
	if pg.Cart, err = c.cartOf(r.Context(), id); err != nil {
		c.serverError(w, r, err)
		return
	}
	if pg.Referral, err = c.referralOf(r.Context(), v, id); err != nil {
		c.serverError(w, r, err)
		return
	}
	if isHTMX(r, "customer-tags") {
		c.renderBlock(w, r, status, "customer", "customer_tags", customerTitle(v, cu), "customers", pg)
		return
	}
	c.render(w, r, status, "customer", customerTitle(v, cu), "customers", pg)
}

func customerTitle(v *viewer, cu customer.Customer) string {
	switch {
	case cu.Name != "":
		return cu.Name
	case cu.Phone != "":
		return cu.Phone
	case cu.Email != "":
		return cu.Email
	}
	return tr(v, "customer.number", cu.ID)
}

func profileOf(cu customer.Customer) customer.Profile {
	return customer.Profile{ExternalID: cu.ExternalID, Name: cu.Name, Phone: cu.Phone, Email: cu.Email,
		Gender: cu.Gender, Birthday: cu.Birthday, SourceChannel: cu.SourceChannel, Note: cu.Note}
}

func (c *Console) updateCustomer(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	id := parseID(r.PathValue("id"))
	p := customer.Profile{
		ExternalID:    r.PostFormValue("external_id"),
		Name:          r.PostFormValue("name"),
		Phone:         r.PostFormValue("phone"),
		Email:         r.PostFormValue("email"),
		Gender:        r.PostFormValue("gender"),
		Birthday:      r.PostFormValue("birthday"),
		SourceChannel: r.PostFormValue("source_channel"),
		Note:          r.PostFormValue("note"),
	}
	_, err := c.Customers.Update(r.Context(), id, p)
	var fe *apperr.FieldError
	switch {
	case err == nil:
		c.redirect(w, r, fmt.Sprintf("/customers/%d", id), "flash.customer_saved")
	case errors.As(err, &fe):
		c.customerPage(w, r, http.StatusUnprocessableEntity, id, &customerPage{Profile: p,
			Errors: map[string]string{fe.Field: fieldMessage(v, fe)}, Error: tr(v, "form.fix_errors")})
	default:
		c.fail(w, r, err)
	}
}

// tagChange adds or removes a tag. With htmx only the tag list is sent back;
// without, the browser is sent back to the customer.
func (c *Console) tagChange(w http.ResponseWriter, r *http.Request, add bool) {
	v := viewerFrom(r.Context())
	id := parseID(r.PathValue("id"))
	tag := r.PostFormValue("tag")
	var err error
	if add {
		err = c.Customers.AddTag(r.Context(), id, tag)
	} else {
		err = c.Customers.RemoveTag(r.Context(), id, tag)
	}
	var fe *apperr.FieldError
	switch {
	case err == nil:
		if isHTMX(r, "customer-tags") {
			c.customerPage(w, r, http.StatusOK, id, nil)
			return
		}
		c.redirect(w, r, fmt.Sprintf("/customers/%d#tags", id), "flash.tags_saved")
	case errors.As(err, &fe):
		cu, gerr := c.Customers.Get(r.Context(), id)
		if gerr != nil {
			c.fail(w, r, gerr)
			return
		}
		// htmx swaps only 2xx responses by default; the error is part of the
		// tag list, so it is sent as 200 to htmx and 422 to a plain form.
		status := http.StatusUnprocessableEntity
		if isHTMX(r, "customer-tags") {
			status = http.StatusOK
		}
		c.customerPage(w, r, status, id, &customerPage{Profile: profileOf(cu), TagError: fieldMessage(v, fe)})
	default:
		c.fail(w, r, err)
	}
}

func (c *Console) addCustomerTag(w http.ResponseWriter, r *http.Request) { c.tagChange(w, r, true) }

func (c *Console) removeCustomerTag(w http.ResponseWriter, r *http.Request) { c.tagChange(w, r, false) }

func (c *Console) setCustomerConsent(w http.ResponseWriter, r *http.Request) {
	id := parseID(r.PathValue("id"))
	err := c.Customers.SetConsent(r.Context(), id, customer.Consent{
		SMS: r.PostFormValue("sms") == "on", Email: r.PostFormValue("email") == "on", WeCom: r.PostFormValue("wecom") == "on",
	})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.redirect(w, r, fmt.Sprintf("/customers/%d#consent", id), "flash.consent_saved")
}
