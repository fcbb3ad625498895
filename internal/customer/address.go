package customer

import (
	"context"
	"fmt"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
)

// AddAddress adds a delivery address. A customer's first address becomes
// the default whatever in.Default says.
func (s *Service) AddAddress(ctx context.Context, customerID int64, in AddressInput) (Address, error) {
	in = in.normalized()
	if err := in.Validate(); err != nil {
		return Address{}, err
	}
	var out Address
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		if err := touch(ctx, tx, customerID, now); err != nil {
			return err
		}
		var others int64
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM customer_addresses WHERE customer_id = $1`, customerID).Scan(&others); err != nil {
			return fmt.Errorf("addresses of customer %d: %w", customerID, err)
		}
		isDefault := in.Default || others == 0
		if isDefault {
			if err := clearDefault(ctx, tx, customerID); err != nil {
				return err
			}
		}
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO customer_addresses (customer_id, recipient, phone, province, city, district, detail, postcode, is_default, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			customerID, in.Recipient, in.Phone, in.Province, in.City, in.District, in.Detail, in.Postcode, isDefault, now.UnixMilli()).Scan(&id); err != nil {
			return fmt.Errorf("add address for customer %d: %w", customerID, err)
		}
		var err error
		if out, err = getAddress(ctx, tx, customerID, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "customer.address.create", "customer_address", id, nil, out)
	})
	return out, err
}

// UpdateAddress changes an address of the customer.
func (s *Service) UpdateAddress(ctx context.Context, customerID, addressID int64, in AddressInput) (Address, error) {
	in = in.normalized()
	if err := in.Validate(); err != nil {
		return Address{}, err
	}
	var out Address
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		if err := touch(ctx, tx, customerID, s.now()); err != nil {
			return err
		}
		before, err := getAddress(ctx, tx, customerID, addressID)
		if err != nil {
			return err
		}
		isDefault := before.IsDefault || in.Default
		if isDefault && !before.IsDefault {
			if err := clearDefault(ctx, tx, customerID); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE customer_addresses SET recipient = $1, phone = $2, province = $3, city = $4,
			district = $5, detail = $6, postcode = $7, is_default = $8 WHERE id = $9`,
			in.Recipient, in.Phone, in.Province, in.City, in.District, in.Detail, in.Postcode, isDefault, addressID); err != nil {
			return fmt.Errorf("update address %d: %w", addressID, err)
		}
		if out, err = getAddress(ctx, tx, customerID, addressID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "customer.address.update", "customer_address", addressID, before, out)
	})
	return out, err
}

// DeleteAddress removes an address of the customer. When it was the
// default, the oldest remaining address becomes the default.
func (s *Service) DeleteAddress(ctx context.Context, customerID, addressID int64) error {
	return s.DB.InTx(ctx, func(tx *db.Tx) error {
		if err := touch(ctx, tx, customerID, s.now()); err != nil {
			return err
		}
		before, err := getAddress(ctx, tx, customerID, addressID)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM customer_addresses WHERE id = $1`, addressID); err != nil {
			return fmt.Errorf("delete address %d: %w", addressID, err)
		}
		if before.IsDefault {
			if _, err := tx.Exec(ctx, `UPDATE customer_addresses SET is_default = TRUE
				WHERE id = (SELECT MIN(id) FROM customer_addresses WHERE customer_id = $1)`, customerID); err != nil {
				return fmt.Errorf("promote a default address for customer %d: %w", customerID, err)
			}
		}
		return audit.Record(ctx, tx, "customer.address.delete", "customer_address", addressID, before, nil)
	})
}

// SetDefaultAddress makes one of the customer's addresses the default.
func (s *Service) SetDefaultAddress(ctx context.Context, customerID, addressID int64) error {
	type defaultAddress struct {
		CustomerID int64 `json:"customer_id"`
		AddressID  int64 `json:"default_address_id"`
	}
	return s.DB.InTx(ctx, func(tx *db.Tx) error {
		if err := touch(ctx, tx, customerID, s.now()); err != nil {
			return err
		}
		if _, err := getAddress(ctx, tx, customerID, addressID); err != nil {
			return err
		}
		var old int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM customer_addresses WHERE customer_id = $1 AND is_default`, customerID).Scan(&old); err != nil {
			return fmt.Errorf("default address of customer %d: %w", customerID, err)
		}
		if old == addressID {
			return nil
		}
		if err := clearDefault(ctx, tx, customerID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE customer_addresses SET is_default = TRUE WHERE id = $1`, addressID); err != nil {
			return fmt.Errorf("set default address %d: %w", addressID, err)
		}
		return audit.Record(ctx, tx, "customer.address.default", "customer", customerID,
			defaultAddress{customerID, old}, defaultAddress{customerID, addressID})
	})
}

// clearDefault runs before a new default is set: the partial unique index
// allows one default per customer at any moment.
func clearDefault(ctx context.Context, tx *db.Tx, customerID int64) error {
	if _, err := tx.Exec(ctx, `UPDATE customer_addresses SET is_default = FALSE WHERE customer_id = $1 AND is_default`, customerID); err != nil {
		return fmt.Errorf("clear default address of customer %d: %w", customerID, err)
	}
	return nil
}

const addressSelect = `SELECT id, customer_id, recipient, phone, province, city, district, detail, postcode, is_default, created_at
	FROM customer_addresses`

func getAddress(ctx context.Context, q db.Queryer, customerID, addressID int64) (Address, error) {
	as, err := queryAddresses(ctx, q, " WHERE id = $1 AND customer_id = $2", addressID, customerID)
	if err != nil {
		return Address{}, err
	}
	if len(as) == 0 {
		return Address{}, fmt.Errorf("address %d of customer %d: %w", addressID, customerID, apperr.ErrNotFound)
	}
	return as[0], nil
}

func listAddresses(ctx context.Context, q db.Queryer, customerID int64) ([]Address, error) {
	return queryAddresses(ctx, q, " WHERE customer_id = $1 ORDER BY is_default DESC, id", customerID)
}

func queryAddresses(ctx context.Context, q db.Queryer, rest string, args ...any) ([]Address, error) {
	rows, err := q.Query(ctx, addressSelect+rest, args...)
	if err != nil {
		return nil, fmt.Errorf("list addresses: %w", err)
	}
	defer rows.Close()
	out := []Address{}
	for rows.Next() {
		var a Address
		var created int64
		if err := rows.Scan(&a.ID, &a.CustomerID, &a.Recipient, &a.Phone, &a.Province, &a.City, &a.District,
			&a.Detail, &a.Postcode, &a.IsDefault, &created); err != nil {
			return nil, fmt.Errorf("list addresses: %w", err)
		}
		a.CreatedAt = fromMillis(created)
		out = append(out, a)
	}
	return out, rows.Err()
}
