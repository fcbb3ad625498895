// Package catalog keeps what the shop sells: the category tree, products
// (商品, SPU) and their variants (规格, SKU), and the search over them.
package catalog

import (
	"strconv"
	"time"

	"github.com/storeops/storeops/internal/db"
)

// Service is the catalog's behaviour over a database.
type Service struct {
	DB  *db.DB
	Now func() time.Time // nil: the wall clock
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// idList is "$k,$k+1,…" for ids appended to args, for an IN (…) list.
func idList(ids []int64, args []any) (string, []any) {
	b := make([]byte, 0, len(ids)*4)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		args = append(args, id)
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(args)), 10)
	}
	return string(b), args
}
