package export

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestCell_NeutralisesFormulasAndKeepsNumbers(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "+86 138": "'+86 138", "-x": "'-x", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "\r=x": "'\r=x",
		"-12.50": "-12.50", "42": "42", "": "", "连衣裙": "连衣裙", "a=b": "a=b", "-": "'-", "1.": "1.",
	} {
		if got := Cell(in); got != want {
			t.Errorf("Cell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCSV_WritesBOMAndSafeCells(t *testing.T) {
	var b bytes.Buffer
	if err := CSV(&b, []string{"名称", "金额"}, SliceRows([][]string{{"=HYPERLINK(\"x\")", "-3.00"}, {"茶, 绿", "12"}})); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "\ufeff") {
		t.Error("no byte-order mark")
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(b.String(), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"名称", "金额"}, {"'=HYPERLINK(\"x\")", "-3.00"}, {"茶, 绿", "12"}}
	if len(recs) != 3 || recs[1][0] != want[1][0] || recs[1][1] != want[1][1] || recs[2][0] != want[2][0] {
		t.Errorf("got %q", recs)
	}
}

func TestXLSX_StreamsASheetOfText(t *testing.T) {
	var b bytes.Buffer
	if err := XLSX(&b, "订单", []string{"no", "total"}, SliceRows([][]string{{"@cmd", "9.90"}, {"A2", "-1"}})); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("订单")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[1][0] != "'@cmd" || rows[1][1] != "9.90" || rows[2][1] != "-1" {
		t.Errorf("rows %q", rows)
	}
}
