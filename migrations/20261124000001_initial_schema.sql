-- Sign'Stash: the whole data model of architecture.md ("Data").
--
-- Conventions:
-- * ids are BIGSERIAL (they are numbers on the wire);
-- * enumerations are TEXT holding the API spelling, guarded by CHECK constraints (adding a
--   value is a new migration replacing the constraint);
-- * tenant data carries client_service_id, and children repeat it under a composite foreign
--   key, so a row can never point at another tenant's parent;
-- * secrets are stored hashed (argon2 text, SHA-256 of tokens) or encrypted by the store's
--   master key (BYTEA columns named *_encrypted).

-- Companies form a tree: the system (implicit root) -> partner companies -> issuer companies.
CREATE TABLE partner_companies (
    id              BIGSERIAL PRIMARY KEY,
    name            TEXT NOT NULL CHECK (name <> ''),
    vat_number      TEXT NOT NULL UNIQUE,
    country_code    TEXT NOT NULL DEFAULT 'PRT' CHECK (country_code ~ '^[A-Z]{3}$'),
    email           TEXT,
    status          TEXT NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'INACTIVE')),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE issuer_companies (
    id                  BIGSERIAL PRIMARY KEY,
    partner_company_id  BIGINT NOT NULL REFERENCES partner_companies (id),
    name                TEXT NOT NULL CHECK (name <> ''),
    vat_number          TEXT NOT NULL,
    country_code        TEXT NOT NULL DEFAULT 'PRT' CHECK (country_code ~ '^[A-Z]{3}$'),
    address             TEXT,
    postal_code         TEXT,
    city                TEXT,
    email               TEXT,
    status              TEXT NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'INACTIVE')),
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (partner_company_id, vat_number)
);
CREATE INDEX issuer_companies_partner_idx ON issuer_companies (partner_company_id);

-- Operators: one company (none = the system company), one role, ordered
-- SYSTEM_ADMINISTRATOR > PARTNER > ISSUER > AUDITOR. A company never holds a role above its level.
CREATE TABLE operators (
    id                  BIGSERIAL PRIMARY KEY,
    partner_company_id  BIGINT REFERENCES partner_companies (id),
    issuer_company_id   BIGINT REFERENCES issuer_companies (id),
    email               TEXT NOT NULL,
    name                TEXT NOT NULL,
    role                TEXT NOT NULL CHECK (role IN ('SYSTEM_ADMINISTRATOR', 'PARTNER', 'ISSUER', 'AUDITOR')),
    password_hash       TEXT NOT NULL,
    status              TEXT NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'INACTIVE', 'LOCKED')),
    failed_sign_ins     INTEGER NOT NULL DEFAULT 0,
    last_sign_in_at     TIMESTAMPTZ,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (num_nonnulls(partner_company_id, issuer_company_id) <= 1),
    CHECK (role <> 'SYSTEM_ADMINISTRATOR' OR num_nonnulls(partner_company_id, issuer_company_id) = 0),
    CHECK (role <> 'PARTNER' OR issuer_company_id IS NULL)
);
CREATE UNIQUE INDEX operators_email_key ON operators (lower(email));
CREATE INDEX operators_partner_idx ON operators (partner_company_id);
CREATE INDEX operators_issuer_idx ON operators (issuer_company_id);

-- The issuer companies an auditor (tax authority) may consult.
CREATE TABLE auditor_issuers (
    operator_id         BIGINT NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    issuer_company_id   BIGINT NOT NULL REFERENCES issuer_companies (id) ON DELETE CASCADE,
    granted_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (operator_id, issuer_company_id)
);

-- Certificate authorities configured by the system administrator (CSC API v2 for remote keys).
CREATE TABLE certificate_authorities (
    id                              BIGSERIAL PRIMARY KEY,
    name                            TEXT NOT NULL UNIQUE CHECK (name <> ''),
    csc_base_url                    TEXT,
    oauth_authorize_url             TEXT,
    oauth_token_url                 TEXT,
    oauth_client_id                 TEXT,
    oauth_client_secret_encrypted   BYTEA,
    ca_chain_pem                    TEXT,
    access_max_days                 INTEGER NOT NULL DEFAULT 60 CHECK (access_max_days > 0),
    access_max_signatures           BIGINT NOT NULL DEFAULT 1000000000 CHECK (access_max_signatures > 0),
    created_at                      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at                      TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Signing certificates of an issuer company. The key lives in a key file (path), an encrypted
-- key or PKCS#12 held here, a PKCS#11 slot (URI) or at a CA (CSC credential id).
CREATE TABLE certificates (
    id                          BIGSERIAL PRIMARY KEY,
    issuer_company_id           BIGINT NOT NULL REFERENCES issuer_companies (id),
    certificate_authority_id    BIGINT REFERENCES certificate_authorities (id),
    label                       TEXT NOT NULL CHECK (label <> ''),
    chain_pem                   TEXT NOT NULL CHECK (chain_pem LIKE '%-----BEGIN CERTIFICATE-----%'),
    subject                     TEXT,
    serial_number               TEXT,
    key_algorithm               TEXT,
    not_before                  TIMESTAMPTZ,
    not_after                   TIMESTAMPTZ,
    key_source                  TEXT NOT NULL CHECK (key_source IN ('KEY_FILE', 'PKCS12', 'PKCS11', 'REMOTE_CA')),
    key_reference               TEXT,
    key_encrypted               BYTEA,
    key_passphrase_encrypted    BYTEA,
    access_token_encrypted      BYTEA,
    access_expires_at           TIMESTAMPTZ,
    signature_count             BIGINT NOT NULL DEFAULT 0 CHECK (signature_count >= 0),
    signature_limit             BIGINT NOT NULL DEFAULT 1000000000 CHECK (signature_limit > 0),
    status                      TEXT NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'INACTIVE', 'REVOKED')),
    created_at                  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at                  TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Target of client_services' composite key: a client service uses a certificate of its issuer.
    UNIQUE (id, issuer_company_id),
    CHECK (key_reference IS NOT NULL OR key_encrypted IS NOT NULL),
    CHECK (key_source <> 'REMOTE_CA' OR certificate_authority_id IS NOT NULL)
);
CREATE INDEX certificates_issuer_idx ON certificates (issuer_company_id);
-- The daily "access expires soon" e-mail.
CREATE INDEX certificates_access_expiry_idx ON certificates (access_expires_at) WHERE access_expires_at IS NOT NULL;

-- Client services: the API tenants (an ERP, an invoicing program) of an issuer company.
CREATE TABLE client_services (
    id                          BIGSERIAL PRIMARY KEY,
    issuer_company_id           BIGINT NOT NULL REFERENCES issuer_companies (id),
    alias                       TEXT NOT NULL CHECK (alias ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    name                        TEXT NOT NULL DEFAULT '',
    secret_hash                 TEXT NOT NULL CHECK (secret_hash LIKE '$argon2%'),
    status                      TEXT NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'INACTIVE', 'SUSPENDED')),
    language                    TEXT NOT NULL DEFAULT 'pt_PT' CHECK (language IN ('pt_PT', 'en')),
    certificate_id              BIGINT,
    email_template_id           BIGINT,
    portal_template_id          BIGINT,
    signature_text_template_id  BIGINT,
    smtp_host                   TEXT,
    smtp_port                   INTEGER CHECK (smtp_port BETWEEN 1 AND 65535),
    smtp_security               TEXT CHECK (smtp_security IN ('NONE', 'STARTTLS', 'TLS')),
    smtp_username               TEXT,
    smtp_password_encrypted     BYTEA,
    mail_from                   TEXT,
    concurrency_limit           INTEGER NOT NULL DEFAULT 4 CHECK (concurrency_limit > 0),
    storage_period_months       INTEGER NOT NULL DEFAULT 120 CHECK (storage_period_months > 0),
    created_at                  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at                  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT client_services_alias_key UNIQUE (alias),
    CONSTRAINT client_services_certificate_fkey FOREIGN KEY (certificate_id, issuer_company_id)
        REFERENCES certificates (id, issuer_company_id)
);
CREATE INDEX client_services_issuer_idx ON client_services (issuer_company_id);

-- Templates: a system default (client_service_id NULL) or one of a client service.
-- EMAIL has a subject and a body per language; PORTAL is CSS (body) plus a logo; SIGNATURE_TEXT
-- is the text of a visible PDF signature.
CREATE TABLE templates (
    id                  BIGSERIAL PRIMARY KEY,
    client_service_id   BIGINT REFERENCES client_services (id) ON DELETE CASCADE,
    kind                TEXT NOT NULL CHECK (kind IN ('EMAIL', 'PORTAL', 'SIGNATURE_TEXT')),
    language            TEXT CHECK (language IN ('pt_PT', 'en')),
    name                TEXT NOT NULL DEFAULT '',
    subject             TEXT,
    body                TEXT NOT NULL,
    logo                BYTEA,
    logo_content_type   TEXT,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (kind <> 'EMAIL' OR (subject IS NOT NULL AND language IS NOT NULL))
);
-- One system default per kind and language.
CREATE UNIQUE INDEX templates_system_default_key
    ON templates (kind, coalesce(language, '')) WHERE client_service_id IS NULL;
CREATE INDEX templates_client_service_idx ON templates (client_service_id);

ALTER TABLE client_services
    ADD CONSTRAINT client_services_email_template_fkey FOREIGN KEY (email_template_id) REFERENCES templates (id),
    ADD CONSTRAINT client_services_portal_template_fkey FOREIGN KEY (portal_template_id) REFERENCES templates (id),
    ADD CONSTRAINT client_services_signature_text_template_fkey FOREIGN KEY (signature_text_template_id) REFERENCES templates (id);

-- Operations: one sign request. (client_service_id, external_reference) is the integrator's
-- idempotency key: the database refuses a second one, even from a racing instance.
CREATE TABLE operations (
    id                      BIGSERIAL PRIMARY KEY,
    client_service_id       BIGINT NOT NULL REFERENCES client_services (id),
    operation_type          TEXT NOT NULL DEFAULT 'SIGN' CHECK (operation_type IN ('SIGN')),
    external_reference      TEXT NOT NULL CHECK (char_length(external_reference) BETWEEN 1 AND 255),
    description             TEXT NOT NULL,
    status                  TEXT NOT NULL DEFAULT 'PENDING_EXECUTION'
                            CHECK (status IN ('PENDING_EXECUTION', 'EXECUTED', 'EXECUTION_ERROR', 'EXECUTION_FAILED')),
    folder_content          TEXT NOT NULL DEFAULT 'DOCUMENT' CHECK (folder_content IN ('DOCUMENT', 'HASH')),
    return_signed_content   BOOLEAN NOT NULL DEFAULT false,
    preserve_content        BOOLEAN NOT NULL DEFAULT false,
    attach_documents        BOOLEAN NOT NULL DEFAULT false,
    created_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at              TIMESTAMPTZ,
    finished_at             TIMESTAMPTZ,
    execution_time_ms       BIGINT CHECK (execution_time_ms >= 0),
    CONSTRAINT operations_client_service_external_reference_key UNIQUE (client_service_id, external_reference),
    -- Target of the children's composite keys (same tenant as the operation).
    CONSTRAINT operations_id_client_service_key UNIQUE (id, client_service_id)
);
CREATE INDEX operations_client_service_created_idx ON operations (client_service_id, created_at DESC);

-- Documents of an operation. Their external reference is unique per client service too.
CREATE TABLE documents (
    id                      BIGSERIAL PRIMARY KEY,
    operation_id            BIGINT NOT NULL,
    client_service_id       BIGINT NOT NULL REFERENCES client_services (id),
    position                INTEGER NOT NULL CHECK (position >= 0),
    external_reference      TEXT NOT NULL CHECK (char_length(external_reference) BETWEEN 1 AND 255),
    name                    TEXT NOT NULL,
    content_type            TEXT NOT NULL,
    signature_type          TEXT NOT NULL CHECK (signature_type IN ('PAdES', 'XAdES', 'CAdES')),
    sign_options            JSONB NOT NULL DEFAULT '{}'::jsonb,
    sign_status             TEXT NOT NULL DEFAULT 'RECEIVED' CHECK (sign_status IN ('RECEIVED', 'SIGNED', 'ERROR_SIGNING')),
    sign_error              TEXT CHECK (sign_error IN (
                                'INVALID_CERT_SERVICE_CREDS', 'INVALID_CERT_ACCESS_ACCOUNT',
                                'CERT_SERVICE_GLOBAL_ERROR', 'CONFIGURATION_SIGN_ERROR',
                                'TIMESTAMP_SIGN_ERROR', 'INVALID_CERTIFICATE_SIGN_ERROR',
                                'STORAGE_SERVICE_GLOBAL_ERROR', 'SIGN_OPERATION_INTERNAL_ERROR')),
    sign_error_message      TEXT,
    cipher_status           TEXT NOT NULL DEFAULT 'PENDING' CHECK (cipher_status IN ('PENDING', 'CIPHERED', 'ERROR_CIPHERING', 'NO_CIPHER')),
    storage_status          TEXT NOT NULL DEFAULT 'CONTENT_NOT_STORED'
                            CHECK (storage_status IN ('CONTENT_STORED', 'CONTENT_PRESERVED', 'CONTENT_NOT_STORED', 'DELETED')),
    content_length          BIGINT NOT NULL CHECK (content_length >= 0),
    signed_content_length   BIGINT CHECK (signed_content_length >= 0),
    storage_key             TEXT UNIQUE,
    wrapped_key             BYTEA,
    -- Hash signing (the proxy): the digest received and the signature value returned.
    digest_algorithm        TEXT,
    digest                  BYTEA,
    signature_value         BYTEA,
    attributes              JSONB NOT NULL DEFAULT '[]'::jsonb,
    storage_period_months   INTEGER CHECK (storage_period_months > 0),
    storage_end_date        TIMESTAMPTZ,
    received_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    signed_at               TIMESTAMPTZ,
    CONSTRAINT documents_operation_fkey FOREIGN KEY (operation_id, client_service_id)
        REFERENCES operations (id, client_service_id) ON DELETE CASCADE,
    CONSTRAINT documents_client_service_external_reference_key UNIQUE (client_service_id, external_reference),
    CONSTRAINT documents_operation_position_key UNIQUE (operation_id, position),
    CONSTRAINT documents_sign_error_iff_error CHECK ((sign_status = 'ERROR_SIGNING') = (sign_error IS NOT NULL)),
    CONSTRAINT documents_stored_has_key CHECK (storage_key IS NULL OR wrapped_key IS NOT NULL
                                                OR cipher_status = 'NO_CIPHER')
);
-- The custody sweeper: documents whose storage period ended.
CREATE INDEX documents_storage_end_idx ON documents (storage_end_date)
    WHERE storage_status IN ('CONTENT_STORED', 'CONTENT_PRESERVED');

-- Deliveries: one "documents available" e-mail to one receiver, used as an outbox queue.
-- Workers claim due rows with FOR UPDATE SKIP LOCKED and push next_attempt_at forward by a
-- lease; a worker that dies leaves the row due again when the lease ends.
CREATE TABLE deliveries (
    id                  BIGSERIAL PRIMARY KEY,
    operation_id        BIGINT NOT NULL,
    client_service_id   BIGINT NOT NULL REFERENCES client_services (id),
    receiver_email      TEXT NOT NULL CHECK (receiver_email LIKE '%_@_%'),
    attach_documents    BOOLEAN NOT NULL DEFAULT false,
    status              TEXT NOT NULL DEFAULT 'PENDING'
                        CHECK (status IN ('PENDING', 'SENT', 'RECEIVED', 'SENDING_ERROR', 'SENDING_FAILED')),
    attempts            INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    lease_token         UUID,
    last_error          TEXT,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at             TIMESTAMPTZ,
    CONSTRAINT deliveries_operation_fkey FOREIGN KEY (operation_id, client_service_id)
        REFERENCES operations (id, client_service_id) ON DELETE CASCADE
);
CREATE INDEX deliveries_queue_idx ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_operation_idx ON deliveries (operation_id);

-- Links to the client portal (/d/{token}): only the SHA-256 of the 256-bit token is kept.
CREATE TABLE portal_links (
    id                  BIGSERIAL PRIMARY KEY,
    token_hash          BYTEA NOT NULL CHECK (octet_length(token_hash) = 32),
    operation_id        BIGINT NOT NULL,
    client_service_id   BIGINT NOT NULL REFERENCES client_services (id),
    delivery_id         BIGINT REFERENCES deliveries (id) ON DELETE SET NULL,
    receiver_email      TEXT NOT NULL,
    expires_at          TIMESTAMPTZ NOT NULL,
    first_opened_at     TIMESTAMPTZ,
    revoked_at          TIMESTAMPTZ,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT portal_links_token_hash_key UNIQUE (token_hash),
    CONSTRAINT portal_links_operation_fkey FOREIGN KEY (operation_id, client_service_id)
        REFERENCES operations (id, client_service_id) ON DELETE CASCADE
);
CREATE INDEX portal_links_operation_idx ON portal_links (operation_id);

-- Usage limits of an issuer company or of one of its client services, and their counters.
CREATE TABLE usage_limits (
    id                  BIGSERIAL PRIMARY KEY,
    issuer_company_id   BIGINT NOT NULL REFERENCES issuer_companies (id) ON DELETE CASCADE,
    client_service_id   BIGINT REFERENCES client_services (id) ON DELETE CASCADE,
    metric              TEXT NOT NULL CHECK (metric IN ('DOCUMENTS_SIGNED', 'HASHES_SIGNED', 'STORAGE_BYTES')),
    period              TEXT NOT NULL CHECK (period IN ('MONTH', 'YEAR', 'TOTAL')),
    max_value           BIGINT NOT NULL CHECK (max_value >= 0),
    warn_at_percent     INTEGER NOT NULL DEFAULT 90 CHECK (warn_at_percent BETWEEN 1 AND 100),
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX usage_limits_scope_key
    ON usage_limits (issuer_company_id, coalesce(client_service_id, 0), metric, period);

CREATE TABLE usage_counters (
    client_service_id   BIGINT NOT NULL REFERENCES client_services (id) ON DELETE CASCADE,
    metric              TEXT NOT NULL CHECK (metric IN ('DOCUMENTS_SIGNED', 'HASHES_SIGNED', 'STORAGE_BYTES')),
    period_start        DATE NOT NULL,
    value               BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (client_service_id, metric, period_start)
);

-- Who did what. Append-only; issuer_company_id scopes what backoffice operators may read.
CREATE TABLE audit_log (
    id                  BIGSERIAL PRIMARY KEY,
    occurred_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor_kind          TEXT NOT NULL CHECK (actor_kind IN ('OPERATOR', 'CLIENT_SERVICE', 'SYSTEM')),
    operator_id         BIGINT REFERENCES operators (id),
    client_service_id   BIGINT REFERENCES client_services (id),
    partner_company_id  BIGINT REFERENCES partner_companies (id),
    issuer_company_id   BIGINT REFERENCES issuer_companies (id),
    action              TEXT NOT NULL,
    target_kind         TEXT,
    target_id           TEXT,
    details             JSONB NOT NULL DEFAULT '{}'::jsonb,
    request_id          TEXT,
    remote_address      TEXT
);
CREATE INDEX audit_log_issuer_idx ON audit_log (issuer_company_id, occurred_at DESC);
CREATE INDEX audit_log_partner_idx ON audit_log (partner_company_id, occurred_at DESC);

-- Keys that sign the OAuth access tokens (JWT, `kid`); public halves served as JWKS.
CREATE TABLE oauth_signing_keys (
    kid                     TEXT PRIMARY KEY CHECK (kid <> ''),
    algorithm               TEXT NOT NULL CHECK (algorithm IN ('ES256', 'RS256')),
    private_key_encrypted   BYTEA NOT NULL,
    public_jwk              JSONB NOT NULL,
    active                  BOOLEAN NOT NULL DEFAULT true,
    created_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    retired_at              TIMESTAMPTZ
);
CREATE INDEX oauth_signing_keys_active_idx ON oauth_signing_keys (created_at DESC) WHERE active;
