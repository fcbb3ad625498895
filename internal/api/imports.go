package api

import (
	"context"
	"net/http"

	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/importer"
)

var (
	permImportsRead  = auth.Read("imports")
	permImportsWrite = auth.Write("imports")
)

// Files are uploaded and committed in the console or with `storeops
// import`; the API shows what was imported and keeps the column mappings.
func (a *API) importRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/imports", Perm: permImportsRead, Tag: "imports", Summary: "The latest imports (数据导入), newest first",
			Reply: List[importer.Job]{}, handle: a.listImports},
		{Method: "GET", Path: "/imports/{id}", Perm: permImportsRead, Tag: "imports", Summary: "An import: its status, counts and errors by line and column",
			Reply: importer.Job{}, handle: a.getImport},
		{Method: "GET", Path: "/import-presets", Perm: permImportsRead, Tag: "imports", Summary: "The built-in file layouts (Taobao, JD, Douyin, Shopify, CDNOW, generic)",
			Reply: List[ImportPreset]{}, handle: a.listImportPresets},
		{Method: "GET", Path: "/import-mappings", Perm: permImportsRead, Tag: "imports", Summary: "Saved column mappings",
			Reply: List[importer.SavedMapping]{}, handle: a.listImportMappings},
		{Method: "PUT", Path: "/import-mappings/{name}", Perm: permImportsWrite, Tag: "imports", Summary: "Save a column mapping under a name",
			Body: ImportMappingInput{}, Status: http.StatusOK, Reply: importer.SavedMapping{}, handle: a.saveImportMapping},
	}
}

// ImportPreset describes a built-in layout.
type ImportPreset struct {
	Name     string              `json:"name"`
	Channel  string              `json:"channel"`
	Currency string              `json:"currency" doc:"empty: the store's currency or the file's currency column"`
	Columns  map[string][]string `json:"columns" doc:"field → the column headers it is found under"`
}

// ImportMappingInput is a column mapping: field → column header, or "#3"
// for the third column.
type ImportMappingInput struct {
	Kind    string            `json:"kind" doc:"orders, customers, products or stock"`
	Preset  string            `json:"preset" doc:"the preset it refines; generic when empty"`
	Columns map[string]string `json:"columns"`
}

func (a *API) imports() *importer.Service { return &importer.Service{DB: a.DB} }

func (a *API) listImports(ctx context.Context, r *request) (any, error) {
	jobs, err := a.imports().Jobs(ctx, 50)
	return listOf(jobs, ""), err
}

func (a *API) getImport(ctx context.Context, r *request) (any, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	return a.imports().Job(ctx, id)
}

func (a *API) listImportPresets(ctx context.Context, r *request) (any, error) {
	var out []ImportPreset
	for _, n := range importer.PresetNames() {
		p, _ := importer.LookupPreset(n)
		cols := p.Columns
		if cols == nil {
			cols = map[string][]string{}
			for i, f := range p.Positional {
				cols[f] = []string{"#" + itoa64(int64(i+1))}
			}
		}
		out = append(out, ImportPreset{Name: p.Name, Channel: p.Channel, Currency: p.Currency, Columns: cols})
	}
	return listOf(out, ""), nil
}

func (a *API) listImportMappings(ctx context.Context, r *request) (any, error) {
	ms, err := a.imports().Mappings(ctx)
	return listOf(ms, ""), err
}

func (a *API) saveImportMapping(ctx context.Context, r *request) (any, error) {
	var in ImportMappingInput
	if err := decode(r.Request, &in); err != nil {
		return nil, err
	}
	return a.imports().SaveMapping(ctx, importer.SavedMapping{Name: r.PathValue("name"), Kind: importer.Kind(in.Kind),
		Preset: in.Preset, Columns: in.Columns})
}
