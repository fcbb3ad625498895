package importer

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/inventory"
)

// record is one row of a customers, products or stock file, validated.
type record struct {
	line  int
	key   string // external id or SKU code: what makes a re-import a no-op
	cells map[string]string
	money map[string]int64
	n     int64 // on_hand
	ms    int64 // created_at, unix ms, 0 when not given
}

// records imports customers, products or stock levels: one row, one record.
func (w *writer) records(rows Rows, lay layout, kind Kind) error {
	var chunk []record
	seen := map[string]int{}
	count := 0
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		last := int64(chunk[len(chunk)-1].line)
		err := w.commit(last, func(q db.Queryer) (counts, map[string]skuRef, error) {
			switch kind {
			case KindCustomers:
				return w.planCustomers(q, chunk)
			case KindProducts:
				return w.planProducts(q, chunk)
			default:
				return w.planStock(q, chunk)
			}
		})
		chunk = chunk[:0]
		return err
	}
	for {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		rec, err := rows.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var re *RowError
		if errors.As(err, &re) {
			w.errs.add(re)
			continue
		}
		if err != nil {
			return err
		}
		count++
		w.rep.Rows = int64(count)
		r, ok := w.parseRecord(rec, rows.Line(), lay, kind)
		if ok {
			if first, dup := seen[r.key]; dup {
				f := FCustomerRef
				if kind != KindCustomers {
					f = FSKU
				}
				w.errs.add(&RowError{Line: r.line, Column: lay.column(f), Field: f,
					Message: fmt.Sprintf("%s appears again: it was on line %d already", r.key, first)})
				ok = false
			} else {
				seen[r.key] = r.line
			}
		}
		if !ok {
			if w.job != nil {
				return fmt.Errorf("line %d: %w", rows.Line(), errFileChanged)
			}
			continue
		}
		chunk = append(chunk, r)
		if len(chunk) >= w.s.chunkRows() {
			if err := flush(); err != nil {
				return err
			}
			w.report()
		}
	}
	err := flush()
	w.report()
	return err
}

func (w *writer) parseRecord(rec []string, ln int, lay layout, kind Kind) (record, bool) {
	r := record{line: ln, cells: map[string]string{}, money: map[string]int64{}}
	ok := true
	fail := func(f, format string, args ...any) {
		w.errs.add(&RowError{Line: ln, Column: lay.column(f), Field: f, Message: fmt.Sprintf(format, args...)})
		ok = false
	}
	for _, f := range KindFields[kind] {
		r.cells[f] = lay.get(rec, f)
	}
	for _, f := range requiredFields[kind] {
		if r.cells[f] == "" {
			fail(f, "empty: a %s row needs %s", strings.TrimSuffix(string(kind), "s"), f)
		}
	}
	switch kind {
	case KindCustomers:
		if r.cells[FCustomerRef] != "" {
			r.key = w.p.Prefix + r.cells[FCustomerRef]
		}
		r.cells[FPhone] = customer.NormalizePhone(r.cells[FPhone])
		if e := r.cells[FEmail]; e != "" && !customer.ValidEmail(e) {
			fail(FEmail, "%q is not an email address", e)
		}
		switch g := strings.ToLower(r.cells[FGender]); g {
		case "", "female", "male", "other":
			r.cells[FGender] = g
		case "女", "f":
			r.cells[FGender] = customer.GenderFemale
		case "男", "m":
			r.cells[FGender] = customer.GenderMale
		case "其他", "未知":
			r.cells[FGender] = customer.GenderOther
		default:
			fail(FGender, "%q is not a gender; use 男/女/其他 or male/female/other", r.cells[FGender])
		}
		if s := r.cells[FCreatedAt]; s != "" {
			t, good := parseTime(s, w.st.Location())
			if !good || !validTime(t) {
				fail(FCreatedAt, "%q is not a date such as 2024-03-08", s)
			}
			r.ms = t.UnixMilli()
		}
	case KindProducts, KindStock:
		r.key = r.cells[FSKU]
		if len(r.key) > 64 {
			fail(FSKU, "a SKU code of %d characters; at most 64", len(r.key))
		}
		for _, f := range []string{FPrice, FCost} {
			if s := r.cells[f]; s != "" {
				v, err := ParseMoney(s)
				if err != nil {
					fail(f, "%q is not an amount such as 12.50 (no more than two decimals, not negative)", s)
				}
				r.money[f] = v
			}
		}
		if c := r.cells[FCurrency]; c != "" && len(c) != 3 {
			fail(FCurrency, "%q is not a three-letter currency code such as CNY", c)
		}
		if s := r.cells[FOnHand]; kind == KindStock && s != "" {
			n, good := parseQuantity(s)
			if !good {
				fail(FOnHand, "%q is not a whole number of units (0 or more)", s)
			}
			r.n = n
		}
	}
	return r, ok
}

func (w *writer) planCustomers(q db.Queryer, chunk []record) (counts, map[string]skuRef, error) {
	ctx := w.ctx
	var c counts
	keys := make([]string, len(chunk))
	for i, r := range chunk {
		keys[i] = r.key
	}
	existing, err := lookup(ctx, q, "customers", "external_id", keys)
	if err != nil {
		return c, nil, err
	}
	now := w.s.now().UnixMilli()
	var args []any
	for _, r := range chunk {
		if _, ok := existing[r.key]; ok {
			c.skipped++
			continue
		}
		c.customers++
		created := r.ms
		if created == 0 {
			created = now
		}
		v := r.cells
		args = append(args, r.key, v[FCustomerName], v[FPhone], v[FEmail], w.p.Channel, v[FNote], v[FGender], v[FBirthday],
			customerSearch(v[FCustomerName], v[FPhone], v[FEmail]), created, now)
	}
	if w.job != nil && len(args) > 0 {
		if err := insertRows(ctx, q, "customers", customerCols, args); err != nil {
			return c, nil, err
		}
	}
	return c, nil, nil
}

func (w *writer) planProducts(q db.Queryer, chunk []record) (counts, map[string]skuRef, error) {
	ctx := w.ctx
	var c counts
	keys := make([]string, len(chunk))
	for i, r := range chunk {
		keys[i] = r.key
	}
	existing, err := lookupSKUs(ctx, q, keys)
	if err != nil {
		return c, nil, err
	}
	now := w.s.now().UnixMilli()
	for _, r := range chunk {
		if _, ok := existing[r.key]; ok {
			c.skipped++
			continue
		}
		c.products++
		if w.job == nil {
			continue
		}
		v := r.cells
		cur := strings.ToUpper(v[FCurrency])
		if cur == "" {
			cur = w.st.Currency
		}
		var pid, sid int64
		// Imported products start as drafts: someone adds images and puts
		// them on sale.
		err := q.QueryRow(ctx, `INSERT INTO products (title, status, search_text, created_at, updated_at)
			VALUES ($1, 'draft', $2, $3, $3) RETURNING id`,
			v[FTitle], catalog.SearchText(v[FTitle], "", []string{r.key}, nil), now).Scan(&pid)
		if err != nil {
			return c, nil, fmt.Errorf("line %d: create product: %w", r.line, err)
		}
		err = q.QueryRow(ctx, `INSERT INTO skus (product_id, code, spec, list_price, cost_price, currency, barcode, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`,
			pid, r.key, v[FSpec], r.money[FPrice], r.money[FCost], cur, v[FBarcode], now).Scan(&sid)
		if err != nil {
			return c, nil, fmt.Errorf("line %d: create SKU %s: %w", r.line, r.key, err)
		}
		if _, err := q.Exec(ctx, `INSERT INTO stock (sku_id, on_hand, reserved, updated_at) VALUES ($1, 0, 0, $2)`, sid, now); err != nil {
			return c, nil, fmt.Errorf("line %d: create stock of %s: %w", r.line, r.key, err)
		}
	}
	return c, nil, nil
}

// planStock sets each SKU's on-hand count as a stocktake (盘点) would: one
// movement of the difference; a SKU already at the count is left alone, so
// importing the same file again changes nothing.
func (w *writer) planStock(q db.Queryer, chunk []record) (counts, map[string]skuRef, error) {
	ctx := w.ctx
	var c counts
	keys := make([]string, len(chunk))
	for i, r := range chunk {
		keys[i] = r.key
	}
	skus, err := lookupSKUs(ctx, q, keys)
	if err != nil {
		return c, nil, err
	}
	now := w.s.now().UnixMilli()
	for _, r := range chunk {
		ref, ok := skus[r.key]
		if !ok {
			w.errs.add(&RowError{Line: r.line, Field: FSKU, Column: FSKU, Message: fmt.Sprintf("no SKU %s in the catalog; import products first", r.key)})
			if w.job != nil {
				return c, nil, fmt.Errorf("line %d: %w", r.line, errFileChanged)
			}
			continue
		}
		var onHand, reserved int64
		if err := q.QueryRow(ctx, `SELECT on_hand, reserved FROM stock WHERE sku_id = $1`, ref.sku).Scan(&onHand, &reserved); err != nil {
			return c, nil, fmt.Errorf("line %d: stock of %s: %w", r.line, r.key, err)
		}
		if r.n < reserved {
			w.errs.add(&RowError{Line: r.line, Field: FOnHand, Column: FOnHand,
				Message: fmt.Sprintf("%d on hand is fewer than the %d reserved for unshipped orders of %s", r.n, reserved, r.key)})
			if w.job != nil {
				return c, nil, fmt.Errorf("line %d: %w", r.line, errFileChanged)
			}
			continue
		}
		if r.n == onHand {
			c.skipped++
			continue
		}
		c.stock++
		if w.job == nil {
			continue
		}
		res, err := q.Exec(ctx, `UPDATE stock SET on_hand = $1, updated_at = $2 WHERE sku_id = $3 AND on_hand = $4 AND reserved <= $1`,
			r.n, now, ref.sku, onHand)
		if err != nil {
			return c, nil, fmt.Errorf("line %d: set stock of %s: %w", r.line, r.key, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return c, nil, fmt.Errorf("line %d: the stock of %s changed while importing; import again", r.line, r.key)
		}
		if _, err := q.Exec(ctx, `INSERT INTO stock_movements (sku_id, delta, reason, ref, note, actor, on_hand_after, at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, ref.sku, r.n-onHand, inventory.ReasonCount, fmt.Sprintf("import:%d", *w.job),
			"导入库存 imported stock level", audit.ActorFrom(ctx).Name, r.n, now); err != nil {
			return c, nil, fmt.Errorf("line %d: record movement of %s: %w", r.line, r.key, err)
		}
	}
	return c, nil, nil
}
