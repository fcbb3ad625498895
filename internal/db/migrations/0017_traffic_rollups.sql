-- Indicator rollups (metric.Indicators): the traffic, funnel, channel and
-- product figures are read from these rows, not from scanning events and
-- orders on every page view. All are rebuildable from events, orders and
-- refunds; the refresh job recomputes the days that changed.

-- Traffic of a store day through one channel, and (channel '') of the whole
-- day, where a visitor who came through two channels counts once.
-- Visitor-days: the funnel counts visitors who, that day and in this order,
-- viewed a product, added to cart, started checkout and paid.
-- uv_sketch / converted_sketch are HyperLogLog sketches of the visitors and
-- of the visitors who paid, merged for ranges longer than a day.
CREATE TABLE traffic_daily (
    day BIGINT NOT NULL,
    channel TEXT NOT NULL,
    pv BIGINT NOT NULL,
    uv BIGINT NOT NULL,
    sessions BIGINT NOT NULL,
    product_views BIGINT NOT NULL,
    searches BIGINT NOT NULL,
    add_to_carts BIGINT NOT NULL,
    checkout_starts BIGINT NOT NULL,
    purchases BIGINT NOT NULL,
    funnel_view BIGINT NOT NULL,
    funnel_cart BIGINT NOT NULL,
    funnel_checkout BIGINT NOT NULL,
    funnel_paid BIGINT NOT NULL,
    converted BIGINT NOT NULL,
    uv_sketch BYTEA,
    converted_sketch BYTEA,
    refreshed_at BIGINT NOT NULL,
    PRIMARY KEY (day, channel)
);

-- Sales of a store day by the channel of the order (orders.channel);
-- refunds by the day they were paid out, against their order's channel.
CREATE TABLE sales_channel_daily (
    day BIGINT NOT NULL,
    channel TEXT NOT NULL,
    paid_orders BIGINT NOT NULL,
    gmv BIGINT NOT NULL,
    cogs BIGINT NOT NULL,
    refunds BIGINT NOT NULL,
    buyers BIGINT NOT NULL,
    refreshed_at BIGINT NOT NULL,
    PRIMARY KEY (day, channel)
);

-- A product's day: views and add-to-carts from events, and from the lines
-- of the orders paid that day the orders, units, sales (line totals after
-- discounts, shipping excluded) and their cost, before refunds.
CREATE TABLE product_daily (
    day BIGINT NOT NULL,
    product_id BIGINT NOT NULL,
    views BIGINT NOT NULL,
    add_to_carts BIGINT NOT NULL,
    orders BIGINT NOT NULL,
    units BIGINT NOT NULL,
    sales BIGINT NOT NULL,
    cogs BIGINT NOT NULL,
    refreshed_at BIGINT NOT NULL,
    PRIMARY KEY (day, product_id)
);
CREATE INDEX product_daily_product ON product_daily (product_id, day);
