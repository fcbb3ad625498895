package catalog

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
)

// CreateCategory adds a category, at the top or under ParentID.
func (s *Service) CreateCategory(ctx context.Context, in NewCategory) (Category, error) {
	in = in.normalized()
	if err := in.Validate(); err != nil {
		return Category{}, err
	}
	var out Category
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		ix, err := loadCategoryIndex(ctx, tx)
		if err != nil {
			return err
		}
		if err := checkPlacement(ix, 0, in); err != nil {
			return err
		}
		now := s.now()
		out = Category{ParentID: in.ParentID, Name: in.Name, NameEn: in.NameEn, Sort: in.Sort, CreatedAt: fromMillis(now.UnixMilli())}
		if err := tx.QueryRow(ctx, `INSERT INTO categories (parent_id, name, name_en, sort, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			in.ParentID, in.Name, in.NameEn, in.Sort, now.UnixMilli()).Scan(&out.ID); err != nil {
			return fmt.Errorf("create category %q: %w", in.Name, err)
		}
		return audit.Record(ctx, tx, "category.create", "category", out.ID, nil, out)
	})
	return out, err
}

// UpdateCategory renames or moves a category. Products in it and below it
// get their search text rebuilt, since category names are searchable.
func (s *Service) UpdateCategory(ctx context.Context, id int64, in NewCategory) (Category, error) {
	in = in.normalized()
	if err := in.Validate(); err != nil {
		return Category{}, err
	}
	var out Category
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		ix, err := loadCategoryIndex(ctx, tx)
		if err != nil {
			return err
		}
		before, ok := ix[id]
		if !ok {
			return fmt.Errorf("category %d: %w", id, apperr.ErrNotFound)
		}
		if err := checkPlacement(ix, id, in); err != nil {
			return err
		}
		out = before
		out.ParentID, out.Name, out.NameEn, out.Sort = in.ParentID, in.Name, in.NameEn, in.Sort
		if _, err := tx.Exec(ctx, `UPDATE categories SET parent_id = $1, name = $2, name_en = $3, sort = $4 WHERE id = $5`,
			in.ParentID, in.Name, in.NameEn, in.Sort, id); err != nil {
			return fmt.Errorf("update category %d: %w", id, err)
		}
		if before.Name != out.Name || before.NameEn != out.NameEn || !sameParent(before.ParentID, out.ParentID) {
			ix[id] = out
			list, args := idList(ix.subtree(id), nil)
			if err := refreshSearchText(ctx, tx, ix, "p.category_id IN ("+list+")", args...); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, "category.update", "category", id, before, out)
	})
	return out, err
}

// ListCategories returns the whole tree in display order (see TreeOrder).
func (s *Service) ListCategories(ctx context.Context) ([]Category, error) {
	cats, err := loadCategories(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	return TreeOrder(cats), nil
}

// checkPlacement checks that in's parent exists, that moving category id
// (0: a new one) under it makes no loop, and that no sibling has the name.
func checkPlacement(ix categoryIndex, id int64, in NewCategory) error {
	if in.ParentID != nil {
		if _, ok := ix[*in.ParentID]; !ok {
			return apperr.Field("parent_id", "category %d does not exist", *in.ParentID)
		}
		if id != 0 && ix.isWithin(*in.ParentID, id) {
			return apperr.Field("parent_id", "a category cannot move under itself or one of its subcategories")
		}
	}
	for _, c := range ix {
		if c.ID != id && c.Name == in.Name && sameParent(c.ParentID, in.ParentID) {
			return apperr.Field("name", "%q already exists at this level of the tree", in.Name)
		}
	}
	return nil
}

func sameParent(a, b *int64) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

func loadCategories(ctx context.Context, q db.Queryer) ([]Category, error) {
	rows, err := q.Query(ctx, `SELECT id, parent_id, name, name_en, sort, created_at FROM categories`)
	if err != nil {
		return nil, fmt.Errorf("list categories: %w", err)
	}
	defer rows.Close()
	var out []Category
	for rows.Next() {
		var c Category
		var parent sql.NullInt64
		var created int64
		if err := rows.Scan(&c.ID, &parent, &c.Name, &c.NameEn, &c.Sort, &created); err != nil {
			return nil, fmt.Errorf("list categories: %w", err)
		}
		if parent.Valid {
			c.ParentID = &parent.Int64
		}
		c.CreatedAt = fromMillis(created)
		out = append(out, c)
	}
	return out, rows.Err()
}

func loadCategoryIndex(ctx context.Context, q db.Queryer) (categoryIndex, error) {
	cats, err := loadCategories(ctx, q)
	if err != nil {
		return nil, err
	}
	return indexCategories(cats), nil
}
