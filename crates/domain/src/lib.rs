//! signstash-domain: under construction (integration-service issue).
