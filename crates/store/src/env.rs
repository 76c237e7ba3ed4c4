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

/// The variable as a switch: `true`/`1` or `false`/`0`, `default` when unset or empty.
pub fn flag(name: &str, default: bool) -> Result<bool, String> {
    match var(name).as_deref() {
        None => Ok(default),
        Some("true" | "1") => Ok(true),
        Some("false" | "0") => Ok(false),
        Some(other) => Err(format!("{name}: `{other}` is not true or false")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_take_true_false_1_0_or_the_default_and_name_the_variable_otherwise() {
        // Names of this test only: no other test reads them.
        for (value, expected) in [("true", true), ("1", true), ("false", false)] {
            std::env::set_var("SIGNSTASH_TEST_FLAG_A", value);
            assert_eq!(flag("SIGNSTASH_TEST_FLAG_A", !expected), Ok(expected));
        }
        std::env::set_var("SIGNSTASH_TEST_FLAG_A", "0");
        assert_eq!(flag("SIGNSTASH_TEST_FLAG_A", true), Ok(false));
        std::env::set_var("SIGNSTASH_TEST_FLAG_A", "yes");
        assert_eq!(
            flag("SIGNSTASH_TEST_FLAG_A", true),
            Err("SIGNSTASH_TEST_FLAG_A: `yes` is not true or false".into())
        );
        std::env::remove_var("SIGNSTASH_TEST_FLAG_B");
        assert_eq!(flag("SIGNSTASH_TEST_FLAG_B", true), Ok(true));
        std::env::set_var("SIGNSTASH_TEST_FLAG_B", "");
        assert_eq!(flag("SIGNSTASH_TEST_FLAG_B", false), Ok(false));
    }
}
