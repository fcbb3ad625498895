package importer

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/storeops/storeops/internal/db"
)

// Bulk statements: on SQLite plain ? placeholders and about 200 values a
// statement (its driver matches numbered placeholders to arguments one by
// one, quadratic in their number); $n and a few hundred rows on PostgreSQL.
const sqliteValuesPerStatement = 200

func rowsPerStatement(d db.Dialect, width int) int {
	if d == db.SQLite {
		return max(1, sqliteValuesPerStatement/width)
	}
	return max(1, min(256, 60000/width))
}

// insert writes rows (len(args)/len(cols) of them) into table, several per
// statement; scan, when given, reads each statement's RETURNING rows.
func insert(ctx context.Context, q db.Queryer, table string, cols []string, tail string, args []any, scan func(*scanner) error) error {
	if tx, ok := q.(*db.Tx); ok && scan == nil && tail == "" {
		return tx.InsertRows(ctx, table, cols, args)
	}
	width := len(cols)
	n := len(args) / width
	per := rowsPerStatement(q.Dialect(), width)
	head := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES "
	ps := newPrepared(ctx, q)
	defer ps.close()
	for done := 0; done < n; {
		rows := min(per, n-done)
		stmt := head + db.ValuesList(q.Dialect(), rows, width) + tail
		a := args[done*width : (done+rows)*width]
		if scan == nil {
			if _, err := ps.exec(stmt, a); err != nil {
				return fmt.Errorf("insert into %s: %w", table, err)
			}
		} else {
			rs, err := ps.query(stmt, a)
			if err != nil {
				return fmt.Errorf("insert into %s: %w", table, err)
			}
			for rs.Next() {
				if err := scan(&scanner{rs.Scan}); err != nil {
					rs.Close()
					return err
				}
			}
			if err := rs.Close(); err != nil {
				return err
			}
			if err := rs.Err(); err != nil {
				return fmt.Errorf("insert into %s: %w", table, err)
			}
		}
		done += rows
	}
	return nil
}

type scanner struct{ scan func(...any) error }

func (s *scanner) Scan(dst ...any) error { return s.scan(dst...) }

// lookup returns the id of each key that the table already holds, by the
// text column col ("external_id", "code").
func lookup(ctx context.Context, q db.Queryer, table, col string, keys []string) (map[string]int64, error) {
	out := make(map[string]int64, len(keys))
	if q.Dialect() == db.SQLite && len(keys) > 0 {
		// All keys in one statement, as one JSON argument: a chunk's
		// thousands of keys in IN lists of 200 cost five times as much.
		list, err := json.Marshal(keys)
		if err != nil {
			return nil, err
		}
		rs, err := q.Query(ctx, "SELECT t.id, t."+col+" FROM json_each($1) AS j JOIN "+table+" AS t ON t."+col+" = j.value", string(list))
		if err != nil {
			return nil, fmt.Errorf("look up %s by %s: %w", table, col, err)
		}
		defer rs.Close()
		for rs.Next() {
			var id int64
			var k string
			if err := rs.Scan(&id, &k); err != nil {
				return nil, err
			}
			out[k] = id
		}
		return out, rs.Err()
	}
	per := rowsPerStatement(q.Dialect(), 1)
	ps := newPrepared(ctx, q)
	defer ps.close()
	for done := 0; done < len(keys); {
		n := min(per, len(keys)-done)
		ph := db.ValuesList(q.Dialect(), 1, n) // "(?,?,…)"
		args := make([]any, n)
		for i, k := range keys[done : done+n] {
			args[i] = k
		}
		rs, err := ps.query("SELECT id, "+col+" FROM "+table+" WHERE "+col+" IN "+ph, args)
		if err != nil {
			return nil, fmt.Errorf("look up %s by %s: %w", table, col, err)
		}
		for rs.Next() {
			var id int64
			var k string
			if err := rs.Scan(&id, &k); err != nil {
				rs.Close()
				return nil, err
			}
			out[k] = id
		}
		if err := rs.Close(); err != nil {
			return nil, err
		}
		if err := rs.Err(); err != nil {
			return nil, err
		}
		done += n
	}
	return out, nil
}

// prepared keeps the statements of one bulk call prepared, in a
// transaction, so the many statements of one shape are parsed once.
type prepared struct {
	ctx   context.Context
	q     db.Queryer
	tx    *db.Tx
	stmts map[string]*sql.Stmt
}

func newPrepared(ctx context.Context, q db.Queryer) *prepared {
	tx, _ := q.(*db.Tx)
	return &prepared{ctx: ctx, q: q, tx: tx}
}

func (p *prepared) stmt(query string) (*sql.Stmt, error) {
	if st, ok := p.stmts[query]; ok {
		return st, nil
	}
	st, err := p.tx.Prepare(p.ctx, query)
	if err != nil {
		return nil, err
	}
	if p.stmts == nil {
		p.stmts = map[string]*sql.Stmt{}
	}
	p.stmts[query] = st
	return st, nil
}

func (p *prepared) exec(query string, args []any) (sql.Result, error) {
	if p.tx == nil {
		return p.q.Exec(p.ctx, query, args...)
	}
	st, err := p.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(p.ctx, args...)
}

func (p *prepared) query(query string, args []any) (*sql.Rows, error) {
	if p.tx == nil {
		return p.q.Query(p.ctx, query, args...)
	}
	st, err := p.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(p.ctx, args...)
}

func (p *prepared) close() {
	for _, st := range p.stmts {
		st.Close()
	}
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
