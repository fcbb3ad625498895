// Package promo is the promotions engine: plain functions that price a cart
// under the store's active promotions, with no database, so that every rule
// can be tested as a table and the same answer is given to the buyer, the
// order and the operator.
//
// # Order of application
//
// Price applies the steps below in this order; each step works on every
// line's amount as the earlier steps left it, and within a step promotions
// run by priority (highest first), then by id.
//
//  1. Member price (会员价). A member pays a line's member price when it has
//     one (the catalog's price for the buyer's tier), instead of any
//     member_discount promotion (tier → rate) on that line, even a rate that
//     would take more: the shop set that SKU's price for the tier. Lines
//     without one take the lowest of the member discounts. They never
//     stack.
//  2. Item discounts: percent_off and fixed_off scoped to products or
//     categories, buy_n_get_m (the cheapest units are free) and bundle (套餐:
//     a set of SKUs at a bundle price).
//  3. Tiered spend-off (阶梯满减, 满300减50 / 满500减100): per order or per
//     category, with repeat (每满300减50) or without.
//  4. Order discounts: percent_off and fixed_off scoped to the order, and
//     gifts (赠品: a line at price 0 once the threshold is met; an
//     out-of-stock gift is reported as not added, never an error).
//  5. Coupons: the coupon's template rule (fixed_off, percent_off or
//     tiered_off), applied like a promotion.
//  6. Points (积分抵现): an amount in 分 the buyer redeems, capped at a share
//     of what is left to pay.
//
// Any discount that covers more than one line (every step but 1 and the per
// unit ones) is allocated to the lines by largest remainder in 分,
// proportional to each line's amount after the earlier steps (Allocate), so
// that a partial refund returns exactly what the buyer paid for that line.
//
// # Stacking and exclusivity
//
// Two promotions conflict when either is Exclusive (applies alone) or both
// name the same stacking Group (at most one per group). A coupon conflicts
// with a promotion only when the coupon's rule is Exclusive (不与其他优惠同享)
// or shares its Group: an exclusive promotion still takes coupons and points.
//
// The engine picks the combination best for the buyer among the allowed
// ones (no two conflicting together): the lowest total, then the most
// gifts, then the highest priorities, then the earliest in the input.
// Optional are the conflicting promotions and, because a discount can push
// the spend under a later threshold (¥10 off turning ¥305 into ¥295 under
// 满300减50), those followed by a threshold (tiered_off, gift, a minimum
// spend); every other promotion always applies, as it only lowers the
// total. The search is exhaustive while there are at most MaxConflicting
// (10) promotions and coupons in play, depth first in the order of
// application so that combinations share the pricing of their common
// prefix; leaving a discount out is not tried when nothing after it
// conflicts with it or has a threshold, since taking it is then never
// worse. Branch and bound: a combination is not priced further once what
// its remaining steps could at most take off (each kind's upper bound)
// cannot bring it below the best total found so far; a strictly worse
// total is all that is cut, so the tie rules decide as in a full search,
// and the order in which branches are tried (a stronger rival of a
// promotion first) changes how much is cut, never the answer. Beyond
// MaxConflicting only the conflicting ones are optional, and
// beyond it again they are taken greedily by priority, which the reasons
// say. Every promotion or coupon that does not apply is listed in
// Result.NotApplied with the reason; NotApplied.Ineligible marks those
// ruled out by their conditions or scope before any pricing.
//
// # Many promotions
//
// A store runs hundreds of promotions, most of them on products a given
// cart does not hold. Prepare validates and indexes them once (by product,
// category and bundle SKU); with Input.Prepared, Price looks only at the
// promotions that touch a line of the cart and those on the whole order.
// The steps every combination shares are priced once, in detail, and the
// final pricing goes on from them; the search keeps only the lines'
// amounts in pooled buffers, and once every step left is order-wide it
// tracks the total alone. Input.NoLineDiscounts (the storefront's quote)
// skips the per-line discount records. See
// docs/PERFORMANCE.md (Promotions) for the figures.
//
// Money is int64 分 everywhere; rates are basis points (2000 = 20% off =
// 8折), never floats.
package promo
