//! Says whether the database tests of this crate were compiled (see `build.rs`): without
//! `DATABASE_URL` they are skipped outside CI, and fail under CI.

#[test]
fn database_tests_are_enabled_or_reported_skipped() {
    if cfg!(signstash_db_tests) {
        assert!(
            std::env::var_os("DATABASE_URL").is_some(),
            "the database tests are enabled (CI is set) but DATABASE_URL is missing: \
             run them with `cargo xtask test`"
        );
    } else {
        eprintln!(
            "note: signstash-store database tests skipped: DATABASE_URL is not set \
             (`cargo xtask test` provides one; under CI they fail instead)"
        );
    }
}
