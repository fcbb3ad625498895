package event_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/event"
	"github.com/storeops/storeops/internal/event/eventtest"
)

const browserUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0"

// now is 2026-11-20 10:00 in Shanghai, the store's default zone.
var now = time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)

const today = 20261120

func newCollector(d *db.DB) *event.Collector {
	c := event.NewCollector(d, nil)
	c.Now = func() time.Time { return now }
	return c
}

func post(t testing.TB, c *event.Collector, contentType, ua, body string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/collect", strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	r.Header.Set("User-Agent", ua)
	w := httptest.NewRecorder()
	c.ServeHTTP(w, r)
	return w
}

func flush(t testing.TB, c *event.Collector) {
	t.Helper()
	if err := c.Flush(context.Background()); err != nil {
		t.Fatalf("flush: %v", err)
	}
}

func countEvents(t testing.TB, d *db.DB, where string, args ...any) int64 {
	t.Helper()
	var n int64
	eventtest.Copy(t, d)
	if err := d.QueryRow(context.Background(), "SELECT COUNT(*) FROM stored_events WHERE "+where, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCollect_SnippetBatchAccepted(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newCollector(d)
		at := now.Add(-time.Minute).UnixMilli()
		body := fmt.Sprintf(`{"events":[
			{"id":"e1","type":"page_view","at":%d,"anonymous_id":"anon-1","session_id":"s1","page":"https://shop.example/?utm_source=douyin","utm_source":"Douyin","utm_medium":"video","utm_campaign":"双11"},
			{"id":"e2","type":"product_view","at":%d,"anonymous_id":"anon-1","session_id":"s1","page":"https://shop.example/p/42","product_id":"42","sku_id":7,"utm_source":"douyin"},
			{"id":"e3","type":"search","at":%d,"anonymous_id":"anon-1","customer_id":"9","session_id":"s1","page":"https://shop.example/search","query":"羽绒服","referrer":"https://shop.example/p/42"}
		]}`, at, at, at)
		if w := post(t, c, "application/json", browserUA, body); w.Code != http.StatusNoContent {
			t.Fatalf("status %d, body %s", w.Code, w.Body)
		}
		flush(t, c)
		if n := countEvents(t, d, "day = $1", today); n != 3 {
			t.Fatalf("stored %d events of %d, want 3", n, today)
		}
		var typ, channel, campaign, utmSource string
		var productID, skuID int64
		var atMS, receivedMS int64
		err := d.QueryRow(context.Background(), `SELECT type, channel, utm_campaign, utm_source, product_id, sku_id, at, received_at
			FROM stored_events WHERE event_id = 'c:e2'`).Scan(&typ, &channel, &campaign, &utmSource, &productID, &skuID, &atMS, &receivedMS)
		if err != nil {
			t.Fatal(err)
		}
		if typ != event.ProductView || channel != event.ChannelShortVideo || productID != 42 || skuID != 7 || utmSource != "douyin" {
			t.Errorf("product view stored as %s/%s product %d sku %d source %q", typ, channel, productID, skuID, utmSource)
		}
		if atMS != at || receivedMS != now.UnixMilli() {
			t.Errorf("at %d received %d, want %d and %d", atMS, receivedMS, at, now.UnixMilli())
		}
		var q string
		var customer int64
		if err := d.QueryRow(context.Background(), "SELECT search_query, customer_id, channel FROM stored_events WHERE event_id = 'c:e3'").Scan(&q, &customer, &channel); err != nil {
			t.Fatal(err)
		}
		// a referrer inside the shop is navigation, not a source
		if q != "羽绒服" || customer != 9 || channel != event.ChannelDirect {
			t.Errorf("search stored as %q customer %d channel %s", q, customer, channel)
		}
		if err := d.QueryRow(context.Background(), "SELECT utm_campaign FROM stored_events WHERE event_id = 'c:e1'").Scan(&campaign); err != nil || campaign != "双11" {
			t.Errorf("campaign %q, %v", campaign, err)
		}
	})
}

func TestCollect_TextPlainBeaconAndBareArray(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newCollector(d)
		if w := post(t, c, "text/plain;charset=UTF-8", browserUA, `{"type":"page_view","anonymous_id":"b1","page":"https://shop.example/"}`); w.Code != http.StatusNoContent {
			t.Fatalf("beacon: status %d, body %s", w.Code, w.Body)
		}
		if w := post(t, c, "", browserUA, `[{"type":"add_to_cart","anonymous_id":"b1","product_id":3},{"type":"checkout_start","anonymous_id":"b1"}]`); w.Code != http.StatusNoContent {
			t.Fatalf("array: status %d, body %s", w.Code, w.Body)
		}
		flush(t, c)
		if n := countEvents(t, d, "anonymous_id = 'b1'"); n != 3 {
			t.Fatalf("stored %d, want 3", n)
		}
		if n := countEvents(t, d, "event_id LIKE 'g:%'"); n != 3 {
			t.Errorf("%d events got a generated id, want 3", n)
		}
	})
}

func TestCollect_EachRejectionCountedNothingStored(t *testing.T) {
	t.Parallel()
	valid := `{"type":"page_view","anonymous_id":"x"}`
	cases := []struct {
		name, ua, body string
		status         int
		reason         string
		count          int64
	}{
		{"broken json", browserUA, `{"type":`, 400, event.ReasonInvalidJSON, 1},
		{"not an object", browserUA, `"page_view"`, 400, event.ReasonInvalidJSON, 1},
		{"empty body", browserUA, ``, 400, event.ReasonInvalidJSON, 1},
		{"unknown type", browserUA, `[{"type":"hover","anonymous_id":"x"},{"type":"","anonymous_id":"x"}]`, 400, event.ReasonUnknownType, 2},
		{"no anonymous id", browserUA, `{"type":"page_view","anonymous_id":"  "}`, 400, event.ReasonMissingAnonymousID, 1},
		{"bad customer id", browserUA, `{"type":"page_view","anonymous_id":"x","customer_id":"abc"}`, 400, event.ReasonInvalidJSON, 1},
		{"too large", browserUA, `{"type":"page_view","anonymous_id":"x","page":"` + strings.Repeat("p", event.MaxBody) + `"}`, 400, event.ReasonTooLarge, 1},
		{"too many", browserUA, "[" + strings.TrimSuffix(strings.Repeat(valid+",", event.MaxBatch+1), ",") + "]", 400, event.ReasonTooManyEvents, event.MaxBatch + 1},
		{"baiduspider", "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)", "[" + valid + "," + valid + "]", 204, event.ReasonBot, 2},
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := d.Exec(context.Background(), "DELETE FROM event_rejections"); err != nil {
					t.Fatal(err)
				}
				c := newCollector(d)
				w := post(t, c, "text/plain", tc.ua, tc.body)
				if w.Code != tc.status {
					t.Fatalf("status %d, want %d (body %s)", w.Code, tc.status, w.Body)
				}
				if tc.status == 400 && !strings.Contains(w.Body.String(), fmt.Sprintf(`"%s":%d`, tc.reason, tc.count)) {
					t.Errorf("answer %s does not count %s=%d", w.Body, tc.reason, tc.count)
				}
				flush(t, c)
				if got := c.Rejected(); len(got) != 1 || got[tc.reason] != tc.count {
					t.Errorf("rejected %v, want only %s=%d", got, tc.reason, tc.count)
				}
				stored, err := event.Rejections(context.Background(), d, today, today)
				if err != nil {
					t.Fatal(err)
				}
				if len(stored) != 1 || stored[tc.reason] != tc.count {
					t.Errorf("event_rejections %v, want only %s=%d", stored, tc.reason, tc.count)
				}
				if n := countEvents(t, d, "1 = 1"); n != 0 {
					t.Errorf("%d events stored", n)
				}
			})
		}
	})
}

func TestCollect_MixedBatchKeepsTheGoodEvents(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newCollector(d)
		w := post(t, c, "application/json", browserUA, `[{"type":"page_view","anonymous_id":"m"},{"type":"click","anonymous_id":"m"},{"type":"search"}, 42]`)
		if w.Code != http.StatusNoContent {
			t.Fatalf("status %d", w.Code)
		}
		flush(t, c)
		if n := countEvents(t, d, "1 = 1"); n != 1 {
			t.Errorf("stored %d, want 1", n)
		}
		want := map[string]int64{event.ReasonUnknownType: 1, event.ReasonMissingAnonymousID: 1, event.ReasonInvalidJSON: 1}
		got := c.Rejected()
		for k, v := range want {
			if got[k] != v {
				t.Errorf("rejected %v, want %v", got, want)
				break
			}
		}
	})
}

func TestIsBot(t *testing.T) {
	t.Parallel()
	cases := map[string]bool{
		"Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)":                                   true,
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)":                                              true,
		"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)":                                               true,
		"Mozilla/5.0 (compatible; YisouSpider/5.0; +http://yisou.com)":                                                          true,
		"Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; Bytespider)": true,
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0 Safari/537.36":             true,
		"Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)":                                               true,
		"CCBot/2.0 (https://commoncrawl.org/faq/)":                                                                              true,
		browserUA: false,
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36": false,
		"Go-http-client/1.1": false, // a platform posting from its server
		"":                   false,
	}
	for ua, want := range cases {
		if got := event.IsBot(ua); got != want {
			t.Errorf("IsBot(%q) = %v, want %v", ua, got, want)
		}
	}
}

func TestClampTime(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		client int64
		want   time.Time
	}{
		{"absent", 0, now},
		{"a minute ago", now.Add(-time.Minute).UnixMilli(), now.Add(-time.Minute)},
		{"clock 4 minutes ahead", now.Add(4 * time.Minute).UnixMilli(), now.Add(4 * time.Minute)},
		{"an hour ahead", now.Add(time.Hour).UnixMilli(), now},
		{"23 hours ago", now.Add(-23 * time.Hour).UnixMilli(), now.Add(-23 * time.Hour)},
		{"two days ago", now.Add(-48 * time.Hour).UnixMilli(), now.Add(-24 * time.Hour)},
	}
	for _, tc := range cases {
		if got := event.ClampTime(tc.client, now); !got.Equal(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestCollect_ClampedTimestampsStored(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newCollector(d)
		body := fmt.Sprintf(`[{"id":"future","type":"page_view","anonymous_id":"t","at":%d},{"id":"old","type":"page_view","anonymous_id":"t","at":%d}]`,
			now.Add(time.Hour).UnixMilli(), now.Add(-72*time.Hour).UnixMilli())
		if w := post(t, c, "text/plain", browserUA, body); w.Code != http.StatusNoContent {
			t.Fatalf("status %d", w.Code)
		}
		flush(t, c)
		eventtest.Copy(t, d)
		for id, want := range map[string]time.Time{"c:future": now, "c:old": now.Add(-24 * time.Hour)} {
			var at, received, day int64
			if err := d.QueryRow(context.Background(), "SELECT at, received_at, day FROM stored_events WHERE event_id = $1", id).Scan(&at, &received, &day); err != nil {
				t.Fatal(err)
			}
			wantDay := int64(today)
			if id == "c:old" {
				wantDay = 20261119
			}
			if at != want.UnixMilli() || received != now.UnixMilli() || day != wantDay {
				t.Errorf("%s: at %d received %d day %d, want %d %d %d", id, at, received, day, want.UnixMilli(), now.UnixMilli(), wantDay)
			}
		}
	})
}

func TestCollect_DedupByEventID(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newCollector(d)
		ev := `{"id":"same","type":"page_view","anonymous_id":"d"}`
		post(t, c, "text/plain", browserUA, "["+ev+","+ev+"]")
		flush(t, c)
		post(t, c, "text/plain", browserUA, ev) // a beacon retried after the first was stored
		// the page's purchase event, sent twice with different ids, counts once
		post(t, c, "text/plain", browserUA, `[{"id":"p1","type":"purchase","anonymous_id":"d","order_no":"SO2026001"},{"id":"p2","type":"purchase","anonymous_id":"d","order_no":"SO2026001"}]`)
		flush(t, c)
		if n := countEvents(t, d, "event_id = 'c:same'"); n != 1 {
			t.Errorf("page view stored %d times", n)
		}
		if n := countEvents(t, d, "type = 'purchase'"); n != 1 {
			t.Errorf("purchase stored %d times", n)
		}
		if n := countEvents(t, d, "event_id = $1", event.PurchaseEventID("SO2026001")); n != 1 {
			t.Errorf("purchase not stored under its order's key")
		}
	})
}

func TestUV_AnonymousVisitorAndThatVisitorAfterLoginCountOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newCollector(d)
		body := `[
			{"type":"page_view","anonymous_id":"phone","page":"https://shop.example/","utm_source":"douyin"},
			{"type":"product_view","anonymous_id":"phone","product_id":1,"utm_source":"douyin"},
			{"type":"page_view","anonymous_id":"phone","customer_id":7,"page":"https://shop.example/me"},
			{"type":"page_view","anonymous_id":"laptop","customer_id":7,"referrer":"https://www.baidu.com/s?wd=x"},
			{"type":"page_view","anonymous_id":"stranger","referrer":"https://www.baidu.com/s?wd=y"}
		]`
		if w := post(t, c, "application/json", browserUA, body); w.Code != http.StatusNoContent {
			t.Fatalf("status %d", w.Code)
		}
		flush(t, c)
		r, err := event.Traffic(context.Background(), d, today, today)
		if err != nil {
			t.Fatal(err)
		}
		if r.PV != 4 || r.UV != 2 {
			t.Errorf("PV %d UV %d, want 4 and 2 (customer 7 on two devices, and a stranger)", r.PV, r.UV)
		}
		if len(r.Days) != 1 || r.Days[0] != (event.DayFigures{Day: today, Figures: event.Figures{PV: 4, UV: 2}}) {
			t.Errorf("days %+v", r.Days)
		}
		want := []event.ChannelFigures{
			{Channel: "search", Figures: event.Figures{PV: 2, UV: 2}},
			{Channel: "direct", Figures: event.Figures{PV: 1, UV: 1}},
			{Channel: "short_video", Figures: event.Figures{PV: 1, UV: 1}},
		}
		if fmt.Sprint(r.Channels) != fmt.Sprint(want) {
			t.Errorf("channels %+v, want %+v", r.Channels, want)
		}
		if uv, err := event.UV(context.Background(), d, today); err != nil || uv != 2 {
			t.Errorf("UV = %d, %v", uv, err)
		}
		if pv, err := event.PV(context.Background(), d, today+1); err != nil || pv != 0 {
			t.Errorf("PV of an empty day = %d, %v", pv, err)
		}
	})
}

func TestChannel_DefaultRules(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		rules, err := newCollector(d).Rules(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name                           string
			source, medium, referrer, page string
			want                           string
		}{
			{"douyin link", "douyin", "", "", "https://shop.example/", event.ChannelShortVideo},
			{"source in capitals", "DouYin", "", "", "", event.ChannelShortVideo},
			{"baidu search", "", "", "https://www.baidu.com/s?wd=羽绒服", "https://shop.example/", event.ChannelSearch},
			{"baidu mobile", "", "", "https://m.baidu.com/", "", event.ChannelSearch},
			{"not baidu", "", "", "https://notbaidu.com/", "", event.ChannelReferral},
			{"paid click", "baidu", "cpc", "https://www.baidu.com/", "", event.ChannelAds},
			{"live room", "", "live", "", "", event.ChannelLive},
			{"wechat group", "wechat_group", "", "", "", event.ChannelCommunity},
			{"nothing", "", "", "", "https://shop.example/", event.ChannelDirect},
			{"inside the shop", "", "", "https://shop.example/a", "https://shop.example/b", event.ChannelDirect},
			{"another site", "", "", "https://blog.example/post", "https://shop.example/", event.ChannelReferral},
		}
		for _, tc := range cases {
			if got := event.Channel(rules, tc.source, tc.medium, tc.referrer, tc.page); got != tc.want {
				t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
			}
		}
	})
}

func TestSaveRules_OrderWinsAndIngestUsesThem(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newCollector(d)
		ctx := context.Background()
		post(t, c, "text/plain", browserUA, `{"id":"before","type":"page_view","anonymous_id":"r","utm_source":"douyin"}`)
		custom := []event.Rule{
			{Field: "utm_source", Pattern: " DouYin ", Channel: "live"},
			{Field: "utm_source", Pattern: "douyin", Channel: "short_video"},
			{Field: "referrer_host", Pattern: "mail.example", Channel: "email"},
		}
		if err := c.SaveRules(ctx, custom); err != nil {
			t.Fatal(err)
		}
		rules, err := c.Rules(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(rules) != 3 || rules[0] != (event.Rule{Field: "utm_source", Pattern: "douyin", Channel: "live"}) {
			t.Fatalf("rules %+v", rules)
		}
		if got := event.Channel(rules, "douyin", "", "", ""); got != "live" {
			t.Errorf("first rule should win: %s", got)
		}
		post(t, c, "text/plain", browserUA, `[{"id":"after","type":"page_view","anonymous_id":"r","utm_source":"douyin"},{"id":"mail","type":"page_view","anonymous_id":"r","referrer":"https://mail.example/inbox"}]`)
		flush(t, c)
		eventtest.Copy(t, d)
		for id, want := range map[string]string{"c:before": "short_video", "c:after": "live", "c:mail": "email"} {
			var ch string
			if err := d.QueryRow(ctx, "SELECT channel FROM stored_events WHERE event_id = $1", id).Scan(&ch); err != nil {
				t.Fatal(err)
			}
			if ch != want {
				t.Errorf("%s: channel %s, want %s", id, ch, want)
			}
		}
		var audited int
		if err := d.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log WHERE action = 'traffic.channel_rules.update'").Scan(&audited); err != nil || audited != 1 {
			t.Errorf("audit entries %d, %v", audited, err)
		}
	})
}

func TestSaveRules_RefusesBadRules(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newCollector(d)
		cases := []struct {
			rules []event.Rule
			field string
		}{
			{[]event.Rule{{Field: "page", Pattern: "x", Channel: "ads"}}, "rules[0].field"},
			{[]event.Rule{{Field: "utm_source", Pattern: "ok", Channel: "ads"}, {Field: "utm_medium", Pattern: " ", Channel: "ads"}}, "rules[1].pattern"},
			{[]event.Rule{{Field: "utm_source", Pattern: "x", Channel: "短视频"}}, "rules[0].channel"},
		}
		for _, tc := range cases {
			err := c.SaveRules(context.Background(), tc.rules)
			var fe *apperr.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Errorf("%+v: %v, want a field error on %s", tc.rules, err, tc.field)
			}
		}
		rules, err := c.Rules(context.Background())
		if err != nil || len(rules) < 20 {
			t.Errorf("default rules changed: %d, %v", len(rules), err)
		}
	})
}

func TestCollect_ConcurrentPostsAllCounted(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newCollector(d)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { c.Run(ctx); close(done) }()
		srv := httptest.NewServer(c)
		defer srv.Close()
		const workers, requests, perRequest = 8, 10, 5
		var wg sync.WaitGroup
		errs := make(chan error, workers*requests)
		for g := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := range requests {
					var evs []string
					for i := range perRequest {
						evs = append(evs, fmt.Sprintf(`{"id":"%d-%d-%d","type":"page_view","anonymous_id":"v%d"}`, g, r, i, g))
					}
					resp, err := http.Post(srv.URL, "text/plain", strings.NewReader("["+strings.Join(evs, ",")+"]"))
					if err != nil {
						errs <- err
						return
					}
					resp.Body.Close()
					if resp.StatusCode != http.StatusNoContent {
						errs <- fmt.Errorf("status %d", resp.StatusCode)
					}
				}
			}()
		}
		wg.Wait()
		cancel()
		<-done // Run writes what is left when it stops
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		r, err := event.Traffic(context.Background(), d, today, today)
		if err != nil {
			t.Fatal(err)
		}
		if r.PV != workers*requests*perRequest || r.UV != workers {
			t.Errorf("PV %d UV %d, want %d and %d", r.PV, r.UV, workers*requests*perRequest, workers)
		}
	})
}

// BenchmarkIngest measures events/s through the handler and the writer, in
// batches of 20 as the snippet sends them; dropped is the share the queue
// refused because the writer fell behind.
func BenchmarkIngest(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchmarkIngest(b, dbtest.SQLite(b)) })
	if dbtest.PostgresURL() != "" {
		b.Run("postgres", func(b *testing.B) { benchmarkIngest(b, dbtest.Postgres(b)) })
	}
}

func benchmarkIngest(b *testing.B, d *db.DB) {
	if _, err := d.Exec(context.Background(), "DELETE FROM event_batches"); err != nil {
		b.Fatal(err)
	}
	c := newCollector(d)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	const perRequest = 20
	var seq sync.Mutex
	n := 0
	next := func() int { seq.Lock(); defer seq.Unlock(); n++; return n }
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var sb strings.Builder
		for pb.Next() {
			k := next()
			sb.Reset()
			sb.WriteByte('[')
			for i := range perRequest {
				if i > 0 {
					sb.WriteByte(',')
				}
				fmt.Fprintf(&sb, `{"id":"%d-%d","type":"page_view","anonymous_id":"v%d","page":"https://shop.example/p/%d","utm_source":"douyin"}`, k, i, k%1000, i)
			}
			sb.WriteByte(']')
			// 503 is the queue refusing a burst the writer cannot keep up with
			if w := post(b, c, "text/plain", browserUA, sb.String()); w.Code != http.StatusNoContent && w.Code != http.StatusServiceUnavailable {
				b.Errorf("status %d", w.Code)
			}
		}
	})
	cancel()
	<-done
	elapsed := time.Since(start)
	stored, err := event.CountIDPrefix(context.Background(), d, "c:")
	if err != nil {
		b.Fatal(err)
	}
	dropped := c.Rejected()[event.ReasonQueueFull]
	if stored+dropped != int64(b.N*perRequest) {
		b.Fatalf("stored %d + dropped %d != sent %d (%v)", stored, dropped, b.N*perRequest, c.Rejected())
	}
	b.ReportMetric(float64(stored)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(dropped)/float64(b.N*perRequest), "dropped")
}

// A request's events are queued all or none: when the queue lacks room
// for the whole batch, the request gets 503 with Retry-After and nothing of
// it is queued; sent again once the writer has caught up, every event is
// stored once. So a 204 always means every valid event of the request is
// stored.
func TestCollect_FullQueueRefusesWholeRequest(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newCollector(d)
		batch := func(prefix string, n int) string {
			var sb strings.Builder
			sb.WriteByte('[')
			for i := range n {
				if i > 0 {
					sb.WriteByte(',')
				}
				fmt.Fprintf(&sb, `{"id":"%s-%d","type":"page_view","anonymous_id":"v%d","page":"https://shop.example/"}`, prefix, i, i)
			}
			sb.WriteByte(']')
			return sb.String()
		}
		// Fill the queue to 40 short of full, 100 events a request.
		sent := 0
		for sent+100 <= event.QueueSize-40 {
			if w := post(t, c, "text/plain", browserUA, batch(fmt.Sprint("fill", sent), 100)); w.Code != http.StatusNoContent {
				t.Fatalf("filling: status %d", w.Code)
			}
			sent += 100
		}
		for sent < event.QueueSize-40 {
			if w := post(t, c, "text/plain", browserUA, batch(fmt.Sprint("fill", sent), 1)); w.Code != http.StatusNoContent {
				t.Fatalf("filling: status %d", w.Code)
			}
			sent++
		}
		w := post(t, c, "text/plain", browserUA, batch("late", 50))
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
			t.Fatalf("a batch of 50 into room for 40: status %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
		}
		if q := c.Queued(); q != event.QueueSize-40 {
			t.Fatalf("%d queued, want %d: part of the refused batch went in", q, event.QueueSize-40)
		}
		if got := c.Rejected()[event.ReasonQueueFull]; got != 50 {
			t.Fatalf("queue_full counted %d, want 50", got)
		}
		flush(t, c)
		if w := post(t, c, "text/plain", browserUA, batch("late", 50)); w.Code != http.StatusNoContent {
			t.Fatalf("the batch sent again: status %d", w.Code)
		}
		flush(t, c)
		if n := countEvents(t, d, "event_id LIKE 'c:late-%'"); n != 50 {
			t.Fatalf("%d of the late batch stored, want 50", n)
		}
		if n := countEvents(t, d, "1 = 1"); n != int64(event.QueueSize-40+50) {
			t.Fatalf("%d events stored, want %d", n, event.QueueSize-40+50)
		}
	})
}
