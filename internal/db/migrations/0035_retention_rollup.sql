-- Retention from rollups (metric.Rollup, docs/METRICS.md "Retention"):
-- repurchase, churn, historic LTV and the monthly cohorts read these rows
-- instead of every paid order of the period. All three are rebuildable
-- from orders at any time and kept by the sales rollup's refresh, which
-- re-reads the purchases of the customers whose orders changed.

-- One row per buyer: the day and net amount of each of their purchases
-- (paid orders that are not presale deposits), in day order, varint-coded.
-- A refresh compares it with the orders to find what changed, and takes
-- the old list's share out of the rollups below before adding the new.
CREATE TABLE retention_customers (
    customer_id BIGINT PRIMARY KEY,
    purchases BYTEA NOT NULL
);

-- Per day: the purchases of known buyers (orders), how many were the
-- buyer's first (first_orders), their net amount (net: totals and
-- deposits, less refunds); prevs: for the others, how many had their
-- previous purchase on each earlier day; prevs2: how many had their
-- second-previous purchase on each day (pairs of varints, day order).
CREATE TABLE retention_daily (
    day BIGINT PRIMARY KEY,
    orders BIGINT NOT NULL,
    first_orders BIGINT NOT NULL,
    net BIGINT NOT NULL,
    prevs BYTEA NOT NULL,
    prevs2 BYTEA NOT NULL
);

-- Per monthly cohort (the month of the first purchase, yyyymm) and day:
-- how many of its customers made their first purchase of a month that day
-- (active), how many their second purchase day (repeaters), and the net
-- amount of the cohort's purchases that day.
CREATE TABLE cohort_daily (
    cohort BIGINT NOT NULL,
    day BIGINT NOT NULL,
    active BIGINT NOT NULL,
    repeaters BIGINT NOT NULL,
    net BIGINT NOT NULL,
    PRIMARY KEY (cohort, day)
);
