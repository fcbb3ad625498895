package event_test

import (
	"bufio"
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/storeops/storeops/internal/event/eventtest"
)

// snippetHarness runs track.js against a fake browser landing from Douyin,
// and prints each body it would beacon, one a line.
const snippetHarness = `
const fs = require("fs");
const sent = [];
const mk = () => { const m = {}; return { getItem: k => k in m ? m[k] : null, setItem: (k, v) => { m[k] = String(v); }, removeItem: k => { delete m[k]; } }; };
global.window = {
  location: { href: "https://shop.example/p/42?utm_source=douyin", search: "?utm_source=douyin", host: "shop.example" },
  localStorage: mk(), sessionStorage: mk(), crypto: require("crypto").webcrypto,
  navigator: { sendBeacon: (u, b) => { sent.push(b); return true; } },
  addEventListener() {},
  storeops: [["identify", 7], ["track", "search", { query: "羽绒服" }]],
};
global.document = { referrer: "", currentScript: { src: "https://ops.example/static/track.js", dataset: {} }, addEventListener() {}, visibilityState: "visible" };
eval(fs.readFileSync(process.argv[1], "utf8"));
window.storeops.track("product_view", { product_id: 42, sku_id: 7 });
window.storeops.flush();
(async () => { for (const b of sent) { if (b.type !== "text/plain") throw new Error(b.type); console.log(await b.text()); } })();
`

// The snippet and the endpoint agree: what track.js sends is accepted whole,
// with the landing page's source on every event of the visit.
func TestSnippet_BatchAcceptedByCollector(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	out, err := exec.Command(node, "-e", snippetHarness, filepath.Join("..", "web", "static", "track.js")).Output()
	if err != nil {
		t.Fatalf("run snippet: %v", err)
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newCollector(d)
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			if w := post(t, c, "text/plain", browserUA, sc.Text()); w.Code != 204 {
				t.Fatalf("status %d for %s", w.Code, sc.Text())
			}
		}
		flush(t, c)
		var n, anons, sessions, customers, shortVideo int64
		eventtest.Copy(t, d)
		err := d.QueryRow(context.Background(), `SELECT COUNT(*), COUNT(DISTINCT anonymous_id), COUNT(DISTINCT session_id),
			SUM(CASE WHEN customer_id = 7 THEN 1 ELSE 0 END), SUM(CASE WHEN channel = 'short_video' THEN 1 ELSE 0 END) FROM stored_events`).
			Scan(&n, &anons, &sessions, &customers, &shortVideo)
		if err != nil {
			t.Fatal(err)
		}
		if n != 3 || anons != 1 || sessions != 1 || customers != 3 || shortVideo != 3 {
			t.Errorf("events %d, anonymous ids %d, sessions %d, customer 7 on %d, short video %d; want 3 1 1 3 3", n, anons, sessions, customers, shortVideo)
		}
		if got := countEvents(t, d, "type = 'product_view' AND product_id = 42 AND sku_id = 7"); got != 1 {
			t.Errorf("product view stored %d times", got)
		}
		if got := countEvents(t, d, "type = 'search' AND search_query = '羽绒服'"); got != 1 {
			t.Errorf("search stored %d times", got)
		}
	})
}
