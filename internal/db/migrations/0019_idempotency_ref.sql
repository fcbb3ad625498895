-- A key taken inside its operation's own transaction names what the
-- operation made (an order, a payment), so that a retry can be answered
-- even when the process stopped before the response was kept.
ALTER TABLE idempotency_keys ADD COLUMN ref BIGINT;
