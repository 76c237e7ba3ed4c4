//! The portal's words in its two languages. One template per page serves both: it reads every
//! text from a [`Texts`], so a missing translation is a compile error, not a blank.

use signstash_domain::Language;

/// Every text of the portal's pages in one language.
pub struct Texts {
    /// `<html lang>`.
    pub lang: &'static str,
    pub language_name: &'static str,
    /// `pt_PT` / `en`: the value of `?lang=`.
    pub code: &'static str,
    pub language_label: &'static str,
    pub skip_to_content: &'static str,
    pub documents_from: &'static str,
    pub sent_on: &'static str,
    pub documents_caption: &'static str,
    pub col_document: &'static str,
    pub col_signature: &'static str,
    pub col_signer: &'static str,
    pub col_signed_at: &'static str,
    pub col_timestamp: &'static str,
    pub col_validity: &'static str,
    pub validity_caption: &'static str,
    pub intact: &'static str,
    pub modified: &'static str,
    pub unverifiable: &'static str,
    pub by: &'static str,
    pub col_actions: &'static str,
    pub view: &'static str,
    pub download: &'static str,
    pub download_all: &'static str,
    pub not_available: &'static str,
    pub kind_pdf: &'static str,
    pub kind_xml: &'static str,
    pub kind_p7s: &'static str,
    pub p7s_note: &'static str,
    pub footer: &'static str,
    pub back: &'static str,
    pub xml_note: &'static str,
    pub xml_too_large: &'static str,
    pub error_title: &'static str,
    pub error_text: &'static str,
    pub code_title: &'static str,
    pub code_intro: &'static str,
    pub code_label: &'static str,
    pub code_hint: &'static str,
    pub code_submit: &'static str,
    pub code_wrong: &'static str,
    pub code_locked: &'static str,
    pub code_new: &'static str,
    pub code_sent: &'static str,
    pub code_wait: &'static str,
    pub code_unsent: &'static str,
    pub code_mail_subject: &'static str,
    pub code_mail_intro: &'static str,
    pub code_mail_note: &'static str,
}

pub const PT_PT: Texts = Texts {
    lang: "pt-PT",
    language_name: "Português",
    code: "pt_PT",
    language_label: "Idioma",
    skip_to_content: "Saltar para o conteúdo",
    documents_from: "Documentos de",
    sent_on: "Enviados em",
    documents_caption: "Documentos assinados",
    col_document: "Documento",
    col_signature: "Assinatura",
    col_signer: "Signatário",
    col_signed_at: "Assinado em",
    col_timestamp: "Selo temporal",
    col_validity: "Estado",
    validity_caption: "O estado de cada assinatura é verificado agora pelo Sign'Stash, com os certificados do emissor: «Íntegro» quer dizer que o documento é exatamente o que foi assinado.",
    intact: "Íntegro",
    modified: "Modificado",
    unverifiable: "Não verificável",
    by: "por",
    col_actions: "Ações",
    view: "Ver",
    download: "Descarregar",
    download_all: "Descarregar todos (zip)",
    not_available: "Indisponível",
    kind_pdf: "Documento PDF",
    kind_xml: "Documento XML",
    kind_p7s: "Assinatura destacada (.p7s)",
    p7s_note: "A assinatura CAdES destacada acompanha o ficheiro original que recebeu do emissor.",
    footer: "Documentos assinados digitalmente e guardados pelo Sign'Stash em nome de",
    back: "Voltar aos documentos",
    xml_note: "Texto do documento XML, apresentado tal como está (nunca interpretado).",
    xml_too_large: "Este documento é demasiado grande para ser apresentado aqui; descarregue-o.",
    error_title: "Serviço temporariamente indisponível",
    error_text: "Não foi possível mostrar os documentos. Tente novamente dentro de alguns minutos.",
    code_title: "Código de acesso",
    code_intro: "Para ver os documentos, introduza o código de acesso que enviámos por e-mail para",
    code_label: "Código de acesso",
    code_hint: "6 algarismos",
    code_submit: "Continuar",
    code_wrong: "O código não está correto ou já expirou.",
    code_locked: "Demasiadas tentativas com este código. Peça um novo código.",
    code_new: "Enviar um novo código",
    code_sent: "Enviámos um novo código para o seu e-mail.",
    code_wait: "Já enviámos um código há pouco. Aguarde alguns minutos antes de pedir outro.",
    code_unsent: "Não foi possível enviar o código agora. Tente novamente dentro de alguns minutos.",
    code_mail_subject: "Código de acesso aos documentos de",
    code_mail_intro: "O seu código de acesso aos documentos é:",
    code_mail_note: "O código só pode ser usado uma vez e por pouco tempo. Se não pediu este código, ignore esta mensagem.",
};

pub const EN: Texts = Texts {
    lang: "en",
    language_name: "English",
    code: "en",
    language_label: "Language",
    skip_to_content: "Skip to content",
    documents_from: "Documents from",
    sent_on: "Sent on",
    documents_caption: "Signed documents",
    col_document: "Document",
    col_signature: "Signature",
    col_signer: "Signer",
    col_signed_at: "Signed at",
    col_timestamp: "Timestamp",
    col_validity: "Status",
    validity_caption: "Each signature is checked now by Sign'Stash against the issuer's certificates: “Intact” means the document is exactly what was signed.",
    intact: "Intact",
    modified: "Modified",
    unverifiable: "Cannot be checked",
    by: "by",
    col_actions: "Actions",
    view: "View",
    download: "Download",
    download_all: "Download all (zip)",
    not_available: "Not available",
    kind_pdf: "PDF document",
    kind_xml: "XML document",
    kind_p7s: "Detached signature (.p7s)",
    p7s_note:
        "The detached CAdES signature goes with the original file you received from the issuer.",
    footer: "Documents digitally signed and kept by Sign'Stash on behalf of",
    back: "Back to the documents",
    xml_note: "The XML document's text, shown as it is (never interpreted).",
    xml_too_large: "This document is too large to be shown here; download it.",
    error_title: "Service temporarily unavailable",
    error_text: "The documents cannot be shown right now. Please try again in a few minutes.",
    code_title: "Access code",
    code_intro: "To see the documents, enter the access code we e-mailed to",
    code_label: "Access code",
    code_hint: "6 digits",
    code_submit: "Continue",
    code_wrong: "The code is not right or has expired.",
    code_locked: "Too many attempts with this code. Ask for a new code.",
    code_new: "Send a new code",
    code_sent: "A new code is on its way to your e-mail.",
    code_wait: "A code was sent a moment ago. Please wait a few minutes before asking for another.",
    code_unsent: "The code cannot be sent right now. Please try again in a few minutes.",
    code_mail_subject: "Access code for the documents from",
    code_mail_intro: "Your access code for the documents is:",
    code_mail_note: "The code works once and only for a short while. If you did not ask for it, ignore this message.",
};

/// The portal's languages, in the order the switch shows them.
pub const LANGUAGES: [Language; 2] = [Language::PtPt, Language::En];

/// The cookie that keeps a receiver's choice of language (no secret in it).
pub const LANGUAGE_COOKIE: &str = "signstash_portal_lang";

/// A language as `?lang=` or the cookie spell it (`pt_PT`, `pt`, `en`).
pub fn parse_language(text: &str) -> Option<Language> {
    signstash_web::language::parse(text)
}

/// The language of a page: `?lang=` (which the receiver just chose), else the cookie of an
/// earlier choice, else the client service's. Also whether the choice must be remembered.
pub fn choose(query: Option<&str>, cookies: Option<&str>, default: Language) -> (Language, bool) {
    signstash_web::language::choose(query, cookies, LANGUAGE_COOKIE, default)
}

/// The `Set-Cookie` value that remembers `language` for a year.
pub fn language_cookie(language: Language) -> String {
    signstash_web::language::cookie(LANGUAGE_COOKIE, language, "Lax")
}

pub fn texts(language: Language) -> &'static Texts {
    match language {
        Language::PtPt => &PT_PT,
        Language::En => &EN,
    }
}

/// A size in bytes as people read it (`12,3 KB` in Portuguese, `12.3 KB` in English).
pub fn human_size(bytes: i64, language: Language) -> String {
    const UNITS: [&str; 4] = ["bytes", "KB", "MB", "GB"];
    if bytes < 1024 {
        return format!("{bytes} {}", UNITS[0]);
    }
    #[allow(clippy::cast_precision_loss)] // sizes far below 2^52
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    let text = format!("{value:.1}");
    let text = match language {
        Language::PtPt => text.replace('.', ","),
        Language::En => text,
    };
    format!("{text} {}", UNITS[unit])
}

/// A UTC time as `2026-11-24 14:03 UTC` (unambiguous in both languages).
pub fn utc_time(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    t.format(&format).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_naturally_in_both_languages() {
        assert_eq!(human_size(512, Language::En), "512 bytes");
        assert_eq!(human_size(12_595, Language::En), "12.3 KB");
        assert_eq!(human_size(12_595, Language::PtPt), "12,3 KB");
        assert_eq!(human_size(5 * 1024 * 1024, Language::En), "5.0 MB");
    }

    #[test]
    fn the_query_wins_over_the_cookie_which_wins_over_the_default() {
        let pt = Language::PtPt;
        let en = Language::En;
        assert_eq!(choose(None, None, pt), (pt, false));
        assert_eq!(choose(Some("lang=en"), None, pt), (en, true));
        assert_eq!(
            choose(Some("x=1&lang=pt_PT"), Some("signstash_portal_lang=en"), en),
            (pt, true)
        );
        assert_eq!(
            choose(None, Some("a=b; signstash_portal_lang=en"), pt),
            (en, false)
        );
        assert_eq!(
            choose(Some("lang=fr"), Some("signstash_portal_lang=xx"), en),
            (en, false)
        );
    }

    #[test]
    fn times_are_utc() {
        let t = time::macros::datetime!(2026-11-24 15:03:59 +01:00);
        assert_eq!(utc_time(t), "2026-11-24 14:03 UTC");
    }
}
