package importer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func gbk(t testing.TB, s string) []byte {
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const taobaoCSV = "订单编号,买家会员名,买家实际支付金额,订单状态,收货人姓名,联系手机,订单创建时间,订单付款时间,宝贝标题,商家编码,购买数量,价格,买家应付邮费\r\n" +
	"'2300000000000001,小鱼儿,108.00,交易成功,王芳,138****0001,2024-03-08 20:15:00,2024-03-08 20:16:10,夏季碎花连衣裙,DRESS-01-M,1,99.00,10.00\r\n" +
	"'2300000000000002,阿亮,0.00,交易关闭,李亮,139****0002,2024-03-09 10:00:00,,纯棉T恤,TEE-01,2,59.00,0\r\n" +
	"'2300000000000003,小鱼儿,118.00,卖家已发货，等待买家确认,王芳,138****0001,2024/3/10 9:30,2024/3/10 9:31,纯棉T恤,TEE-01,2,59.00,0\r\n"

func TestTaobaoGBK_ImportsOrdersWithPlaceholderProducts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := &Service{DB: d}
		path := writeFile(t, "taobao.csv", gbk(t, taobaoCSV))
		req := Request{Kind: KindOrders, Preset: "taobao", Path: path}
		dry, err := s.Validate(ctx, req, nil)
		if err != nil || dry.ErrorCount != 0 {
			t.Fatalf("validate: %v %+v", err, dry.Errors)
		}
		if dry.Encoding != GB18030 || dry.Orders != 3 || dry.Customers != 2 || dry.Products != 2 || dry.Revenue != 10800+11800 {
			t.Errorf("dry run %+v; want GB18030, 3 orders, 2 customers, 2 placeholder products, revenue 22600", dry)
		}
		if n := tableCounts(t, d); n != [5]int64{} {
			t.Fatalf("a dry run wrote to the store: %v", n)
		}
		rep, err := s.Commit(ctx, dry.JobID, req, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Orders != 3 || rep.Lines != 3 || rep.Customers != 2 || rep.Revenue != 22600 {
			t.Errorf("commit %+v", rep)
		}
		var no, status, name string
		var total, items, ship, discount int64
		var paidDay *int64
		err = d.QueryRow(ctx, `SELECT o.order_no, o.status, c.name, o.total, o.items_total, o.shipping_fee, o.discount_total, o.paid_day
			FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.external_id = 'taobao:2300000000000001'`).
			Scan(&no, &status, &name, &total, &items, &ship, &discount, &paidDay)
		if err != nil {
			t.Fatal(err)
		}
		if status != "completed" || name != "王芳" || total != 10800 || items != 9900 || ship != 1000 || discount != 100 || paidDay == nil || *paidDay != 20240308 {
			t.Errorf("order 1: %s %s %s total=%d items=%d ship=%d discount=%d paid_day=%v", no, status, name, total, items, ship, discount, paidDay)
		}
		var closedPaid *int64
		d.QueryRow(ctx, `SELECT paid_at FROM orders WHERE external_id = 'taobao:2300000000000002'`).Scan(&closedPaid)
		if closedPaid != nil {
			t.Errorf("a closed order got paid_at %v", *closedPaid)
		}
		var attrs, pstatus string
		d.QueryRow(ctx, `SELECT p.attributes, p.status FROM products p JOIN skus k ON k.product_id = p.id WHERE k.code = 'TEE-01'`).Scan(&attrs, &pstatus)
		if attrs != `{"imported":"true"}` || pstatus != "off_shelf" {
			t.Errorf("placeholder product: attributes %s, status %s", attrs, pstatus)
		}
	})
}

func TestShopify_RowsOfOneOrderBecomeItsLines(t *testing.T) {
	csv := "Name,Email,Financial Status,Paid at,Currency,Total,Shipping,Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem sku,Billing Name\n" +
		"#1001,ann@example.com,paid,2024-05-01 10:00:05 +0800,USD,45.00,5.00,2024-05-01 10:00:00 +0800,2,Mug,12.50,MUG-1,Ann\n" +
		"#1001,ann@example.com,,,,,,,1,Tea,15.00,TEA-1,\n" +
		"#1002,bob@example.com,pending,,USD,20.00,0,2024-05-02 09:00:00 +0800,1,Tea,20.00,TEA-1,Bob\n"
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := &Service{DB: d}
		rep, err := s.Import(ctx, Request{Kind: KindOrders, Preset: "shopify", Path: writeFile(t, "orders_export.csv", []byte(csv))}, nil)
		if err != nil {
			t.Fatalf("%v %+v", err, rep.Errors)
		}
		if rep.Orders != 2 || rep.Lines != 3 || rep.Revenue != 4500 {
			t.Errorf("report %+v; want 2 orders, 3 lines, revenue 4500 (the pending order is not revenue)", rep)
		}
		var items, total, ship int64
		var cur, status string
		d.QueryRow(ctx, `SELECT items_total, total, shipping_fee, currency, status FROM orders WHERE external_id = 'shopify:#1001'`).Scan(&items, &total, &ship, &cur, &status)
		if items != 4000 || total != 4500 || ship != 500 || cur != "USD" || status != "paid" {
			t.Errorf("#1001: items %d total %d shipping %d %s %s", items, total, ship, cur, status)
		}
	})
}

func TestValidate_ReportsErrorsByLineAndColumn(t *testing.T) {
	csv := "order_no,created_at,total,quantity,price,status\n" +
		"A1,2024-01-01 10:00:00,10.00,1,10.00,paid\n" +
		"A2,yesterday,10.00,1,10.00,paid\n" +
		"A3,2024-01-01 10:00:00,12.345,1,10.00,paid\n" +
		"A4,2024-01-01 10:00:00,10.00,0,10.00,paid\n" +
		"A5,2024-01-01 10:00:00,10.00,1,10.00,shipped-ish\n" +
		"A1,2024-01-02 10:00:00,10.00,1,10.00,paid\n" +
		",2024-01-01 10:00:00,10.00,1,10.00,paid\n"
	d := dbtest.SQLite(t)
	ctx := context.Background()
	s := &Service{DB: d}
	path := writeFile(t, "bad.csv", []byte(csv))
	rep, err := s.Import(ctx, Request{Kind: KindOrders, Path: path}, nil)
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
	want := []struct {
		line   int
		column string
		has    string
	}{
		{3, "created_at", "yesterday"},
		{4, "total", "two decimals"},
		{5, "quantity", "at least one"},
		{6, "status", "shipped-ish"},
		{7, "order_no", "line 2 already"},
		{8, "order_no", "empty"},
	}
	if rep.ErrorCount != len(want) {
		t.Fatalf("%d errors, want %d: %+v", rep.ErrorCount, len(want), rep.Errors)
	}
	for i, w := range want {
		e := rep.Errors[i]
		if e.Line != w.line || e.Column != w.column || !strings.Contains(e.Message, w.has) {
			t.Errorf("error %d = %+v; want line %d column %s mentioning %q", i, e, w.line, w.column, w.has)
		}
	}
	if n := tableCounts(t, d); n != [5]int64{} {
		t.Errorf("an invalid file wrote to the store: %v", n)
	}
	job, _ := s.Job(ctx, rep.JobID)
	if job.Status != JobInvalid {
		t.Errorf("job status %s", job.Status)
	}
	if _, err := s.Commit(ctx, rep.JobID, Request{Kind: KindOrders, Path: path}, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("committing an invalid job: %v", err)
	}
}

func TestValidate_MissingColumnNamesTheField(t *testing.T) {
	d := dbtest.SQLite(t)
	s := &Service{DB: d}
	rep, err := s.Validate(context.Background(), Request{Kind: KindOrders, Preset: "taobao",
		Path: writeFile(t, "x.csv", []byte("订单编号,买家会员名\n1,a\n"))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.ErrorCount != 1 || rep.Errors[0].Field != FCreatedAt || !strings.Contains(rep.Errors[0].Message, "订单创建时间") {
		t.Errorf("errors %+v; want one naming created_at and the 订单创建时间 column", rep.Errors)
	}
}

// genOrders is a generic CSV of n orders of two lines each.
func genOrders(n int) []byte {
	var b bytes.Buffer
	b.WriteString("order_no,customer_ref,created_at,status,sku,title,quantity,price\n")
	for i := range n {
		for k := range 2 {
			fmt.Fprintf(&b, "SO%07d,C%05d,2024-01-%02d 10:%02d:00,completed,SKU-%03d,商品 %d,%d,%d.%02d\n",
				i, i%997, 1+i%28, i%60, (i+k)%50, (i+k)%50, 1+k, 10+i%90, i%100)
		}
	}
	return b.Bytes()
}

func TestCommit_CancelledMidwayStopsAtARecordedChunk(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := &Service{DB: d, ChunkRows: 200}
		path := writeFile(t, "orders.csv", genOrders(500))
		req := Request{Kind: KindOrders, Path: path}
		dry, err := s.Validate(context.Background(), req, nil)
		if err != nil || dry.ErrorCount != 0 {
			t.Fatal(err, dry.Errors)
		}
		ctx, cancel := context.WithCancel(context.Background())
		chunks := 0
		s.inChunk = func() {
			chunks++
			if chunks == 4 {
				cancel() // the fourth chunk's rows are written, its commit is not
			}
		}
		rep, err := s.Commit(ctx, dry.JobID, req, nil)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("commit err = %v, want context.Canceled", err)
		}
		job, err := s.Job(context.Background(), dry.JobID)
		if err != nil {
			t.Fatal(err)
		}
		got := tableCounts(t, d)
		// The fourth chunk is rolled back (300 orders in), or — SQLite's
		// group commit finishes a transaction whose caller was cancelled —
		// committed whole (400); either way the job records exactly what
		// the store holds.
		in := job.Report.Orders
		if job.Status != JobFailed || (in != 300 && in != 400) || got[1] != in || got[2] != 2*in || job.Report.LastRow != 2*in+1 || rep.LastRow != 2*in+1 {
			t.Fatalf("after cancel: job %s %+v, store %v; want 3 or 4 chunks of 100 orders, as recorded", job.Status, job.Report, got)
		}
		var revenue int64
		d.QueryRow(context.Background(), "SELECT COALESCE(SUM(total), 0) FROM orders").Scan(&revenue)
		if revenue != job.Report.Revenue {
			t.Errorf("store revenue %d, job says %d", revenue, job.Report.Revenue)
		}
		s.inChunk = nil
		rep, err = s.Commit(context.Background(), dry.JobID, req, nil)
		if err != nil {
			t.Fatal(err)
		}
		got = tableCounts(t, d)
		if rep.Orders != 500 || rep.Skipped != in || got[1] != 500 || got[2] != 1000 || got[3] != dry.Revenue || rep.Revenue != dry.Revenue {
			t.Errorf("resumed: report %+v, store %v; want all 500 orders and revenue %d", rep, got, dry.Revenue)
		}
	})
}

func TestCustomersProductsStock_ImportAndReimportIsANoOp(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := &Service{DB: d}
		customers := "客户编号,姓名,手机,邮箱,性别\nU1,王芳,138 0013 8000,wf@example.com,女\nU2,李雷,,,男\n"
		products := "sku,title,price,cost\nTEA-1,龙井 250g,128.00,60\nMUG-1,马克杯,39.9,12.00\n"
		stock := "sku,on_hand\nTEA-1,30\nMUG-1,0\n"
		for round := range 2 {
			for _, f := range []struct {
				kind Kind
				csv  string
				want int64
			}{{KindCustomers, customers, 2}, {KindProducts, products, 2}, {KindStock, stock, 1}} {
				rep, err := s.Import(ctx, Request{Kind: f.kind, Path: writeFile(t, "f.csv", []byte(f.csv))}, nil)
				if err != nil {
					t.Fatalf("%s: %v %+v", f.kind, err, rep.Errors)
				}
				n := rep.Customers + rep.Products + rep.Stock
				if round == 1 && n != 0 || round == 0 && n != f.want {
					t.Errorf("round %d %s: wrote %d (%+v), want %d", round, f.kind, n, rep, map[bool]int64{true: f.want}[round == 0])
				}
			}
		}
		var gender, phone string
		d.QueryRow(ctx, "SELECT gender, phone FROM customers WHERE external_id = 'U1'").Scan(&gender, &phone)
		var onHand, moves, price int64
		d.QueryRow(ctx, "SELECT s.on_hand, k.list_price FROM stock s JOIN skus k ON k.id = s.sku_id WHERE k.code = 'TEA-1'").Scan(&onHand, &price)
		d.QueryRow(ctx, "SELECT COUNT(*) FROM stock_movements").Scan(&moves)
		if gender != "female" || phone != "13800138000" || onHand != 30 || price != 12800 || moves != 1 {
			t.Errorf("gender %q phone %q on_hand %d price %d movements %d", gender, phone, onHand, price, moves)
		}
		rep, _ := s.Validate(ctx, Request{Kind: KindStock, Path: writeFile(t, "s.csv", []byte("sku,on_hand\nNOPE,3\nTEA-1,-1\n"))}, nil)
		if rep.ErrorCount != 2 || rep.Errors[0].Line != 3 || rep.Errors[1].Line != 2 {
			t.Errorf("stock errors %+v; want line 3 (negative) and line 2 (unknown SKU)", rep.Errors)
		}
	})
}

func TestSavedMapping_IsReusedByName(t *testing.T) {
	d := dbtest.SQLite(t)
	ctx := context.Background()
	s := &Service{DB: d}
	_, err := s.SaveMapping(ctx, SavedMapping{Name: "erp", Kind: KindOrders, Columns: Mapping{FOrderNo: "单号", FCreatedAt: "#2", FTotal: "金额"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveMapping(ctx, SavedMapping{Name: "bad", Kind: KindOrders, Columns: Mapping{"colour": "x"}}); err == nil {
		t.Error("a mapping of an unknown field was saved")
	}
	rep, err := s.Import(ctx, Request{Kind: KindOrders, Mapping: "erp", Path: writeFile(t, "erp.csv", []byte("单号,时间,金额\nE1,2024-02-01 08:00,9.90\n"))}, nil)
	if err != nil || rep.Orders != 1 || rep.Revenue != 990 {
		t.Errorf("import with saved mapping: %v %+v", err, rep)
	}
}

func TestXLSX_ImportsTheFirstSheet(t *testing.T) {
	f := excelize.NewFile()
	rows := [][]any{{"order_no", "created_at", "total"}, {"X1", "2024-02-01 08:00:00", "19.90"}, {"X2", "2024-02-02 08:00:00", "5"}}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		f.SetSheetRow("Sheet1", cell, &r)
	}
	path := filepath.Join(t.TempDir(), "orders.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	d := dbtest.SQLite(t)
	s := &Service{DB: d}
	rep, err := s.Import(context.Background(), Request{Kind: KindOrders, Path: path}, nil)
	if err != nil || rep.Encoding != "xlsx" || rep.Orders != 2 || rep.Revenue != 2490 {
		t.Errorf("%v %+v", err, rep)
	}
	s.Limits = Limits{MaxUnzipBytes: 1000, MaxRows: 10, MaxColumns: 10, MaxCellBytes: 100}
	if _, err := s.Validate(context.Background(), Request{Kind: KindOrders, Path: path}, nil); !errors.Is(err, ErrTooLarge) {
		t.Errorf("a workbook unpacking beyond the limit: err = %v, want ErrTooLarge", err)
	}
}

func TestCSV_AnUnclosedQuoteDoesNotSwallowTheFile(t *testing.T) {
	data := "a,b\n1,\"" + strings.Repeat("x,y\n", 1<<20)
	rows, _, err := NewCSV(strings.NewReader(data), Limits{MaxCellBytes: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	rows.Next()
	if _, err := rows.Next(); !errors.Is(err, ErrTooLarge) {
		t.Errorf("err = %v, want ErrTooLarge", err)
	}
}

func TestDecode_DetectsTheEncoding(t *testing.T) {
	// a three-byte character cut by the end of the sniffed window
	straddle := strings.Repeat("a", sniffSize-1) + "订单\n"
	for _, c := range []struct {
		name string
		in   []byte
		want Encoding
		text string
	}{
		{"utf-8", []byte("订单,金额\n"), UTF8, "订单,金额\n"},
		{"bom", []byte("\xef\xbb\xbf订单\n"), UTF8BOM, "订单\n"},
		{"gbk", gbk(t, "订单,金额\n"), GB18030, "订单,金额\n"},
		{"gb18030 beyond gbk", []byte("\x81\x30\x81\x30"), GB18030, "\u0080"},
		{"rune across the window", []byte(straddle), UTF8, straddle},
		{"empty", nil, UTF8, ""},
	} {
		r, enc, err := Decode(bytes.NewReader(c.in))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(r)
		if enc != c.want || string(got) != c.text {
			t.Errorf("%s: %s %q, want %s %q", c.name, enc, truncate(string(got)), c.want, truncate(c.text))
		}
	}
}

func truncate(s string) string {
	if len(s) > 20 {
		return s[:10] + "…" + s[len(s)-10:]
	}
	return s
}
