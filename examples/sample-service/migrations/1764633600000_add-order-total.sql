-- Expand: a nullable column, so the revision still serving (which does not know it) keeps working and a
-- rollback of this release runs on this schema too (docs/migrations.md, "Expand and contract").

-- Up Migration
ALTER TABLE orders ADD COLUMN total_cents bigint;
CREATE INDEX orders_placed_at ON orders (placed_at);

-- Down Migration
DROP INDEX orders_placed_at;
ALTER TABLE orders DROP COLUMN total_cents;
