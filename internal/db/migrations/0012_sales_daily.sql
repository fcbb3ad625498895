-- Daily sales rollup (metric.Rollup): the overview and every period figure
-- read these rows instead of scanning orders. Rebuildable from orders and
-- refunds at any time; refreshed from what changed since the last refresh.
-- buyers_sketch is a HyperLogLog of the day's paying customers, merged for
-- distinct buyers over long ranges.
CREATE TABLE sales_daily (
    day BIGINT PRIMARY KEY,
    paid_orders BIGINT NOT NULL,
    gmv BIGINT NOT NULL,
    cogs BIGINT NOT NULL,
    refunds BIGINT NOT NULL,
    refund_count BIGINT NOT NULL,
    buyers BIGINT NOT NULL,
    buyers_sketch BYTEA,
    refreshed_at BIGINT NOT NULL
);

-- High-water marks of incremental jobs, by name.
CREATE TABLE job_marks (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX orders_updated ON orders (updated_at);
