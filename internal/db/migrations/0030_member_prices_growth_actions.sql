-- SKU member prices (会员价): a price per SKU per member tier. The
-- promotions pricer charges the buyer's tier's price instead of the tier
-- discount on that line. The tier is a code of the ladder (tier_levels);
-- a price of a tier later removed from the ladder is kept but never
-- matches a buyer. A SKU removed from its product takes its prices along.
CREATE TABLE sku_member_prices (
    sku_id BIGINT NOT NULL REFERENCES skus(id) ON DELETE CASCADE,
    tier TEXT NOT NULL,
    price BIGINT NOT NULL CHECK (price > 0),
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (sku_id, tier)
);

-- Growth (成长值) from actions besides paid spend: sign-in, a completed
-- profile, a referral that converts. The actions are fixed in code; the
-- shop sets the growth each earns and how often it may earn it (per day in
-- the store's time zone, per lifetime; 0: no cap). An action without a row
-- uses the code's default.
CREATE TABLE growth_actions (
    code TEXT PRIMARY KEY,
    growth BIGINT NOT NULL CHECK (growth >= 0),
    daily_cap BIGINT NOT NULL CHECK (daily_cap >= 0),
    lifetime_cap BIGINT NOT NULL CHECK (lifetime_cap >= 0),
    updated_at BIGINT NOT NULL
);

-- What a movement came from: action is '' for spend (orders, refunds),
-- an action code, or 'manual' for an operator's grant; reason is what the
-- customer page shows. The index counts an action's grants for its caps.
ALTER TABLE growth_movements ADD COLUMN action TEXT NOT NULL DEFAULT '';
ALTER TABLE growth_movements ADD COLUMN reason TEXT NOT NULL DEFAULT '';
CREATE INDEX growth_movements_action ON growth_movements (customer_id, action, at);

-- The movement whose growth made a tier change (an upgrade at once);
-- '' for the scheduled evaluation.
ALTER TABLE tier_changes ADD COLUMN source TEXT NOT NULL DEFAULT '';
