// Package settings keeps the store-wide settings: the shop's name, its time
// zone (figures are bucketed by it) and currency.
package settings

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
)

// Store is the store's settings.
type Store struct {
	Name     string `json:"name"`
	TimeZone string `json:"time_zone"`
	Currency string `json:"currency"`
}

// Defaults for a new store: a Chinese shop selling in CNY.
var Defaults = Store{Name: "storeops", TimeZone: "Asia/Shanghai", Currency: "CNY"}

// Location is the store's time zone.
func (s Store) Location() *time.Location {
	if v, ok := locations.Load(s.TimeZone); ok {
		return v.(*time.Location)
	}
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		return time.UTC
	}
	locations.Store(s.TimeZone, loc)
	return loc
}

// locations keeps loaded time zones: time.LoadLocation parses the zone
// file on every call, and orders ask for the store's zone on every payment.
var locations sync.Map

// CacheFor is how long Cached trusts settings it read. A change saved on
// this instance takes effect at once; one saved on another instance within
// this.
const CacheFor = 2 * time.Second

type cachedStore struct {
	s  Store
	at time.Time
}

var cache sync.Map // *db.DB → cachedStore

// Cached is Load for hot paths (every order asks for the store's time
// zone): the settings as read at most CacheFor ago.
func Cached(ctx context.Context, d *db.DB) (Store, error) {
	if v, ok := cache.Load(d); ok {
		if c := v.(cachedStore); time.Since(c.at) < CacheFor {
			return c.s, nil
		}
	}
	s, err := Load(ctx, d)
	if err != nil {
		return s, err
	}
	cache.Store(d, cachedStore{s: s, at: time.Now()})
	return s, nil
}

// Validate says what is wrong with s, if anything.
func (s Store) Validate() error {
	if s.Name == "" {
		return errors.New("name: the store needs a name")
	}
	if _, err := time.LoadLocation(s.TimeZone); err != nil || s.TimeZone == "" {
		return fmt.Errorf("time_zone: %q is not an IANA time zone such as Asia/Shanghai", s.TimeZone)
	}
	if len(s.Currency) != 3 {
		return fmt.Errorf("currency: %q is not a three-letter ISO 4217 code such as CNY", s.Currency)
	}
	return nil
}

// Load reads the settings, filling missing keys with Defaults.
func Load(ctx context.Context, q db.Queryer) (Store, error) {
	s := Defaults
	rows, err := q.Query(ctx, "SELECT key, value FROM store_settings")
	if err != nil {
		return s, fmt.Errorf("load settings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return s, err
		}
		switch k {
		case "name":
			s.Name = v
		case "time_zone":
			s.TimeZone = v
		case "currency":
			s.Currency = v
		}
	}
	return s, rows.Err()
}

// Save validates and stores s, recording the change in the audit log.
func Save(ctx context.Context, d *db.DB, s Store) error {
	if err := s.Validate(); err != nil {
		return err
	}
	defer cache.Delete(d)
	return d.InTx(ctx, func(tx *db.Tx) error {
		before, err := Load(ctx, tx)
		if err != nil {
			return err
		}
		now := time.Now().UnixMilli()
		for k, v := range map[string]string{"name": s.Name, "time_zone": s.TimeZone, "currency": s.Currency} {
			if _, err := tx.Exec(ctx, `INSERT INTO store_settings (key, value, updated_at) VALUES ($1, $2, $3)
				ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, k, v, now); err != nil {
				return fmt.Errorf("save setting %s: %w", k, err)
			}
		}
		return audit.Record(ctx, tx, "settings.update", "settings", "store", before, s)
	})
}

// Day is a calendar day in the store's zone as YYYYMMDD, the key daily
// figures are grouped by.
func Day(t time.Time, loc *time.Location) int64 {
	y, m, d := t.In(loc).Date()
	return int64(y*10000 + int(m)*100 + d)
}

// DayTime is the start of day (YYYYMMDD) in loc.
func DayTime(day int64, loc *time.Location) time.Time {
	return time.Date(int(day/10000), time.Month(day/100%100), int(day%100), 0, 0, 0, 0, loc)
}
