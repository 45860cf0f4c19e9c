-- Indexes and constraints, built after the COPY (faster than maintaining them row by row).
ALTER TABLE phones ADD PRIMARY KEY (phone);
ALTER TABLE interactions ADD PRIMARY KEY (id);
ALTER TABLE transactions ADD PRIMARY KEY (id);
-- The card's latest interactions and the history walk: newest first per customer.
CREATE INDEX interactions_by_customer ON interactions (customer_id, time DESC, id DESC);
CREATE INDEX transactions_by_customer ON transactions (customer_id, time DESC, id DESC);
-- Open complaints (open or in progress) are few: a partial index.
CREATE INDEX interactions_open_complaints ON interactions (customer_id, time DESC)
  WHERE complaint IN (1, 2);
CREATE INDEX contacts_by_customer ON contacts (customer_id);
CREATE INDEX opportunities_open ON opportunities (customer_id) WHERE stage < 4;
CREATE INDEX contracts_active ON contracts (customer_id) WHERE status IN (0, 1);
CREATE INDEX tasks_due ON tasks (customer_id, due_at) WHERE NOT done;
CREATE INDEX relations_out ON relations (customer_id);
CREATE INDEX relations_in ON relations (other_id);
-- Writes are checked like crm checks them: the customer must exist.
ALTER TABLE interactions ADD FOREIGN KEY (customer_id) REFERENCES customers (id);
ALTER TABLE transactions ADD FOREIGN KEY (customer_id) REFERENCES customers (id);
ANALYZE;
