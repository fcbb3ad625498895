package catalog

import (
	"cmp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/storeops/storeops/internal/apperr"
)

// Category is a node of the category tree (类目).
type Category struct {
	ID        int64     `json:"id"`
	ParentID  *int64    `json:"parent_id"`
	Name      string    `json:"name"`
	NameEn    string    `json:"name_en"`
	Sort      int       `json:"sort"`
	Depth     int       `json:"depth"` // 0 at the top; set by ListCategories for indenting
	CreatedAt time.Time `json:"created_at"`
}

// NewCategory is what an operator enters to create or change a category.
type NewCategory struct {
	ParentID *int64 `json:"parent_id"`
	Name     string `json:"name"`
	NameEn   string `json:"name_en"`
	Sort     int    `json:"sort"`
}

const maxCategoryName = 64

func (c NewCategory) normalized() NewCategory {
	c.Name = strings.TrimSpace(c.Name)
	c.NameEn = strings.TrimSpace(c.NameEn)
	return c
}

// Validate says which field of c is wrong, if any.
func (c NewCategory) Validate() error {
	if c.Name == "" {
		return apperr.Field("name", "give the category a name")
	}
	if n := utf8.RuneCountInString(c.Name); n > maxCategoryName {
		return apperr.Field("name", "at most %d characters (this is %d)", maxCategoryName, n)
	}
	if n := utf8.RuneCountInString(c.NameEn); n > maxCategoryName {
		return apperr.Field("name_en", "at most %d characters (this is %d)", maxCategoryName, n)
	}
	if c.ParentID != nil && *c.ParentID <= 0 {
		return apperr.Field("parent_id", "must be the id of an existing category, or empty for a top-level one")
	}
	return nil
}

// TreeOrder returns cats depth-first — each parent followed by its
// children, siblings by Sort then name — with Depth set. Categories whose
// parent is not in cats are treated as top-level.
func TreeOrder(cats []Category) []Category {
	byID := make(map[int64]bool, len(cats))
	for _, c := range cats {
		byID[c.ID] = true
	}
	children := map[int64][]Category{} // 0: top level
	for _, c := range cats {
		var parent int64
		if c.ParentID != nil && byID[*c.ParentID] {
			parent = *c.ParentID
		}
		children[parent] = append(children[parent], c)
	}
	for _, kids := range children {
		slices.SortFunc(kids, func(a, b Category) int {
			return cmp.Or(cmp.Compare(a.Sort, b.Sort), strings.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
		})
	}
	out := make([]Category, 0, len(cats))
	var walk func(parent int64, depth int)
	walk = func(parent int64, depth int) {
		for _, c := range children[parent] {
			c.Depth = depth
			out = append(out, c)
			walk(c.ID, depth+1)
		}
	}
	walk(0, 0)
	return out
}

// categoryIndex answers tree questions about a loaded set of categories.
type categoryIndex map[int64]Category

func indexCategories(cats []Category) categoryIndex {
	ix := make(categoryIndex, len(cats))
	for _, c := range cats {
		ix[c.ID] = c
	}
	return ix
}

// path is the category and its ancestors, the category first.
func (ix categoryIndex) path(id int64) []Category {
	var out []Category
	for range len(ix) { // bounded, in case of a cycle in bad data
		c, ok := ix[id]
		if !ok {
			break
		}
		out = append(out, c)
		if c.ParentID == nil {
			break
		}
		id = *c.ParentID
	}
	return out
}

// isWithin reports whether id is root or one of its descendants.
func (ix categoryIndex) isWithin(id, root int64) bool {
	for _, c := range ix.path(id) {
		if c.ID == root {
			return true
		}
	}
	return false
}

// subtree is root and every category below it.
func (ix categoryIndex) subtree(root int64) []int64 {
	var out []int64
	for id := range ix {
		if ix.isWithin(id, root) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}
