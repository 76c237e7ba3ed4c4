//! A setting the service cannot read stops it at start, with one line that names the variable,
//! before it listens or touches the database.
#![allow(clippy::unwrap_used)]

use std::process::Command;

fn start_with(settings: &[(&str, &str)]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_integration-ws"))
        .env_clear()
        .envs(settings.iter().copied())
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn a_setting_that_cannot_be_read_is_refused_by_name() {
    let (code, stderr) = start_with(&[("SIGNSTASH_LOG_JSON", "yes")]);
    assert_eq!(code, Some(1));
    assert_eq!(
        stderr,
        "integration-ws: SIGNSTASH_LOG_JSON: `yes` is not true or false\n"
    );

    // The database is never reached: the store's settings are read first.
    let (code, stderr) = start_with(&[
        ("SIGNSTASH_LOG_JSON", "false"),
        ("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none"),
        ("SIGNSTASH_DOCUMENT_SYNC", "sometimes"),
    ]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.ends_with(
            "integration-ws: SIGNSTASH_DOCUMENT_SYNC: `sometimes` is not true, false or filesystem\n"
        ),
        "{stderr}"
    );

    // The anonymous authority at /tsa needs the embedded one to serve.
    let (code, stderr) = start_with(&[("SIGNSTASH_PUBLIC_TSA", "true")]);
    assert_eq!(code, Some(1));
    assert_eq!(
        stderr,
        "integration-ws: SIGNSTASH_PUBLIC_TSA: the embedded authority is not configured \
         (set SIGNSTASH_TSA_CERT and SIGNSTASH_TSA_KEY)\n"
    );
    let (code, stderr) = start_with(&[("SIGNSTASH_PUBLIC_TSA", "yes")]);
    assert_eq!(code, Some(1));
    assert_eq!(
        stderr,
        "integration-ws: SIGNSTASH_PUBLIC_TSA: `yes` is not true or false\n"
    );
    let (code, stderr) = start_with(&[
        ("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none"),
        ("SIGNSTASH_MASTER_KEY", "unused"),
        ("SIGNSTASH_MAX_RECEIVERS", "many"),
    ]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.ends_with("integration-ws: SIGNSTASH_MAX_RECEIVERS: cannot parse `many`\n"),
        "{stderr}"
    );
}
