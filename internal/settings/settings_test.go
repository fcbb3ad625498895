package settings_test

import (
	"context"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/settings"
)

func TestDay_UsesStoreZone(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	// 2026-11-10 17:30 UTC is already 11 November in Shanghai: 双11 starts at
	// midnight Beijing time, not UTC.
	ts := time.Date(2026, 11, 10, 17, 30, 0, 0, time.UTC)
	if got := settings.Day(ts, sh); got != 20261111 {
		t.Fatalf("Day = %d, want 20261111", got)
	}
	if got := settings.Day(ts, time.UTC); got != 20261110 {
		t.Fatalf("Day UTC = %d, want 20261110", got)
	}
	if got := settings.DayTime(20261111, sh); !got.Equal(time.Date(2026, 11, 10, 16, 0, 0, 0, time.UTC)) {
		t.Fatalf("DayTime = %v", got)
	}
}

func TestSaveLoad(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, err := settings.Load(ctx, d)
		if err != nil || s != settings.Defaults {
			t.Fatalf("Load new = %+v, %v", s, err)
		}
		want := settings.Store{Name: "花间小铺", TimeZone: "Asia/Shanghai", Currency: "CNY"}
		if err := settings.Save(ctx, d, want); err != nil {
			t.Fatal(err)
		}
		if got, _ := settings.Load(ctx, d); got != want {
			t.Fatalf("Load = %+v", got)
		}
		bad := []settings.Store{{Name: "", TimeZone: "UTC", Currency: "CNY"}, {Name: "x", TimeZone: "Mars/Base", Currency: "CNY"}, {Name: "x", TimeZone: "UTC", Currency: "yuan"}}
		for _, b := range bad {
			if err := settings.Save(ctx, d, b); err == nil {
				t.Errorf("Save(%+v) accepted", b)
			}
		}
		if got, _ := settings.Load(ctx, d); got != want {
			t.Fatalf("after bad saves Load = %+v", got)
		}
	})
}
