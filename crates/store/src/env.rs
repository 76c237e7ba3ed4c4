//! Reading `SIGNSTASH_*` settings from the environment, the same way in every service: an unset
//! or empty variable takes the default, a value that does not parse fails start-up naming the
//! variable.

/// The variable's value, `None` when unset or empty.
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The variable parsed as `T`, `default` when unset or empty.
pub fn parsed<T: std::str::FromStr>(name: &str, default: T) -> Result<T, String> {
    match var(name) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| format!("{name}: cannot parse `{v}`")),
    }
}
