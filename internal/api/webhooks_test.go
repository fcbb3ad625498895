package api_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/api"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/webhook"
)

func TestWebhooks_EndpointsDeliveriesReplayOverHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.loadSpec()
		var secret string
		got := make(chan error, 10)
		recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			got <- webhook.Verify(secret, r.Header.Get(webhook.HeaderSignature), b, time.Now(), time.Minute)
		}))
		defer recv.Close()
		hooks := &webhook.Service{DB: d, AllowPrivate: true}
		f.a.Webhooks = hooks

		st, body := f.call("admin", "POST", "/api/v1/webhooks", webhook.EndpointInput{URL: recv.URL, Events: []string{"order.*"}})
		ep := decodeAs[webhook.Endpoint](t, body)
		if st != http.StatusCreated || len(ep.Secret) < 40 || ep.SecretHint == "" {
			t.Fatalf("create: %d %s", st, body)
		}
		secret = ep.Secret
		st, body = f.call("admin", "GET", "/api/v1/webhooks/"+itoa(ep.ID), nil)
		if e := decodeAs[webhook.Endpoint](t, body); st != http.StatusOK || e.Secret != "" || e.URL != recv.URL {
			t.Errorf("get shows %d %s", st, body)
		}
		st, body = f.call("admin", "POST", "/api/v1/webhooks", webhook.EndpointInput{URL: "gopher://x", Events: []string{"order.paid"}})
		if e := decodeAs[api.ErrorBody](t, body); st != http.StatusUnprocessableEntity || e.Error.Field != "url" {
			t.Errorf("bad url: %d %s", st, body)
		}
		st, body = f.call("admin", "POST", "/api/v1/webhooks", webhook.EndpointInput{URL: "https://erp.example.com/", Events: []string{"Order Paid"}})
		if e := decodeAs[api.ErrorBody](t, body); st != http.StatusUnprocessableEntity || e.Error.Field != "events" {
			t.Errorf("bad events: %d %s", st, body)
		}
		if st, _ := f.call("operator", "GET", "/api/v1/webhooks", nil); st != http.StatusForbidden {
			t.Errorf("operator lists webhooks: %d", st)
		}

		st, body = f.call("admin", "POST", "/api/v1/webhooks/"+itoa(ep.ID)+"/test", nil)
		del := decodeAs[webhook.Delivery](t, body)
		if st != http.StatusAccepted || del.Status != webhook.StatusPending || del.EventType != webhook.Test {
			t.Fatalf("test: %d %s", st, body)
		}
		if _, err := hooks.DeliverDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := <-got; err != nil {
			t.Errorf("the receiver could not verify the signature: %v", err)
		}
		st, body = f.call("admin", "GET", "/api/v1/webhook-deliveries/"+itoa(del.ID), nil)
		del = decodeAs[webhook.Delivery](t, body)
		if st != http.StatusOK || del.Status != webhook.StatusSucceeded || len(del.Log) != 1 || del.Log[0].StatusCode != 200 {
			t.Fatalf("delivery: %d %s", st, body)
		}
		st, body = f.call("admin", "POST", "/api/v1/webhook-deliveries/"+itoa(del.ID)+"/replay", nil)
		if re := decodeAs[webhook.Delivery](t, body); st != http.StatusAccepted || re.ReplayOf != del.ID || re.EventID != del.EventID {
			t.Fatalf("replay: %d %s", st, body)
		}
		st, body = f.call("admin", "GET", "/api/v1/webhook-deliveries?status=pending&limit=1", nil)
		if l := decodeAs[api.List[webhook.Delivery]](t, body); st != http.StatusOK || len(l.Items) != 1 || l.Items[0].ReplayOf != del.ID || l.NextCursor == "" {
			t.Errorf("pending log: %d %s", st, body)
		}
		st, body = f.call("admin", "GET", "/api/v1/webhook-deliveries?status=lost", nil)
		if e := decodeAs[api.ErrorBody](t, body); st != http.StatusUnprocessableEntity || e.Error.Field != "status" {
			t.Errorf("bad status filter: %d %s", st, body)
		}
		st, body = f.call("admin", "POST", "/api/v1/webhooks/"+itoa(ep.ID)+"/rotate-secret", nil)
		if e := decodeAs[webhook.Endpoint](t, body); st != http.StatusOK || e.Secret == "" || e.Secret == secret {
			t.Errorf("rotate: %d %s", st, body)
		}
		if st, body = f.call("admin", "DELETE", "/api/v1/webhooks/"+itoa(ep.ID), nil); st != http.StatusNoContent {
			t.Errorf("delete: %d %s", st, body)
		}
		if st, _ = f.call("admin", "GET", "/api/v1/webhook-deliveries/"+itoa(del.ID), nil); st != http.StatusNotFound {
			t.Errorf("a deleted endpoint's delivery: %d", st)
		}
	})
}
