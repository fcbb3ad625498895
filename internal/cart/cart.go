// Package cart keeps shopping carts (购物车) for guests, found by a cart
// token, and for signed-in customers. A cart holds no stock: availability
// is decided at checkout, by the order's reservation, never here.
package cart

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/order/price"
)

// GuestCartTTL is how long an untouched guest cart is kept.
const GuestCartTTL = 30 * 24 * time.Hour

// Service is the carts over a database, priced by Pricer.
type Service struct {
	DB     *db.DB
	Pricer price.Pricer
	Now    func() time.Time // nil: the wall clock
}

// Owner says whose cart: a customer's (CustomerID > 0) or a guest's
// (Token, "" for a guest who has none yet).
type Owner struct {
	CustomerID int64
	Token      string
}

// View is a cart as the buyer sees it, priced now. Token is set only when
// the call created a guest cart: the client keeps it and sends it back.
type View struct {
	Token      string   `json:"token,omitempty"`
	Items      []Item   `json:"items"`
	Currency   string   `json:"currency"`
	ItemsTotal int64    `json:"items_total"`
	Discount   int64    `json:"discount_total"`
	Total      int64    `json:"total"`
	Notes      []string `json:"notes"`
	// PointsOffer is what the buyer's points can take off the cart
	// (checkout with points = its usable); nil for a guest.
	PointsOffer *price.PointsOffer `json:"points_offer,omitempty"`
}

// Item is one line of a cart. Available is false when the product is no
// longer on sale; such a line is left out of the totals and of checkout.
type Item struct {
	SKUID     int64     `json:"sku_id"`
	ProductID int64     `json:"product_id"`
	Code      string    `json:"code"`
	Title     string    `json:"title"`
	Spec      string    `json:"spec"`
	Quantity  int64     `json:"quantity"`
	ListPrice int64     `json:"list_price"`
	UnitPrice int64     `json:"unit_price"`
	Discount  int64     `json:"discount"`
	Total     int64     `json:"total"`
	Available bool      `json:"available"`
	AddedAt   time.Time `json:"added_at"`
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// HashToken is how a guest cart token is stored.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func newToken() string {
	var b [24]byte
	rand.Read(b[:])
	return "ct_" + base64.RawURLEncoding.EncodeToString(b[:])
}

// find returns the owner's cart id, 0 when there is none.
func find(ctx context.Context, q db.Queryer, o Owner) (int64, error) {
	var id int64
	var err error
	switch {
	case o.CustomerID > 0:
		err = q.QueryRow(ctx, `SELECT id FROM carts WHERE customer_id = $1`, o.CustomerID).Scan(&id)
	case o.Token != "":
		err = q.QueryRow(ctx, `SELECT id FROM carts WHERE token_hash = $1`, HashToken(o.Token)).Scan(&id)
	default:
		return 0, nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("find cart: %w", err)
	}
	return id, nil
}

// ensure returns the owner's cart, creating it; token is the new guest
// token when one was made.
func (s *Service) ensure(ctx context.Context, tx *db.Tx, o Owner) (id int64, token string, err error) {
	if id, err = find(ctx, tx, o); err != nil || id > 0 {
		return id, "", err
	}
	now := s.now().UnixMilli()
	if o.CustomerID > 0 {
		err = tx.QueryRow(ctx, `INSERT INTO carts (customer_id, created_at, updated_at) VALUES ($1, $2, $2) RETURNING id`, o.CustomerID, now).Scan(&id)
	} else {
		// An unknown or expired token gets a fresh cart and a fresh token.
		token = newToken()
		err = tx.QueryRow(ctx, `INSERT INTO carts (token_hash, created_at, updated_at) VALUES ($1, $2, $2) RETURNING id`, HashToken(token), now).Scan(&id)
	}
	if err != nil {
		return 0, "", fmt.Errorf("create cart: %w", err)
	}
	return id, token, nil
}

// Get returns the owner's cart, empty when there is none.
func (s *Service) Get(ctx context.Context, o Owner) (View, error) {
	id, err := find(ctx, s.DB, o)
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, s.DB, id, o.CustomerID)
}

// Add puts quantity more units of a SKU in the cart.
func (s *Service) Add(ctx context.Context, o Owner, skuID, quantity int64) (View, error) {
	if err := checkQuantity(quantity); err != nil {
		return View{}, err
	}
	return s.edit(ctx, o, skuID, func(ctx context.Context, tx *db.Tx, cartID int64) error {
		if err := checkOnSale(ctx, tx, skuID); err != nil {
			return err
		}
		var have int64
		err := tx.QueryRow(ctx, `SELECT quantity FROM cart_items WHERE cart_id = $1 AND sku_id = $2`, cartID, skuID).Scan(&have)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("add to cart: %w", err)
		}
		if have+quantity > price.MaxQuantity {
			return apperr.Field("quantity", "the cart already holds %d; at most %d of one SKU", have, price.MaxQuantity)
		}
		if have == 0 {
			if err := checkRoom(ctx, tx, cartID); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `INSERT INTO cart_items (cart_id, sku_id, quantity, added_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (cart_id, sku_id) DO UPDATE SET quantity = cart_items.quantity + excluded.quantity`,
			cartID, skuID, quantity, s.now().UnixMilli())
		if err != nil {
			return fmt.Errorf("add to cart: %w", err)
		}
		return nil
	})
}

// SetQuantity changes how many units of a SKU the cart holds.
func (s *Service) SetQuantity(ctx context.Context, o Owner, skuID, quantity int64) (View, error) {
	if err := checkQuantity(quantity); err != nil {
		return View{}, err
	}
	return s.edit(ctx, o, skuID, func(ctx context.Context, tx *db.Tx, cartID int64) error {
		res, err := tx.Exec(ctx, `UPDATE cart_items SET quantity = $1 WHERE cart_id = $2 AND sku_id = $3`, quantity, cartID, skuID)
		if err != nil {
			return fmt.Errorf("change cart quantity: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("SKU %d is not in the cart: %w", skuID, apperr.ErrNotFound)
		}
		return nil
	})
}

// Remove takes a SKU out of the cart; removing one that is not there is
// not an error.
func (s *Service) Remove(ctx context.Context, o Owner, skuID int64) (View, error) {
	return s.edit(ctx, o, skuID, func(ctx context.Context, tx *db.Tx, cartID int64) error {
		if _, err := tx.Exec(ctx, `DELETE FROM cart_items WHERE cart_id = $1 AND sku_id = $2`, cartID, skuID); err != nil {
			return fmt.Errorf("remove from cart: %w", err)
		}
		return nil
	})
}

func (s *Service) edit(ctx context.Context, o Owner, skuID int64, fn func(context.Context, *db.Tx, int64) error) (View, error) {
	if skuID <= 0 {
		return View{}, apperr.Field("sku_id", "must be the id of a SKU, not %d", skuID)
	}
	var id int64
	var token string
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		var err error
		if id, token, err = s.ensure(ctx, tx, o); err != nil {
			return err
		}
		if err := fn(ctx, tx, id); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE carts SET updated_at = $1 WHERE id = $2`, s.now().UnixMilli(), id)
		return err
	})
	if err != nil {
		return View{}, err
	}
	v, err := s.view(ctx, s.DB, id, o.CustomerID)
	v.Token = token
	return v, err
}

// Merge moves a guest's cart into the customer's on sign-in: quantities of
// a SKU in both add up (to at most price.MaxQuantity), and the guest cart
// is gone afterwards.
func (s *Service) Merge(ctx context.Context, guestToken string, customerID int64) (View, error) {
	if customerID <= 0 {
		return View{}, apperr.Field("customer_id", "merge needs a signed-in customer")
	}
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		guest, err := find(ctx, tx, Owner{Token: guestToken})
		if err != nil || guest == 0 {
			return err
		}
		mine, _, err := s.ensure(ctx, tx, Owner{CustomerID: customerID})
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO cart_items (cart_id, sku_id, quantity, added_at)
			SELECT CAST($1 AS BIGINT), sku_id, quantity, added_at FROM cart_items WHERE cart_id = $2
			ON CONFLICT (cart_id, sku_id) DO UPDATE SET quantity = CASE
				WHEN cart_items.quantity + excluded.quantity > $3 THEN $3 ELSE cart_items.quantity + excluded.quantity END`,
			mine, guest, price.MaxQuantity); err != nil {
			return fmt.Errorf("merge carts: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM carts WHERE id = $1`, guest); err != nil {
			return fmt.Errorf("merge carts: %w", err)
		}
		_, err = tx.Exec(ctx, `UPDATE carts SET updated_at = $1 WHERE id = $2`, s.now().UnixMilli(), mine)
		return err
	})
	if err != nil {
		return View{}, err
	}
	return s.Get(ctx, Owner{CustomerID: customerID})
}

// Lines returns what the owner's cart would check out: the available
// items, as lines to price. The cart id is 0 when there is no cart.
func (s *Service) Lines(ctx context.Context, o Owner) (int64, []price.Line, error) {
	id, err := find(ctx, s.DB, o)
	if err != nil || id == 0 {
		return 0, nil, err
	}
	rows, err := s.DB.Query(ctx, `SELECT ci.sku_id, ci.quantity FROM cart_items ci
		JOIN skus k ON k.id = ci.sku_id JOIN products p ON p.id = k.product_id
		WHERE ci.cart_id = $1 AND p.status = 'on_sale' ORDER BY ci.added_at, ci.sku_id`, id)
	if err != nil {
		return 0, nil, fmt.Errorf("cart lines: %w", err)
	}
	defer rows.Close()
	var out []price.Line
	for rows.Next() {
		var l price.Line
		if err := rows.Scan(&l.SKUID, &l.Quantity); err != nil {
			return 0, nil, fmt.Errorf("cart lines: %w", err)
		}
		out = append(out, l)
	}
	return id, out, rows.Err()
}

// RemoveBought takes what an order bought out of the cart, in the order's
// transaction q: a line bought in full leaves, a part leaves the rest.
func RemoveBought(ctx context.Context, q db.Queryer, cartID int64, lines []price.Line) error {
	for _, l := range lines {
		if _, err := q.Exec(ctx, `DELETE FROM cart_items WHERE cart_id = $1 AND sku_id = $2 AND quantity <= $3`, cartID, l.SKUID, l.Quantity); err != nil {
			return fmt.Errorf("empty cart: %w", err)
		}
		if _, err := q.Exec(ctx, `UPDATE cart_items SET quantity = quantity - $1 WHERE cart_id = $2 AND sku_id = $3`, l.Quantity, cartID, l.SKUID); err != nil {
			return fmt.Errorf("empty cart: %w", err)
		}
	}
	return nil
}

// PurgeGuestCarts deletes guest carts untouched for GuestCartTTL.
func (s *Service) PurgeGuestCarts(ctx context.Context) (int64, error) {
	res, err := s.DB.Exec(ctx, `DELETE FROM carts WHERE customer_id IS NULL AND updated_at < $1`, s.now().Add(-GuestCartTTL).UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("purge guest carts: %w", err)
	}
	return res.RowsAffected()
}

func (s *Service) view(ctx context.Context, q db.Queryer, cartID, customerID int64) (View, error) {
	v := View{Items: []Item{}, Notes: []string{}, Currency: "CNY"}
	if cartID == 0 {
		return v, nil
	}
	rows, err := q.Query(ctx, `SELECT ci.sku_id, k.product_id, k.code, p.title, k.spec, ci.quantity, k.list_price, p.status, ci.added_at
		FROM cart_items ci JOIN skus k ON k.id = ci.sku_id JOIN products p ON p.id = k.product_id
		WHERE ci.cart_id = $1 ORDER BY ci.added_at, ci.sku_id`, cartID)
	if err != nil {
		return v, fmt.Errorf("read cart: %w", err)
	}
	var lines []price.Line
	for rows.Next() {
		var it Item
		var status string
		var added int64
		if err := rows.Scan(&it.SKUID, &it.ProductID, &it.Code, &it.Title, &it.Spec, &it.Quantity, &it.ListPrice, &status, &added); err != nil {
			rows.Close()
			return v, fmt.Errorf("read cart: %w", err)
		}
		it.AddedAt = time.UnixMilli(added).UTC()
		it.Available = status == "on_sale"
		if it.Available {
			lines = append(lines, price.Line{SKUID: it.SKUID, Quantity: it.Quantity})
		} else {
			v.Notes = append(v.Notes, fmt.Sprintf("%s (%s) is no longer on sale and will not be checked out", it.Title, it.Code))
		}
		v.Items = append(v.Items, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return v, fmt.Errorf("read cart: %w", err)
	}
	if len(lines) == 0 {
		return v, nil
	}
	p, err := s.Pricer.Price(ctx, price.Request{CustomerID: customerID, Lines: lines, At: s.now()})
	if err != nil {
		return v, err
	}
	byID := make(map[int64]price.LinePrice, len(p.Lines))
	for _, l := range p.Lines {
		byID[l.SKUID] = l
	}
	for i := range v.Items {
		if l, ok := byID[v.Items[i].SKUID]; ok {
			v.Items[i].ListPrice, v.Items[i].UnitPrice, v.Items[i].Discount, v.Items[i].Total = l.ListPrice, l.UnitPrice, l.Discount, l.Total
		}
	}
	v.Currency, v.ItemsTotal, v.Discount, v.Total = p.Currency, p.ItemsTotal, p.Discount, p.Total
	v.Notes = append(v.Notes, p.Explanation...)
	v.PointsOffer = p.PointsOffer
	return v, nil
}

func checkQuantity(n int64) error {
	if n <= 0 || n > price.MaxQuantity {
		return apperr.Field("quantity", "must be from 1 to %d, not %d", price.MaxQuantity, n)
	}
	return nil
}

func checkOnSale(ctx context.Context, q db.Queryer, skuID int64) error {
	var title, code, status string
	err := q.QueryRow(ctx, `SELECT p.title, k.code, p.status FROM skus k JOIN products p ON p.id = k.product_id WHERE k.id = $1`, skuID).Scan(&title, &code, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.Field("sku_id", "there is no SKU %d", skuID)
	}
	if err != nil {
		return fmt.Errorf("add to cart: %w", err)
	}
	if status != "on_sale" {
		return fmt.Errorf("%s (%s) is not on sale: %w", title, code, price.ErrNotOnSale)
	}
	return nil
}

func checkRoom(ctx context.Context, q db.Queryer, cartID int64) error {
	var n int64
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM cart_items WHERE cart_id = $1`, cartID).Scan(&n); err != nil {
		return fmt.Errorf("add to cart: %w", err)
	}
	if n >= price.MaxLines {
		return apperr.Field("sku_id", "the cart holds %d different items already, the most one order can take", n)
	}
	return nil
}
