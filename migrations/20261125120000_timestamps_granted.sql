-- Timestamps granted by the system authority at /api/v0/timestamp count as consumption of the
-- client service whose token asked for them, beside documents and hashes signed: one more
-- metric for the usage counters (kept per calendar month) and the limits.
ALTER TABLE usage_limits DROP CONSTRAINT usage_limits_metric_check;
ALTER TABLE usage_limits ADD CONSTRAINT usage_limits_metric_check
    CHECK (metric IN ('DOCUMENTS_SIGNED', 'HASHES_SIGNED', 'STORAGE_BYTES', 'TIMESTAMPS_GRANTED'));

ALTER TABLE usage_counters DROP CONSTRAINT usage_counters_metric_check;
ALTER TABLE usage_counters ADD CONSTRAINT usage_counters_metric_check
    CHECK (metric IN ('DOCUMENTS_SIGNED', 'HASHES_SIGNED', 'STORAGE_BYTES', 'TIMESTAMPS_GRANTED'));
