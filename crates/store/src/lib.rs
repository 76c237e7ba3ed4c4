//! signstash-store: under construction (integration-service issue).
