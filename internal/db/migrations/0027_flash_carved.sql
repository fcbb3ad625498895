-- The units a flash sale item carved out of its SKU when the sale was made.
-- stock shrinks to the units orders took when the sale ends (the rest go
-- back to the SKU), so without this an ended sale could not show its
-- sell-through (paid ÷ carved). Items of sales ended before this migration
-- only know what they kept; their carved is that.
ALTER TABLE flash_sale_items ADD COLUMN carved BIGINT NOT NULL DEFAULT 0;
UPDATE flash_sale_items SET carved = stock;
