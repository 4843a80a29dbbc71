-- What a build made with `--break <commit>=migration` ships besides the real migrations: the classic
-- mistake that passes on an empty development database and fails on one with rows, a NOT NULL column
-- without a default. PostgreSQL refuses it (column "currency" of relation "orders" contains null values),
-- node-pg-migrate rolls the whole run back, and the stage stops before anything deploys.

-- Up Migration
ALTER TABLE orders ADD COLUMN currency char(3) NOT NULL;

-- Down Migration
ALTER TABLE orders DROP COLUMN currency;
