package webhook_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/webhook"
)

// BenchmarkEmit is what an order's change of status pays for webhooks, in
// its own transaction on SQLite: with no endpoint (one small read), and
// with three subscribed (the event and three deliveries written). The
// "none" case is the same transaction without Emit, for comparison.
//
//	go test ./internal/webhook -run XXX -bench Emit
func BenchmarkEmit(b *testing.B) {
	for _, endpoints := range []int{-1, 0, 3} {
		name := fmt.Sprintf("endpoints=%d", endpoints)
		if endpoints < 0 {
			name = "none"
		}
		b.Run(name, func(b *testing.B) {
			d := dbtest.SQLite(b)
			s := &webhook.Service{DB: d, AllowPrivate: true}
			for i := range endpoints {
				if _, err := s.CreateEndpoint(context.Background(), webhook.EndpointInput{URL: fmt.Sprintf("http://127.0.0.1:%d/", 9000+i), Events: []string{"order.*"}}); err != nil {
					b.Fatal(err)
				}
			}
			ctx := context.Background()
			payload := webhook.OrderData{ID: 1, OrderNo: "SO1", Status: "paid", Total: 12900, Currency: "CNY"}
			b.ResetTimer()
			for b.Loop() {
				err := d.InTx(ctx, func(tx *db.Tx) error {
					// The order's own write, which every case has.
					if _, err := tx.Exec(ctx, `INSERT INTO audit_log (at, actor_kind, actor_name, action, entity, entity_id, before_json, after_json)
						VALUES (1, 'system', 'bench', 'order.pay', 'order', '1', '{}', '{}')`); err != nil {
						return err
					}
					if endpoints < 0 {
						return nil
					}
					return webhook.Emit(ctx, tx, webhook.OrderPaid, payload)
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
