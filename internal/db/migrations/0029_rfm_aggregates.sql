-- RFM at a million customers (issue 6, speed). A run no longer rewrites a
-- row per customer: it scores from per-customer purchase aggregates the
-- order hook keeps in the order's own transaction, and stores its group
-- sizes, the customers whose segment changed (rfm_moves, for the movement
-- matrix) and the changed rows of the customers' current scores.

-- Each customer's purchases as rfm.Aggregate counts them (package
-- purchase): first and last payment, paid orders, net spend in 分.
-- changed_at is when the hook or a rebuild last wrote the row, so an
-- in-memory copy catches up by reading only the rows changed since.
CREATE TABLE rfm_customers (
    customer_id BIGINT PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
    first_paid_at BIGINT NOT NULL,
    last_paid_at BIGINT NOT NULL,
    frequency BIGINT NOT NULL,
    monetary BIGINT NOT NULL,
    changed_at BIGINT NOT NULL
);
CREATE INDEX rfm_customers_changed ON rfm_customers (changed_at);

-- The shop's inter-purchase gaps: purchases that came days after the same
-- customer's previous purchase day (the lifecycle thresholds' input).
CREATE TABLE rfm_gaps (
    days BIGINT PRIMARY KEY,
    purchases BIGINT NOT NULL
);

-- Every customer's place in the latest run. run_id is the run that last
-- changed the row; recency is derived from last_paid_at and the latest
-- run's as_of, so a row changes only when its scores, segment, stage or
-- purchases do.
CREATE TABLE rfm_current (
    customer_id BIGINT PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
    run_id BIGINT NOT NULL,
    last_paid_at BIGINT NOT NULL,
    frequency BIGINT NOT NULL,
    monetary BIGINT NOT NULL,
    r BIGINT NOT NULL,
    f BIGINT NOT NULL,
    m BIGINT NOT NULL,
    segment TEXT NOT NULL,
    stage TEXT NOT NULL
);

-- Rows on their way into rfm_current, written in bulk and upserted in one
-- statement; empty outside a run's transaction.
CREATE TABLE rfm_current_stage (
    customer_id BIGINT PRIMARY KEY,
    run_id BIGINT NOT NULL,
    last_paid_at BIGINT NOT NULL,
    frequency BIGINT NOT NULL,
    monetary BIGINT NOT NULL,
    r BIGINT NOT NULL,
    f BIGINT NOT NULL,
    m BIGINT NOT NULL,
    segment TEXT NOT NULL,
    stage TEXT NOT NULL
);

-- Customers whose segment changed in a run: from '' is a customer the
-- previous run did not score, to '' one this run does not.
CREATE TABLE rfm_moves (
    run_id BIGINT NOT NULL REFERENCES rfm_runs(id) ON DELETE CASCADE,
    customer_id BIGINT NOT NULL,
    from_segment TEXT NOT NULL,
    to_segment TEXT NOT NULL,
    PRIMARY KEY (run_id, customer_id)
);

INSERT INTO rfm_current (customer_id, run_id, last_paid_at, frequency, monetary, r, f, m, segment, stage)
SELECT s.customer_id, s.run_id, r.as_of - s.recency_days * 86400000, s.frequency, s.monetary, s.r, s.f, s.m, s.segment, s.stage
FROM rfm_scores s JOIN rfm_runs r ON r.id = s.run_id
WHERE s.run_id = (SELECT MAX(id) FROM rfm_runs);

INSERT INTO rfm_moves (run_id, customer_id, from_segment, to_segment)
SELECT b.run_id, b.customer_id, COALESCE(a.segment, ''), b.segment
FROM rfm_scores b LEFT JOIN rfm_scores a ON a.customer_id = b.customer_id
    AND a.run_id = (SELECT MAX(id) FROM rfm_runs WHERE id < b.run_id)
WHERE b.run_id = (SELECT MAX(id) FROM rfm_runs) AND (a.segment IS NULL OR a.segment <> b.segment);

INSERT INTO rfm_moves (run_id, customer_id, from_segment, to_segment)
SELECT (SELECT MAX(id) FROM rfm_runs), a.customer_id, a.segment, ''
FROM rfm_scores a
WHERE a.run_id = (SELECT MAX(id) FROM rfm_runs WHERE id < (SELECT MAX(id) FROM rfm_runs))
    AND NOT EXISTS (SELECT 1 FROM rfm_scores b WHERE b.customer_id = a.customer_id AND b.run_id = (SELECT MAX(id) FROM rfm_runs));

DROP TABLE rfm_scores;

-- The latest run's scores, as the table of that name held them for the
-- pages and rules that read them (segments, coupons, promotions, sales
-- breakdowns): every run id but the latest's has no rows.
CREATE VIEW rfm_scores AS
SELECT (SELECT MAX(id) FROM rfm_runs) AS run_id, c.customer_id,
    ((SELECT as_of FROM rfm_runs ORDER BY id DESC LIMIT 1) - c.last_paid_at) / 86400000 AS recency_days,
    c.frequency, c.monetary, c.r, c.f, c.m, c.segment, c.stage
FROM rfm_current c;
