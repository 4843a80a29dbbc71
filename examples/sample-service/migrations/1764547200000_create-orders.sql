-- The orders table the sample service lists, with the orders it starts with (so a migration that
-- only works on an empty table fails here as it would in production).

-- Up Migration
CREATE TABLE orders (
  id bigserial PRIMARY KEY,
  customer text NOT NULL,
  placed_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO orders (customer) VALUES ('ada'), ('grace'), ('linus');

-- Down Migration
DROP TABLE orders;
