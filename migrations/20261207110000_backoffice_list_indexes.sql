-- The issuer filter of the Client services list (`scope::issuer_companies`) reads every issuer
-- in scope ordered by (name, id): 10,000 for the platform. Without an index in that order each
-- page sorted them (5 ms of a 15 ms page in `cargo xtask bench backoffice`); this one serves the
-- order directly.
CREATE INDEX issuer_companies_name_plain_idx ON issuer_companies (name, id);
