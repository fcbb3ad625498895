package web

import "github.com/storeops/storeops/internal/auth"

// navItem is one link of the sidebar.
type navItem struct {
	Key   string // also the catalog key nav.<Key>
	Href  string
	Perm  auth.Permission // "" for every operator
	Group string          // catalog key of the section heading
}

// navItems is the sidebar in order. An operator sees only the areas their
// role can read, so nobody is shown a link that answers 403.
var navItems = []navItem{
	{"overview", "/", auth.Read("overview"), "nav.group.store"},
	{"analytics", "/analytics", auth.Read("analytics"), "nav.group.store"},
	{"briefs", "/briefs", auth.Read("analytics"), "nav.group.store"},
	{"alerts", "/alerts", auth.Read("analytics"), "nav.group.store"},
	{"channels", "/channels", auth.Read("analytics"), "nav.group.store"},
	{"products", "/products", auth.Read("products"), "nav.group.store"},
	{"customers", "/customers", auth.Read("customers"), "nav.group.store"},
	{"orders", "/orders", auth.Read("orders"), "nav.group.store"},
	{"aftersales", "/aftersales", auth.Read("orders"), "nav.group.store"},
	{"inventory", "/inventory", auth.Read("inventory"), "nav.group.store"},
	{"segments", "/segments", auth.Read("segments"), "nav.group.store"},
	{"customer_value", "/customer-value", auth.Read("segments"), "nav.group.store"},
	{"audiences", "/audiences", auth.Read("segments"), "nav.group.store"},
	{"tiers", "/tiers", auth.Read("customers"), "nav.group.store"},
	{"promotions", "/promotions", auth.Read("promotions"), "nav.group.store"},
	{"coupons", "/coupons", auth.Read("promotions"), "nav.group.store"},
	{"points", "/points", auth.Read("promotions"), "nav.group.store"},
	{"flash_sales", "/flash-sales", auth.Read("promotions"), "nav.group.store"},
	{"group_buys", "/group-buys", auth.Read("promotions"), "nav.group.store"},
	{"referrals", "/referrals", auth.Read("promotions"), "nav.group.store"},
	{"presales", "/presales", auth.Read("promotions"), "nav.group.store"},
	{"imports", "/imports", auth.Read("imports"), "nav.group.admin"},
	{"webhooks", "/webhooks", auth.Read("webhooks"), "nav.group.admin"},
	{"audit", "/audit", auth.Read("audit"), "nav.group.admin"},
	{"users", "/operators", auth.Read("operators"), "nav.group.admin"},
	{"tokens", "/tokens", "", "nav.group.admin"},
	{"settings", "/settings", auth.Read("settings"), "nav.group.admin"},
}

func navFor(v *viewer) []navItem {
	if !v.LoggedIn {
		return nil
	}
	var out []navItem
	for _, it := range navItems {
		if it.Perm == "" || v.Op.Can(it.Perm) {
			out = append(out, it)
		}
	}
	return out
}

// homeFor is where an operator lands after logging in: the overview, or the
// first area their role can read (customer service cannot read the overview).
func homeFor(v *viewer) string {
	if nav := navFor(v); len(nav) > 0 {
		return nav[0].Href
	}
	return "/"
}
