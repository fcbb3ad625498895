package api

import "github.com/storeops/storeops/internal/auth"

// Routes is the whole surface of the API in one table: the mux, the
// permission checks and the OpenAPI document are all built from it.
func (a *API) Routes() []Route {
	var rs []Route
	rs = append(rs, a.catalogRoutes()...)
	rs = append(rs, a.memberPriceRoutes()...)
	rs = append(rs, a.customerRoutes()...)
	rs = append(rs, a.inventoryRoutes()...)
	rs = append(rs, a.metricRoutes()...)
	rs = append(rs, a.indicatorRoutes()...)
	rs = append(rs, a.analyticsRoutes()...)
	rs = append(rs, a.adminRoutes()...)
	rs = append(rs, a.segmentRoutes()...)
	rs = append(rs, a.promotionRoutes()...)
	rs = append(rs, a.flashRoutes()...)
	rs = append(rs, a.groupBuyRoutes()...)
	rs = append(rs, a.presaleRoutes()...)
	rs = append(rs, a.orderRoutes()...)
	rs = append(rs, a.aftersaleRoutes()...)
	rs = append(rs, a.importRoutes()...)
	rs = append(rs, a.webhookRoutes()...)
	rs = append(rs, a.syncRoutes()...)
	rs = append(rs, a.storeRoutes()...)
	rs = append(rs, a.storeAftersaleRoutes()...)
	rs = append(rs, a.couponRoutes()...)
	rs = append(rs, a.tierRoutes()...)
	rs = append(rs, a.growthRoutes()...)
	rs = append(rs, a.storeProfileRoutes()...)
	rs = append(rs, a.pointsRoutes()...)
	rs = append(rs, a.referralRoutes()...)
	rs = append(rs, a.audienceRoutes()...)
	return rs
}

// Permissions the routes use, named once.
var (
	permProductsRead   = auth.Read("products")
	permProductsWrite  = auth.Write("products")
	permCustomersRead  = auth.Read("customers")
	permCustomersWrite = auth.Write("customers")
	permInventoryRead  = auth.Read("inventory")
	permInventoryWrite = auth.Write("inventory")
	permOrdersRead     = auth.Read("orders")
	permOrdersWrite    = auth.Write("orders")
	permOverviewRead   = auth.Read("overview")
	permAuditRead      = auth.Read("audit")
	permOperatorsRead  = auth.Read("operators")
	permOperatorsWrite = auth.Write("operators")
	permTokensRead     = auth.Read("tokens")
	permSegmentsRead   = auth.Read("segments")
	permSegmentsWrite  = auth.Write("segments")
	// anyOperator marks routes every operator may call for themselves (their
	// own API tokens); the handler checks ownership.
	anyOperator       auth.Permission = ""
	permSettingsRead                  = auth.Read("settings")
	permSettingsWrite                 = auth.Write("settings")
)
