-- RFM's rebuild from the orders (issue 6) reads every purchase in customer
-- order. Through orders_customer_paid that was a random table read per
-- order; through the table, a sort of ten million rows. This index holds
-- the purchases alone (package purchase: paid, not a deposit), in customer
-- and day order, with every column the rebuild and the order hook's
-- recount of a customer read, so both read it and never the table. It
-- costs every order write one more index entry (docs/PERFORMANCE.md, "RFM
-- and customer value").
CREATE INDEX orders_purchases ON orders (customer_id, paid_day, paid_at, total, deposit_total, refunded_total, presale_role)
    WHERE customer_id IS NOT NULL AND paid_at IS NOT NULL AND paid_day IS NOT NULL AND presale_role <> 'deposit';
