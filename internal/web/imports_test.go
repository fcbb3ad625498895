package web

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
)

func (f *fixture) upload(path string, fields map[string]string, filename, content string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	f.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", filename)
	fw.Write([]byte(content))
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, path, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for _, c := range cookies {
		req.AddCookie(c)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, req)
	return w
}

func TestImports_UploadShowsErrorsThenCommitsAValidFile(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.addOperator("yunying", "operator")
		s := f.login("yunying")

		w := f.upload("/imports", map[string]string{"kind": "orders", "preset": "generic"}, "bad.csv",
			"order_no,created_at,total\nB1,not a date,1.00\n", s)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("upload: %d %s", w.Code, w.Body.String())
		}
		page := f.get(w.Header().Get("Location"), s)
		mustContain(t, page.Body.String(), `id="import-errors"`, "<td class=\"num\">2</td><td>created_at</td>", "not a date", `data-status="invalid"`)
		if strings.Contains(page.Body.String(), "/commit") {
			t.Error("an invalid import offers a commit")
		}

		csv := "order_no,customer_ref,created_at,total,title\nG1,c1,2024-06-18 20:00:00,199.00,蓝牙耳机\nG2,c2,2024-06-18 21:00:00,59.90,数据线\n"
		w = f.upload("/imports", map[string]string{"kind": "orders", "preset": "generic"}, "good.csv", csv, s)
		loc := w.Header().Get("Location")
		page = f.get(loc, s)
		mustContain(t, page.Body.String(), `data-status="validated"`, `action="`+loc+`/commit"`)
		w = f.post(loc+"/commit", nil, s)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("commit: %d", w.Code)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			part := f.do(request{path: loc, cookies: []*http.Cookie{s}, header: map[string]string{"HX-Request": "true", "HX-Target": "import-status"}})
			body := part.Body.String()
			if strings.Contains(body, `data-status="done"`) {
				if strings.Contains(body, "<html") {
					t.Error("the htmx poll got a whole page")
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("import not done: %s", body)
			}
			time.Sleep(20 * time.Millisecond)
		}
		var n, total int64
		d.QueryRow(t.Context(), "SELECT COUNT(*), COALESCE(SUM(total), 0) FROM orders").Scan(&n, &total)
		if n != 2 || total != 25890 {
			t.Errorf("store has %d orders worth %d", n, total)
		}
		mustContain(t, f.get("/imports", s).Body.String(), "good.csv", "bad.csv")

		w = f.post("/imports/mappings", url.Values{"name": {"erp"}, "kind": {"orders"}, "preset": {"generic"},
			"columns": {"order_no = 单号\ncreated_at = #2\ntotal = 金额\n"}}, s)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("save mapping: %d %s", w.Code, w.Body.String())
		}
		mustContain(t, f.get("/imports", s).Body.String(), `<option value="erp">erp`)
		w = f.upload("/imports", map[string]string{"kind": "orders", "preset": "generic", "mapping": "erp"}, "erp.csv",
			"单号,时间,金额\nE1,2024-06-19 08:00,9.90\n", s)
		mustContain(t, f.get(w.Header().Get("Location"), s).Body.String(), `data-status="validated"`)
		if w = f.post("/imports/mappings", url.Values{"name": {"x"}, "kind": {"orders"}, "columns": {"colour = 1"}}, s); w.Code != http.StatusUnprocessableEntity {
			t.Errorf("a mapping of an unknown field: %d", w.Code)
		}
	})
}
