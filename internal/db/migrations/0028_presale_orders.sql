-- A presale purchase is two orders, the deposit (定金) and the tail (尾款),
-- but one purchase in the figures (docs/METRICS.md, "Presale orders"): as
-- on Tmall, it counts when the tail is paid, at the goods' value. The
-- presale package stamps its orders when it places them, so the figures
-- need no join to presale_deposits.
--
-- presale_role: '' (an ordinary order), 'deposit' (never a purchase by
-- itself: left out of every order figure) or 'tail' (the purchase).
-- deposit_total: on a tail order, the deposit paid for it, which its value
-- (GMV, monetary) adds to its own total.
ALTER TABLE orders ADD COLUMN presale_role TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN deposit_total BIGINT NOT NULL DEFAULT 0;
UPDATE orders SET presale_role = 'deposit' WHERE id IN (SELECT deposit_order_id FROM presale_deposits);
UPDATE orders SET presale_role = 'tail', deposit_total = (
    SELECT od.total FROM presale_deposits d JOIN orders od ON od.id = d.deposit_order_id WHERE d.tail_order_id = orders.id)
WHERE id IN (SELECT tail_order_id FROM presale_deposits WHERE tail_order_id IS NOT NULL);

-- The sales figures read a period's paid orders from this index alone
-- (0011); it now carries the two columns they read as well.
CREATE INDEX orders_paid_day_cover2 ON orders (paid_day, customer_id, total, cost_total, refunded_total, presale_role, deposit_total);
DROP INDEX orders_paid_day_cover;

-- A customer's first purchase is no longer a deposit.
UPDATE customers SET first_paid_day = (
    SELECT MIN(o.paid_day) FROM orders o WHERE o.customer_id = customers.id AND o.paid_day IS NOT NULL AND o.presale_role <> 'deposit')
WHERE id IN (SELECT customer_id FROM presale_deposits);

-- The daily rollups counted presale orders the old way: with their marks
-- gone, the next refresh rebuilds every day (only in a store that has had
-- a presale).
DELETE FROM job_marks WHERE name IN ('sales_daily.orders_updated_at', 'sales_daily.refund_id',
    'indicators.event_id', 'indicators.orders_updated_at', 'indicators.refund_id')
    AND EXISTS (SELECT 1 FROM presale_deposits);
