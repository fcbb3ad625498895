package importer

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Kind is what a file holds.
type Kind string

const (
	KindOrders    Kind = "orders"
	KindCustomers Kind = "customers"
	KindProducts  Kind = "products"
	KindStock     Kind = "stock"
)

// ValidKind reports whether s names a kind of import.
func ValidKind(s string) bool {
	switch Kind(s) {
	case KindOrders, KindCustomers, KindProducts, KindStock:
		return true
	}
	return false
}

// Fields a row can hold. One vocabulary serves every kind; a kind needs
// some of them (required) and understands others.
const (
	FOrderNo      = "order_no"
	FCustomerRef  = "customer_ref" // the buyer's id on the platform (买家会员名, customer id)
	FCustomerName = "customer_name"
	FPhone        = "phone"
	FEmail        = "email"
	FStatus       = "status"
	FTotal        = "total"
	FShippingFee  = "shipping_fee"
	FCreatedAt    = "created_at"
	FPaidAt       = "paid_at"
	FTitle        = "title"
	FSKU          = "sku"
	FQuantity     = "quantity"
	FPrice        = "price"
	FLineTotal    = "line_total"
	FCurrency     = "currency"
	FCost         = "cost"
	FSpec         = "spec"
	FBarcode      = "barcode"
	FOnHand       = "on_hand"
	FGender       = "gender"
	FBirthday     = "birthday"
	FNote         = "note"
)

// KindFields lists the fields each kind reads, required ones first.
var KindFields = map[Kind][]string{
	KindOrders: {FOrderNo, FCreatedAt, FCustomerRef, FCustomerName, FPhone, FEmail, FStatus, FTotal, FShippingFee,
		FPaidAt, FTitle, FSKU, FQuantity, FPrice, FLineTotal, FCurrency},
	KindCustomers: {FCustomerRef, FCustomerName, FPhone, FEmail, FGender, FBirthday, FNote, FCreatedAt},
	KindProducts:  {FSKU, FTitle, FPrice, FCost, FSpec, FBarcode, FCurrency},
	KindStock:     {FSKU, FOnHand},
}

var requiredFields = map[Kind][]string{
	KindOrders:    {FOrderNo, FCreatedAt},
	KindCustomers: {FCustomerRef},
	KindProducts:  {FSKU, FTitle, FPrice},
	KindStock:     {FSKU, FOnHand},
}

// Preset is how one platform's export looks: the header each field goes by,
// what its order statuses mean, and where its ids come from.
type Preset struct {
	Name     string
	Channel  string // orders.channel and customers.source_channel of what it brings in
	Prefix   string // put before the platform's ids to make external ids, so two platforms' 1001 differ
	Currency string // "" means the store's currency or the file's currency column
	// Whitespace: columns are separated by runs of spaces (CDNOW), not commas.
	Whitespace bool
	// Positional names the fields by column position; the first row is a
	// header and is skipped.
	Positional []string
	// SynthOrderNo: the file has no order numbers; an order's number is made
	// from its customer, its date and how many orders that customer placed
	// that day before it in the file, which stays the same on re-import.
	SynthOrderNo bool
	DateOnly     bool // dates are yyyymmdd days; an order is placed at midnight in the store's zone
	Columns      map[string][]string
	Statuses     map[string]string
}

// commonStatuses are the order states Chinese platforms print, plus ours.
var commonStatuses = map[string]string{
	"pending_payment": "pending_payment", "paid": "paid", "shipped": "shipped", "delivered": "delivered",
	"completed": "completed", "cancelled": "cancelled", "closed": "closed",
	"等待买家付款": "pending_payment", "待付款": "pending_payment", "待支付": "pending_payment", "等待付款": "pending_payment",
	"买家已付款，等待卖家发货": "paid", "买家已付款,等待卖家发货": "paid", "等待卖家发货": "paid", "待发货": "paid", "已付款": "paid", "等待出库": "paid", "备货中": "paid",
	"卖家已发货，等待买家确认": "shipped", "卖家已发货,等待买家确认": "shipped", "已发货": "shipped", "等待确认收货": "shipped", "待收货": "shipped",
	"已签收": "delivered", "交易成功": "completed", "已完成": "completed", "完成": "completed",
	"交易关闭": "closed", "已关闭": "closed", "已取消": "cancelled", "取消": "cancelled", "锁定": "paid",
}

func statuses(extra map[string]string) map[string]string {
	m := make(map[string]string, len(commonStatuses)+len(extra))
	for k, v := range commonStatuses {
		m[k] = v
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

var presets = map[string]Preset{
	"generic": {
		Name: "generic", Channel: "import",
		Columns: map[string][]string{
			FOrderNo: {"order_no", "订单号", "订单编号"}, FCustomerRef: {"customer_ref", "customer_id", "客户编号", "会员号"},
			FCustomerName: {"customer_name", "name", "客户姓名", "姓名"}, FPhone: {"phone", "手机", "手机号"}, FEmail: {"email", "邮箱"},
			FStatus: {"status", "状态", "订单状态"}, FTotal: {"total", "实付金额", "订单金额"}, FShippingFee: {"shipping_fee", "运费"},
			FCreatedAt: {"created_at", "下单时间", "创建时间"}, FPaidAt: {"paid_at", "付款时间"}, FTitle: {"title", "商品名称", "标题"},
			FSKU: {"sku", "sku_code", "商品编码", "商家编码"}, FQuantity: {"quantity", "数量"}, FPrice: {"price", "单价", "价格"},
			FLineTotal: {"line_total", "小计"}, FCurrency: {"currency", "币种"}, FCost: {"cost", "成本价"}, FSpec: {"spec", "规格"},
			FBarcode: {"barcode", "条码"}, FOnHand: {"on_hand", "库存", "现有库存"}, FGender: {"gender", "性别"},
			FBirthday: {"birthday", "生日"}, FNote: {"note", "备注"},
		},
		Statuses: statuses(nil),
	},
	"taobao": {
		Name: "taobao", Channel: "taobao", Prefix: "taobao:",
		Columns: map[string][]string{
			FOrderNo: {"订单编号"}, FCustomerRef: {"买家会员名"}, FTotal: {"买家实际支付金额"}, FStatus: {"订单状态"},
			FCustomerName: {"收货人姓名"}, FPhone: {"联系手机"}, FCreatedAt: {"订单创建时间"}, FPaidAt: {"订单付款时间"},
			FTitle: {"宝贝标题", "标题"}, FSKU: {"商家编码", "外部系统编号"}, FQuantity: {"购买数量", "宝贝总数量"}, FPrice: {"价格"},
			FShippingFee: {"买家应付邮费", "邮费"},
		},
		Statuses: statuses(nil),
	},
	"jd": {
		Name: "jd", Channel: "jd", Prefix: "jd:",
		Columns: map[string][]string{
			FOrderNo: {"订单号"}, FCustomerRef: {"下单帐号", "下单账号", "客户账号"}, FTotal: {"应付金额", "订单金额"}, FStatus: {"订单状态"},
			FCustomerName: {"客户姓名", "收货人"}, FPhone: {"联系电话", "收货人手机"}, FCreatedAt: {"下单时间"}, FPaidAt: {"付款确认时间", "支付时间"},
			FTitle: {"商品名称"}, FSKU: {"商家SKU", "商品ID"}, FQuantity: {"订购数量", "商品数量"}, FPrice: {"京东价", "商品单价"},
			FShippingFee: {"运费金额", "运费"},
		},
		Statuses: statuses(nil),
	},
	"douyin": {
		Name: "douyin", Channel: "douyin", Prefix: "douyin:",
		Columns: map[string][]string{
			FOrderNo: {"主订单编号", "订单编号"}, FCustomerRef: {"用户ID", "达人ID", "买家昵称"}, FTotal: {"订单应付金额", "订单实付金额"},
			FStatus: {"订单状态"}, FCustomerName: {"收件人"}, FPhone: {"收件人手机号", "收件人电话"}, FCreatedAt: {"订单提交时间", "下单时间"},
			FPaidAt: {"支付完成时间"}, FTitle: {"选购商品", "商品名称"}, FSKU: {"商家编码"}, FQuantity: {"商品数量"}, FPrice: {"商品单价"},
			FShippingFee: {"运费"},
		},
		Statuses: statuses(nil),
	},
	"shopify": {
		Name: "shopify", Channel: "shopify", Prefix: "shopify:",
		Columns: map[string][]string{
			FOrderNo: {"Name"}, FCustomerRef: {"Email"}, FEmail: {"Email"}, FStatus: {"Financial Status"}, FPaidAt: {"Paid at"},
			FQuantity: {"Lineitem quantity"}, FTitle: {"Lineitem name"}, FPrice: {"Lineitem price"}, FSKU: {"Lineitem sku"},
			FTotal: {"Total"}, FCreatedAt: {"Created at"}, FShippingFee: {"Shipping"}, FCurrency: {"Currency"},
			FCustomerName: {"Billing Name"}, FPhone: {"Phone", "Billing Phone"},
		},
		Statuses: statuses(map[string]string{"pending": "pending_payment", "authorized": "pending_payment",
			"partially_paid": "pending_payment", "refunded": "paid", "partially_refunded": "paid", "voided": "cancelled"}),
	},
	"cdnow": {
		Name: "cdnow", Channel: "cdnow", Prefix: "cdnow:", Currency: "USD", Whitespace: true,
		Positional:   []string{FCustomerRef, FCreatedAt, FQuantity, FLineTotal},
		SynthOrderNo: true, DateOnly: true,
		Statuses: map[string]string{},
	},
}

// PresetNames lists the built-in presets.
func PresetNames() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// LookupPreset returns the built-in preset called name.
func LookupPreset(name string) (Preset, bool) {
	p, ok := presets[name]
	return p, ok
}

// Mapping says which column holds which field: field → header text, or
// "#3" for the third column.
type Mapping map[string]string

// layout is where each field sits in a file once its header is known.
type layout struct {
	col    map[string]int
	header []string
}

// resolve finds each field's column from the header row, a saved mapping
// overriding the preset. It fails, naming the field, when a required field
// has no column.
func resolve(kind Kind, p Preset, m Mapping, header []string) (layout, error) {
	l := layout{col: map[string]int{}, header: append([]string(nil), header...)}
	if len(p.Positional) > 0 && len(m) == 0 {
		for i, f := range p.Positional {
			l.col[f] = i
		}
		return l, nil
	}
	index := map[string]int{}
	for i, h := range header {
		k := normHeader(h)
		if _, dup := index[k]; !dup {
			index[k] = i
		}
	}
	for _, f := range KindFields[kind] {
		if h, ok := m[f]; ok && h != "" {
			if n, ok := strings.CutPrefix(h, "#"); ok {
				i, err := strconv.Atoi(n)
				if err != nil || i < 1 || i > len(header) {
					return l, &RowError{Line: 1, Column: h, Field: f, Message: fmt.Sprintf("the mapping points %s at column %s, which the file does not have", f, h)}
				}
				l.col[f] = i - 1
				continue
			}
			i, ok := index[normHeader(h)]
			if !ok {
				return l, &RowError{Line: 1, Column: h, Field: f, Message: fmt.Sprintf("the mapping puts %s in a column headed %q; the file has no such column", f, h)}
			}
			l.col[f] = i
			continue
		}
		for _, h := range p.Columns[f] {
			if i, ok := index[normHeader(h)]; ok {
				l.col[f] = i
				break
			}
		}
	}
	for _, f := range requiredFields[kind] {
		if f == FOrderNo && p.SynthOrderNo {
			continue
		}
		if _, ok := l.col[f]; !ok {
			want := strings.Join(p.Columns[f], " / ")
			if want == "" {
				want = f
			}
			return l, &RowError{Line: 1, Field: f, Message: fmt.Sprintf("no column for %s: the header needs one of %s, or a mapping that names the column", f, want)}
		}
	}
	return l, nil
}

func normHeader(s string) string {
	s = strings.TrimPrefix(s, "\ufeff")
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// get is the trimmed cell of field f, "" when the file lacks the column or
// the row is short.
func (l layout) get(rec []string, f string) string {
	i, ok := l.col[f]
	if !ok || i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

// has reports whether the file has a column for f.
func (l layout) has(f string) bool { _, ok := l.col[f]; return ok }

// column names field f's column for an error report: its header, or its number.
func (l layout) column(f string) string {
	i, ok := l.col[f]
	if !ok {
		return f
	}
	if i < len(l.header) && strings.TrimSpace(l.header[i]) != "" {
		return strings.TrimSpace(l.header[i])
	}
	return "#" + strconv.Itoa(i+1)
}
