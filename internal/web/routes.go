package web

import "github.com/storeops/storeops/internal/auth"

// Routes is the console's whole surface: every page and form action with
// the permission it needs. Handler wraps each one; the permission-matrix
// test walks them all for every role.
func (c *Console) Routes() []Route {
	read, write := auth.Read, auth.Write
	return []Route{
		{Method: "GET", Pattern: "/static/{path...}", Public: true, Handler: c.static},
		{Method: "GET", Pattern: "/login", Public: true, Handler: c.loginForm},
		{Method: "POST", Pattern: "/login", Public: true, Handler: c.login},
		{Method: "POST", Pattern: "/logout", Public: true, Handler: c.logout},
		{Method: "POST", Pattern: "/lang", Public: true, Handler: c.setLang},

		{Method: "GET", Pattern: "/{$}", Perm: read("overview"), Handler: c.overview},
		{Method: "GET", Pattern: "/overview/daily.csv", Perm: read("overview"), Handler: c.overviewCSV},
		{Method: "GET", Pattern: "/analytics", Perm: read("analytics"), Handler: c.analytics},
		{Method: "GET", Pattern: "/analytics/export", Perm: read("analytics"), Handler: c.analyticsExport},
		{Method: "GET", Pattern: "/briefs", Perm: read("analytics"), Handler: c.briefs},
		{Method: "POST", Pattern: "/briefs", Perm: write("analytics"), Handler: c.writeBrief},
		{Method: "GET", Pattern: "/briefs/{id}", Perm: read("analytics"), Handler: c.briefDetail},
		{Method: "GET", Pattern: "/briefs/{id}/download", Perm: read("analytics"), Handler: c.briefDownload},
		{Method: "GET", Pattern: "/alerts", Perm: read("analytics"), Handler: c.alerts},
		{Method: "GET", Pattern: "/channels", Perm: read("analytics"), Handler: c.channels},
		{Method: "POST", Pattern: "/channels", Perm: write("analytics"), Handler: c.saveChannels},
		{Method: "GET", Pattern: "/alerts/{id}", Perm: read("analytics"), Handler: c.alertDetail},
		{Method: "POST", Pattern: "/alerts/{id}/acknowledge", Perm: write("analytics"), Handler: c.moveAlert("acknowledged")},
		{Method: "POST", Pattern: "/alerts/{id}/resolve", Perm: write("analytics"), Handler: c.moveAlert("resolved")},

		{Method: "GET", Pattern: "/products", Perm: read("products"), Handler: c.products},
		{Method: "GET", Pattern: "/products/new", Perm: write("products"), Handler: c.newProduct},
		{Method: "POST", Pattern: "/products", Perm: write("products"), Handler: c.createProduct},
		{Method: "GET", Pattern: "/products/{id}", Perm: read("products"), Handler: c.product},
		{Method: "POST", Pattern: "/products/{id}", Perm: write("products"), Handler: c.updateProduct},
		{Method: "POST", Pattern: "/products/{id}/member-prices", Perm: write("products"), Handler: c.saveMemberPrices},

		{Method: "GET", Pattern: "/customers", Perm: read("customers"), Handler: c.customers},
		{Method: "GET", Pattern: "/customers/{id}", Perm: read("customers"), Handler: c.customerDetail},
		{Method: "GET", Pattern: "/tiers", Perm: read("customers"), Handler: c.tiersView},
		{Method: "POST", Pattern: "/tiers", Perm: write("promotions"), Handler: c.saveTiers},
		{Method: "POST", Pattern: "/customers/{id}", Perm: write("customers"), Handler: c.updateCustomer},
		{Method: "POST", Pattern: "/customers/{id}/tags", Perm: write("customers"), Handler: c.addCustomerTag},
		{Method: "POST", Pattern: "/customers/{id}/tags/remove", Perm: write("customers"), Handler: c.removeCustomerTag},
		{Method: "POST", Pattern: "/customers/{id}/consent", Perm: write("customers"), Handler: c.setCustomerConsent},
		{Method: "POST", Pattern: "/customers/{id}/points", Perm: write("customers"), Handler: c.adjustPoints},
		{Method: "GET", Pattern: "/points", Perm: read("promotions"), Handler: c.pointsRules},
		{Method: "POST", Pattern: "/points", Perm: write("promotions"), Handler: c.savePointsRules},

		{Method: "GET", Pattern: "/orders", Perm: read("orders"), Handler: c.orders},
		{Method: "GET", Pattern: "/orders.csv", Perm: read("orders"), Handler: c.ordersCSV},
		{Method: "GET", Pattern: "/orders/{id}", Perm: read("orders"), Handler: c.orderDetail},
		{Method: "POST", Pattern: "/orders/{id}/ship", Perm: write("orders"), Handler: c.shipOrder},
		{Method: "POST", Pattern: "/orders/{id}/deliver", Perm: write("orders"), Handler: c.deliverOrder},
		{Method: "POST", Pattern: "/orders/{id}/complete", Perm: write("orders"), Handler: c.completeOrder},
		{Method: "POST", Pattern: "/orders/{id}/cancel", Perm: write("orders"), Handler: c.cancelOrder},

		{Method: "GET", Pattern: "/aftersales", Perm: read("orders"), Handler: c.afterSales},
		{Method: "GET", Pattern: "/aftersales/{id}", Perm: read("orders"), Handler: c.afterSaleDetail},
		{Method: "POST", Pattern: "/aftersales/{id}/approve", Perm: write("orders"), Handler: c.approveAfterSale},
		{Method: "POST", Pattern: "/aftersales/{id}/reject", Perm: write("orders"), Handler: c.rejectAfterSale},
		{Method: "POST", Pattern: "/aftersales/{id}/receive", Perm: write("orders"), Handler: c.receiveAfterSale},
		{Method: "POST", Pattern: "/aftersales/{id}/refund", Perm: write("orders"), Handler: c.refundAfterSale},
		{Method: "POST", Pattern: "/aftersales/{id}/ship", Perm: write("orders"), Handler: c.shipExchange},
		{Method: "POST", Pattern: "/aftersales/{id}/close", Perm: write("orders"), Handler: c.closeAfterSale},

		{Method: "GET", Pattern: "/inventory", Perm: read("inventory"), Handler: c.inventory},
		{Method: "GET", Pattern: "/inventory/{skuID}", Perm: read("inventory"), Handler: c.inventorySKU},
		{Method: "POST", Pattern: "/inventory/{skuID}/adjust", Perm: write("inventory"), Handler: c.adjustStock},

		{Method: "GET", Pattern: "/segments", Perm: read("segments"), Handler: c.segments},
		{Method: "POST", Pattern: "/segments/runs", Perm: write("segments"), Handler: c.recomputeSegments},
		{Method: "GET", Pattern: "/customer-value", Perm: read("segments"), Handler: c.customerValue},
		{Method: "POST", Pattern: "/customer-value/fits", Perm: write("segments"), Handler: c.refitValue},
		{Method: "GET", Pattern: "/audiences", Perm: read("segments"), Handler: c.audienceList},
		{Method: "GET", Pattern: "/audiences/new", Perm: read("segments"), Handler: c.newAudience},
		{Method: "POST", Pattern: "/audiences", Perm: write("segments"), Handler: c.saveAudience},
		{Method: "POST", Pattern: "/audiences/builder", Perm: read("segments"), Handler: c.audienceBuilder},
		{Method: "POST", Pattern: "/audiences/preview", Perm: read("segments"), Handler: c.audiencePreview},
		{Method: "GET", Pattern: "/audiences/{id}", Perm: read("segments"), Handler: c.audienceDetail},
		{Method: "POST", Pattern: "/audiences/{id}", Perm: write("segments"), Handler: c.saveAudience},
		{Method: "POST", Pattern: "/audiences/{id}/delete", Perm: write("segments"), Handler: c.deleteAudience},
		{Method: "GET", Pattern: "/audiences/{id}/export", Perm: read("segments"), Handler: c.exportAudience},
		{Method: "POST", Pattern: "/audiences/{id}/push", Perm: write("promotions"), Handler: c.pushAudience},

		{Method: "GET", Pattern: "/promotions", Perm: read("promotions"), Handler: c.promotionList},
		{Method: "GET", Pattern: "/promotions/new", Perm: write("promotions"), Handler: c.newPromotion},
		{Method: "POST", Pattern: "/promotions", Perm: write("promotions"), Handler: c.createPromotion},
		{Method: "GET", Pattern: "/promotions/try", Perm: read("promotions"), Handler: c.promotionTry},
		{Method: "GET", Pattern: "/promotions/calendar", Perm: read("promotions"), Handler: c.promotionCalendar},
		{Method: "GET", Pattern: "/promotions/{id}", Perm: read("promotions"), Handler: c.promotionDetail},
		{Method: "GET", Pattern: "/promotions/{id}/edit", Perm: write("promotions"), Handler: c.editPromotion},
		{Method: "POST", Pattern: "/promotions/{id}", Perm: write("promotions"), Handler: c.updatePromotion},
		{Method: "POST", Pattern: "/promotions/{id}/schedule", Perm: write("promotions"), Handler: c.schedulePromotion()},
		{Method: "POST", Pattern: "/promotions/{id}/pause", Perm: write("promotions"), Handler: c.pausePromotion()},
		{Method: "POST", Pattern: "/promotions/{id}/resume", Perm: write("promotions"), Handler: c.resumePromotion()},
		{Method: "POST", Pattern: "/promotions/{id}/end", Perm: write("promotions"), Handler: c.endPromotion()},

		{Method: "GET", Pattern: "/coupons", Perm: read("promotions"), Handler: c.couponTemplates},
		{Method: "GET", Pattern: "/coupons/new", Perm: write("promotions"), Handler: c.newCouponTemplate},
		{Method: "POST", Pattern: "/coupons", Perm: write("promotions"), Handler: c.createCouponTemplate},
		{Method: "GET", Pattern: "/coupons/{id}", Perm: read("promotions"), Handler: c.couponTemplate},
		{Method: "GET", Pattern: "/coupons/{id}/edit", Perm: write("promotions"), Handler: c.editCouponTemplate},
		{Method: "POST", Pattern: "/coupons/{id}", Perm: write("promotions"), Handler: c.updateCouponTemplate},
		{Method: "POST", Pattern: "/coupons/{id}/pause", Perm: write("promotions"), Handler: c.pauseCoupon},
		{Method: "POST", Pattern: "/coupons/{id}/resume", Perm: write("promotions"), Handler: c.resumeCoupon},
		{Method: "POST", Pattern: "/coupons/{id}/end", Perm: write("promotions"), Handler: c.endCoupon},
		{Method: "POST", Pattern: "/coupons/{id}/push", Perm: write("promotions"), Handler: c.pushCoupon},
		{Method: "POST", Pattern: "/coupons/{id}/codes", Perm: write("promotions"), Handler: c.generateCodes},
		{Method: "GET", Pattern: "/coupons/{id}/codes.csv", Perm: write("promotions"), Handler: c.couponCodesCSV},

		{Method: "GET", Pattern: "/flash-sales", Perm: read("promotions"), Handler: c.flashSaleList},
		{Method: "GET", Pattern: "/flash-sales/new", Perm: write("promotions"), Handler: c.newFlashSale},
		{Method: "POST", Pattern: "/flash-sales", Perm: write("promotions"), Handler: c.createFlashSale},
		{Method: "GET", Pattern: "/flash-sales/{id}", Perm: read("promotions"), Handler: c.flashSaleDetail},
		{Method: "POST", Pattern: "/flash-sales/{id}/end", Perm: write("promotions"), Handler: c.endFlashSale},

		{Method: "GET", Pattern: "/group-buys", Perm: read("promotions"), Handler: c.groupBuyList},
		{Method: "GET", Pattern: "/group-buys/new", Perm: write("promotions"), Handler: c.newGroupBuy},
		{Method: "POST", Pattern: "/group-buys", Perm: write("promotions"), Handler: c.createGroupBuy},
		{Method: "GET", Pattern: "/group-buys/{id}", Perm: read("promotions"), Handler: c.groupBuyDetail},
		{Method: "POST", Pattern: "/group-buys/{id}/end", Perm: write("promotions"), Handler: c.endGroupBuy},

		{Method: "GET", Pattern: "/referrals", Perm: read("promotions"), Handler: c.referralProgramme},
		{Method: "POST", Pattern: "/referrals/programme", Perm: write("promotions"), Handler: c.saveReferralProgramme},
		{Method: "GET", Pattern: "/referrals/invitations", Perm: read("promotions"), Handler: c.referralInvitations},
		{Method: "POST", Pattern: "/referrals/invitations/{id}/approve", Perm: write("promotions"), Handler: c.decideInvitation(true)},
		{Method: "POST", Pattern: "/referrals/invitations/{id}/reject", Perm: write("promotions"), Handler: c.decideInvitation(false)},

		{Method: "GET", Pattern: "/presales", Perm: read("promotions"), Handler: c.presaleList},
		{Method: "GET", Pattern: "/presales/new", Perm: write("promotions"), Handler: c.newPresale},
		{Method: "POST", Pattern: "/presales", Perm: write("promotions"), Handler: c.createPresale},
		{Method: "GET", Pattern: "/presales/{id}", Perm: read("promotions"), Handler: c.presaleDetail},
		{Method: "POST", Pattern: "/presales/{id}", Perm: write("promotions"), Handler: c.updatePresale},
		{Method: "POST", Pattern: "/presales/{id}/end", Perm: write("promotions"), Handler: c.endPresale},

		{Method: "GET", Pattern: "/imports", Perm: read("imports"), Handler: c.imports},
		{Method: "POST", Pattern: "/imports", Perm: write("imports"), Handler: c.uploadImport},
		{Method: "POST", Pattern: "/imports/mappings", Perm: write("imports"), Handler: c.saveImportMapping},
		{Method: "GET", Pattern: "/imports/{id}", Perm: read("imports"), Handler: c.importJob},
		{Method: "POST", Pattern: "/imports/{id}/commit", Perm: write("imports"), Handler: c.commitImport},

		{Method: "GET", Pattern: "/webhooks", Perm: read("webhooks"), Handler: c.webhookList},
		{Method: "POST", Pattern: "/webhooks", Perm: write("webhooks"), Handler: c.createWebhook},
		{Method: "GET", Pattern: "/webhooks/{id}", Perm: read("webhooks"), Handler: c.webhookDetail},
		{Method: "POST", Pattern: "/webhooks/{id}", Perm: write("webhooks"), Handler: c.updateWebhook},
		{Method: "POST", Pattern: "/webhooks/{id}/test", Perm: write("webhooks"), Handler: c.testWebhook},
		{Method: "POST", Pattern: "/webhooks/{id}/rotate", Perm: write("webhooks"), Handler: c.rotateWebhookSecret},
		{Method: "POST", Pattern: "/webhooks/{id}/delete", Perm: write("webhooks"), Handler: c.deleteWebhook},
		{Method: "GET", Pattern: "/webhook-deliveries", Perm: read("webhooks"), Handler: c.webhookDeliveries},
		{Method: "GET", Pattern: "/webhook-deliveries/{id}", Perm: read("webhooks"), Handler: c.webhookDelivery},
		{Method: "POST", Pattern: "/webhook-deliveries/{id}/replay", Perm: write("webhooks"), Handler: c.replayWebhookDelivery},

		{Method: "GET", Pattern: "/audit", Perm: read("audit"), Handler: c.auditLog},

		{Method: "GET", Pattern: "/operators", Perm: read("operators"), Handler: c.operators},
		{Method: "POST", Pattern: "/operators", Perm: write("operators"), Handler: c.createOperator},
		{Method: "POST", Pattern: "/operators/{id}/role", Perm: write("operators"), Handler: c.setOperatorRole},
		{Method: "POST", Pattern: "/operators/{id}/disabled", Perm: write("operators"), Handler: c.setOperatorDisabled},
		{Method: "POST", Pattern: "/operators/{id}/password", Perm: write("operators"), Handler: c.resetOperatorPassword},

		// Every operator manages their own API tokens; tokens:read shows
		// everyone's, and revoking another's needs tokens:write (checked in
		// the handler, since it depends on whose token it is).
		{Method: "GET", Pattern: "/tokens", Handler: c.tokens},
		{Method: "POST", Pattern: "/tokens", Handler: c.createToken},
		{Method: "POST", Pattern: "/tokens/{id}/revoke", Handler: c.revokeToken},

		{Method: "GET", Pattern: "/settings", Perm: read("settings"), Handler: c.settingsForm},
		{Method: "POST", Pattern: "/settings", Perm: write("settings"), Handler: c.saveSettings},
	}
}
