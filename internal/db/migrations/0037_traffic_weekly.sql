-- Visitors per store week (Monday to Sunday) and channel ('' all): the
-- estimates of the week's daily visitor sketches merged (metric.IndicatorRollup),
-- kept when a day of the week is recomputed, so that a series by week reads
-- a number per week instead of merging seven sketches and estimating at
-- every request. Sums (PV, funnel) stay in traffic_daily. Built from
-- traffic_daily on the first refresh after the upgrade.
CREATE TABLE traffic_weekly (
    week BIGINT NOT NULL,
    channel TEXT NOT NULL,
    uv BIGINT NOT NULL,
    converted BIGINT NOT NULL,
    refreshed_at BIGINT NOT NULL,
    PRIMARY KEY (week, channel)
);
