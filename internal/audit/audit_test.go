package audit_test

import (
	"context"
	"testing"

	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
)

func TestRecordAndList(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "operator", ID: 7, Name: "小王", IP: "127.0.0.1"})
		type p struct{ Title string }
		if err := audit.Record(ctx, d, "product.create", "product", 1, nil, p{"连衣裙"}); err != nil {
			t.Fatal(err)
		}
		if err := audit.Record(ctx, d, "product.update", "product", 1, p{"连衣裙"}, p{"夏季碎花连衣裙"}); err != nil {
			t.Fatal(err)
		}
		got, err := audit.List(ctx, d, audit.Filter{Entity: "product", EntityID: "1"})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Action != "product.update" || got[1].Before != nil {
			t.Fatalf("List = %+v", got)
		}
		if got[0].Actor.Name != "小王" || got[0].Actor.ID != 7 || string(got[0].After) != `{"Title":"夏季碎花连衣裙"}` {
			t.Fatalf("entry = %+v", got[0])
		}
		older, _ := audit.List(ctx, d, audit.Filter{BeforeID: got[0].ID})
		if len(older) != 1 || older[0].ID != got[1].ID {
			t.Fatalf("page 2 = %+v", older)
		}
	})
}

func TestActorDefaultsToSystem(t *testing.T) {
	if a := audit.ActorFrom(context.Background()); a.Kind != "system" {
		t.Fatalf("ActorFrom(empty) = %+v", a)
	}
}
