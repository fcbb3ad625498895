package customer_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/page"
)

var clock = time.Date(2026, 11, 11, 0, 30, 0, 0, time.UTC)

func newService(d *db.DB) *customer.Service {
	return &customer.Service{DB: d, Now: func() time.Time { return clock }}
}

func opCtx() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{Kind: "operator", ID: 3, Name: "客服小李"})
}

func mustCreate(t *testing.T, s *customer.Service, p customer.Profile) customer.Customer {
	t.Helper()
	c, err := s.Create(opCtx(), p)
	if err != nil {
		t.Fatalf("Create(%+v): %v", p, err)
	}
	return c
}

func auditCount(t *testing.T, d *db.DB, action string) int {
	t.Helper()
	es, err := audit.List(context.Background(), d, audit.Filter{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

func TestCreateGetUpdate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := opCtx()
		s := newService(d)
		c := mustCreate(t, s, customer.Profile{ExternalID: "dy_9001", Name: " 林薇 ", Phone: "138 0013 8000", Email: "Lin@Example.com",
			Gender: "female", Birthday: "1995-08-21", SourceChannel: customer.ChannelLive})
		got, err := s.Get(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "林薇" || got.Phone != "13800138000" || got.ExternalID != "dy_9001" || got.Birthday != "1995-08-21" ||
			got.SourceChannel != "live" || got.ConsentSMS || !got.ConsentUpdatedAt.IsZero() || !got.CreatedAt.Equal(clock) ||
			got.Tags == nil || len(got.Tags) != 0 || len(got.Addresses) != 0 {
			t.Fatalf("Get = %+v", got)
		}
		var search string
		d.QueryRow(ctx, "SELECT search_text FROM customers WHERE id = $1", c.ID).Scan(&search)
		if search != "林薇 13800138000 lin@example.com" {
			t.Fatalf("search_text %q", search)
		}

		if _, err := s.Create(ctx, customer.Profile{ExternalID: "dy_9001", Name: "另一个"}); fieldOf(err) != "external_id" {
			t.Fatalf("duplicate external id: %v", err)
		}
		if _, err := s.Create(ctx, customer.Profile{Phone: "12345"}); fieldOf(err) != "phone" {
			t.Fatalf("bad phone: %v", err)
		}
		// Customers without an external id do not collide on it.
		mustCreate(t, s, customer.Profile{Name: "甲"})
		mustCreate(t, s, customer.Profile{Name: "乙"})

		up, err := s.Update(ctx, c.ID, customer.Profile{ExternalID: "dy_9001", Name: "林薇薇", Phone: "13800138000", Note: "退货多"})
		if err != nil {
			t.Fatal(err)
		}
		if up.Name != "林薇薇" || up.Email != "" || up.Note != "退货多" || up.Gender != "" {
			t.Fatalf("Update = %+v", up)
		}
		if _, err := s.Update(ctx, 999, customer.Profile{Name: "x"}); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("update missing: %v", err)
		}
		if _, err := s.Get(ctx, 999); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("get missing: %v", err)
		}
		es, _ := audit.List(ctx, d, audit.Filter{Entity: "customer", EntityID: "1"})
		if len(es) != 2 || es[0].Action != "customer.update" || es[0].Before == nil || es[1].Action != "customer.create" || es[0].Actor.Name != "客服小李" {
			t.Fatalf("audit = %+v", es)
		}
	})
}

func TestList_SearchTagChannelAndPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := opCtx()
		s := newService(d)
		lin := mustCreate(t, s, customer.Profile{Name: "林薇", Phone: "13800138000", SourceChannel: "live"})
		wang := mustCreate(t, s, customer.Profile{Name: "王小明", Email: "xiaoming@qq.com", SourceChannel: "search"})
		anna := mustCreate(t, s, customer.Profile{Name: "Anna Li", Email: "anna_li@example.com", Phone: "+85291234567", SourceChannel: "live"})
		if err := s.SetTags(ctx, lin.ID, []string{"高净值", "618新客"}); err != nil {
			t.Fatal(err)
		}
		if err := s.AddTag(ctx, anna.ID, "高净值"); err != nil {
			t.Fatal(err)
		}
		list := func(f customer.Filter) []int64 {
			t.Helper()
			cs, _, err := s.List(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, c := range cs {
				ids = append(ids, c.ID)
			}
			return ids
		}
		cases := []struct {
			name string
			f    customer.Filter
			want []int64
		}{
			{"all, newest first", customer.Filter{}, []int64{anna.ID, wang.ID, lin.ID}},
			{"part of a Chinese name", customer.Filter{Query: "小明"}, []int64{wang.ID}},
			{"part of a phone number", customer.Filter{Query: "0013"}, []int64{lin.ID}},
			{"email domain", customer.Filter{Query: "QQ.com"}, []int64{wang.ID}},
			{"English name, any case, two terms", customer.Filter{Query: "anna LI"}, []int64{anna.ID}},
			{"underscore is literal, not any character", customer.Filter{Query: "_"}, []int64{anna.ID}},
			{"tag", customer.Filter{Tag: "高净值"}, []int64{anna.ID, lin.ID}},
			{"channel", customer.Filter{Channel: "live"}, []int64{anna.ID, lin.ID}},
			{"tag, channel and query", customer.Filter{Tag: "高净值", Channel: "live", Query: "林"}, []int64{lin.ID}},
			{"no match", customer.Filter{Query: "nobody"}, nil},
		}
		for _, c := range cases {
			if got := list(c.f); !slices.Equal(got, c.want) {
				t.Errorf("%s: %v, want %v", c.name, got, c.want)
			}
		}
		cs, _, _ := s.List(ctx, customer.Filter{Tag: "高净值"})
		if !slices.Equal(cs[1].Tags, []string{"618新客", "高净值"}) {
			t.Errorf("listed tags %q", cs[1].Tags)
		}

		first, next, err := s.List(ctx, customer.Filter{Request: page.Request{Limit: 2}})
		if err != nil || len(first) != 2 || next == "" {
			t.Fatalf("first page: %d, %q, %v", len(first), next, err)
		}
		r, _ := page.Parse("2", next)
		rest, next, err := s.List(ctx, customer.Filter{Request: r})
		if err != nil || len(rest) != 1 || rest[0].ID != lin.ID || next != "" {
			t.Fatalf("second page: %+v, %q, %v", rest, next, err)
		}
		if _, _, err := s.List(ctx, customer.Filter{Channel: "tv"}); fieldOf(err) != "channel" {
			t.Fatalf("bad channel filter: %v", err)
		}
	})
}

func TestTags(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := opCtx()
		s := newService(d)
		c := mustCreate(t, s, customer.Profile{Name: "林薇"})
		tags := func() []string {
			t.Helper()
			got, err := s.Get(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got.Tags
		}
		if err := s.SetTags(ctx, c.ID, []string{" 高净值 ", "直播粉", "高净值"}); err != nil {
			t.Fatal(err)
		}
		if got := tags(); !slices.Equal(got, []string{"直播粉", "高净值"}) {
			t.Fatalf("after SetTags %q", got)
		}
		if err := s.AddTag(ctx, c.ID, "直播粉"); err != nil { // already there: no change, no audit
			t.Fatal(err)
		}
		if err := s.AddTag(ctx, c.ID, "沉睡"); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveTag(ctx, c.ID, "直播粉"); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveTag(ctx, c.ID, "从未有过"); err != nil {
			t.Fatal(err)
		}
		if got := tags(); !slices.Equal(got, []string{"沉睡", "高净值"}) {
			t.Fatalf("after add/remove %q", got)
		}
		if err := s.SetTags(ctx, c.ID, []string{"ok", "a,b"}); fieldOf(err) != "tags[1]" {
			t.Fatalf("comma in tag: %v", err)
		}
		if err := s.AddTag(ctx, c.ID, ""); fieldOf(err) != "tag" {
			t.Fatalf("empty tag: %v", err)
		}
		if err := s.AddTag(ctx, 999, "x"); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("tag on missing customer: %v", err)
		}
		if err := s.SetTags(ctx, c.ID, nil); err != nil {
			t.Fatal(err)
		}
		if got := tags(); len(got) != 0 {
			t.Fatalf("after SetTags(nil) %q", got)
		}
		if n := auditCount(t, d, "customer.tags"); n != 4 {
			t.Fatalf("%d tag audit entries, want 4 (set, add, remove, clear)", n)
		}
	})
}

func TestAddresses_ExactlyOneDefault(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := opCtx()
		s := newService(d)
		c := mustCreate(t, s, customer.Profile{Name: "林薇"})
		other := mustCreate(t, s, customer.Profile{Name: "王小明"})
		addr := func(detail string, def bool) customer.AddressInput {
			return customer.AddressInput{Recipient: "林薇", Phone: "13800138000", Province: "浙江省", City: "杭州市", Detail: detail, Default: def}
		}
		defaultOf := func() int64 {
			t.Helper()
			got, err := s.Get(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, a := range got.Addresses {
				if a.IsDefault {
					ids = append(ids, a.ID)
				}
			}
			if len(got.Addresses) > 0 && len(ids) != 1 {
				t.Fatalf("%d defaults among %d addresses", len(ids), len(got.Addresses))
			}
			if len(ids) == 0 {
				return 0
			}
			if got.Addresses[0].ID != ids[0] {
				t.Fatalf("default address %d not listed first", ids[0])
			}
			return ids[0]
		}
		home, err := s.AddAddress(ctx, c.ID, addr("文三路 90 号", false))
		if err != nil {
			t.Fatal(err)
		}
		if !home.IsDefault || defaultOf() != home.ID {
			t.Fatal("the first address must become the default")
		}
		office, err := s.AddAddress(ctx, c.ID, addr("西溪路 556 号", false))
		if err != nil || office.IsDefault || defaultOf() != home.ID {
			t.Fatalf("second address without Default: %+v %v", office, err)
		}
		parents, err := s.AddAddress(ctx, c.ID, addr("延安路 1 号", true))
		if err != nil || defaultOf() != parents.ID {
			t.Fatalf("third address with Default: %v", err)
		}
		if err := s.SetDefaultAddress(ctx, c.ID, office.ID); err != nil || defaultOf() != office.ID {
			t.Fatalf("SetDefaultAddress: %v", err)
		}
		upd := addr("西溪路 556 号 8 楼", false) // clearing Default does not leave none
		got, err := s.UpdateAddress(ctx, c.ID, office.ID, upd)
		if err != nil || got.Detail != "西溪路 556 号 8 楼" || !got.IsDefault || defaultOf() != office.ID {
			t.Fatalf("UpdateAddress: %+v %v", got, err)
		}
		if _, err := s.UpdateAddress(ctx, c.ID, home.ID, addr("文三路 90 号 501", true)); err != nil || defaultOf() != home.ID {
			t.Fatalf("UpdateAddress to default: %v", err)
		}
		if err := s.DeleteAddress(ctx, c.ID, home.ID); err != nil {
			t.Fatal(err)
		}
		if defaultOf() != office.ID {
			t.Fatal("deleting the default must promote the oldest remaining address")
		}
		// Another customer's address id does not work through this customer.
		if err := s.SetDefaultAddress(ctx, other.ID, office.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("cross-customer SetDefaultAddress: %v", err)
		}
		if err := s.DeleteAddress(ctx, other.ID, office.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("cross-customer DeleteAddress: %v", err)
		}
		if _, err := s.AddAddress(ctx, c.ID, customer.AddressInput{Recipient: "x", Phone: "110", Detail: "y"}); fieldOf(err) != "phone" {
			t.Fatalf("bad address phone: %v", err)
		}
		if err := s.DeleteAddress(ctx, c.ID, office.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteAddress(ctx, c.ID, parents.ID); err != nil {
			t.Fatal(err)
		}
		if defaultOf() != 0 {
			t.Fatal("no addresses, yet a default")
		}
		if n := auditCount(t, d, "customer.address.create"); n != 3 {
			t.Fatalf("%d address create audits", n)
		}
		if n := auditCount(t, d, "customer.address.delete"); n != 3 {
			t.Fatalf("%d address delete audits", n)
		}
	})
}

func TestSetConsent_StampsTime(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := opCtx()
		s := newService(d)
		c := mustCreate(t, s, customer.Profile{Phone: "13800138000"})
		if err := s.SetConsent(ctx, c.ID, customer.Consent{SMS: true, WeCom: true}); err != nil {
			t.Fatal(err)
		}
		got, _ := s.Get(ctx, c.ID)
		if !got.ConsentSMS || got.ConsentEmail || !got.ConsentWeCom || !got.ConsentUpdatedAt.Equal(clock) {
			t.Fatalf("after SetConsent: sms %v email %v wecom %v at %v", got.ConsentSMS, got.ConsentEmail, got.ConsentWeCom, got.ConsentUpdatedAt)
		}
		if err := s.SetConsent(ctx, 999, customer.Consent{}); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("missing customer: %v", err)
		}
		es, _ := audit.List(ctx, d, audit.Filter{Action: "customer.consent"})
		if len(es) != 1 || string(es[0].Before) != `{"sms":false,"email":false,"wecom":false}` || string(es[0].After) != `{"sms":true,"email":false,"wecom":true}` {
			t.Fatalf("consent audit = %+v", es)
		}
	})
}

func TestNames_NameOrElsePhone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		for _, q := range []string{
			`INSERT INTO customers (id, name, phone, created_at, updated_at) VALUES (1, '张三', '13800138000', 0, 0)`,
			`INSERT INTO customers (id, name, phone, created_at, updated_at) VALUES (2, '', '13900139000', 0, 0)`,
		} {
			if _, err := d.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		got, err := customer.Names(ctx, d, []int64{1, 2, 99})
		if err != nil || len(got) != 2 || got[1] != "张三" || got[2] != "13900139000" {
			t.Fatalf("Names = %v, %v", got, err)
		}
		if got, err := customer.Names(ctx, d, nil); err != nil || len(got) != 0 {
			t.Fatalf("Names(nil) = %v, %v", got, err)
		}
	})
}
