package api

import (
	"context"
	"net/http"

	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/page"
	"github.com/storeops/storeops/internal/webhook"
)

var (
	permWebhooksRead  = auth.Read("webhooks")
	permWebhooksWrite = auth.Write("webhooks")
)

// Outbound webhooks: the endpoints events are posted to, and the delivery
// log with replay. See docs/OPERATIONS.md for signatures and retries.
func (a *API) webhookRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/webhooks", Perm: permWebhooksRead, Tag: "webhooks", Summary: "Webhook endpoints (their secrets are not shown)",
			Reply: List[webhook.Endpoint]{}, handle: a.listWebhooks},
		{Method: "POST", Path: "/webhooks", Perm: permWebhooksWrite, Tag: "webhooks",
			Summary: "Add a webhook endpoint; the reply holds its signing secret, shown this once",
			Body:    webhook.EndpointInput{}, Status: http.StatusCreated, Reply: webhook.Endpoint{}, handle: a.createWebhook},
		{Method: "GET", Path: "/webhooks/{id}", Perm: permWebhooksRead, Tag: "webhooks", Summary: "A webhook endpoint",
			Reply: webhook.Endpoint{}, handle: a.getWebhook},
		{Method: "PUT", Path: "/webhooks/{id}", Perm: permWebhooksWrite, Tag: "webhooks",
			Summary: "Change an endpoint's URL, events or whether it is active (a paused endpoint keeps its deliveries waiting)",
			Body:    webhook.EndpointInput{}, Reply: webhook.Endpoint{}, handle: byID(func(ctx context.Context, id int64, in webhook.EndpointInput) (any, error) {
				return a.webhookService().UpdateEndpoint(ctx, id, in)
			})},
		{Method: "DELETE", Path: "/webhooks/{id}", Perm: permWebhooksWrite, Tag: "webhooks", Summary: "Remove an endpoint and its delivery log",
			handle: a.deleteWebhook},
		{Method: "POST", Path: "/webhooks/{id}/rotate-secret", Perm: permWebhooksWrite, Tag: "webhooks",
			Summary: "Give an endpoint a new signing secret (in the reply); the old one stops at once",
			Reply:   webhook.Endpoint{}, handle: a.rotateWebhookSecret},
		{Method: "POST", Path: "/webhooks/{id}/test", Perm: permWebhooksWrite, Tag: "webhooks",
			Summary: "Queue a webhook.test event to this endpoint; follow it in the delivery log",
			Status:  http.StatusAccepted, Reply: webhook.Delivery{}, handle: a.testWebhook},
		{Method: "GET", Path: "/webhook-deliveries", Perm: permWebhooksRead, Tag: "webhooks", Summary: "The delivery log, newest first",
			Query: append([]Param{
				{"endpoint_id", "integer", "one endpoint's deliveries"},
				{"status", "string", "pending, succeeded or dead"},
				{"type", "string", "an event type, e.g. order.paid"},
			}, pageParams...),
			Reply: List[webhook.Delivery]{}, handle: a.listWebhookDeliveries},
		{Method: "GET", Path: "/webhook-deliveries/{id}", Perm: permWebhooksRead, Tag: "webhooks",
			Summary: "A delivery with the body it sends and every attempt (status code, latency, response excerpt)",
			Reply:   webhook.Delivery{}, handle: a.getWebhookDelivery},
		{Method: "POST", Path: "/webhook-deliveries/{id}/replay", Perm: permWebhooksWrite, Tag: "webhooks",
			Summary: "Send a delivery's event again to its endpoint, as a new delivery with the same event id",
			Status:  http.StatusAccepted, Reply: webhook.Delivery{}, handle: a.replayWebhookDelivery},
		{Method: "GET", Path: "/webhook-event-types", Perm: permWebhooksRead, Tag: "webhooks", Summary: "The event types an endpoint can subscribe to by name",
			Reply: List[string]{}, handle: func(ctx context.Context, r *request) (any, error) { return listOf(webhook.Known(), ""), nil }},
	}
}

func (a *API) webhookService() *webhook.Service {
	if a.Webhooks != nil {
		return a.Webhooks
	}
	return &webhook.Service{DB: a.DB, Log: a.Log}
}

func (a *API) listWebhooks(ctx context.Context, r *request) (any, error) {
	eps, err := a.webhookService().Endpoints(ctx)
	return listOf(eps, ""), err
}

func (a *API) createWebhook(ctx context.Context, r *request) (any, error) {
	var in webhook.EndpointInput
	if err := decode(r.Request, &in); err != nil {
		return nil, err
	}
	return a.webhookService().CreateEndpoint(ctx, in)
}

func (a *API) getWebhook(ctx context.Context, r *request) (any, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	return a.webhookService().Endpoint(ctx, id)
}

func (a *API) deleteWebhook(ctx context.Context, r *request) (any, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	return done(a.webhookService().DeleteEndpoint(ctx, id))
}

func (a *API) rotateWebhookSecret(ctx context.Context, r *request) (any, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	return a.webhookService().RotateSecret(ctx, id)
}

func (a *API) testWebhook(ctx context.Context, r *request) (any, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	return a.webhookService().SendTest(ctx, id)
}

func (a *API) listWebhookDeliveries(ctx context.Context, r *request) (any, error) {
	p, err := r.page()
	if err != nil {
		return nil, err
	}
	ep, err := r.int64Query("endpoint_id")
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	ds, next, err := a.webhookService().Deliveries(ctx, webhook.DeliveryFilter{EndpointID: ep, Status: q.Get("status"), Type: q.Get("type"), Page: p})
	if err != nil {
		return nil, err
	}
	cursor := ""
	if next > 0 {
		cursor = page.Cursor(next)
	}
	return listOf(ds, cursor), nil
}

func (a *API) getWebhookDelivery(ctx context.Context, r *request) (any, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	return a.webhookService().Delivery(ctx, id)
}

func (a *API) replayWebhookDelivery(ctx context.Context, r *request) (any, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	return a.webhookService().Replay(ctx, id)
}
