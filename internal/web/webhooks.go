package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/page"
	"github.com/storeops/storeops/internal/webhook"
)

type webhookForm struct {
	URL         string
	Description string
	Events      []string
	Custom      string // patterns beyond the known types, comma-separated
	Active      bool
	Errors      map[string]string
}

func (f webhookForm) Has(e string) bool {
	for _, x := range f.Events {
		if x == e {
			return true
		}
	}
	return false
}

type webhooksPage struct {
	Endpoints []webhook.Endpoint
	Known     []string
	Form      webhookForm
}

type webhookPage struct {
	Endpoint   webhook.Endpoint
	Known      []string
	Form       webhookForm
	Secret     string // a new secret, shown this once
	Deliveries []webhook.Delivery
}

type deliveriesPage struct {
	Deliveries []webhook.Delivery
	Endpoints  []webhook.Endpoint
	Statuses   []string
	Filter     webhook.DeliveryFilter
	Next       string // the next page's URL, "" on the last
}

type deliveryPage struct {
	Delivery webhook.Delivery
	Body     string // the payload, indented to read
}

func (c *Console) webhooks() *webhook.Service {
	if c.Webhooks != nil {
		return c.Webhooks
	}
	return &webhook.Service{DB: c.DB, Log: c.Log}
}

func (c *Console) webhookList(w http.ResponseWriter, r *http.Request) {
	c.webhookListPage(w, r, http.StatusOK, webhookForm{Active: true, Events: []string{webhook.OrderPaid}})
}

func (c *Console) webhookListPage(w http.ResponseWriter, r *http.Request, status int, f webhookForm) {
	v := viewerFrom(r.Context())
	eps, err := c.webhooks().Endpoints(r.Context())
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	c.render(w, r, status, "webhooks", tr(v, "nav.webhooks"), "webhooks", webhooksPage{Endpoints: eps, Known: webhook.Known(), Form: f})
}

// webhookFormFrom reads the endpoint form: the ticked known types plus any
// typed in (a family such as order.* or *).
func webhookFormFrom(r *http.Request) (webhookForm, webhook.EndpointInput) {
	r.ParseForm()
	f := webhookForm{URL: r.PostFormValue("url"), Description: r.PostFormValue("description"), Events: r.PostForm["events"],
		Custom: r.PostFormValue("custom"), Active: r.PostFormValue("active") != ""}
	active := f.Active
	in := webhook.EndpointInput{URL: f.URL, Description: f.Description, Events: append(append([]string{}, f.Events...), f.Custom), Active: &active}
	return f, in
}

// formErrors puts a field error on its field; other errors are returned.
func webhookFieldErrors(err error) (map[string]string, bool) {
	var fe *apperr.FieldError
	if errors.As(err, &fe) {
		return map[string]string{fe.Field: fe.Message}, true
	}
	return nil, false
}

func (c *Console) createWebhook(w http.ResponseWriter, r *http.Request) {
	f, in := webhookFormFrom(r)
	ep, err := c.webhooks().CreateEndpoint(r.Context(), in)
	if err != nil {
		if errs, ok := webhookFieldErrors(err); ok {
			f.Errors = errs
			c.webhookListPage(w, r, http.StatusUnprocessableEntity, f)
			return
		}
		c.fail(w, r, err)
		return
	}
	// The secret is shown on this answer only, like a new API token's.
	c.webhookDetailPage(w, r, http.StatusCreated, ep.ID, nil, ep.Secret)
}

func (c *Console) webhookDetail(w http.ResponseWriter, r *http.Request) {
	id, ok := webhookPathID(r, "id")
	if !ok {
		c.notFound(w, r)
		return
	}
	c.webhookDetailPage(w, r, http.StatusOK, id, nil, "")
}

func (c *Console) webhookDetailPage(w http.ResponseWriter, r *http.Request, status int, id int64, form *webhookForm, secret string) {
	v := viewerFrom(r.Context())
	s := c.webhooks()
	ep, err := s.Endpoint(r.Context(), id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	ds, _, err := s.Deliveries(r.Context(), webhook.DeliveryFilter{EndpointID: id, Page: page.Request{Limit: 20}})
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	pg := webhookPage{Endpoint: ep, Known: webhook.Known(), Secret: secret, Deliveries: ds}
	if form != nil {
		pg.Form = *form
	} else {
		pg.Form = webhookForm{URL: ep.URL, Description: ep.Description, Active: ep.Active}
		for _, e := range ep.Events {
			if webhookHas(webhook.Known(), e) {
				pg.Form.Events = append(pg.Form.Events, e)
			} else if pg.Form.Custom == "" {
				pg.Form.Custom = e
			} else {
				pg.Form.Custom += ", " + e
			}
		}
	}
	c.render(w, r, status, "webhook", tr(v, "webhooks.endpoint_title", ep.ID), "webhooks", pg)
}

func webhookHas(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func webhookPathID(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id, err == nil && id > 0
}

func (c *Console) updateWebhook(w http.ResponseWriter, r *http.Request) {
	id, ok := webhookPathID(r, "id")
	if !ok {
		c.notFound(w, r)
		return
	}
	f, in := webhookFormFrom(r)
	if _, err := c.webhooks().UpdateEndpoint(r.Context(), id, in); err != nil {
		if errs, ok := webhookFieldErrors(err); ok {
			f.Errors = errs
			c.webhookDetailPage(w, r, http.StatusUnprocessableEntity, id, &f, "")
			return
		}
		c.fail(w, r, err)
		return
	}
	c.redirect(w, r, "/webhooks/"+r.PathValue("id"), "flash.webhook_saved")
}

func (c *Console) rotateWebhookSecret(w http.ResponseWriter, r *http.Request) {
	id, ok := webhookPathID(r, "id")
	if !ok {
		c.notFound(w, r)
		return
	}
	ep, err := c.webhooks().RotateSecret(r.Context(), id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.webhookDetailPage(w, r, http.StatusOK, id, nil, ep.Secret)
}

func (c *Console) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	id, ok := webhookPathID(r, "id")
	if !ok {
		c.notFound(w, r)
		return
	}
	if err := c.webhooks().DeleteEndpoint(r.Context(), id); err != nil {
		c.fail(w, r, err)
		return
	}
	c.redirect(w, r, "/webhooks", "flash.webhook_deleted")
}

func (c *Console) testWebhook(w http.ResponseWriter, r *http.Request) {
	id, ok := webhookPathID(r, "id")
	if !ok {
		c.notFound(w, r)
		return
	}
	d, err := c.webhooks().SendTest(r.Context(), id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.redirect(w, r, "/webhook-deliveries/"+strconv.FormatInt(d.ID, 10), "flash.webhook_test_queued")
}

func (c *Console) webhookDeliveries(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	q := r.URL.Query()
	f := webhook.DeliveryFilter{Status: q.Get("status"), Type: q.Get("type"), Page: page.Request{Limit: 50}}
	f.EndpointID, _ = strconv.ParseInt(q.Get("endpoint"), 10, 64)
	f.Page.After, _ = strconv.ParseInt(q.Get("before"), 10, 64)
	s := c.webhooks()
	ds, next, err := s.Deliveries(r.Context(), f)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	eps, err := s.Endpoints(r.Context())
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	pg := deliveriesPage{Deliveries: ds, Endpoints: eps, Filter: f,
		Statuses: []string{webhook.StatusPending, webhook.StatusSucceeded, webhook.StatusDead}}
	if next > 0 {
		nq := url.Values{}
		for k, vs := range q {
			if k != "before" {
				nq[k] = vs
			}
		}
		nq.Set("before", strconv.FormatInt(next, 10))
		pg.Next = "/webhook-deliveries?" + nq.Encode()
	}
	c.render(w, r, http.StatusOK, "webhook_deliveries", tr(v, "webhooks.deliveries"), "webhooks", pg)
}

func (c *Console) webhookDelivery(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	id, ok := webhookPathID(r, "id")
	if !ok {
		c.notFound(w, r)
		return
	}
	d, err := c.webhooks().Delivery(r.Context(), id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	pg := deliveryPage{Delivery: d, Body: d.Payload}
	var b bytes.Buffer
	if json.Indent(&b, []byte(d.Payload), "", "  ") == nil {
		pg.Body = b.String()
	}
	c.render(w, r, http.StatusOK, "webhook_delivery", tr(v, "webhooks.delivery_title", d.ID), "webhooks", pg)
}

func (c *Console) replayWebhookDelivery(w http.ResponseWriter, r *http.Request) {
	id, ok := webhookPathID(r, "id")
	if !ok {
		c.notFound(w, r)
		return
	}
	d, err := c.webhooks().Replay(r.Context(), id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.redirect(w, r, "/webhook-deliveries/"+strconv.FormatInt(d.ID, 10), "flash.webhook_replayed")
}
