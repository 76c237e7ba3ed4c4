-- One table of failure counters for every service (issue 12): the client portal's, renamed, now
-- also counting failed client authentications at integration-ws's token endpoint. Scopes are
-- prefixed by who counts: `link:<address>`, `code-send:<link id>` (portal), `token:<address>`
-- and `token:<address>:<client id>` (token endpoint).

ALTER TABLE portal_rate_limits RENAME TO rate_limits;
ALTER TABLE rate_limits RENAME CONSTRAINT portal_rate_limits_pkey TO rate_limits_pkey;
ALTER TABLE rate_limits RENAME CONSTRAINT portal_rate_limits_scope_check TO rate_limits_scope_check;
ALTER TABLE rate_limits RENAME CONSTRAINT portal_rate_limits_failures_check TO rate_limits_failures_check;
ALTER INDEX portal_rate_limits_window_idx RENAME TO rate_limits_window_idx;

-- Tries admitted and not yet finished (`signstash_store::rate_limits::admit`): they count
-- against the limit while under way, so concurrent tries cannot outrun it. Set back to 0 when a
-- new window starts, so a try whose process died holds its place for one window at most.
ALTER TABLE rate_limits
    ADD COLUMN in_flight INTEGER NOT NULL DEFAULT 0 CONSTRAINT rate_limits_in_flight_check CHECK (in_flight >= 0);
