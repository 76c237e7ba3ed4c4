-- Backoffice part 1 (issue 14): what the menus configure.

-- The issuer lifecycle: REGISTERED -> ACTIVE -> SUSPENDED (services refused, sign-in allowed)
-- or BLOCKED (no sign-in) -> DELETED (nothing works; the data is kept for custody). The old
-- INACTIVE refused both, as BLOCKED does.
ALTER TABLE issuer_companies DROP CONSTRAINT issuer_companies_status_check;
UPDATE issuer_companies SET status = 'BLOCKED' WHERE status = 'INACTIVE';
ALTER TABLE issuer_companies
    ADD CONSTRAINT issuer_companies_status_check
        CHECK (status IN ('REGISTERED', 'ACTIVE', 'SUSPENDED', 'BLOCKED', 'DELETED')),
    ADD COLUMN language TEXT NOT NULL DEFAULT 'pt_PT' CHECK (language IN ('pt_PT', 'en')),
    -- The usage limit: a number of signatures and a validity period (none = an alert, no block).
    ADD COLUMN limit_signatures BIGINT CHECK (limit_signatures >= 0),
    ADD COLUMN limit_valid_until DATE;
CREATE INDEX issuer_companies_name_idx ON issuer_companies (lower(name), id);
CREATE INDEX issuer_companies_created_idx ON issuer_companies (created_at);

-- Partners: integrator or reseller, an invoice address, a language, a usage limit.
ALTER TABLE partner_companies
    ADD COLUMN kind TEXT NOT NULL DEFAULT 'INTEGRATOR' CHECK (kind IN ('INTEGRATOR', 'RESELLER')),
    ADD COLUMN address TEXT,
    ADD COLUMN postal_code TEXT,
    ADD COLUMN city TEXT,
    ADD COLUMN language TEXT NOT NULL DEFAULT 'pt_PT' CHECK (language IN ('pt_PT', 'en')),
    ADD COLUMN limit_signatures BIGINT CHECK (limit_signatures >= 0),
    ADD COLUMN limit_valid_until DATE;
CREATE INDEX partner_companies_name_idx ON partner_companies (lower(name), id);

-- Operators: REGISTERED until they set their password from the activation e-mail; a language.
ALTER TABLE operators DROP CONSTRAINT operators_status_check;
ALTER TABLE operators
    ADD CONSTRAINT operators_status_check
        CHECK (status IN ('REGISTERED', 'ACTIVE', 'INACTIVE', 'LOCKED')),
    ADD COLUMN language TEXT NOT NULL DEFAULT 'pt_PT' CHECK (language IN ('pt_PT', 'en'));
CREATE INDEX operators_name_idx ON operators (lower(name), id);
CREATE INDEX operators_created_idx ON operators (created_at);

-- Single-use, expiring links to set a password (activation of a new operator, "forgot
-- password"). Only the token's SHA-256 is kept.
CREATE TABLE operator_tokens (
    token_hash      BYTEA PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    operator_id     BIGINT NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    purpose         TEXT NOT NULL CHECK (purpose IN ('ACTIVATION', 'RESET')),
    expires_at      TIMESTAMPTZ NOT NULL,
    used_at         TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX operator_tokens_operator_idx ON operator_tokens (operator_id);

-- Client services: what the create form asks and the settings page sets.
ALTER TABLE client_services
    ADD COLUMN bundle TEXT NOT NULL DEFAULT '',
    ADD COLUMN extra_information TEXT NOT NULL DEFAULT '',
    -- Days a portal link stays valid (none = the system's).
    ADD COLUMN link_validity_days INTEGER CHECK (link_validity_days > 0),
    -- Receivers must type a code e-mailed to them before the portal shows documents.
    ADD COLUMN access_code_required BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX client_services_created_idx ON client_services (created_at);

-- The platform's general configuration: one row.
CREATE TABLE system_configuration (
    id                      BOOLEAN PRIMARY KEY DEFAULT true CHECK (id),
    default_language        TEXT NOT NULL DEFAULT 'pt_PT' CHECK (default_language IN ('pt_PT', 'en')),
    storage_period_months   INTEGER NOT NULL DEFAULT 120 CHECK (storage_period_months > 0),
    link_validity_days      INTEGER NOT NULL DEFAULT 90 CHECK (link_validity_days > 0),
    email_retry_threshold   INTEGER NOT NULL DEFAULT 3 CHECK (email_retry_threshold > 0),
    updated_at              TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO system_configuration DEFAULT VALUES;

-- The audit log viewer filters by actor, action and date, scoped by company.
CREATE INDEX audit_log_occurred_idx ON audit_log (occurred_at DESC, id DESC);
CREATE INDEX audit_log_operator_idx ON audit_log (operator_id, occurred_at DESC);
