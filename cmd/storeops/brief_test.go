package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/demo"
)

func TestCLI_BriefPrintsMarkdownAndHTMLInBothLanguages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shop.db")
	d := mustOpen(t, path)
	sh, _ := time.LoadLocation("Asia/Shanghai")
	ctx := context.Background()
	if _, err := demo.Generate(ctx, d, demo.Options{Customers: 200, Days: 30, Seed: 4, End: time.Date(2026, 11, 20, 0, 0, 0, 0, sh), Location: sh}); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.GenerateTraffic(ctx, d, 4, nil); err != nil {
		t.Fatal(err)
	}
	d.Close()
	code, out, errs := run(t, "", "brief", "--db", path, "--date", "2026-11-20")
	if code != 0 || !strings.HasPrefix(out, "# 花间生活馆 数据日报") || !strings.Contains(out, "## 核心指标") {
		t.Fatalf("daily: %d %q %s", code, out, errs)
	}
	code, out, errs = run(t, "", "brief", "--db", path, "--date", "2026-11-20", "--weekly", "--lang", "en", "--format", "html")
	if code != 0 || !strings.Contains(out, "<html>") || !strings.Contains(out, "weekly review") || !strings.Contains(out, "14 Nov 2026") {
		t.Fatalf("weekly html: %d %q %s", code, out, errs)
	}
	if code, _, errs = run(t, "", "brief", "--db", path, "--date", "20261120"); code == 0 || !strings.Contains(errs, "--date") {
		t.Errorf("bad date: %d %s", code, errs)
	}
	if code, _, errs = run(t, "", "brief", "--db", path, "--format", "pdf"); code == 0 || !strings.Contains(errs, "--format") {
		t.Errorf("bad format: %d %s", code, errs)
	}
}
