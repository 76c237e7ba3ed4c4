-- Backoffice sessions (issue 14). The cookie carries 256 random bits; only their SHA-256 is
-- kept. A session ends when idle or old (the service's limits, checked at each request), when
-- its operator is no longer ACTIVE (checked at each request), at sign-out, and with its operator.
CREATE TABLE operator_sessions (
    token_hash      BYTEA PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    operator_id     BIGINT NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    -- The synchronizer token every form of this session carries.
    csrf_token      TEXT NOT NULL CHECK (csrf_token <> ''),
    address         TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX operator_sessions_operator_idx ON operator_sessions (operator_id);
CREATE INDEX operator_sessions_seen_idx ON operator_sessions (last_seen_at);
