package event

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
)

func TestBatch_RoundTripKeepsEveryColumn(t *testing.T) {
	at := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	events := []Event{
		{EventID: "c:1", ReceivedAt: at, At: at.Add(-time.Minute), Day: 20261120, Type: PageView, AnonymousID: "a1", SessionID: "s1",
			Channel: "search", Page: "https://shop.example/", Referrer: "https://www.baidu.com/s?wd=羽绒服", UTMCampaign: "双11"},
		{EventID: "purchase:SO1", ReceivedAt: at, At: at.Add(-time.Hour), Day: 20261120, Type: Purchase, AnonymousID: "a2", CustomerID: 9,
			Channel: "live", OrderNo: "SO1", UTMSource: "douyin_live", UTMMedium: "live"},
		{EventID: "g:x", ReceivedAt: at.Add(time.Second), At: at, Day: 20261120, Type: AddToCart, AnonymousID: "a1", CustomerID: 3,
			ProductID: 42, SKUID: 7, SearchQuery: "", Page: ""},
	}
	data, err := encodeBatch(events)
	if err != nil {
		t.Fatal(err)
	}
	b, err := decodeStored(data, 20261120, AllColumns)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range events {
		if got := b.Event(i); !reflect.DeepEqual(got, want) {
			t.Errorf("event %d:\n got %+v\nwant %+v", i, got, want)
		}
	}
	// a reader asking for two columns gets only those
	b, err = decodeStored(data, 20261120, ColType|ColAnonymousID)
	if err != nil {
		t.Fatal(err)
	}
	if b.EventID != nil || b.At != nil || b.Type[2] != CodeAddToCart || b.AnonymousID[1] != "a2" {
		t.Errorf("partial decode: ids %v at %v types %v anons %v", b.EventID, b.At, b.Type, b.AnonymousID)
	}
	if _, err := decodeStored(data[:len(data)-3], 20261120, AllColumns); err == nil {
		t.Error("a cut batch decoded without an error")
	}
}

// A hash that is in a day's set but belongs to another id (a collision)
// must not drop the event: the ids themselves are checked.
func TestDedup_HashCollisionKeepsTheEvent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		at := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
		stored := []Event{{EventID: "c:first", ReceivedAt: at, At: at, Day: 20261120, Type: PageView, AnonymousID: "a"}}
		if err := d.InTx(ctx, func(tx *db.Tx) error { _, err := Append(ctx, tx, OriginCollect, stored, at); return err }); err != nil {
			t.Fatal(err)
		}
		s := newSeenIDs()
		set, err := s.day(ctx, d, 20261120)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := set[s.hash("c:first")]; !ok || len(set) != 1 {
			t.Fatalf("the day's set was not loaded from its batches: %v", set)
		}
		set[s.hash("c:second")] = struct{}{} // as if c:second hashed like a stored id
		in := []Event{
			{EventID: "c:second", Day: 20261120, Type: PageView, AnonymousID: "a"},
			{EventID: "c:first", Day: 20261120, Type: PageView, AnonymousID: "a"},
			{EventID: "g:new", Day: 20261120, Type: PageView, AnonymousID: "a"},
		}
		out, err := s.fresh(ctx, d, in)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != 2 || out[0].EventID != "c:second" || out[1].EventID != "g:new" {
			t.Errorf("fresh kept %+v, want c:second and g:new", out)
		}
	})
}
