package api

import (
	"encoding"
	"encoding/json"

	"github.com/storeops/storeops/internal/auth"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"
)

// OpenAPI builds the OpenAPI 3.0 document from the route table; schemas come
// from the Go types of each route's body and reply, by reflection, so a field
// added to a type is documented by the same change.
func (a *API) OpenAPI() map[string]any {
	g := &schemaGen{defs: map[string]any{}}
	paths := map[string]map[string]any{}
	for _, rt := range a.Routes() {
		p := Prefix + rt.Path
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		op := map[string]any{
			"summary":     rt.Summary,
			"tags":        []string{rt.Tag},
			"operationId": operationID(rt),
			"description": permDoc(rt.Perm),
			"security":    []map[string][]string{{"bearer": {}}},
		}
		switch {
		case rt.Public:
			op["description"] = "No credentials; the request is verified by its signature."
			op["security"] = []map[string][]string{}
		case rt.Store && rt.Guest:
			op["description"] = "Storefront: a signed-in customer or a guest (whose cart goes by X-Cart-Token)."
			op["security"] = []map[string][]string{{}, {"customer": {}}}
		case rt.Store:
			op["description"] = "Storefront: a signed-in customer."
			op["security"] = []map[string][]string{{"customer": {}}}
		}
		var params []map[string]any
		for _, h := range headerParams(rt) {
			params = append(params, map[string]any{"name": h.Name, "in": "header", "required": false,
				"description": h.Description, "schema": map[string]any{"type": h.Type}})
		}
		for _, name := range pathParams(rt.Path) {
			params = append(params, map[string]any{"name": name, "in": "path", "required": true,
				"schema": map[string]any{"type": "integer", "format": "int64"}})
		}
		for _, q := range rt.Query {
			params = append(params, map[string]any{"name": q.Name, "in": "query", "required": false,
				"description": q.Description, "schema": map[string]any{"type": q.Type}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.Body != nil {
			media := map[string]any{"schema": g.schema(reflect.TypeOf(rt.Body))}
			if rt.Example != nil {
				media["example"] = rt.Example
			}
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": media}}
		}
		status := rt.Status
		if status == 0 {
			status = http.StatusOK
		}
		responses := map[string]any{}
		if rt.Reply == nil {
			responses["204"] = map[string]any{"description": "done"}
		} else {
			responses[itoa(status)] = map[string]any{"description": http.StatusText(status), "content": map[string]any{
				"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.Reply))}}}
		}
		errRef := map[string]any{"description": "error", "content": map[string]any{
			"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(ErrorBody{}))}}}
		for _, code := range []string{"400", "401", "403", "404", "409", "422", "500"} {
			responses[code] = errRef
		}
		if rt.Store {
			responses["429"] = errRef // sign-in attempts are limited
		}
		op["responses"] = responses
		paths[p][strings.ToLower(rt.Method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       "storeops API",
			"version":     "v1 (storeops " + a.Version + ")",
			"description": "JSON API of storeops. Money is integer minor units (分) with a currency code; times are RFC 3339 in UTC. Lists are paginated with limit and an opaque cursor (next_cursor). Errors are {\"error\": {\"code\", \"message\", \"field\"}}.",
		},
		"servers": []map[string]any{{"url": "/"}},
		"paths":   paths,
		"components": map[string]any{
			"schemas": g.defs,
			"securitySchemes": map[string]any{
				"bearer":   map[string]any{"type": "http", "scheme": "bearer", "description": "An API token (so_…) from the console or `storeops token create`."},
				"customer": map[string]any{"type": "http", "scheme": "bearer", "description": "A storefront session token (cs_…) from POST /api/v1/store/sessions or /store/register."},
			},
		},
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

var pathParamRe = regexp.MustCompile(`\{([a-zA-Z_]+)\}`)

func pathParams(p string) []string {
	var out []string
	for _, m := range pathParamRe.FindAllStringSubmatch(p, -1) {
		out = append(out, m[1])
	}
	return out
}

func operationID(rt Route) string {
	s := strings.ToLower(rt.Method) + rt.Path
	s = strings.NewReplacer("/", "_", "{", "", "}", "").Replace(s)
	return strings.Trim(s, "_")
}

type schemaGen struct{ defs map[string]any }

var timeType = reflect.TypeOf(time.Time{})
var rawJSONType = reflect.TypeOf(json.RawMessage{})
var textMarshalerType = reflect.TypeOf((*encoding.TextMarshaler)(nil)).Elem()

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawJSONType:
		return map[string]any{}
	case t.Kind() != reflect.String && t.Kind() != reflect.Struct && t.Kind() != reflect.Pointer && t.Implements(textMarshalerType):
		// Named integers that marshal as text (promo.Stage) are strings in JSON.
		return map[string]any{"type": "string"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		s := g.schema(t.Elem())
		if _, isRef := s["$ref"]; isRef {
			return map[string]any{"allOf": []any{s}, "nullable": true}
		}
		s["nullable"] = true
		return s
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint8, reflect.Uint16, reflect.Uint32:
		return map[string]any{"type": "integer", "format": "int32"}
	case reflect.Int64, reflect.Uint64, reflect.Uint:
		return map[string]any{"type": "integer", "format": "int64"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Struct:
		name := schemaName(t)
		ref := map[string]any{"$ref": "#/components/schemas/" + name}
		if _, done := g.defs[name]; done {
			return ref
		}
		g.defs[name] = map[string]any{} // placeholder: recursive types
		props := map[string]any{}
		g.fields(t, props)
		keys := make([]string, 0, len(props))
		for k := range props {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		g.defs[name] = map[string]any{"type": "object", "properties": props}
		return ref
	case reflect.Interface:
		return map[string]any{}
	}
	return map[string]any{}
}

func (g *schemaGen) fields(t reflect.Type, props map[string]any) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				g.fields(ft, props)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		s := g.schema(f.Type)
		if doc := f.Tag.Get("doc"); doc != "" {
			if _, isRef := s["$ref"]; isRef {
				s = map[string]any{"allOf": []any{s}, "description": doc}
			} else {
				s["description"] = doc
			}
		}
		props[name] = s
	}
}

func schemaName(t reflect.Type) string {
	pkg := t.PkgPath()
	if i := strings.LastIndexByte(pkg, '/'); i >= 0 {
		pkg = pkg[i+1:]
	}
	n := t.Name()
	if n == "" {
		n = "Anon"
	}
	// A generic type such as Page[github.com/…/catalog.Product] becomes
	// PageCatalogProduct.
	if base, arg, ok := strings.Cut(n, "["); ok {
		arg = strings.TrimSuffix(arg, "]")
		if i := strings.LastIndexByte(arg, '/'); i >= 0 {
			arg = arg[i+1:]
		}
		ap, at, _ := strings.Cut(arg, ".")
		if at == "" {
			at, ap = ap, ""
		}
		n = base + title(ap) + title(at)
	}
	if pkg == "api" || pkg == "" {
		return n
	}
	return title(pkg) + n
}

func title(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func permDoc(p auth.Permission) string {
	if p == anyOperator {
		return "Any operator, for themselves."
	}
	return "Needs the permission `" + string(p) + "`."
}
