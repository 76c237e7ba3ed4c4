//! The backoffice's words in its two languages (pt_PT first: the platform's home language). One
//! template per page serves both: it reads every text from a [`Texts`], so a missing
//! translation is a compile error, not a blank. The operator's language is `?lang=` when given
//! (then remembered in a cookie), else the cookie, else pt_PT.

pub mod audit_log;
pub mod client_services;
pub mod issuers;
pub mod operators;
pub mod partners;
pub mod system;
pub mod templates;

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
    /// What every list and form shares.
    pub search: &'static str,
    pub clear_filters: &'static str,
    pub filters: &'static str,
    pub actions: &'static str,
    pub view: &'static str,
    pub previous: &'static str,
    pub next: &'static str,
    pub page: &'static str,
    pub paging: &'static str,
    pub no_results: &'static str,
    /// A company search showed only its first matches.
    pub pick_more: &'static str,
    /// Back to a two-step form's first step.
    pub change: &'static str,
    pub created_from: &'static str,
    pub created_to: &'static str,
    pub created_at: &'static str,
    pub name: &'static str,
    pub email: &'static str,
    pub status: &'static str,
    pub language: &'static str,
    pub save: &'static str,
    pub cancel: &'static str,
    pub create: &'static str,
    pub edit: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub none: &'static str,
    pub done_created: &'static str,
    pub done_saved: &'static str,
    pub form_has_errors: &'static str,
    pub error_required: &'static str,
    pub error_too_long: &'static str,
    pub error_control: &'static str,
    pub error_email: &'static str,
    pub error_vat: &'static str,
    pub error_country: &'static str,
    pub error_choice: &'static str,
    pub error_number: &'static str,
    pub error_date: &'static str,
    pub error_taken: &'static str,
    /// The platform's languages' names, by code.
    pub language_pt: &'static str,
    pub language_en: &'static str,
    /// Each feature's words.
    pub partners: &'static partners::Texts,
    pub operators: &'static operators::Texts,
    pub system: &'static system::Texts,
    pub audit_log: &'static audit_log::Texts,
    pub client_services: &'static client_services::Texts,
    pub templates: &'static templates::Texts,
    pub issuers: &'static issuers::Texts,
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
    search: "Pesquisar",
    clear_filters: "Limpar filtros",
    filters: "Filtros",
    actions: "Ações",
    view: "Ver",
    previous: "Anterior",
    next: "Seguinte",
    page: "Página",
    paging: "Paginação",
    no_results: "Nada encontrado.",
    pick_more: "Só se mostram as primeiras; escreva mais do nome para as outras.",
    change: "Alterar",
    created_from: "Criado desde",
    created_to: "Criado até",
    created_at: "Data de criação",
    name: "Nome",
    email: "E-mail",
    status: "Estado",
    language: "Idioma",
    save: "Guardar",
    cancel: "Cancelar",
    create: "Criar",
    edit: "Editar",
    yes: "Sim",
    no: "Não",
    none: "—",
    done_created: "Criado.",
    done_saved: "Alterações guardadas.",
    form_has_errors: "O formulário tem erros; veja as indicações junto aos campos.",
    error_required: "Campo obrigatório.",
    error_too_long: "Texto demasiado longo.",
    error_control: "Contém caracteres não permitidos.",
    error_email: "Não é um endereço de e-mail válido.",
    error_vat: "Não é um número de contribuinte válido.",
    error_country: "Use o código de país de três letras (ex.: PRT).",
    error_choice: "Escolha uma das opções.",
    error_number: "Não é um número válido neste campo.",
    error_date: "Não é uma data válida (AAAA-MM-DD).",
    error_taken: "Já existe um registo com este valor.",
    language_pt: "Português",
    language_en: "Inglês",
    partners: &partners::PT_PT,
    operators: &operators::PT_PT,
    system: &system::PT_PT,
    audit_log: &audit_log::PT_PT,
    client_services: &client_services::PT_PT,
    templates: &templates::PT_PT,
    issuers: &issuers::PT_PT,
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
    search: "Search",
    clear_filters: "Clear filters",
    filters: "Filters",
    actions: "Actions",
    view: "View",
    previous: "Previous",
    next: "Next",
    page: "Page",
    paging: "Pages",
    no_results: "Nothing found.",
    pick_more: "Only the first ones are shown; type more of the name to find the others.",
    change: "Change",
    created_from: "Created from",
    created_to: "Created until",
    created_at: "Creation date",
    name: "Name",
    email: "E-mail",
    status: "Status",
    language: "Language",
    save: "Save",
    cancel: "Cancel",
    create: "Create",
    edit: "Edit",
    yes: "Yes",
    no: "No",
    none: "—",
    done_created: "Created.",
    done_saved: "Changes saved.",
    form_has_errors: "The form has errors; see the notes beside the fields.",
    error_required: "This field is required.",
    error_too_long: "This text is too long.",
    error_control: "This holds characters that are not allowed.",
    error_email: "This is not a valid e-mail address.",
    error_vat: "This is not a valid VAT number.",
    error_country: "Use the three-letter country code (e.g. PRT).",
    error_choice: "Choose one of the options.",
    error_number: "This is not a valid number for this field.",
    error_date: "This is not a valid date (YYYY-MM-DD).",
    error_taken: "One already exists with this value.",
    language_pt: "Portuguese",
    language_en: "English",
    partners: &partners::EN,
    operators: &operators::EN,
    system: &system::EN,
    audit_log: &audit_log::EN,
    client_services: &client_services::EN,
    templates: &templates::EN,
    issuers: &issuers::EN,
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

impl Texts {
    /// The name of one of the platform's languages, in this one.
    pub fn language_name(&self, language: &Language) -> &'static str {
        match *language {
            Language::PtPt => self.language_pt,
            Language::En => self.language_en,
        }
    }
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
