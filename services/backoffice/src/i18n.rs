//! The backoffice's words in its two languages (pt_PT first: the platform's home language). One
//! template per page serves both: it reads every text from a [`Texts`], so a missing
//! translation is a compile error, not a blank. The operator's language is `?lang=` when given
//! (then remembered in a cookie), else the cookie, else pt_PT.

use signstash_domain::Language;

pub struct Texts {
    /// `<html lang>`.
    pub lang: &'static str,
    pub language_name: &'static str,
    /// `pt_PT` / `en`: the value of `?lang=`.
    pub code: &'static str,
    pub language_label: &'static str,
    pub skip_to_content: &'static str,
    pub product: &'static str,
    pub sign_in_title: &'static str,
    pub sign_in_intro: &'static str,
    pub email_label: &'static str,
    pub password_label: &'static str,
    pub sign_in_button: &'static str,
    pub not_found_title: &'static str,
    pub not_found_text: &'static str,
    /// The one answer to a wrong e-mail, a wrong password and an operator who may not sign in.
    pub sign_in_failed: &'static str,
    pub menu_label: &'static str,
    pub signed_in_as: &'static str,
    pub sign_out: &'static str,
    pub home_title: &'static str,
    pub home_text: &'static str,
    pub not_built: &'static str,
    /// The menus, in [`crate::menu::Menu::ALL`]'s order.
    pub menus: [&'static str; 11],
}

pub const PT_PT: Texts = Texts {
    lang: "pt-PT",
    language_name: "Português",
    code: "pt_PT",
    language_label: "Idioma",
    skip_to_content: "Saltar para o conteúdo",
    product: "Sign'Stash — Backoffice",
    sign_in_title: "Iniciar sessão",
    sign_in_intro: "Entre com o endereço de e-mail e a palavra-passe da sua conta de operador.",
    email_label: "Endereço de e-mail",
    password_label: "Palavra-passe",
    sign_in_button: "Entrar",
    not_found_title: "Página não encontrada",
    not_found_text: "Esta página não existe.",
    sign_in_failed:
        "O endereço de e-mail ou a palavra-passe não estão certos, ou esta conta não pode entrar.",
    menu_label: "Menu",
    signed_in_as: "Sessão iniciada como",
    sign_out: "Terminar sessão",
    home_title: "Início",
    home_text: "Escolha um menu.",
    not_built: "Este menu ainda não está construído.",
    menus: [
        "Painel",
        "Operações",
        "Consumos",
        "Operadores",
        "Certificados",
        "Serviços cliente",
        "Empresas emissoras",
        "Empresas parceiras",
        "Relatórios",
        "Configurações de sistema",
        "Registo de auditoria",
    ],
};

pub const EN: Texts = Texts {
    lang: "en",
    language_name: "English",
    code: "en",
    language_label: "Language",
    skip_to_content: "Skip to content",
    product: "Sign'Stash — Backoffice",
    sign_in_title: "Sign in",
    sign_in_intro: "Sign in with your operator account's e-mail address and password.",
    email_label: "E-mail address",
    password_label: "Password",
    sign_in_button: "Sign in",
    not_found_title: "Page not found",
    not_found_text: "This page does not exist.",
    sign_in_failed:
        "The e-mail address or the password is not right, or this account may not sign in.",
    menu_label: "Menu",
    signed_in_as: "Signed in as",
    sign_out: "Sign out",
    home_title: "Home",
    home_text: "Choose a menu.",
    not_built: "This menu is not built yet.",
    menus: [
        "Dashboard",
        "Operations",
        "Consumptions",
        "Operators",
        "Certificates",
        "Client services",
        "Issuer companies",
        "Partner companies",
        "Reports",
        "System configurations",
        "Audit log",
    ],
};

pub const LANGUAGES: [&Texts; 2] = [&PT_PT, &EN];

/// The cookie that remembers the operator's choice.
pub const LANGUAGE_COOKIE: &str = "signstash_backoffice_lang";

/// The language a request asks for, and whether it was just chosen (`?lang=`: remember it).
pub fn choose(query: Option<&str>, cookies: Option<&str>) -> (Language, bool) {
    signstash_web::language::choose(query, cookies, LANGUAGE_COOKIE, Language::PtPt)
}

/// The `Set-Cookie` value that remembers `language` for a year.
pub fn language_cookie(language: Language) -> String {
    signstash_web::language::cookie(LANGUAGE_COOKIE, language, "Strict")
}

pub fn texts(language: Language) -> &'static Texts {
    match language {
        Language::PtPt => &PT_PT,
        Language::En => &EN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_wins_then_the_cookie_then_portuguese() {
        assert_eq!(choose(Some("lang=en"), None), (Language::En, true));
        assert_eq!(
            choose(Some("x=1&lang=pt"), Some("signstash_backoffice_lang=en")),
            (Language::PtPt, true)
        );
        assert_eq!(
            choose(None, Some("a=b; signstash_backoffice_lang=en")),
            (Language::En, false)
        );
        assert_eq!(choose(Some("lang=fr"), None), (Language::PtPt, false));
        assert_eq!(choose(None, None), (Language::PtPt, false));
    }
}
