package importer

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/db/dbtest"
)

// BenchmarkImportMillionLines imports a generated CSV of 1,000,000 order
// lines (500,000 orders of two lines over a year, 20,000 customers, 500
// SKUs) into a
// fresh SQLite store: validation and commit, as `storeops import` does.
//
//	go test ./internal/importer -run XXX -bench MillionLines -benchtime 1x
func BenchmarkImportMillionLines(b *testing.B) {
	orders := 500_000
	if n, err := strconv.Atoi(os.Getenv("IMPORT_ORDERS")); err == nil && n > 0 {
		orders = n // a smaller run for quick comparisons
	}
	path := filepath.Join(b.TempDir(), "orders.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString("order_no,customer_ref,created_at,status,sku,title,quantity,price\n")
	// A year of orders in the order they were placed, as shops export them,
	// from 20,000 customers in no particular order.
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range orders {
		at := start.Add(time.Duration(i) * 63 * time.Second).Format("2006-01-02 15:04:05")
		for k := range 2 {
			fmt.Fprintf(w, "SO%08d,C%05d,%s,completed,SKU-%03d,商品 %d,%d,%d.%02d\n",
				i, (i*7919)%20000, at, (i*7+k)%500, (i*7+k)%500, 1+k, 10+i%90, i%100)
		}
	}
	w.Flush()
	f.Close()
	for b.Loop() {
		b.StopTimer()
		d := dbtest.SQLite(b)
		s := &Service{DB: d}
		if n, err := strconv.Atoi(os.Getenv("IMPORT_CHUNK")); err == nil {
			s.ChunkRows = n
		}
		var peak uint64
		done := make(chan struct{})
		go func() {
			var m runtime.MemStats
			for {
				select {
				case <-done:
					return
				case <-time.After(50 * time.Millisecond):
					runtime.ReadMemStats(&m)
					peak = max(peak, m.HeapInuse)
				}
			}
		}()
		b.StartTimer()
		start := time.Now()
		rep, err := s.Import(context.Background(), Request{Kind: KindOrders, Path: path}, nil)
		b.StopTimer()
		close(done)
		if err != nil {
			b.Fatal(err, rep.Errors)
		}
		if rep.Lines != int64(2*orders) {
			b.Fatalf("%d lines imported", rep.Lines)
		}
		b.ReportMetric(float64(rep.Lines)/time.Since(start).Seconds(), "lines/s")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		b.StartTimer()
	}
}
