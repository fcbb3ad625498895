-- Store-wide settings: name, time zone, currency. One row per key.
CREATE TABLE store_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
