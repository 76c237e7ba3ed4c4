//! signstash-delivery: under construction (integration-service issue).
