-- The crm dataset in PostgreSQL, normalized, as the load generator queries it.
-- Columns follow crm_dataset's COPY files; times are UTC microseconds (bigint)
-- as in crm, enums of the history tables are their crm codes (smallint).
-- Tables are created, loaded (COPY), then indexed: pg_load.sql.

CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL, role text NOT NULL, team text NOT NULL);

CREATE TABLE customers (
  id bigint PRIMARY KEY,
  external_ref text NOT NULL, kind text NOT NULL, name text NOT NULL, tax_id text NOT NULL,
  phones text[] NOT NULL, emails text[] NOT NULL,
  country text NOT NULL, province text NOT NULL, city text NOT NULL,
  industry text NOT NULL, size_band text NOT NULL, category text NOT NULL,
  payment_method text NOT NULL, credit_level text NOT NULL, lifecycle text NOT NULL,
  owner_id bigint, team text NOT NULL, tags text[] NOT NULL, attributes jsonb NOT NULL,
  gender text NOT NULL, birth_year int NOT NULL, occupation text NOT NULL, income_band text NOT NULL,
  created_at bigint NOT NULL, updated_at bigint NOT NULL);

-- Every customer and contact phone (E.164) -> its customer.
CREATE TABLE phones (phone text NOT NULL, customer_id bigint NOT NULL, contact_id bigint);

CREATE TABLE relations (customer_id bigint NOT NULL, other_id bigint NOT NULL, kind text NOT NULL);

CREATE TABLE contacts (
  id bigint PRIMARY KEY, customer_id bigint NOT NULL, name text NOT NULL, title text NOT NULL,
  phones text[] NOT NULL, emails text[] NOT NULL, created_at bigint NOT NULL, updated_at bigint NOT NULL);

CREATE TABLE interactions (
  id bigserial, customer_id bigint NOT NULL, contact_id bigint, channel smallint NOT NULL,
  direction smallint NOT NULL, time bigint NOT NULL, agent_id bigint, subject text NOT NULL,
  notes text NOT NULL, outcome text NOT NULL, duration_seconds int NOT NULL,
  satisfaction smallint NOT NULL, complaint smallint NOT NULL, opportunity_id bigint,
  created_at bigint NOT NULL, updated_at bigint NOT NULL);

CREATE TABLE transactions (
  id bigserial, customer_id bigint NOT NULL, time bigint NOT NULL, amount bigint NOT NULL,
  currency text NOT NULL, margin bigint NOT NULL, product_category text NOT NULL,
  payment_method smallint NOT NULL, created_at bigint NOT NULL, updated_at bigint NOT NULL);

CREATE TABLE opportunities (
  id bigint PRIMARY KEY, customer_id bigint NOT NULL, name text NOT NULL, stage smallint NOT NULL,
  amount bigint NOT NULL, currency text NOT NULL, probability smallint NOT NULL,
  expected_close bigint NOT NULL, owner_id bigint, source text NOT NULL, campaign text NOT NULL,
  lost_reason text NOT NULL, created_at bigint NOT NULL, updated_at bigint NOT NULL);

CREATE TABLE contracts (
  id bigint PRIMARY KEY, customer_id bigint NOT NULL, opportunity_id bigint, number text NOT NULL,
  amount bigint NOT NULL, currency text NOT NULL, signed_at bigint NOT NULL, start_at bigint NOT NULL,
  end_at bigint NOT NULL, status smallint NOT NULL, payment_terms text NOT NULL,
  paid bigint NOT NULL, created_at bigint NOT NULL, updated_at bigint NOT NULL);

CREATE TABLE tasks (
  id bigint PRIMARY KEY, customer_id bigint NOT NULL, assignee_id bigint, due_at bigint NOT NULL,
  title text NOT NULL, notes text NOT NULL, done boolean NOT NULL, done_at bigint NOT NULL,
  created_at bigint NOT NULL, updated_at bigint NOT NULL);
