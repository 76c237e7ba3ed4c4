//! The generated test corpus: UBL 2.1 invoice and credit note, XML edge cases, PDFs of every
//! structure the signer must handle, a binary file and small images (PNG, JPEG).

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

/// A `width` × `height` RGB PNG of a `rgb` square on white (a logo for brand tests).
pub fn png(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().expect("PNG header");
    let (w, h) = (width as usize, height as usize);
    let mut pixels = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        for x in 0..w {
            let inside = (w / 4..w - w / 4).contains(&x) && (h / 4..h - h / 4).contains(&y);
            pixels.extend(if inside { rgb } else { [255; 3] });
        }
    }
    writer.write_image_data(&pixels).expect("PNG data");
    writer.finish().expect("PNG end");
    out
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
    assemble(objects)
}

/// A classic-xref PDF of `objects` (numbered from 1) with an /Info dictionary appended.
fn assemble(mut objects: Vec<String>) -> Vec<u8> {
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

fn stream(content: &str) -> String {
    format!(
        "<< /Length {} >>\nstream\n{content}\nendstream",
        content.len()
    )
}

/// The name of the empty signature field of [`pdf_with_signature_field`].
pub const SIGNATURE_FIELD: &str = "ClientSignature";
/// Its rectangle on page 1 (US Letter).
pub const SIGNATURE_FIELD_RECT: [f64; 4] = [350.0, 60.0, 550.0, 130.0];

/// A one-page invoice with an empty signature field [`SIGNATURE_FIELD`] (field and widget
/// merged, at [`SIGNATURE_FIELD_RECT`]) and a text field `customer`.
pub fn pdf_with_signature_field() -> Vec<u8> {
    let [x0, y0, x1, y1] = SIGNATURE_FIELD_RECT;
    assemble(vec![
        "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R 7 0 R] /DA (/Helv 0 Tf 0 g) >> >>".into(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R /Annots [6 0 R 7 0 R] >>".into(),
        stream("BT /F1 18 Tf 72 720 Td (Fatura FT 2026/123) Tj ET\nBT /F1 10 Tf 350 140 Td (Assinatura do cliente) Tj ET\n0.5 G 350 60 200 70 re S"),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".into(),
        format!("<< /Type /Annot /Subtype /Widget /FT /Sig /T ({SIGNATURE_FIELD}) /Rect [{x0} {y0} {x1} {y1}] /P 3 0 R /F 4 >>"),
        "<< /Type /Annot /Subtype /Widget /FT /Tx /T (customer) /V (Cliente) /Rect [72 600 300 620] /P 3 0 R /F 4 >>".into(),
    ])
}

/// Where [`pdf_with_placeholder`] draws its word: the start of its baseline, in points.
pub const PLACEHOLDER_AT: (f64, f64) = (412.52, 90.0);
/// The top of that word: its baseline plus 10-point Helvetica's ascender (0.718 em) and the
/// allowance for a substitute font (0.05 em).
pub const PLACEHOLDER_TOP: f64 = 97.68;

/// A one-page invoice as a generator writes one: a FlateDecode content stream (compressed by
/// qpdf), a `cm` translation, text positioned with `Td`, `TL`/`T*` and `Tm`, and `word` in a
/// `TJ` array after a kerned label, drawn at [`PLACEHOLDER_AT`]. `None` when qpdf is missing
/// outside CI.
pub fn pdf_with_placeholder(word: &str) -> Option<Vec<u8>> {
    // "Assinatura:" is 50.02 points wide in 10-point Helvetica; -250 moves 2.5 points right;
    // 300 (cm) + 60 (Tm) + 50.02 + 2.5 = 412.52.
    let content = format!(
        "q\nBT /F1 18 Tf 72 720 Td (Fatura FT 2026/123) Tj ET\n\
         BT /F1 10 Tf 14 TL 72 690 Td (Cliente: Cliente & Filhos, S.A.) Tj T* (Total: 123.00 EUR) Tj ET\n\
         q 1 0 0 1 300 0 cm\n\
         BT /F1 10 Tf 1 0 0 1 60 90 Tm [(Assinatura:) -250 ({word})] TJ ET\nQ\nQ"
    );
    let plain = assemble(vec![
        "<< /Type /Catalog /Pages 2 0 R >>".into(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>".into(),
        stream(&content),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".into(),
    ]);
    let qpdf = tool("qpdf")?;
    let dir = tempfile::tempdir().unwrap();
    let (i, o) = (dir.path().join("in.pdf"), dir.path().join("out.pdf"));
    std::fs::write(&i, &plain).unwrap();
    let out = run(Command::new(qpdf)
        .args(["--compress-streams=y", "--object-streams=disable"])
        .arg(&i)
        .arg(&o));
    assert!(out.status.success(), "qpdf: {}", text(&out));
    let compressed = std::fs::read(o).unwrap();
    assert!(
        String::from_utf8_lossy(&compressed).contains("/FlateDecode"),
        "qpdf did not compress the content"
    );
    Some(compressed)
}

/// The lines of [`invoice_with_signature_line`]: the third holds the placeholder.
pub const INVOICE_LINES: [&str; 3] = ["Fatura FT 2026/123", "Total: 123,00 EUR", "Assinatura: "];
/// Their font size and the distance between their baselines, in points.
pub const INVOICE_FONT_SIZE: f64 = 10.0;
pub const INVOICE_LEADING: f64 = 14.0;

/// A one-page invoice (US Letter) in 10-point Helvetica, lines 14 points apart from baseline
/// `first_baseline` down: "Fatura FT 2026/123", "Total: 123,00 EUR", then "Assinatura: `word`";
/// and a footer line at y = 30.
pub fn invoice_with_signature_line(word: &str, first_baseline: f64) -> Vec<u8> {
    let [number, total, signature] = INVOICE_LINES;
    let content = format!(
        "BT /F1 {INVOICE_FONT_SIZE} Tf {INVOICE_LEADING} TL 72 {first_baseline} Td ({number}) Tj T* ({total}) Tj T* ({signature}{word}) Tj ET\n\
         BT /F1 8 Tf 72 30 Td (Processado por programa certificado n.o 0000/AT) Tj ET"
    );
    assemble(vec![
        "<< /Type /Catalog /Pages 2 0 R >>".into(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>".into(),
        stream(&content),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".into(),
    ])
}

/// Page 2 of [`pdf_two_pages`]: its MediaBox and its smaller CropBox.
pub const SECOND_PAGE_MEDIA_BOX: [f64; 4] = [0.0, 0.0, 595.0, 842.0];
pub const SECOND_PAGE_CROP_BOX: [f64; 4] = [20.0, 30.0, 520.0, 730.0];

/// Two pages: US Letter, then A4 with a CropBox ([`SECOND_PAGE_CROP_BOX`]) that inherits its
/// resources from the page tree.
pub fn pdf_two_pages() -> Vec<u8> {
    let [m0, m1, m2, m3] = SECOND_PAGE_MEDIA_BOX;
    let [c0, c1, c2, c3] = SECOND_PAGE_CROP_BOX;
    assemble(vec![
        "<< /Type /Catalog /Pages 2 0 R >>".into(),
        "<< /Type /Pages /Kids [3 0 R 6 0 R] /Count 2 /Resources << /Font << /F1 5 0 R >> >> >>".into(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>".into(),
        stream("BT /F1 18 Tf 72 720 Td (Page one) Tj ET"),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".into(),
        format!("<< /Type /Page /Parent 2 0 R /MediaBox [{m0} {m1} {m2} {m3}] /CropBox [{c0} {c1} {c2} {c3}] /Contents 7 0 R >>"),
        stream("BT /F1 18 Tf 72 650 Td (Page two) Tj ET"),
    ])
}

/// A `width` × `height` JPEG (baseline, RGB) of a red square on white, rendered by poppler's
/// `pdftoppm`. `None` when poppler is missing outside CI.
pub fn jpeg(width: u32, height: u32) -> Option<Vec<u8>> {
    let pdftoppm = tool("pdftoppm")?;
    let content = format!(
        "1 1 1 rg 0 0 {width} {height} re f 0.8 0 0 rg {} {} {} {} re f",
        width / 4,
        height / 4,
        width / 2,
        height / 2
    );
    let pdf = assemble(vec![
        "<< /Type /Catalog /Pages 2 0 R >>".into(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into(),
        format!("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] /Contents 4 0 R >>"),
        stream(&content),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("image.pdf");
    std::fs::write(&input, pdf).unwrap();
    let out = run(Command::new(pdftoppm)
        .args(["-jpeg", "-r", "72", "-singlefile"])
        .arg(&input)
        .arg(dir.path().join("image")));
    assert!(out.status.success(), "pdftoppm: {}", text(&out));
    Some(std::fs::read(dir.path().join("image.jpg")).unwrap())
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
