//! Test fixtures: the messages the tests compose. The SMTP servers and the independent parser
//! are `signstash_test_support::smtp`.

#![allow(dead_code)] // each test binary uses part of it

pub mod fixtures {
    use signstash_delivery::{
        Attachment, Brand, DocumentsAvailable, Language, MailComposer, PortalToken, Sender,
    };

    pub const PORTAL: &str = "https://portal.signstash.test";

    pub fn composer() -> MailComposer {
        let sender = Sender::new(Some("Sign'Stash"), "no-reply@signstash.test").expect("sender");
        MailComposer::new(sender, &format!("{PORTAL}/")).expect("composer")
    }

    /// Every byte value, behind a PDF header: proves the attachment is binary-clean.
    pub fn pdf_bytes() -> Vec<u8> {
        let mut bytes = b"%PDF-1.7\n".to_vec();
        bytes.extend((0..=255u8).cycle().take(70_000));
        bytes
    }

    pub fn xml_bytes() -> Vec<u8> {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Invoice>Março: 12,30 €</Invoice>\n"
            .as_bytes()
            .to_vec()
    }

    pub fn pt_with_attachments() -> DocumentsAvailable {
        DocumentsAvailable {
            language: Language::PtPt,
            issuer_name: "Ferragens Silva & Filhos, Lda.".into(),
            operation_description: Some("Faturas de março <urgente>".into()),
            document_names: vec!["fatura-ção 123.pdf".into(), "FT 2026-124.xml".into()],
            attachments: vec![
                Attachment::new("fatura-ção 123.pdf", "application/pdf", pdf_bytes())
                    .expect("attachment"),
                Attachment::new("FT 2026-124.xml", "text/xml", xml_bytes()).expect("attachment"),
            ],
            brand: Brand::default(),
        }
    }

    pub fn en_without_attachments() -> DocumentsAvailable {
        DocumentsAvailable {
            language: Language::En,
            issuer_name: "Acme <Trading> Ltd".into(),
            operation_description: None,
            document_names: vec!["invoice-123.xml".into()],
            attachments: vec![],
            brand: Brand::default(),
        }
    }

    /// The brand tests' portal CSS: green buttons with near-white text.
    pub const BRAND_CSS: &str = ":root { --brand: #0B7A3E; --brand-text: #fefefe; }";

    /// A small real PNG.
    pub fn logo_png() -> Vec<u8> {
        signstash_test_support::corpus::png(96, 48, [0x0b, 0x7a, 0x3e])
    }

    /// [`BRAND_CSS`] with [`logo_png`].
    pub fn branded() -> Brand {
        Brand::from_portal_template(BRAND_CSS, Some((&logo_png(), "image/png")))
    }

    pub use signstash_test_support::smtp::portal_token_in as token_in;

    pub fn link(token: &PortalToken) -> String {
        format!("{PORTAL}/d/{}", token.expose_secret())
    }
}
