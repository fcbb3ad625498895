package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/storeops/storeops/internal/api"
	"github.com/storeops/storeops/internal/app"
	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/inventory"
	"github.com/storeops/storeops/internal/promo"
	"github.com/storeops/storeops/internal/promotion"
)

// The storefront's quote is priced by the promotions engine as wired by
// the app: the lines' and the order's explanations and what applied; a
// pause through the service (as the console and the API do it) is seen by
// the next quote, also while quotes run concurrently.
func TestStoreQuote_ExplainsPromotionsAndFollowsChanges(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		a := app.New(d, slog.New(slog.NewTextHandler(io.Discard, nil)), app.Options{Version: "test"})
		srv := httptest.NewServer(a.Handler())
		defer srv.Close()
		ctx := context.Background()
		p, err := a.Catalog.CreateProduct(ctx, catalog.ProductInput{Title: "连衣裙", Status: catalog.StatusOnSale,
			SKUs: []catalog.SKUInput{{Code: "D-1", ListPrice: 35000, CostPrice: 10000}}})
		if err != nil {
			t.Fatal(err)
		}
		sku := p.SKUs[0].ID
		if _, err := a.Inventory.Adjust(ctx, sku, 100, inventory.ReasonReceipt, "PO-1", ""); err != nil {
			t.Fatal(err)
		}
		s := a.API.Promotions
		cut, err := s.Create(ctx, promotion.Input{Promotion: promo.Promotion{Name: "满300减50", Kind: promo.KindTieredOff, Scope: promo.ScopeOrder,
			Levels: []promo.Level{{Threshold: 30000, Off: 5000}}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Schedule(ctx, cut.ID); err != nil {
			t.Fatal(err)
		}
		quote := func() api.Quote {
			body, _ := json.Marshal(map[string]any{"lines": []map[string]int64{{"sku_id": sku, "quantity": 1}}})
			resp, err := http.Post(srv.URL+"/api/v1/store/quote", "application/json", bytes.NewReader(body))
			if err != nil {
				t.Error(err)
				return api.Quote{}
			}
			defer resp.Body.Close()
			var q api.Quote
			if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&q) != nil {
				t.Errorf("quote: %d", resp.StatusCode)
			}
			return q
		}
		q := quote()
		if q.Total != 30000 || len(q.Applied) != 1 || q.Applied[0].PromotionID != cut.ID || q.Applied[0].Off != 5000 ||
			!strings.Contains(strings.Join(q.Lines[0].Explanation, " "), "满300减50") || !strings.Contains(strings.Join(q.Explanation, " "), "tiered: 满300减50") {
			t.Fatalf("quote %+v", q)
		}

		// Quotes during a pause see the promotion or not, never anything else.
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 5 {
					if q := quote(); q.Total != 30000 && q.Total != 35000 {
						t.Errorf("total %d during the pause", q.Total)
					}
				}
			}()
		}
		if _, err := s.Pause(ctx, cut.ID); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if q := quote(); q.Total != 35000 || len(q.Applied) != 0 {
			t.Fatalf("after the pause: %+v", q)
		}
	})
}
