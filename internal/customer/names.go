package customer

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/storeops/storeops/internal/db"
)

// Names returns what lists call each customer — the name, or the phone
// when there is no name — for the given ids, in one query.
func Names(ctx context.Context, q db.Queryer, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	marks := make([]string, len(ids))
	for i, id := range ids {
		args[i], marks[i] = id, "$"+strconv.Itoa(i+1)
	}
	rows, err := q.Query(ctx, `SELECT id, name, phone FROM customers WHERE id IN (`+strings.Join(marks, ",")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("customer names: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name, phone string
		if err := rows.Scan(&id, &name, &phone); err != nil {
			return nil, fmt.Errorf("customer names: %w", err)
		}
		if name == "" {
			name = phone
		}
		out[id] = name
	}
	return out, rows.Err()
}
