package importer

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
)

// SavedMapping is a column mapping kept under a name, to be reused for the
// next file of the same shape.
type SavedMapping struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Kind      Kind      `json:"kind"`
	Preset    string    `json:"preset"`
	Columns   Mapping   `json:"columns"`
	UpdatedAt time.Time `json:"updated_at"`
}

// CheckMapping validates a mapping for kind: known fields, column names of
// sensible length.
func CheckMapping(kind Kind, m Mapping) error {
	known := map[string]bool{}
	for _, f := range KindFields[kind] {
		known[f] = true
	}
	for f, col := range m {
		if !known[f] {
			return apperr.Field("columns."+f, "%q is not a field of a %s import; use one of %s", f, kind, strings.Join(KindFields[kind], ", "))
		}
		if utf8.RuneCountInString(col) > 200 {
			return apperr.Field("columns."+f, "the column name is longer than 200 characters")
		}
	}
	return nil
}

// SaveMapping stores m under name, replacing a mapping of that name.
func (s *Service) SaveMapping(ctx context.Context, in SavedMapping) (SavedMapping, error) {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 100 {
		return in, apperr.Field("name", "give the mapping a name of 1 to 100 characters")
	}
	if !ValidKind(string(in.Kind)) {
		return in, apperr.Field("kind", "%q is not something to import; use orders, customers, products or stock", in.Kind)
	}
	if in.Preset == "" {
		in.Preset = "generic"
	}
	if _, ok := LookupPreset(in.Preset); !ok {
		return in, apperr.Field("preset", "%q is not a preset; use one of %v", in.Preset, PresetNames())
	}
	if err := CheckMapping(in.Kind, in.Columns); err != nil {
		return in, err
	}
	cols, _ := json.Marshal(in.Columns)
	now := s.now()
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		before, err := getMapping(ctx, tx, in.Name)
		var prev any
		if err == nil {
			prev = before
		} else if !errors.Is(err, apperr.ErrNotFound) {
			return err
		}
		err = tx.QueryRow(ctx, `INSERT INTO import_mappings (name, kind, preset, columns, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)
			ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, preset = excluded.preset, columns = excluded.columns, updated_at = excluded.updated_at
			RETURNING id`, in.Name, string(in.Kind), in.Preset, string(cols), now.UnixMilli()).Scan(&in.ID)
		if err != nil {
			return fmt.Errorf("save mapping %s: %w", in.Name, err)
		}
		in.UpdatedAt = time.UnixMilli(now.UnixMilli()).UTC()
		return audit.Record(ctx, tx, "import_mapping.save", "import_mapping", in.ID, prev, in)
	})
	return in, err
}

// Mapping returns the saved mapping called name.
func (s *Service) Mapping(ctx context.Context, name string) (SavedMapping, error) {
	return getMapping(ctx, s.DB, name)
}

// Mappings lists the saved mappings by name.
func (s *Service) Mappings(ctx context.Context) ([]SavedMapping, error) {
	rs, err := s.DB.Query(ctx, `SELECT id, name, kind, preset, columns, updated_at FROM import_mappings ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list mappings: %w", err)
	}
	defer rs.Close()
	var out []SavedMapping
	for rs.Next() {
		m, err := scanMapping(rs.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rs.Err()
}

func getMapping(ctx context.Context, q db.Queryer, name string) (SavedMapping, error) {
	m, err := scanMapping(q.QueryRow(ctx, `SELECT id, name, kind, preset, columns, updated_at FROM import_mappings WHERE name = $1`, name).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return m, fmt.Errorf("mapping %q: %w", name, apperr.ErrNotFound)
	}
	return m, err
}

func scanMapping(scan func(...any) error) (SavedMapping, error) {
	var m SavedMapping
	var kind, cols string
	var updated int64
	if err := scan(&m.ID, &m.Name, &kind, &m.Preset, &cols, &updated); err != nil {
		return m, err
	}
	m.Kind, m.UpdatedAt = Kind(kind), time.UnixMilli(updated).UTC()
	if err := json.Unmarshal([]byte(cols), &m.Columns); err != nil {
		return m, fmt.Errorf("mapping %s: %w", m.Name, err)
	}
	return m, nil
}

// mappingFor is the request's saved mapping with its own columns laid over.
func (s *Service) mappingFor(ctx context.Context, req Request) (Mapping, error) {
	out := Mapping{}
	if req.Mapping != "" {
		m, err := s.Mapping(ctx, req.Mapping)
		if errors.Is(err, apperr.ErrNotFound) {
			return nil, apperr.Field("mapping", "there is no saved mapping called %q", req.Mapping)
		}
		if err != nil {
			return nil, err
		}
		if m.Kind != req.Kind {
			return nil, apperr.Field("mapping", "mapping %q is for %s, not %s", req.Mapping, m.Kind, req.Kind)
		}
		for k, v := range m.Columns {
			out[k] = v
		}
	}
	if err := CheckMapping(req.Kind, req.Columns); err != nil {
		return nil, err
	}
	for k, v := range req.Columns {
		out[k] = v
	}
	return out, nil
}
