package auth

import (
	"slices"
	"strings"
	"testing"
)

func TestCan_MatrixRowByRow(t *testing.T) {
	all := Permissions()
	rows := []struct {
		role  Role
		grant []Permission // everything else is refused
	}{
		{RoleAdmin, all},
		{RoleOperator, []Permission{
			"overview:read",
			"analytics:read", "analytics:write",
			"products:read", "products:write",
			"customers:read", "customers:write",
			"inventory:read", "inventory:write",
			"orders:read", "orders:write",
			"segments:read", "segments:write",
			"promotions:read", "promotions:write",
			"imports:read", "imports:write",
		}},
		{RoleDesigner, []Permission{"overview:read", "analytics:read", "products:read", "products:write", "promotions:read"}},
		{RoleService, []Permission{"products:read", "customers:read", "orders:read", "orders:write"}},
		{RoleSupply, []Permission{"products:read", "inventory:read", "inventory:write", "orders:read", "imports:read", "imports:write"}},
		{RoleFinance, []Permission{"overview:read", "analytics:read", "products:read", "customers:read", "inventory:read", "orders:read", "segments:read", "promotions:read", "imports:read"}},
		{RoleViewer, []Permission{"overview:read", "analytics:read", "products:read", "customers:read", "inventory:read", "orders:read", "segments:read", "promotions:read"}},
	}
	if len(rows) != len(Roles()) {
		t.Fatalf("the table has %d rows but there are %d roles", len(rows), len(Roles()))
	}
	for _, row := range rows {
		t.Run(string(row.role), func(t *testing.T) {
			for _, p := range all {
				want := slices.Contains(row.grant, p)
				if got := Can(row.role, p); got != want {
					t.Errorf("Can(%s, %s) = %v, want %v", row.role, p, got, want)
				}
			}
		})
	}
}

func TestCan_OnlyAdminManagesStaffTokensSettingsAndReadsAudit(t *testing.T) {
	for _, p := range []Permission{"operators:read", "operators:write", "tokens:read", "tokens:write", "settings:write", "audit:read", "webhooks:read", "webhooks:write"} {
		for _, r := range Roles() {
			if got, want := Can(r, p), r == RoleAdmin; got != want {
				t.Errorf("Can(%s, %s) = %v, want %v", r, p, got, want)
			}
		}
	}
}

func TestCan_UnknownRoleOrPermissionIsRefused(t *testing.T) {
	cases := []struct {
		role Role
		p    Permission
	}{
		{"root", "products:read"},
		{"", "products:read"},
		{"Admin", "products:read"},
		{RoleAdmin, "products:delete"},
		{RoleAdmin, "products"},
		{RoleAdmin, "rockets:read"},
		{RoleAdmin, ""},
		{RoleViewer, ":read"},
	}
	for _, c := range cases {
		if Can(c.role, c.p) {
			t.Errorf("Can(%q, %q) = true, want false", c.role, c.p)
		}
	}
}

func TestPermissions_ReadAndWriteForEveryArea(t *testing.T) {
	want := []string{"overview", "analytics", "products", "customers", "inventory", "orders", "segments", "promotions", "imports", "audit", "operators", "tokens", "settings", "webhooks"}
	if got := Areas(); !slices.Equal(got, want) {
		t.Fatalf("Areas() = %v, want %v", got, want)
	}
	ps := Permissions()
	if len(ps) != 2*len(want) {
		t.Fatalf("%d permissions, want %d", len(ps), 2*len(want))
	}
	for i, a := range want {
		if ps[2*i] != Permission(a+":read") || ps[2*i+1] != Permission(a+":write") {
			t.Errorf("permissions %d,%d = %s,%s, want %s:read,%s:write", 2*i, 2*i+1, ps[2*i], ps[2*i+1], a, a)
		}
		if !ValidPermission(ps[2*i]) || !strings.Contains(string(ps[2*i]), ":") {
			t.Errorf("%s not valid", ps[2*i])
		}
	}
}

func TestRoles_AndValidRole(t *testing.T) {
	want := []Role{"admin", "operator", "designer", "service", "supply", "finance", "viewer"}
	got := Roles()
	if !slices.Equal(got, want) {
		t.Fatalf("Roles() = %v, want %v", got, want)
	}
	got[0] = "changed"
	if Roles()[0] != RoleAdmin {
		t.Error("Roles() hands out the package's own slice")
	}
	for _, r := range want {
		if !ValidRole(string(r)) {
			t.Errorf("ValidRole(%q) = false", r)
		}
	}
	for _, s := range []string{"", "root", "ADMIN", "admin "} {
		if ValidRole(s) {
			t.Errorf("ValidRole(%q) = true", s)
		}
	}
}

func TestCanManageTokens_OwnAlwaysOthersOnlyAdmin(t *testing.T) {
	viewer := Operator{ID: 7, Role: RoleViewer}
	admin := Operator{ID: 1, Role: RoleAdmin}
	cases := []struct {
		name  string
		actor Operator
		owner int64
		want  bool
	}{
		{"viewer own", viewer, 7, true},
		{"viewer other's", viewer, 8, false},
		{"viewer everyone's", viewer, 0, false},
		{"admin other's", admin, 7, true},
		{"admin everyone's", admin, 0, true},
		{"disabled own", Operator{ID: 7, Role: RoleViewer, Disabled: true}, 7, false},
		{"nobody", Operator{}, 0, false},
	}
	for _, c := range cases {
		if got := CanManageTokens(c.actor, c.owner); got != c.want {
			t.Errorf("%s: CanManageTokens = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestTokenAllows_ScopeAndRoleBothNeeded(t *testing.T) {
	cases := []struct {
		scopes []string
		role   Role
		p      Permission
		want   bool
	}{
		{[]string{"*"}, RoleAdmin, "settings:write", true},
		{[]string{"*"}, RoleViewer, "products:read", true},
		{[]string{"*"}, RoleViewer, "products:write", false},
		{[]string{"products:read"}, RoleOperator, "products:read", true},
		{[]string{"products:read"}, RoleOperator, "products:write", false},
		{[]string{"products:read"}, RoleOperator, "orders:read", false},
		{[]string{"products:write"}, RoleOperator, "products:read", true},
		{[]string{"products:write"}, RoleViewer, "products:write", false},
		{[]string{"orders:read", "products:write"}, RoleDesigner, "products:write", true},
		{nil, RoleAdmin, "products:read", false},
	}
	for _, c := range cases {
		tok := Token{Scopes: c.scopes}
		if got := tok.Allows(c.role, c.p); got != c.want {
			t.Errorf("Token%v.Allows(%s, %s) = %v, want %v", c.scopes, c.role, c.p, got, c.want)
		}
	}
}
