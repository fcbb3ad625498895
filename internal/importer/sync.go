package importer

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/settings"
	"github.com/storeops/storeops/internal/webhook"
)

// Order sync (订单自动同步): a connector to a marketplace pushes orders as
// they happen, in batches, and each is upserted by (source, external id) —
// the same key a file import of that platform writes ("taobao:2300…"), so
// history imported from a file and orders synced afterwards are one set.
// A batch sent again changes nothing; an order whose status moved on, or
// that was refunded, is updated and the change is announced to webhooks.
// Like an import, a synced order is sales history from another platform:
// it does not move this store's stock.

// MaxSyncOrders bounds a batch.
const MaxSyncOrders = 500

// SyncBatch is one push from a connector.
type SyncBatch struct {
	Source string      `json:"source" doc:"the platform, lower case: taobao, jd, douyin, shopify or your connector's name; external ids are stored as source:external_id"`
	Orders []SyncOrder `json:"orders" doc:"at most 500"`
}

// SyncOrder is an order as the platform has it now.
type SyncOrder struct {
	ExternalID    string       `json:"external_id" doc:"the platform's order number"`
	Status        string       `json:"status" doc:"pending_payment, paid, shipped, delivered, completed, cancelled or closed"`
	Customer      SyncCustomer `json:"customer"`
	Currency      string       `json:"currency" doc:"ISO 4217; empty: the store's currency"`
	CreatedAt     time.Time    `json:"created_at"`
	PaidAt        *time.Time   `json:"paid_at" doc:"when it was paid; default the order time"`
	ShippingFee   int64        `json:"shipping_fee" doc:"minor units (分)"`
	Total         *int64       `json:"total" doc:"what the buyer paid, minor units; default the lines plus shipping"`
	RefundedTotal int64        `json:"refunded_total" doc:"refunded so far, minor units; it only grows"`
	Carrier       string       `json:"carrier"`
	TrackingNo    string       `json:"tracking_no"`
	Lines         []SyncLine   `json:"lines" doc:"written when the order is first synced; later changes to lines are not applied (refunds go by refunded_total)"`
}

// SyncCustomer is the buyer on the platform.
type SyncCustomer struct {
	Ref   string `json:"ref" doc:"the platform's buyer id; empty: an order without a known customer"`
	Name  string `json:"name"`
	Phone string `json:"phone"`
	Email string `json:"email"`
}

// SyncLine is one item of an order.
type SyncLine struct {
	SKU       string `json:"sku" doc:"the SKU code (商家编码); a code the catalog lacks gets a placeholder product, off the shelf"`
	Title     string `json:"title"`
	Quantity  int64  `json:"quantity"`
	Price     int64  `json:"price" doc:"list price per item, minor units"`
	LineTotal *int64 `json:"line_total" doc:"what the buyer paid for the line; default price × quantity"`
}

// SyncResult is what a batch did, item by item in the order sent.
type SyncResult struct {
	Created   int        `json:"created"`
	Updated   int        `json:"updated"`
	Unchanged int        `json:"unchanged"`
	Failed    int        `json:"failed"`
	Items     []SyncItem `json:"items"`
}

// Outcomes of a synced order.
const (
	SyncCreated   = "created"
	SyncUpdated   = "updated"
	SyncUnchanged = "unchanged"
	SyncFailed    = "error"
)

// SyncItem is one order's outcome; Errors name the field at fault as a
// path into the batch, "orders[3].lines[0].quantity".
type SyncItem struct {
	Index      int         `json:"index"`
	ExternalID string      `json:"external_id"`
	Result     string      `json:"result" doc:"created, updated, unchanged or error"`
	OrderID    int64       `json:"order_id,omitempty"`
	Changes    []string    `json:"changes,omitempty" doc:"what an update changed: status, refunded_total, tracking"`
	Errors     []SyncError `json:"errors,omitempty"`
}

// SyncError is one thing wrong with an item.
type SyncError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

var sourceRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// CheckBatch says what is wrong with the batch as a whole.
func (b SyncBatch) CheckBatch() *SyncError {
	switch {
	case !sourceRE.MatchString(b.Source):
		return &SyncError{"source", fmt.Sprintf("%q is not a source: 1 to 32 lower-case letters, digits, - or _, starting with a letter (taobao, jd, douyin, shopify …)", b.Source)}
	case len(b.Orders) == 0:
		return &SyncError{"orders", "send at least one order"}
	case len(b.Orders) > MaxSyncOrders:
		return &SyncError{"orders", fmt.Sprintf("at most %d orders a batch (this has %d); split it", MaxSyncOrders, len(b.Orders))}
	}
	return nil
}

var syncStatuses = []string{"pending_payment", "paid", "shipped", "delivered", "completed", "cancelled", "closed"}

// CheckSyncOrder lists what is wrong with order i of a batch; now bounds
// its times.
func CheckSyncOrder(o SyncOrder, i int, now time.Time) []SyncError {
	var errs []SyncError
	at := func(field, format string, args ...any) {
		errs = append(errs, SyncError{fmt.Sprintf("orders[%d].%s", i, field), fmt.Sprintf(format, args...)})
	}
	text := func(field, v string, max int) {
		if utf8.RuneCountInString(v) > max {
			at(field, "at most %d characters", max)
		}
		if strings.ContainsFunc(v, unicode.IsControl) {
			at(field, "must not hold control characters")
		}
	}
	if strings.TrimSpace(o.ExternalID) == "" {
		at("external_id", "give the platform's order number")
	}
	text("external_id", o.ExternalID, 100)
	found := false
	for _, s := range syncStatuses {
		found = found || s == o.Status
	}
	if !found {
		at("status", "%q is not one of %s", o.Status, strings.Join(syncStatuses, ", "))
	}
	text("customer.ref", o.Customer.Ref, 100)
	text("customer.name", o.Customer.Name, 100)
	text("customer.phone", o.Customer.Phone, 32)
	text("customer.email", o.Customer.Email, 200)
	if o.Currency != "" && (len(o.Currency) != 3 || strings.ToUpper(o.Currency) != o.Currency) {
		at("currency", "%q is not a three-letter code such as CNY", o.Currency)
	}
	if o.CreatedAt.IsZero() {
		at("created_at", "give the time the order was placed (RFC 3339, e.g. 2026-06-18T20:15:00+08:00)")
	} else if o.CreatedAt.After(now.Add(24 * time.Hour)) {
		at("created_at", "%s is in the future", o.CreatedAt.Format(time.RFC3339))
	}
	if o.PaidAt != nil && !o.CreatedAt.IsZero() && o.PaidAt.Before(o.CreatedAt.Add(-time.Minute)) {
		at("paid_at", "is before the order was placed")
	}
	if o.ShippingFee < 0 || o.ShippingFee > maxLineAmount {
		at("shipping_fee", "must be from 0 to %s", minor(maxLineAmount))
	}
	if o.Total != nil && (*o.Total < 0 || *o.Total > maxLineAmount) {
		at("total", "must be from 0 to %s", minor(maxLineAmount))
	}
	text("carrier", o.Carrier, 50)
	text("tracking_no", o.TrackingNo, 64)
	if len(o.Lines) == 0 {
		at("lines", "an order needs at least one line")
	}
	if len(o.Lines) > 500 {
		at("lines", "at most 500 lines")
	}
	var sum int64
	for j, l := range o.Lines {
		lf := func(field, format string, args ...any) { at(fmt.Sprintf("lines[%d].%s", j, field), format, args...) }
		if strings.TrimSpace(l.SKU) == "" && strings.TrimSpace(l.Title) == "" {
			lf("sku", "give the SKU code or at least the title")
		}
		if len(l.SKU) > 64 {
			lf("sku", "at most 64 characters")
		}
		if utf8.RuneCountInString(l.Title) > 200 {
			lf("title", "at most 200 characters")
		}
		if l.Quantity <= 0 || l.Quantity > 1_000_000 {
			lf("quantity", "must be from 1 to 1000000, not %d", l.Quantity)
			continue
		}
		if l.Price < 0 || l.Price > maxLineAmount/l.Quantity {
			lf("price", "must be from 0 to %s per item", minor(maxLineAmount/l.Quantity))
			continue
		}
		if l.LineTotal != nil {
			if *l.LineTotal < 0 || *l.LineTotal > l.Price*l.Quantity {
				lf("line_total", "must be from 0 to price × quantity (%s)", minor(l.Price*l.Quantity))
				continue
			}
			sum += *l.LineTotal
		} else {
			sum += l.Price * l.Quantity
		}
	}
	total := sum + o.ShippingFee
	if o.Total != nil {
		total = *o.Total
	}
	if o.RefundedTotal < 0 || o.RefundedTotal > total {
		at("refunded_total", "must be from 0 to the order's total (%s)", minor(total))
	}
	return errs
}

// statusRank orders the statuses an order goes through; cancelled and
// closed end it.
func statusRank(s string) int {
	switch s {
	case "pending_payment":
		return 0
	case "paid":
		return 1
	case "shipped":
		return 2
	case "delivered":
		return 3
	case "completed":
		return 4
	}
	return 5
}

// SyncMove says whether an order the store has as from may become to by a
// sync: forward along pending → paid → shipped → delivered → completed, or
// to cancelled/closed from any status before those; never back (a batch
// that arrives late must not undo a newer one).
func SyncMove(from, to string) error {
	if from == to {
		return nil
	}
	if statusRank(from) == 5 {
		return fmt.Errorf("the order is %s here and cannot become %s", from, to)
	}
	if statusRank(to) < statusRank(from) {
		return fmt.Errorf("the order is %s here; %s would move it back (was this batch sent late?)", from, to)
	}
	return nil
}

// Sync upserts a batch of orders in one transaction. Items with errors are
// reported and skipped; the others are written. The error is for the batch
// as a whole (a *apperr.FieldError for a bad source) or the database.
func (s *Service) Sync(ctx context.Context, b SyncBatch) (SyncResult, error) {
	if e := b.CheckBatch(); e != nil {
		return SyncResult{}, apperr.Field(e.Field, "%s", e.Message)
	}
	now := s.now().UTC()
	res := SyncResult{Items: make([]SyncItem, len(b.Orders))}
	seen := map[string]int{}
	for i, o := range b.Orders {
		it := &res.Items[i]
		it.Index, it.ExternalID = i, o.ExternalID
		it.Errors = CheckSyncOrder(o, i, now)
		if j, dup := seen[o.ExternalID]; dup && o.ExternalID != "" {
			it.Errors = append(it.Errors, SyncError{fmt.Sprintf("orders[%d].external_id", i), fmt.Sprintf("the same order is orders[%d] of this batch", j)})
		}
		seen[o.ExternalID] = i
	}
	// What the checks found stays; what a run of write adds is redone when
	// the transaction runs again.
	checked := make([][]SyncError, len(res.Items))
	for i, it := range res.Items {
		checked[i] = it.Errors
	}
	write := func(tx *db.Tx) error {
		st, err := settings.Load(ctx, tx)
		if err != nil {
			return err
		}
		sy := &syncer{ctx: ctx, tx: tx, source: b.Source, st: st, now: now}
		for i := range b.Orders {
			it := &res.Items[i]
			it.Result, it.OrderID, it.Changes, it.Errors = SyncFailed, 0, nil, checked[i]
			if len(it.Errors) > 0 {
				continue
			}
			if err := sy.upsert(b.Orders[i], i, it); err != nil {
				return err
			}
		}
		res.Created, res.Updated, res.Unchanged, res.Failed = 0, 0, 0, 0
		for _, it := range res.Items {
			switch it.Result {
			case SyncCreated:
				res.Created++
			case SyncUpdated:
				res.Updated++
			case SyncUnchanged:
				res.Unchanged++
			default:
				res.Failed++
			}
		}
		if res.Created+res.Updated == 0 {
			return nil
		}
		return audit.Record(ctx, tx, "order.sync", "order_sync", b.Source, nil, map[string]any{
			"source": b.Source, "created": res.Created, "updated": res.Updated, "unchanged": res.Unchanged, "failed": res.Failed})
	}
	err := s.DB.InTx(ctx, write)
	if db.IsUniqueViolation(err) {
		// Two syncs created the same customer or placeholder SKU at once
		// and this one lost; a batch is idempotent, so it simply runs
		// again and finds them.
		err = s.DB.InTx(ctx, write)
	}
	return res, err
}

type syncer struct {
	ctx    context.Context
	tx     *db.Tx
	source string
	st     settings.Store
	now    time.Time
}

type storedOrder struct {
	id                  int64
	no, status, channel string
	currency            string
	customerID          sql.NullInt64
	total, refunded     int64
	carrier, trackingNo string
	paidAt              sql.NullInt64
}

func (sy *syncer) find(ext string) (storedOrder, bool, error) {
	var o storedOrder
	err := sy.tx.QueryRow(sy.ctx, `SELECT id, order_no, status, channel, currency, customer_id, total, refunded_total, carrier, tracking_no, paid_at
		FROM orders WHERE external_id = $1`, ext).Scan(&o.id, &o.no, &o.status, &o.channel, &o.currency, &o.customerID, &o.total, &o.refunded,
		&o.carrier, &o.trackingNo, &o.paidAt)
	if db.IsNoRows(err) {
		return o, false, nil
	}
	if err != nil {
		return o, false, fmt.Errorf("sync order %s: %w", ext, err)
	}
	return o, true, nil
}

func (sy *syncer) upsert(in SyncOrder, i int, it *SyncItem) error {
	ext := sy.source + ":" + strings.TrimSpace(in.ExternalID)
	cur, ok, err := sy.find(ext)
	if err != nil {
		return err
	}
	if !ok {
		created, err := sy.create(in, ext, it)
		if err != nil || created {
			return err
		}
		// Another sync wrote it meanwhile: update it as it stands.
		if cur, _, err = sy.find(ext); err != nil {
			return err
		}
	}
	return sy.update(in, i, cur, it)
}

// create writes a new order with its customer, lines and any refund, with
// the importer's rules for money and placeholder products. false: the
// order was there already (a concurrent sync).
func (sy *syncer) create(in SyncOrder, ext string, it *SyncItem) (bool, error) {
	ctx, q := sy.ctx, sy.tx
	nowMS := sy.now.UnixMilli()
	// The order number is the external id too; one taken by an order of
	// another key (a checkout's SO… cannot be, but a hand-made one could)
	// is reported, not left to fail the batch's transaction.
	var taken int64
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM orders WHERE order_no = $1 AND (external_id IS NULL OR external_id <> $1)`, ext).Scan(&taken); err != nil {
		return false, fmt.Errorf("sync order %s: %w", ext, err)
	}
	if taken > 0 {
		it.Errors = append(it.Errors, SyncError{fmt.Sprintf("orders[%d].external_id", it.Index), "the store has another order numbered " + ext})
		return true, nil
	}
	var custID any
	if ref := strings.TrimSpace(in.Customer.Ref); ref != "" {
		key := sy.source + ":" + ref
		var id int64
		err := q.QueryRow(ctx, `INSERT INTO customers (external_id, name, phone, email, source_channel, note, gender, birthday, search_text, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, '', '', '', $6, $7, $8) ON CONFLICT (external_id) DO NOTHING RETURNING id`,
			key, strings.TrimSpace(in.Customer.Name), strings.TrimSpace(in.Customer.Phone), strings.TrimSpace(in.Customer.Email), sy.source,
			customerSearch(in.Customer.Name, in.Customer.Phone, in.Customer.Email), in.CreatedAt.UnixMilli(), nowMS).Scan(&id)
		if db.IsNoRows(err) {
			err = q.QueryRow(ctx, `SELECT id FROM customers WHERE external_id = $1`, key).Scan(&id)
		}
		if err != nil {
			return false, fmt.Errorf("sync order %s: customer %s: %w", ext, key, err)
		}
		custID = id
	}

	o := &order{externalID: ext, status: in.Status, currency: in.Currency, createdAt: in.CreatedAt, shipping: in.ShippingFee}
	if in.PaidAt != nil {
		o.paidAt = *in.PaidAt
	}
	if o.currency == "" {
		o.currency = sy.st.Currency
	}
	if in.Total != nil {
		o.total, o.totalGiven = *in.Total, true
	}
	for _, l := range in.Lines {
		ln := line{title: strings.TrimSpace(l.Title), sku: strings.TrimSpace(l.SKU), qty: l.Quantity, listPrice: l.Price, gross: l.Price * l.Quantity}
		ln.total = ln.gross
		if l.LineTotal != nil {
			ln.total = *l.LineTotal
		}
		ln.discount = ln.gross - ln.total
		if ln.sku == "" {
			ln.sku = placeholderCode(ln.title)
		}
		if ln.title == "" {
			ln.title = ln.sku
		}
		o.lines = append(o.lines, ln)
	}
	var codes []string
	for _, l := range o.lines {
		codes = append(codes, l.sku)
	}
	skus, err := lookupSKUs(ctx, q, codes)
	if err != nil {
		return false, err
	}
	for i := range o.lines {
		l := &o.lines[i]
		if _, ok := skus[l.sku]; ok {
			continue
		}
		ref, err := createPlaceholder(ctx, q, l.sku, l, o.currency, nowMS)
		if err != nil {
			return false, err
		}
		skus[l.sku] = ref
	}

	items, discount, shipping, total := o.settle()
	var paidAt, paidDay, cancelledAt any
	switch {
	case isPaid(o.status):
		paidAt, paidDay = o.paidTime().UnixMilli(), o.paidDay(sy.st.Location())
	case o.status == "cancelled" || o.status == "closed":
		cancelledAt = nowMS
	}
	var id int64
	err = q.QueryRow(ctx, `INSERT INTO orders (order_no, external_id, customer_id, channel, status, currency, items_total, discount_total,
			shipping_fee, total, refunded_total, carrier, tracking_no, created_at, paid_at, paid_day, cancelled_at, updated_at)
		VALUES ($1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) ON CONFLICT (external_id) DO NOTHING RETURNING id`,
		ext, custID, sy.source, o.status, o.currency, items, discount, shipping, total, in.RefundedTotal,
		strings.TrimSpace(in.Carrier), strings.TrimSpace(in.TrackingNo), in.CreatedAt.UnixMilli(), paidAt, paidDay, cancelledAt, nowMS).Scan(&id)
	if db.IsNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sync order %s: %w", ext, err)
	}
	for _, l := range o.lines {
		ref := skus[l.sku]
		if _, err := q.Exec(ctx, `INSERT INTO order_lines (order_id, sku_id, product_id, title, quantity, list_price, unit_price, discount, line_total)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, id, ref.sku, ref.product, l.title, l.qty, l.listPrice, l.total/l.qty, l.discount, l.total); err != nil {
			return false, fmt.Errorf("sync order %s: lines: %w", ext, err)
		}
	}
	if in.RefundedTotal > 0 {
		if err := sy.refund(id, in.RefundedTotal); err != nil {
			return false, err
		}
	}
	if id, ok := custID.(int64); ok && isPaid(o.status) {
		if err := notePaid(ctx, q, []*order{o}, map[string]int64{"": id}, sy.st.Location()); err != nil {
			return false, err
		}
	}
	it.Result, it.OrderID = SyncCreated, id
	data := webhook.OrderData{ID: id, OrderNo: ext, ExternalID: ext, Status: o.status, Action: "sync", Channel: sy.source,
		Currency: o.currency, Total: total, RefundedTotal: in.RefundedTotal, Carrier: strings.TrimSpace(in.Carrier),
		TrackingNo: strings.TrimSpace(in.TrackingNo), At: sy.now}
	if c, ok := custID.(int64); ok {
		data.CustomerID = c
	}
	if typ := webhook.OrderEvent(o.status); typ != "" {
		if err := webhook.Emit(ctx, q, typ, data); err != nil {
			return false, err
		}
	}
	if in.RefundedTotal > 0 {
		data.Refunded = in.RefundedTotal
		return true, webhook.Emit(ctx, q, webhook.OrderRefunded, data)
	}
	return true, nil
}

func (sy *syncer) refund(orderID, amount int64) error {
	if _, err := sy.tx.Exec(sy.ctx, `INSERT INTO refunds (order_id, amount, reason, refunded_at, refunded_day) VALUES ($1, $2, $3, $4, $5)`,
		orderID, amount, "synced from "+sy.source, sy.now.UnixMilli(), settings.Day(sy.now, sy.st.Location())); err != nil {
		return fmt.Errorf("sync refund of order %d: %w", orderID, err)
	}
	return nil
}

// syncActions names a status reached by sync as the order timeline's
// action that leads there.
var syncActions = map[string]string{"paid": "pay", "shipped": "ship", "delivered": "deliver", "completed": "complete",
	"cancelled": "cancel", "closed": "close"}

// update applies what changed on the platform: a status further along,
// more refunded, a tracking number. Anything else about a stored order
// stays as first written.
func (sy *syncer) update(in SyncOrder, i int, cur storedOrder, it *SyncItem) error {
	ctx, q := sy.ctx, sy.tx
	it.OrderID = cur.id
	if err := SyncMove(cur.status, in.Status); err != nil {
		it.Errors = append(it.Errors, SyncError{fmt.Sprintf("orders[%d].status", i), err.Error()})
		return nil
	}
	if in.RefundedTotal < cur.refunded {
		it.Errors = append(it.Errors, SyncError{fmt.Sprintf("orders[%d].refunded_total", i),
			fmt.Sprintf("%s is refunded here already; a refund cannot be taken back", minor(cur.refunded))})
		return nil
	}
	if in.RefundedTotal > cur.total {
		it.Errors = append(it.Errors, SyncError{fmt.Sprintf("orders[%d].refunded_total", i), fmt.Sprintf("more than the order's total (%s)", minor(cur.total))})
		return nil
	}
	nowMS := sy.now.UnixMilli()
	carrier, tracking := strings.TrimSpace(in.Carrier), strings.TrimSpace(in.TrackingNo)
	data := webhook.OrderData{ID: cur.id, OrderNo: cur.no, Status: in.Status, PreviousStatus: cur.status, Action: "sync",
		Channel: cur.channel, Currency: cur.currency, Total: cur.total, RefundedTotal: in.RefundedTotal, Carrier: cur.carrier,
		TrackingNo: cur.trackingNo, At: sy.now, ExternalID: sy.source + ":" + strings.TrimSpace(in.ExternalID)}
	if cur.customerID.Valid {
		data.CustomerID = cur.customerID.Int64
	}
	if tracking != "" && (carrier != cur.carrier || tracking != cur.trackingNo) {
		if _, err := q.Exec(ctx, `UPDATE orders SET carrier = $1, tracking_no = $2, updated_at = $3 WHERE id = $4`, carrier, tracking, nowMS, cur.id); err != nil {
			return fmt.Errorf("sync order %s: %w", cur.no, err)
		}
		data.Carrier, data.TrackingNo = carrier, tracking
		it.Changes = append(it.Changes, "tracking")
	}
	if in.Status != cur.status {
		set := "status = $1, updated_at = $2"
		args := []any{in.Status, nowMS, cur.id}
		if isPaid(in.Status) && !cur.paidAt.Valid {
			t := sy.now
			if in.PaidAt != nil {
				t = *in.PaidAt
			}
			set += ", paid_at = $4, paid_day = $5"
			args = append(args, t.UnixMilli(), settings.Day(t, sy.st.Location()))
		}
		switch in.Status {
		case "shipped":
			set += ", shipped_at = $2"
		case "delivered":
			set += ", delivered_at = $2"
		case "completed":
			set += ", completed_at = $2"
		case "cancelled", "closed":
			set += ", cancelled_at = $2"
		}
		if _, err := q.Exec(ctx, `UPDATE orders SET `+set+` WHERE id = $3`, args...); err != nil {
			return fmt.Errorf("sync order %s: %w", cur.no, err)
		}
		actor := audit.ActorFrom(ctx)
		var actorID any
		if actor.ID != 0 {
			actorID = actor.ID
		}
		if _, err := q.Exec(ctx, `INSERT INTO order_events (order_id, at, action, from_status, to_status, actor_kind, actor_id, actor_name, note)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, cur.id, nowMS, syncActions[in.Status], cur.status, in.Status,
			actor.Kind, actorID, actor.Name, "synced from "+sy.source); err != nil {
			return fmt.Errorf("sync order %s: %w", cur.no, err)
		}
		if isPaid(in.Status) && !cur.paidAt.Valid && cur.customerID.Valid {
			if _, err := q.Exec(ctx, `UPDATE customers SET first_paid_day = (SELECT MIN(o.paid_day) FROM orders o
				WHERE o.customer_id = customers.id AND o.paid_day IS NOT NULL) WHERE id = $1`, cur.customerID.Int64); err != nil {
				return fmt.Errorf("sync order %s: %w", cur.no, err)
			}
		}
		it.Changes = append(it.Changes, "status")
		if err := webhook.Emit(ctx, q, webhook.OrderEvent(in.Status), data); err != nil {
			return err
		}
	}
	if more := in.RefundedTotal - cur.refunded; more > 0 {
		if err := sy.refund(cur.id, more); err != nil {
			return err
		}
		if _, err := q.Exec(ctx, `UPDATE orders SET refunded_total = $1, updated_at = $2 WHERE id = $3`, in.RefundedTotal, nowMS, cur.id); err != nil {
			return fmt.Errorf("sync order %s: %w", cur.no, err)
		}
		it.Changes = append(it.Changes, "refunded_total")
		data.Refunded = more
		if err := webhook.Emit(ctx, q, webhook.OrderRefunded, data); err != nil {
			return err
		}
	}
	it.Result = SyncUnchanged
	if len(it.Changes) > 0 {
		it.Result = SyncUpdated
	}
	return nil
}
