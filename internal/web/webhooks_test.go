package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/webhook"
)

func TestWebhooks_AdminAddsEndpointTestsItAndReplays(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		var calls atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			w.Write([]byte("received"))
		}))
		defer srv.Close()
		f.console.Webhooks = &webhook.Service{DB: d, AllowPrivate: true}
		f.addOperator("boss", "admin")
		f.addOperator("yunying", "operator")
		s := f.login("boss")

		w := f.post("/webhooks", url.Values{"url": {srv.URL + "/in"}, "events": {"order.paid"}, "custom": {"brief.*"}, "active": {"1"}}, s)
		if w.Code != http.StatusCreated {
			t.Fatalf("create: %d %s", w.Code, w.Body.String())
		}
		mustContain(t, w.Body.String(), `id="webhook-secret">whsec_`, srv.URL+"/in", `value="brief.*"`)
		eps, _ := f.console.webhooks().Endpoints(context.Background())
		if len(eps) != 1 || strings.Join(eps[0].Events, ",") != "order.paid,brief.*" {
			t.Fatalf("endpoints %+v", eps)
		}
		id := eps[0].ID
		page := f.get("/webhooks/"+itoa(id), s)
		if strings.Contains(page.Body.String(), `id="webhook-secret"`) {
			t.Error("the secret is shown again")
		}

		w = f.post("/webhooks/"+itoa(id)+"/test", nil, s)
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/webhook-deliveries/") {
			t.Fatalf("test send: %d %s", w.Code, w.Header().Get("Location"))
		}
		loc := w.Header().Get("Location")
		mustContain(t, f.get(loc, s).Body.String(), `data-status="pending"`, "webhook.test")
		if _, err := f.console.webhooks().DeliverDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		mustContain(t, f.get(loc, s).Body.String(), `data-status="succeeded"`, `id="attempt-table"`, "<code>received</code>")

		w = f.post(loc+"/replay", nil, s)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") == loc {
			t.Fatalf("replay: %d %s", w.Code, w.Header().Get("Location"))
		}
		f.console.webhooks().DeliverDue(context.Background())
		if calls.Load() != 2 {
			t.Errorf("the receiver got %d requests, want 2", calls.Load())
		}
		log := f.get("/webhook-deliveries?status=succeeded&endpoint="+itoa(id), s).Body.String()
		if n := strings.Count(log, `data-status="succeeded"`); n != 2 {
			t.Errorf("log shows %d delivered, want 2", n)
		}

		// The operator role has no webhooks area: 403, and no nav link.
		op := f.login("yunying")
		if w := f.get("/webhooks", op); w.Code != http.StatusForbidden {
			t.Errorf("operator /webhooks: %d", w.Code)
		}
		if strings.Contains(f.get("/orders", op).Body.String(), `href="/webhooks"`) {
			t.Error("operator sees the webhooks link")
		}
	})
}

func TestWebhooks_PrivateAddressRefusedByDefault(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.addOperator("boss", "admin")
		s := f.login("boss")
		w := f.post("/webhooks", url.Values{"url": {"http://127.0.0.1:9/in"}, "events": {"order.paid"}}, s)
		if w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("create: %d", w.Code)
		}
		mustContain(t, w.Body.String(), `aria-invalid="true"`, "--webhooks-allow-private", `value="http://127.0.0.1:9/in"`)
		w = f.post("/webhooks", url.Values{"url": {"https://erp.example.com/in"}}, s)
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "choose at least one event type") {
			t.Fatalf("no events: %d", w.Code)
		}
	})
}
