-- The backoffice's text filters and company searches look for a part of a name anywhere in it
-- (`ILIKE '%…%'`), which no B-tree serves: on 10,000 issuer names a scan took 8 ms for one such
-- look-up (the audit log's company filter, a new client service's issuer search) and on 50,000
-- operators or client services a rare match read them all. Trigram indexes serve these
-- patterns (1.4 ms for the same look-up). pg_trgm ships with PostgreSQL and is a trusted
-- extension: the database's owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX issuer_companies_name_trgm_idx ON issuer_companies USING gin (name gin_trgm_ops);
CREATE INDEX issuer_companies_vat_trgm_idx ON issuer_companies USING gin (vat_number gin_trgm_ops);
CREATE INDEX operators_name_trgm_idx ON operators USING gin (name gin_trgm_ops);
CREATE INDEX operators_email_trgm_idx ON operators USING gin (email gin_trgm_ops);
CREATE INDEX client_services_alias_trgm_idx ON client_services USING gin (alias gin_trgm_ops);
