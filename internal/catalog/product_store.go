package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/page"
)

// ErrSKUInUse refuses removing a SKU that still has stock or that orders
// refer to: its history would be lost.
var ErrSKUInUse = fmt.Errorf("SKU in use: %w", apperr.ErrConflict)

// ProductFilter selects products for ListProducts.
type ProductFilter struct {
	Query      string // every whitespace-separated term must occur in title, title_en, a SKU code or a category name
	CategoryID int64  // 0: any; otherwise this category and those below it
	Status     string
	Role       string
	page.Request
}

// CreateProduct adds a product with its SKUs, each with an empty stock row.
func (s *Service) CreateProduct(ctx context.Context, in ProductInput) (Product, error) {
	in = in.normalized()
	if in.Status == "" {
		in.Status = StatusDraft
	}
	if err := in.Validate(); err != nil {
		return Product{}, err
	}
	var out Product
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		ix, err := loadCategoryIndex(ctx, tx)
		if err != nil {
			return err
		}
		if err := checkProductRefs(ctx, tx, ix, 0, in); err != nil {
			return err
		}
		attrs, images := jsonText(in.Attributes, "{}"), jsonText(in.Images, "[]")
		now := s.now().UnixMilli()
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO products (title, title_en, category_id, role, status, description, attributes, images, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id`,
			in.Title, in.TitleEn, in.CategoryID, in.Role, in.Status, in.Description, attrs, images, now).Scan(&id); err != nil {
			return fmt.Errorf("create product %q: %w", in.Title, err)
		}
		for i, k := range in.SKUs {
			if err := insertSKU(ctx, tx, id, i, k, now); err != nil {
				return err
			}
		}
		if err := refreshSearchText(ctx, tx, ix, "p.id = $1", id); err != nil {
			return err
		}
		if out, err = getProduct(ctx, tx, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "product.create", "product", id, nil, out)
	})
	return out, err
}

// UpdateProduct replaces a product's fields and reconciles its SKUs by code:
// existing codes are updated, new ones added with empty stock, missing ones
// removed — unless they have stock or order lines (ErrSKUInUse).
func (s *Service) UpdateProduct(ctx context.Context, id int64, in ProductInput) (Product, error) {
	in = in.normalized()
	if err := in.Validate(); err != nil {
		return Product{}, err
	}
	var out Product
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		before, err := getProduct(ctx, tx, id)
		if err != nil {
			return err
		}
		if in.Status == "" {
			in.Status = before.Status
		}
		ix, err := loadCategoryIndex(ctx, tx)
		if err != nil {
			return err
		}
		if err := checkProductRefs(ctx, tx, ix, id, in); err != nil {
			return err
		}
		now := s.now().UnixMilli()
		if _, err := tx.Exec(ctx, `UPDATE products SET title = $1, title_en = $2, category_id = $3, role = $4, status = $5,
			description = $6, attributes = $7, images = $8, updated_at = $9 WHERE id = $10`,
			in.Title, in.TitleEn, in.CategoryID, in.Role, in.Status, in.Description,
			jsonText(in.Attributes, "{}"), jsonText(in.Images, "[]"), now, id); err != nil {
			return fmt.Errorf("update product %d: %w", id, err)
		}
		wanted := make(map[string]bool, len(in.SKUs))
		for _, k := range in.SKUs {
			wanted[k.Code] = true
		}
		existing := make(map[string]SKU, len(before.SKUs))
		for _, k := range before.SKUs {
			existing[k.Code] = k
			if !wanted[k.Code] {
				if err := removeSKU(ctx, tx, k, now); err != nil {
					return err
				}
			}
		}
		for i, k := range in.SKUs {
			old, ok := existing[k.Code]
			if !ok {
				if err := insertSKU(ctx, tx, id, i, k, now); err != nil {
					return err
				}
				continue
			}
			if _, err := tx.Exec(ctx, `UPDATE skus SET spec = $1, attributes = $2, list_price = $3, cost_price = $4,
				currency = $5, barcode = $6, weight_g = $7, updated_at = $8 WHERE id = $9`,
				k.Spec, jsonText(k.Attributes, "{}"), k.ListPrice, k.CostPrice, k.Currency, k.Barcode, k.WeightG, now, old.ID); err != nil {
				return fmt.Errorf("update SKU %s: %w", k.Code, err)
			}
		}
		codes := make([]string, len(in.SKUs))
		for i, k := range in.SKUs {
			codes[i] = k.Code
		}
		if err := checkMemberPricesUnderList(ctx, tx, id, codes); err != nil {
			return err
		}
		if err := refreshSearchText(ctx, tx, ix, "p.id = $1", id); err != nil {
			return err
		}
		if out, err = getProduct(ctx, tx, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "product.update", "product", id, before, out)
	})
	return out, err
}

// SetStatus puts a product on sale, takes it off the shelf, or back to draft.
func (s *Service) SetStatus(ctx context.Context, id int64, status string) error {
	if !ValidStatus(status) {
		return apperr.Field("status", "must be draft, on_sale or off_shelf, not %q", status)
	}
	return s.DB.InTx(ctx, func(tx *db.Tx) error {
		var before string
		if err := tx.QueryRow(ctx, `SELECT status FROM products WHERE id = $1`, id).Scan(&before); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("product %d: %w", id, apperr.ErrNotFound)
			}
			return fmt.Errorf("product %d: %w", id, err)
		}
		if before == status {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE products SET status = $1, updated_at = $2 WHERE id = $3`, status, s.now().UnixMilli(), id); err != nil {
			return fmt.Errorf("set status of product %d: %w", id, err)
		}
		type st struct {
			Status string `json:"status"`
		}
		return audit.Record(ctx, tx, "product.status", "product", id, st{before}, st{status})
	})
}

// GetProduct returns a product with its SKUs and their stock.
func (s *Service) GetProduct(ctx context.Context, id int64) (Product, error) {
	return getProduct(ctx, s.DB, id)
}

// ListProducts returns a page of products, newest first, with their SKUs,
// and the cursor of the next page ("" after the last).
func (s *Service) ListProducts(ctx context.Context, f ProductFilter) ([]Product, string, error) {
	if f.Status != "" && !ValidStatus(f.Status) {
		return nil, "", apperr.Field("status", "must be draft, on_sale or off_shelf, not %q", f.Status)
	}
	if f.Role != "" && !ValidRole(f.Role) {
		return nil, "", apperr.Field("role", "must be traffic, profit or longtail, not %q", f.Role)
	}
	if f.Limit <= 0 || f.Limit > page.MaxLimit {
		f.Limit = page.DefaultLimit
	}
	var conds []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Status != "" {
		conds = append(conds, "p.status = "+arg(f.Status))
	}
	if f.Role != "" {
		conds = append(conds, "p.role = "+arg(f.Role))
	}
	if f.CategoryID != 0 {
		conds = append(conds, `p.category_id IN (WITH RECURSIVE sub(id) AS (
			SELECT CAST(`+arg(f.CategoryID)+` AS BIGINT)
			UNION ALL SELECT c.id FROM categories c JOIN sub ON c.parent_id = sub.id) SELECT id FROM sub)`)
	}
	if f.After > 0 {
		conds = append(conds, "p.id < "+arg(f.After))
	}
	var match string
	if match, args = db.MatchAll(f.Query, args, "p.search_text"); match != "" {
		conds = append(conds, match)
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	out, err := queryProducts(ctx, s.DB, where+" ORDER BY p.id DESC LIMIT "+arg(f.Limit), args...)
	if err != nil {
		return nil, "", err
	}
	var last int64
	if len(out) > 0 {
		last = out[len(out)-1].ID
	}
	return out, page.Next(f.Request, len(out), last), nil
}

const productSelect = `SELECT p.id, p.title, p.title_en, p.category_id, COALESCE(c.name, ''), p.role, p.status,
	p.description, p.attributes, p.images, p.created_at, p.updated_at
	FROM products p LEFT JOIN categories c ON c.id = p.category_id`

func getProduct(ctx context.Context, q db.Queryer, id int64) (Product, error) {
	ps, err := queryProducts(ctx, q, " WHERE p.id = $1", id)
	if err != nil {
		return Product{}, err
	}
	if len(ps) == 0 {
		return Product{}, fmt.Errorf("product %d: %w", id, apperr.ErrNotFound)
	}
	return ps[0], nil
}

// queryProducts runs productSelect with the rest of a query and attaches
// each product's SKUs with one more query.
func queryProducts(ctx context.Context, q db.Queryer, rest string, args ...any) ([]Product, error) {
	rows, err := q.Query(ctx, productSelect+rest, args...)
	if err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	var out []Product
	for rows.Next() {
		var p Product
		var cat sql.NullInt64
		var attrs, images string
		var created, updated int64
		if err := rows.Scan(&p.ID, &p.Title, &p.TitleEn, &cat, &p.CategoryName, &p.Role, &p.Status,
			&p.Description, &attrs, &images, &created, &updated); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list products: %w", err)
		}
		if cat.Valid {
			p.CategoryID = &cat.Int64
		}
		var err error
		if p.Attributes, err = decodeAttributes(attrs); err == nil {
			p.Images, err = decodeImages(images)
		}
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("product %d: %w", p.ID, err)
		}
		p.CreatedAt, p.UpdatedAt = fromMillis(created), fromMillis(updated)
		p.SKUs = []SKU{}
		out = append(out, p)
	}
	// Close before the next query: pgx runs one statement per connection at a time.
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	ids := make([]int64, len(out))
	at := make(map[int64]int, len(out))
	for i, p := range out {
		ids[i], at[p.ID] = p.ID, i
	}
	list, kargs := idList(ids, nil)
	krows, err := q.Query(ctx, `SELECT k.id, k.product_id, k.code, k.spec, k.attributes, k.list_price, k.cost_price,
		k.currency, k.barcode, k.weight_g, COALESCE(st.on_hand, 0), COALESCE(st.reserved, 0)
		FROM skus k LEFT JOIN stock st ON st.sku_id = k.id
		WHERE k.product_id IN (`+list+`) ORDER BY k.product_id, k.id`, kargs...)
	if err != nil {
		return nil, fmt.Errorf("list SKUs: %w", err)
	}
	defer krows.Close()
	for krows.Next() {
		var k SKU
		var attrs string
		if err := krows.Scan(&k.ID, &k.ProductID, &k.Code, &k.Spec, &attrs, &k.ListPrice, &k.CostPrice,
			&k.Currency, &k.Barcode, &k.WeightG, &k.OnHand, &k.Reserved); err != nil {
			return nil, fmt.Errorf("list SKUs: %w", err)
		}
		var err error
		if k.Attributes, err = decodeAttributes(attrs); err != nil {
			return nil, fmt.Errorf("SKU %s: %w", k.Code, err)
		}
		k.Available = k.OnHand - k.Reserved
		k.MemberPrices = MemberPrices{}
		p := &out[at[k.ProductID]]
		p.SKUs = append(p.SKUs, k)
	}
	if err := krows.Err(); err != nil {
		return nil, fmt.Errorf("list SKUs: %w", err)
	}
	krows.Close()
	mp, err := memberPricesOf(ctx, q, "k.product_id IN ("+list+")", kargs...)
	if err != nil {
		return nil, err
	}
	for i := range out {
		for j := range out[i].SKUs {
			if m, ok := mp[out[i].SKUs[j].ID]; ok {
				out[i].SKUs[j].MemberPrices = m
			}
		}
	}
	return out, nil
}

// checkProductRefs checks what validation without the database cannot: the
// category exists and no other product uses one of the SKU codes.
func checkProductRefs(ctx context.Context, q db.Queryer, ix categoryIndex, productID int64, in ProductInput) error {
	if in.CategoryID != nil {
		if _, ok := ix[*in.CategoryID]; !ok {
			return apperr.Field("category_id", "category %d does not exist", *in.CategoryID)
		}
	}
	for i, k := range in.SKUs {
		var owner int64
		err := q.QueryRow(ctx, `SELECT product_id FROM skus WHERE code = $1`, k.Code).Scan(&owner)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("check SKU code %s: %w", k.Code, err)
		case owner != productID:
			return apperr.Field(fmt.Sprintf("skus[%d].code", i), "%q is already used by product %d; SKU codes are unique across the shop", k.Code, owner)
		}
	}
	return nil
}

// insertSKU adds a SKU and its stock row; inventory then keeps the stock.
func insertSKU(ctx context.Context, tx *db.Tx, productID int64, i int, k SKUInput, now int64) error {
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO skus (product_id, code, spec, attributes, list_price, cost_price, currency, barcode, weight_g, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id`,
		productID, k.Code, k.Spec, jsonText(k.Attributes, "{}"), k.ListPrice, k.CostPrice, k.Currency, k.Barcode, k.WeightG, now).Scan(&id)
	if db.IsUniqueViolation(err) {
		// Another product took the code since checkProductRefs looked.
		return apperr.Field(fmt.Sprintf("skus[%d].code", i), "%q is already used by another product; SKU codes are unique across the shop", k.Code)
	}
	if err != nil {
		return fmt.Errorf("create SKU %s: %w", k.Code, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO stock (sku_id, on_hand, reserved, updated_at) VALUES ($1, 0, 0, $2)`, id, now); err != nil {
		return fmt.Errorf("create stock for SKU %s: %w", k.Code, err)
	}
	return nil
}

// removeSKU deletes a SKU that has no stock and no order lines. The empty
// stock row is locked first (a conditional UPDATE), so a receipt committed
// meanwhile cannot be deleted along with it.
func removeSKU(ctx context.Context, tx *db.Tx, k SKU, now int64) error {
	res, err := tx.Exec(ctx, `UPDATE stock SET updated_at = $1 WHERE sku_id = $2 AND on_hand = 0`, now, k.ID)
	if err != nil {
		return fmt.Errorf("remove SKU %s: %w", k.Code, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var onHand int64
		err := tx.QueryRow(ctx, `SELECT on_hand FROM stock WHERE sku_id = $1`, k.ID).Scan(&onHand)
		if err == nil {
			return fmt.Errorf("remove SKU %s: it has %d on hand; record a stocktake of 0 first, or keep the SKU: %w", k.Code, onHand, ErrSKUInUse)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("remove SKU %s: %w", k.Code, err)
		}
	}
	var ordered bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM order_lines WHERE sku_id = $1)`, k.ID).Scan(&ordered); err != nil {
		return fmt.Errorf("remove SKU %s: %w", k.Code, err)
	}
	if ordered {
		return fmt.Errorf("remove SKU %s: orders refer to it; keep it and take the product off the shelf instead: %w", k.Code, ErrSKUInUse)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM skus WHERE id = $1`, k.ID); err != nil {
		return fmt.Errorf("remove SKU %s: %w", k.Code, err)
	}
	return nil
}

// refreshSearchText rebuilds search_text for the products matching where
// (on products p), from their titles, SKU codes and category path in ix.
func refreshSearchText(ctx context.Context, tx *db.Tx, ix categoryIndex, where string, args ...any) error {
	type row struct {
		id, category   int64
		title, titleEn string
		codes          []string
	}
	rows, err := tx.Query(ctx, `SELECT p.id, COALESCE(p.category_id, 0), p.title, p.title_en FROM products p WHERE `+where+` ORDER BY p.id`, args...)
	if err != nil {
		return fmt.Errorf("search text: %w", err)
	}
	var ps []row
	at := map[int64]int{}
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.category, &r.title, &r.titleEn); err != nil {
			rows.Close()
			return fmt.Errorf("search text: %w", err)
		}
		at[r.id] = len(ps)
		ps = append(ps, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("search text: %w", err)
	}
	if len(ps) == 0 {
		return nil
	}
	krows, err := tx.Query(ctx, `SELECT k.product_id, k.code FROM skus k JOIN products p ON p.id = k.product_id WHERE `+where+` ORDER BY k.product_id, k.id`, args...)
	if err != nil {
		return fmt.Errorf("search text: %w", err)
	}
	for krows.Next() {
		var pid int64
		var code string
		if err := krows.Scan(&pid, &code); err != nil {
			krows.Close()
			return fmt.Errorf("search text: %w", err)
		}
		ps[at[pid]].codes = append(ps[at[pid]].codes, code)
	}
	krows.Close()
	if err := krows.Err(); err != nil {
		return fmt.Errorf("search text: %w", err)
	}
	for _, p := range ps {
		var names []string
		for _, c := range ix.path(p.category) {
			names = append(names, c.Name, c.NameEn)
		}
		text := SearchText(p.title, p.titleEn, p.codes, names)
		if _, err := tx.Exec(ctx, `UPDATE products SET search_text = $1 WHERE id = $2`, text, p.id); err != nil {
			return fmt.Errorf("search text of product %d: %w", p.id, err)
		}
	}
	return nil
}

func jsonText(v any, empty string) string {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return empty
	}
	return string(b)
}

func decodeAttributes(s string) (map[string]string, error) {
	m := map[string]string{}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("attributes: %w", err)
	}
	if m == nil { // the column held JSON null
		m = map[string]string{}
	}
	return m, nil
}

func decodeImages(s string) ([]string, error) {
	l := []string{}
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		return nil, fmt.Errorf("images: %w", err)
	}
	if l == nil {
		l = []string{}
	}
	return l, nil
}
