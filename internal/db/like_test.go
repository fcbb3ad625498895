package db_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
)

func TestLikeContains_EscapesWildcards(t *testing.T) {
	cases := map[string]string{
		"连衣裙":    "%连衣裙%",
		"100%":   `%100\%%`,
		"a_b":    `%a\_b%`,
		`c:\tmp`: `%c:\\tmp%`,
		"":       "%%",
	}
	for in, want := range cases {
		if got := db.LikeContains(in); got != want {
			t.Errorf("LikeContains(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMatchAll_OneArgumentPerTermNumberedAfterExisting(t *testing.T) {
	cond, args := db.MatchAll("  Red  DRESS ", []any{"on_sale"}, "a", "b")
	want := `((a LIKE $2 ESCAPE '\' OR b LIKE $2 ESCAPE '\') AND (a LIKE $3 ESCAPE '\' OR b LIKE $3 ESCAPE '\'))`
	if cond != want {
		t.Errorf("cond = %s\nwant   %s", cond, want)
	}
	if !reflect.DeepEqual(args, []any{"on_sale", "%red%", "%dress%"}) {
		t.Errorf("args = %q", args)
	}
	if cond, args := db.MatchAll("   ", nil, "a"); cond != "" || len(args) != 0 {
		t.Errorf("blank query: %q %v", cond, args)
	}
}

// The patterns must mean the same on both engines: wildcards typed by a user
// match only themselves, and every term must match.
func TestMatchAll_OnBothEngines(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := d.Exec(ctx, "CREATE TABLE like_probe (id BIGINT PRIMARY KEY, s TEXT NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		rows := []string{"夏季碎花连衣裙 floral summer dress", "100% cotton tee", "1000 cotton tee", "a_b", "axb"}
		for i, s := range rows {
			if _, err := d.Exec(ctx, "INSERT INTO like_probe (id, s) VALUES ($1, $2)", i+1, s); err != nil {
				t.Fatal(err)
			}
		}
		cases := []struct {
			query string
			want  []int64
		}{
			{"连衣裙", []int64{1}},
			{"DRESS 碎花", []int64{1}},
			{"dress cotton", nil},
			{"100%", []int64{2}},
			{"a_b", []int64{4}},
			{"cotton", []int64{2, 3}},
		}
		for _, c := range cases {
			cond, args := db.MatchAll(c.query, nil, "s")
			r, err := d.Query(ctx, "SELECT id FROM like_probe WHERE "+cond+" ORDER BY id", args...)
			if err != nil {
				t.Fatalf("%q: %v", c.query, err)
			}
			var got []int64
			for r.Next() {
				var id int64
				if err := r.Scan(&id); err != nil {
					t.Fatal(err)
				}
				got = append(got, id)
			}
			r.Close()
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("%q matched %v, want %v", c.query, got, c.want)
			}
		}
	})
}
