-- Lists page newest first by id (keyset); on PostgreSQL an index on the
-- filter column alone is ordered by row position, not id, so each filter
-- gets a (column, id) index the page can walk.
CREATE INDEX products_status_id ON products (status, id);
DROP INDEX products_status;
CREATE INDEX products_role_id ON products (role, id);
CREATE INDEX products_category_id ON products (category_id, id);
DROP INDEX products_category;

CREATE INDEX customers_channel_id ON customers (source_channel, id);
CREATE INDEX customer_tags_tag_customer ON customer_tags (tag, customer_id);
DROP INDEX customer_tags_tag;

-- A customer has at most one default address; the service keeps exactly one
-- whenever there are any.
CREATE UNIQUE INDEX customer_addresses_one_default ON customer_addresses (customer_id) WHERE is_default;

-- A SKU's movement history pages by id.
CREATE INDEX stock_movements_sku_id ON stock_movements (sku_id, id);
