package api_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/importer"
)

func TestSyncOrders_OverHTTPIdempotentWithItemErrors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.loadSpec()
		// The document's own example is a batch that works.
		var doc struct {
			Paths map[string]map[string]struct {
				RequestBody struct {
					Content map[string]struct {
						Example json.RawMessage `json:"example"`
					} `json:"content"`
				} `json:"requestBody"`
			} `json:"paths"`
		}
		json.Unmarshal(mustGet(t, f.srv.URL+"/api/v1/openapi.json"), &doc)
		example := doc.Paths["/api/v1/sync/orders"]["post"].RequestBody.Content["application/json"].Example
		var batch importer.SyncBatch
		if err := json.Unmarshal(example, &batch); err != nil || len(batch.Orders) == 0 {
			t.Fatalf("the OpenAPI example %s: %v", example, err)
		}
		batch.Orders = append(batch.Orders, importer.SyncOrder{ExternalID: "X-2", Status: "paid", CreatedAt: batch.Orders[0].CreatedAt,
			Lines: []importer.SyncLine{{SKU: "A", Quantity: -1, Price: 100}}})

		st, body := f.call("operator", "POST", "/api/v1/sync/orders", batch)
		res := decodeAs[importer.SyncResult](t, body)
		if st != http.StatusOK || res.Created != 1 || res.Failed != 1 || res.Items[1].Errors[0].Field != "orders[1].lines[0].quantity" {
			t.Fatalf("sync: %d %s", st, body)
		}
		st, body = f.call("operator", "POST", "/api/v1/sync/orders", batch)
		if res := decodeAs[importer.SyncResult](t, body); st != http.StatusOK || res.Unchanged != 1 || res.Created != 0 || res.Updated != 0 {
			t.Errorf("re-sent: %d %s", st, body)
		}
		batch.Orders[0].Status = "shipped"
		st, body = f.call("operator", "POST", "/api/v1/sync/orders", batch)
		if res := decodeAs[importer.SyncResult](t, body); st != http.StatusOK || res.Updated != 1 || res.Items[0].Result != "updated" {
			t.Errorf("changed: %d %s", st, body)
		}
		batch.Source = "Taobao!"
		if st, body = f.call("operator", "POST", "/api/v1/sync/orders", batch); st != http.StatusUnprocessableEntity {
			t.Errorf("bad source: %d %s", st, body)
		}
		if st, _ = f.call("viewer", "POST", "/api/v1/sync/orders", batch); st != http.StatusForbidden {
			t.Errorf("viewer syncs: %d", st)
		}
	})
}
