package customer

import (
	"context"
	"fmt"
	"slices"

	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
)

// SetTags replaces a customer's tags (用户标签) with tags, trimmed and
// without repeats.
func (s *Service) SetTags(ctx context.Context, id int64, tags []string) error {
	var want []string
	for i, t := range tags {
		t = NormalizeTag(t)
		if err := ValidateTag(fmt.Sprintf("tags[%d]", i), t); err != nil {
			return err
		}
		if !slices.Contains(want, t) {
			want = append(want, t)
		}
	}
	if len(want) > maxTags {
		return fieldTooManyTags()
	}
	return s.editTags(ctx, id, func(tx *db.Tx, now int64, have []string) error {
		for _, t := range have {
			if !slices.Contains(want, t) {
				if _, err := tx.Exec(ctx, `DELETE FROM customer_tags WHERE customer_id = $1 AND tag = $2`, id, t); err != nil {
					return fmt.Errorf("remove tag %q: %w", t, err)
				}
			}
		}
		for _, t := range want {
			if err := insertTag(ctx, tx, id, t, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// AddTag tags a customer; a tag it already has is left as it is.
func (s *Service) AddTag(ctx context.Context, id int64, tag string) error {
	tag = NormalizeTag(tag)
	if err := ValidateTag("tag", tag); err != nil {
		return err
	}
	return s.editTags(ctx, id, func(tx *db.Tx, now int64, have []string) error {
		if !slices.Contains(have, tag) && len(have) >= maxTags {
			return fieldTooManyTags()
		}
		return insertTag(ctx, tx, id, tag, now)
	})
}

// RemoveTag takes a tag off a customer; a tag it does not have is no error.
func (s *Service) RemoveTag(ctx context.Context, id int64, tag string) error {
	tag = NormalizeTag(tag)
	return s.editTags(ctx, id, func(tx *db.Tx, _ int64, _ []string) error {
		if _, err := tx.Exec(ctx, `DELETE FROM customer_tags WHERE customer_id = $1 AND tag = $2`, id, tag); err != nil {
			return fmt.Errorf("remove tag %q: %w", tag, err)
		}
		return nil
	})
}

// editTags runs edit on the customer's tags and audits the lists before and
// after when they differ.
func (s *Service) editTags(ctx context.Context, id int64, edit func(tx *db.Tx, now int64, have []string) error) error {
	type tagList struct {
		Tags []string `json:"tags"`
	}
	return s.DB.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		if err := touch(ctx, tx, id, now); err != nil {
			return err
		}
		before, err := loadTags(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := edit(tx, now.UnixMilli(), before); err != nil {
			return err
		}
		after, err := loadTags(ctx, tx, id)
		if err != nil || slices.Equal(before, after) {
			return err
		}
		return audit.Record(ctx, tx, "customer.tags", "customer", id, tagList{before}, tagList{after})
	})
}

func insertTag(ctx context.Context, tx *db.Tx, id int64, tag string, now int64) error {
	if _, err := tx.Exec(ctx, `INSERT INTO customer_tags (customer_id, tag, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (customer_id, tag) DO NOTHING`, id, tag, now); err != nil {
		return fmt.Errorf("add tag %q: %w", tag, err)
	}
	return nil
}

func loadTags(ctx context.Context, q db.Queryer, id int64) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT tag FROM customer_tags WHERE customer_id = $1 ORDER BY tag`, id)
	if err != nil {
		return nil, fmt.Errorf("tags of customer %d: %w", id, err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, fmt.Errorf("tags of customer %d: %w", id, err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
