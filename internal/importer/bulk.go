package importer

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/storeops/storeops/internal/db"
)

// insertRows writes rows (len(args)/len(cols) of them) into table through
// the database's bulk path; an import writes only inside its transaction.
func insertRows(ctx context.Context, q db.Queryer, table string, cols []string, args []any) error {
	tx, ok := q.(*db.Tx)
	if !ok {
		return fmt.Errorf("insert into %s: an import writes inside a transaction", table)
	}
	return tx.InsertRows(ctx, table, cols, args)
}

// lookupRows reads the rows of table whose text column col ("external_id",
// "code") is one of keys, selecting cols, and hands each to found. All keys
// go in one statement as one argument — a JSON array on SQLite, an array on
// PostgreSQL — where IN lists of a few hundred cost several times as much
// for a chunk's thousands of keys.
func lookupRows(ctx context.Context, q db.Queryer, table, col, cols string, keys []string, found func(scan func(...any) error) error) error {
	if len(keys) == 0 {
		return nil
	}
	var query string
	var arg any
	if q.Dialect() == db.SQLite {
		list, err := json.Marshal(keys)
		if err != nil {
			return err
		}
		query = "SELECT " + cols + " FROM json_each($1) AS j JOIN " + table + " AS t ON t." + col + " = j.value"
		arg = string(list)
	} else {
		query = "SELECT " + cols + " FROM " + table + " AS t WHERE t." + col + " = ANY($1)"
		arg = keys
	}
	rs, err := q.Query(ctx, query, arg)
	if err != nil {
		return fmt.Errorf("look up %s by %s: %w", table, col, err)
	}
	defer rs.Close()
	for rs.Next() {
		if err := found(rs.Scan); err != nil {
			return err
		}
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("look up %s by %s: %w", table, col, err)
	}
	return nil
}

// lookup returns the id of each key that the table already holds.
func lookup(ctx context.Context, q db.Queryer, table, col string, keys []string) (map[string]int64, error) {
	out := make(map[string]int64, len(keys))
	err := lookupRows(ctx, q, table, col, "t.id, t."+col, keys, func(scan func(...any) error) error {
		var id int64
		var k string
		if err := scan(&id, &k); err != nil {
			return err
		}
		out[k] = id
		return nil
	})
	return out, err
}

// allocateIDs reserves n ids of table for rows written with explicit ids
// (a multi-row INSERT … RETURNING is several times slower on SQLite). On
// SQLite the transaction holds the write lock, so the ids after the largest
// are free; on PostgreSQL they come from the table's identity sequence, as
// every other writer's do.
func allocateIDs(ctx context.Context, q db.Queryer, table string, n int) ([]int64, error) {
	out := make([]int64, 0, n)
	if n == 0 {
		return out, nil
	}
	if q.Dialect() == db.SQLite {
		var last int64
		if err := q.QueryRow(ctx, "SELECT COALESCE(MAX(id), 0) FROM "+table).Scan(&last); err != nil {
			return nil, fmt.Errorf("allocate ids of %s: %w", table, err)
		}
		for i := range n {
			out = append(out, last+1+int64(i))
		}
		return out, nil
	}
	rs, err := q.Query(ctx, "SELECT nextval(pg_get_serial_sequence('"+table+"', 'id')) FROM generate_series(1, $1)", n)
	if err != nil {
		return nil, fmt.Errorf("allocate ids of %s: %w", table, err)
	}
	defer rs.Close()
	for rs.Next() {
		var id int64
		if err := rs.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rs.Err()
}
