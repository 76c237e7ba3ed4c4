-- Client portal access (issue 4): how long a client service's links stay valid, whether its
-- receivers must also give an access code sent in a second e-mail, the receiver sessions that
-- follow a good code, and the counters that rate-limit wrong tokens and codes.

ALTER TABLE client_services
    -- A link opens nothing once this many days have passed since it was made, whatever its
    -- own expires_at says (the portal takes the earlier of the two).
    ADD COLUMN portal_link_validity_days INTEGER NOT NULL DEFAULT 90
        CHECK (portal_link_validity_days BETWEEN 1 AND 3650),
    ADD COLUMN portal_access_code BOOLEAN NOT NULL DEFAULT false;

-- The current access code of a link (argon2 PHC string; only one at a time, single use).
ALTER TABLE portal_links
    ADD COLUMN access_code_hash TEXT CHECK (access_code_hash LIKE '$argon2%'),
    ADD COLUMN access_code_sent_at TIMESTAMPTZ,
    ADD COLUMN access_code_failures INTEGER NOT NULL DEFAULT 0 CHECK (access_code_failures >= 0);

-- A browser that gave a link's access code: the cookie's token, stored as its SHA-256.
CREATE TABLE portal_sessions (
    token_hash      BYTEA PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    portal_link_id  BIGINT NOT NULL REFERENCES portal_links (id) ON DELETE CASCADE,
    expires_at      TIMESTAMPTZ NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX portal_sessions_link_idx ON portal_sessions (portal_link_id);
CREATE INDEX portal_sessions_expiry_idx ON portal_sessions (expires_at);

-- Failures counted per scope (`link:<address>`, `code-send:<link id>`) in fixed windows,
-- shared by every portal instance.
CREATE TABLE portal_rate_limits (
    scope           TEXT PRIMARY KEY CHECK (scope <> ''),
    window_start    TIMESTAMPTZ NOT NULL DEFAULT now(),
    failures        INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0)
);
CREATE INDEX portal_rate_limits_window_idx ON portal_rate_limits (window_start);
