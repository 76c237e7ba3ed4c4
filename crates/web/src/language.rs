//! The language of a page, as every server-rendered service chooses it: `?lang=` (just chosen:
//! remember it), else the service's cookie of an earlier choice, else the service's default.

use signstash_domain::Language;

/// A language as `?lang=` or a cookie spell it (`pt_PT`, `pt-PT`, `pt`, `en`).
pub fn parse(text: &str) -> Option<Language> {
    match text {
        "pt_PT" | "pt-PT" | "pt" => Some(Language::PtPt),
        "en" => Some(Language::En),
        _ => None,
    }
}

/// The page's language and whether it was just chosen (then set [`cookie`]). `cookie_name` is
/// the service's own cookie.
pub fn choose(
    query: Option<&str>,
    cookies: Option<&str>,
    cookie_name: &str,
    default: Language,
) -> (Language, bool) {
    let asked = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .filter_map(|pair| pair.strip_prefix("lang="))
        .find_map(parse);
    if let Some(language) = asked {
        return (language, true);
    }
    let remembered = cookies
        .into_iter()
        .flat_map(|c| c.split(';'))
        .filter_map(|c| c.trim().strip_prefix(cookie_name)?.strip_prefix('='))
        .find_map(parse);
    (remembered.unwrap_or(default), false)
}

/// The `Set-Cookie` value that remembers `language` for a year (`same_site`: `Lax` or `Strict`).
pub fn cookie(cookie_name: &str, language: Language, same_site: &str) -> String {
    format!(
        "{cookie_name}={}; Path=/; Max-Age=31536000; SameSite={same_site}; HttpOnly",
        language.as_str()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_wins_then_the_cookie_then_the_default() {
        let (pt, en) = (Language::PtPt, Language::En);
        assert_eq!(choose(None, None, "c", pt), (pt, false));
        assert_eq!(
            choose(Some("x=1&lang=en"), Some("c=pt"), "c", pt),
            (en, true)
        );
        assert_eq!(choose(None, Some("a=b; c=en"), "c", pt), (en, false));
        assert_eq!(choose(None, Some("other=en"), "c", pt), (pt, false));
        assert_eq!(choose(Some("lang=fr"), Some("c=xx"), "c", en), (en, false));
        assert_eq!(
            cookie("c", pt, "Strict"),
            "c=pt_PT; Path=/; Max-Age=31536000; SameSite=Strict; HttpOnly"
        );
    }
}
