-- The segment breakdown from a rollup (metric.SegmentGroups): the paid
-- orders, GMV and distinct buyers of a period per RFM segment, by each
-- buyer's current segment, read from day rows instead of the period's
-- orders joined to the scores.
--
-- A buyer's row in the retention rollup now keeps the segment their
-- purchases are counted under, and each purchase its value (total and
-- deposit) besides its net amount: the lists are built again on the next
-- refresh (the mark below goes).
ALTER TABLE retention_customers ADD COLUMN segment TEXT NOT NULL DEFAULT '';
DELETE FROM job_marks WHERE name = 'retention.orders_updated_at';

-- Per day and segment ('' unscored): the purchases of buyers counted in
-- the segment, their value, and how many had their previous purchase on
-- each earlier day (pairs of varints, day order), as retention_daily.
CREATE TABLE segment_daily (
    day BIGINT NOT NULL,
    segment TEXT NOT NULL,
    orders BIGINT NOT NULL,
    gmv BIGINT NOT NULL,
    prevs BYTEA NOT NULL,
    PRIMARY KEY (day, segment)
);
