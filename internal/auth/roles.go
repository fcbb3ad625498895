package auth

import "strings"

// Role is what an operator (操作员) does in the shop; it decides what they may
// read and change.
type Role string

const (
	RoleAdmin    Role = "admin"    // 管理员: everything, including staff and settings
	RoleOperator Role = "operator" // 运营: runs the catalog, customers, stock and orders
	RoleDesigner Role = "designer" // 美工: product pages and images
	RoleService  Role = "service"  // 客服: customers and their orders
	RoleSupply   Role = "supply"   // 供应链: stock
	RoleFinance  Role = "finance"  // 财务: reads everything that has money in it
	RoleViewer   Role = "viewer"   // 只读: looks, never touches
)

var roles = []Role{RoleAdmin, RoleOperator, RoleDesigner, RoleService, RoleSupply, RoleFinance, RoleViewer}

// Roles lists every role, most powerful first, the order a role picker shows.
func Roles() []Role { return append([]Role(nil), roles...) }

// ValidRole reports whether s names a role.
func ValidRole(s string) bool {
	for _, r := range roles {
		if string(r) == s {
			return true
		}
	}
	return false
}

// Permission is "area:action", for example "products:write".
type Permission string

// Area is the part of the permission before the colon.
func (p Permission) Area() string { a, _, _ := strings.Cut(string(p), ":"); return a }

// Action is the part of the permission after the colon: "read" or "write".
func (p Permission) Action() string { _, a, _ := strings.Cut(string(p), ":"); return a }

const (
	actionRead  = "read"
	actionWrite = "write"
)

// Read and Write build the permission to read or change an area.
func Read(area string) Permission  { return Permission(area + ":" + actionRead) }
func Write(area string) Permission { return Permission(area + ":" + actionWrite) }

// access is how far a role reaches into an area.
type access int

const (
	none access = iota
	r           // read
	rw          // read and write
)

type grants map[Role]access

// areas is the permission matrix, one line per area. Admin holds every
// permission and is not listed; a role missing from a line has no access.
// A new capability adds its area here, in one line.
//
// The tokens area covers other operators' API tokens: every operator may
// manage their own tokens whatever their role, which the caller checks by
// operator id (CanManageTokens), not through this matrix.
var areas = []struct {
	name   string
	grants grants
}{
	{"overview", grants{RoleOperator: r, RoleDesigner: r, RoleFinance: r, RoleViewer: r}},
	{"analytics", grants{RoleOperator: rw, RoleDesigner: r, RoleFinance: r, RoleViewer: r}},
	{"products", grants{RoleOperator: rw, RoleDesigner: rw, RoleService: r, RoleSupply: r, RoleFinance: r, RoleViewer: r}},
	{"customers", grants{RoleOperator: rw, RoleService: r, RoleFinance: r, RoleViewer: r}},
	{"inventory", grants{RoleOperator: rw, RoleSupply: rw, RoleFinance: r, RoleViewer: r}},
	{"orders", grants{RoleOperator: rw, RoleService: rw, RoleSupply: r, RoleFinance: r, RoleViewer: r}},
	{"segments", grants{RoleOperator: rw, RoleFinance: r, RoleViewer: r}},
	{"promotions", grants{RoleOperator: rw, RoleDesigner: r, RoleFinance: r, RoleViewer: r}},
	{"imports", grants{RoleOperator: rw, RoleSupply: rw, RoleFinance: r}},
	{"audit", grants{}},
	{"operators", grants{}},
	{"tokens", grants{}},
	{"settings", grants{}},
	{"webhooks", grants{}},
}

// Areas lists the areas permissions are granted on, in the matrix's order.
func Areas() []string {
	out := make([]string, len(areas))
	for i, a := range areas {
		out[i] = a.name
	}
	return out
}

// Permissions lists every permission: read then write for each area.
func Permissions() []Permission {
	out := make([]Permission, 0, 2*len(areas))
	for _, a := range areas {
		out = append(out, Read(a.name), Write(a.name))
	}
	return out
}

// ValidPermission reports whether p is a permission of the matrix.
func ValidPermission(p Permission) bool {
	for _, q := range Permissions() {
		if q == p {
			return true
		}
	}
	return false
}

// Can reports whether role holds permission p.
func Can(role Role, p Permission) bool {
	if !ValidRole(string(role)) {
		return false
	}
	area, action := p.Area(), p.Action()
	for _, a := range areas {
		if a.name != area {
			continue
		}
		if role == RoleAdmin {
			return action == actionRead || action == actionWrite
		}
		switch action {
		case actionRead:
			return a.grants[role] >= r
		case actionWrite:
			return a.grants[role] >= rw
		}
		return false
	}
	return false
}

// CanManageTokens reports whether actor may create, list and revoke the API
// tokens of the operator ownerID: their own always (the service checks that
// by operator id, since the matrix gives tokens:* to admins only), anyone's
// with tokens:write.
func CanManageTokens(actor Operator, ownerID int64) bool {
	if actor.Disabled {
		return false
	}
	return (actor.ID != 0 && actor.ID == ownerID) || Can(actor.Role, Write("tokens"))
}
