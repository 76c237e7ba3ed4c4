//! The generated test corpus: UBL 2.1 invoice and credit note, XML edge cases, PDFs of every
//! structure the signer must handle, and a binary file.

use std::process::Command;

use crate::{run, text, tool};

/// A UBL 2.1 invoice (about 5 KB with `lines` = 12) with an empty `ext:ExtensionContent`
/// placeholder for the signature, as Portuguese e-invoices carry it.
pub fn ubl_invoice(lines: usize) -> String {
    ubl(
        "Invoice",
        "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
        "InvoiceLine",
        "InvoicedQuantity",
        lines,
    )
}

/// A UBL 2.1 credit note with the same placeholder.
pub fn ubl_credit_note() -> String {
    ubl(
        "CreditNote",
        "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
        "CreditNoteLine",
        "CreditedQuantity",
        2,
    )
}

fn ubl(root: &str, ns: &str, line: &str, qty: &str, lines: usize) -> String {
    let mut body = String::new();
    for i in 1..=lines {
        body.push_str(&format!(
            r#"
  <cac:{line}>
    <cbc:ID>{i}</cbc:ID>
    <cbc:{qty} unitCode="C62">{i}</cbc:{qty}>
    <cbc:LineExtensionAmount currencyID="EUR">{i}0.00</cbc:LineExtensionAmount>
    <cac:Item>
      <cbc:Description>Serviço de manutenção nº {i} — «premium»</cbc:Description>
      <cbc:Name>Item {i}</cbc:Name>
      <cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>23</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>
    </cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="EUR">10.00</cbc:PriceAmount></cac:Price>
  </cac:{line}>"#
        ));
    }
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<{root} xmlns="{ns}" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2" xmlns:ext="urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2">
  <ext:UBLExtensions>
    <ext:UBLExtension>
      <ext:ExtensionContent></ext:ExtensionContent>
    </ext:UBLExtension>
  </ext:UBLExtensions>
  <cbc:UBLVersionID>2.1</cbc:UBLVersionID>
  <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:feap.gov.pt:CIUS-PT:2.1.1</cbc:CustomizationID>
  <cbc:ID>FT 2026/123</cbc:ID>
  <cbc:IssueDate>2026-11-24</cbc:IssueDate>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cac:AccountingSupplierParty><cac:Party><cac:PartyName><cbc:Name>Fornecedor Exemplo, Lda.</cbc:Name></cac:PartyName><cac:PartyTaxScheme><cbc:CompanyID>PT500000000</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme></cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party><cac:PartyName><cbc:Name>Cliente &amp; Filhos, S.A.</cbc:Name></cac:PartyName></cac:Party></cac:AccountingCustomerParty>
  <cac:LegalMonetaryTotal><cbc:PayableAmount currencyID="EUR">123.00</cbc:PayableAmount></cac:LegalMonetaryTotal>{body}
</{root}>
"#
    )
}

/// XML with a default namespace, a nested `xmlns=""` and a self-closing target element.
pub fn xml_default_namespace() -> String {
    r#"<?xml version="1.0"?>
<doc xmlns="urn:example:doc" xmlns:x="urn:example:x" x:attr="1">
  <item id="a">text</item>
  <plain xmlns=""><inner>no namespace</inner></plain>
  <SignatureHere/>
</doc>"#
        .into()
}

/// XML with comments inside and outside the root and a processing instruction inside. (A PI
/// outside the root belongs to the `URI=""` node-set, which xmlsec1 honours but signxml, which
/// digests the root element, does not; so the shared corpus keeps PIs inside.)
pub fn xml_comments() -> String {
    "<!-- before -->\n<root><!-- inside --><a>1</a><?pi inside?><b attr=\"x&#9;y\">2&#13;</b></root>\n<!-- after -->\n".into()
}

/// XML with non-ASCII text and attributes.
pub fn xml_non_ascii() -> String {
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<fatura moeda=\"€\"><linha>Açúcar, pão e café — 3×</linha><nota>日本語 テキスト 😀</nota></fatura>\n".into()
}

/// Arbitrary binary content for CAdES.
pub fn binary(len: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 7919 + 13) % 251) as u8).collect()
}

/// The structures of PDF the signer must handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PdfKind {
    /// Classic xref table.
    Classic,
    /// Cross-reference stream and object streams (made by qpdf).
    ObjectStreams,
    /// An earlier incremental update (a new /Info appended with /Prev).
    Incremental,
    /// An AcroForm with a text field.
    FormField,
}

/// A PDF of `kind` with a content stream padded to at least `min_size` bytes.
/// `None` when the tool that makes it (qpdf) is missing outside CI.
pub fn pdf(kind: PdfKind, min_size: usize) -> Option<Vec<u8>> {
    let form = kind == PdfKind::FormField;
    let base = classic_pdf(form, min_size);
    match kind {
        PdfKind::Classic | PdfKind::FormField => Some(base),
        PdfKind::Incremental => Some(append_info_update(base)),
        PdfKind::ObjectStreams => {
            let qpdf = tool("qpdf")?;
            let dir = tempfile::tempdir().unwrap();
            let (i, o) = (dir.path().join("in.pdf"), dir.path().join("out.pdf"));
            std::fs::write(&i, &base).unwrap();
            let out = run(Command::new(qpdf)
                .args(["--object-streams=generate"])
                .arg(&i)
                .arg(&o));
            assert!(out.status.success(), "qpdf: {}", text(&out));
            Some(std::fs::read(o).unwrap())
        }
    }
}

fn classic_pdf(form: bool, min_size: usize) -> Vec<u8> {
    let mut text = String::from("BT /F1 18 Tf 72 720 Td (Fatura FT 2026/123) Tj ET\n");
    let mut n = 0;
    while text.len() < min_size {
        n += 1;
        text.push_str(&format!("BT /F1 8 Tf 72 {} Td (Linha {n}: servico de manutencao, quantidade 1, valor 10.00 EUR) Tj ET\n", 700 - (n % 80) * 8));
    }
    let mut objects: Vec<String> = vec![
        if form {
            "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R] /DA (/Helv 0 Tf 0 g) >> >>".into()
        } else {
            "<< /Type /Catalog /Pages 2 0 R >>".into()
        },
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R{} >>",
            if form { " /Annots [6 0 R]" } else { "" }
        ),
        format!("<< /Length {} >>\nstream\n{text}endstream", text.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".into(),
    ];
    if form {
        objects.push("<< /Type /Annot /Subtype /Widget /FT /Tx /T (customer) /V (Cliente) /Rect [72 600 300 620] /P 3 0 R /F 4 >>".into());
    }
    objects.push("<< /Producer (Sign'Stash test corpus) >>".into());
    let info = objects.len();
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R /Info {info} 0 R /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>] >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// Appends an incremental update that replaces /Info, as an editor saving a file would.
fn append_info_update(mut pdf: Vec<u8>) -> Vec<u8> {
    let text = String::from_utf8_lossy(&pdf).into_owned();
    let prev: usize = text
        .rsplit("startxref\n")
        .next()
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let size: usize = text
        .rsplit("/Size ")
        .next()
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let info = size - 1;
    let off = pdf.len();
    pdf.extend_from_slice(
        format!("{info} 0 obj\n<< /Producer (Sign'Stash test corpus) /Title (Edited) >>\nendobj\n")
            .as_bytes(),
    );
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!(
            "xref\n{info} 1\n{off:010} 00000 n \ntrailer\n<< /Size {size} /Root 1 0 R /Info {info} 0 R /Prev {prev} /ID [<0123456789abcdef0123456789abcdef> <fedcba9876543210fedcba9876543210>] >>\nstartxref\n{xref}\n%%EOF\n"
        )
        .as_bytes(),
    );
    pdf
}
