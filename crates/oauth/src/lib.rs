//! signstash-oauth: under construction (integration-service issue).
