//! Shared test support: the corpus of tricky documents and the lxml oracle.
#![allow(dead_code)] // each test binary uses a part of this module

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use signstash_xml::{canonicalize_to_vec, normalize_line_endings, parse, C14nOptions, Error, Node};

pub const UBL_INVOICE: &str = include_str!("../data/ubl-invoice.xml");
pub const SIGNATURE: &str = include_str!("../data/signature.xml");

/// The UBL invoice with an existing XAdES signature in its extension placeholder.
pub fn signed_invoice() -> String {
    let sig = format!(
        "<ext:ExtensionContent>\n        <sig:UBLDocumentSignatures>\n          <sac:SignatureInformation>\n            <cbc:ID>urn:oasis:names:specification:ubl:signature:1</cbc:ID>\n            <sbc:ReferencedSignatureID>urn:oasis:names:specification:ubl:signature:Invoice</sbc:ReferencedSignatureID>\n            {}\n          </sac:SignatureInformation>\n        </sig:UBLDocumentSignatures>\n      </ext:ExtensionContent>",
        SIGNATURE.trim_end()
    );
    UBL_INVOICE.replacen("<ext:ExtensionContent/>", &sig, 1)
}

/// Named documents exercising the c14n rules. Every one is well-formed and must be accepted.
pub fn corpus() -> Vec<(&'static str, Vec<u8>)> {
    let mut docs: Vec<(&'static str, Vec<u8>)> = vec![
        ("ubl-invoice", UBL_INVOICE.as_bytes().to_vec()),
        ("ubl-signed", signed_invoice().into_bytes()),
        ("signature", SIGNATURE.as_bytes().to_vec()),
    ];
    let inline: &[(&'static str, &str)] = &[
        (
            "default-ns",
            r#"<root xmlns="http://example.com/a" attr="1"><child><inner xmlns=""><deep>text</deep><x:p xmlns:x="http://example.com/x"/></inner><again xmlns="http://example.com/a"/><other xmlns="http://example.com/b"><nested xmlns="http://example.com/a"><no xmlns=""/></nested></other></child><plain xmlns=""><plain2 xmlns=""/></plain></root>"#,
        ),
        (
            "no-ns-top",
            r#"<top><a xmlns="urn:a"><b xmlns=""><c xmlns="urn:a"/></b></a><d xmlns=""/></top>"#,
        ),
        (
            "prefixed-parent-default-child",
            r#"<p:r xmlns:p="urn:p" xmlns="urn:default"><p:a><b/></p:a><c xmlns=""><p:d><e/></p:d></c><f><g xmlns=""/></f></p:r>"#,
        ),
        (
            "attributes",
            "<doc xmlns:b=\"http://b.example/\" xmlns:a=\"http://a.example/\" xmlns:z=\"http://0.example/\">\n  <e z:attr=\"z\" b:attr=\"b\" a:attr=\"a\" attr=\"plain\" battr=\"x\" xml:lang=\"en-GB\" xml:space=\"preserve\" a:zz=\"1\" b:aa=\"2\"/>\n  <e2 v=\"tab&#9;nl&#10;cr&#13;crlf&#13;&#10;end\" w=\"literal\ttab and\nnewline\" q='single \"double\" &apos;apos&apos;' lt=\"&lt;&gt;&amp;>\" />\n  <e3 a:x=\"1\" xmlns:a=\"http://a2.example/\"/>\n  <b:e4 a:y=\"2\" b:y=\"1\" y=\"0\"/>\n</doc>",
        ),
        (
            "xml-namespace",
            r#"<r xmlns:xml="http://www.w3.org/XML/1998/namespace" xml:lang="fr"><a xml:lang="en" xml:space="preserve" xml:id="i1"> x </a><b/></r>"#,
        ),
        (
            "comments-pis",
            "<?xml version=\"1.0\"?>\n<!-- before 1 -->\n<?pi-before  some   data ?>\n<!--before 2-->\n<root><!-- inside --><?inner-pi?><?inner-pi2 data  ?>text<!--x-->more<e><!----></e></root>\n<!-- after 1 --><?pi-after?>\n\n",
        ),
        (
            "crlf-cdata",
            "<?xml version=\"1.0\"?>\r\n<!-- top\r\ncomment -->\r\n<r>\r\n  <a>line1\r\nline2\rline3\n\rline4</a>\r\n  <b><![CDATA[cdata\r\n<&>]]]]><![CDATA[>]]></b>\r\n  <c>cr&#13;here&#xD;&#xA;</c>\r\n  <!-- comment\r\n -->\r\n<?pi a\r\nb?>\r\n<d x=\"a\r\nb\rc\"/>\r\n</r>\r\n",
        ),
        (
            "non-ascii",
            "\u{FEFF}<?xml version=\"1.0\" encoding=\"utf-8\"?><données clé=\"valeur 日本語 😀\"><élément>ü ß € 𝄞 \u{a0}\u{2028}</élément><p:ñ xmlns:p=\"urn:example:n-tilde\" p:ü=\"ö\"/></données>",
        ),
        (
            "redeclarations",
            r#"<a:root xmlns:a="urn:a" xmlns:b="urn:b" xmlns:unused="urn:unused">
  <a:child xmlns:a="urn:a"><b:x xmlns:b="urn:b"/><b:y xmlns:b="urn:b2"><b:z xmlns:b="urn:b"/></b:y></a:child>
  <c:c xmlns:c="urn:a"><a:d/></c:c>
  <plain b:attr="1"><a:inner/><b:inner b:attr="2"/></plain>
  <n xmlns="urn:d"><n2 xmlns="urn:d"/><a:n3><n4/></a:n3></n>
  <r2 xmlns="urn:d" xmlns:d="urn:d" d:a="1"><d:x/></r2>
</a:root>"#,
        ),
        (
            "whitespace-in-tags",
            "<r  a = \"1\"\n\tb='2' ><e   /><f></f ><g x=\"&gt;\"\n/><p:h xmlns:p = 'urn:p' ></p:h\n></r   >",
        ),
        (
            "references",
            "<r a=\"&lt;&gt;&amp;&quot;&apos;&#65;&#x1F600;\">&lt;&gt;&amp;&quot;&apos;&#65;&#x1F600;]]&gt; &#x9;&#xA;&#x20;</r>",
        ),
        (
            "excluded-inside",
            r#"<r xmlns:a="urn:a"><a:x>before<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><a:y/></ds:Signature>tail<!--c--><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/>tail2</a:x><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:Signature/></ds:Signature></r>"#,
        ),
        ("tiny", "<r/>"),
        ("tiny-comment-after", "<r></r><!--a--><!--b-->"),
    ];
    docs.extend(inline.iter().map(|(n, d)| (*n, d.as_bytes().to_vec())));
    docs
}

/// Our canonical form: `target` is the index of an element in document order (`None` for
/// the whole document); `exclude` a `(namespace, local name)` of excluded elements.
pub fn ours(
    input: &[u8],
    with_comments: bool,
    target: Option<usize>,
    exclude: Option<(&str, &str)>,
) -> Result<Vec<u8>, Error> {
    // Lone carriage returns are refused by `parse`; the corpus has some on purpose.
    let input = normalize_line_endings(input);
    let doc = parse(&input)?;
    let node = match target {
        None => doc.root(),
        Some(i) => doc
            .root()
            .descendants()
            .filter(|n| n.is_element())
            .nth(i)
            .expect("target index"),
    };
    let excl = |n: Node<'_, '_>| {
        exclude.is_some_and(|(ns, local)| {
            n.tag_name().name() == local && n.tag_name().namespace() == Some(ns)
        })
    };
    Ok(canonicalize_to_vec(
        &doc,
        node,
        &C14nOptions { with_comments },
        &excl,
    ))
}

const ORACLE_PY: &str = r#"
import io, sys
from lxml import etree
inp, out = sys.stdin.buffer, sys.stdout.buffer

def remove_keep_tail(el):
    parent = el.getparent()
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or '') + el.tail
        else:
            parent.text = (parent.text or '') + el.tail
    parent.remove(el)

while True:
    line = inp.readline()
    if not line:
        break
    wc, target, exns, exlocal, n = line.split()
    data = inp.read(int(n))
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        tree = etree.parse(io.BytesIO(data), parser)
        root = tree.getroot()
        elems = list(root.iter(etree.Element))
        if exlocal != b'-':
            tag = '{%s}%s' % (exns.decode(), exlocal.decode())
            for el in list(root.iter(tag)):
                if el is not root and el.getparent() is not None:
                    remove_keep_tail(el)
        node = tree if int(target) < 0 else elems[int(target)]
        res = etree.tostring(node, method='c14n', exclusive=True, with_comments=(wc == b'1'))
        out.write(b'OK %d\n' % len(res))
        out.write(res)
    except Exception as e:
        msg = repr(e).encode('utf-8', 'replace').replace(b'\n', b' ')
        out.write(b'ERR %d\n' % len(msg))
        out.write(msg)
    out.flush()
"#;

/// lxml's exclusive c14n, driven through one long-lived Python process.
pub struct Oracle {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

fn python() -> PathBuf {
    match std::env::var_os("SIGNSTASH_PYTHON") {
        Some(p) => p.into(),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.data/venv/bin/python"),
    }
}

impl Oracle {
    /// The oracle, or `None` (with a note) when Python or lxml is missing locally. With `CI`
    /// set, a missing oracle fails the test instead.
    pub fn get() -> Option<Oracle> {
        let py = python();
        match Oracle::spawn(&py) {
            Ok(o) => Some(o),
            Err(why) => {
                let msg = format!(
                    "lxml oracle unavailable ({}: {why}); set SIGNSTASH_PYTHON or run `python3 -m venv .data/venv && .data/venv/bin/pip install lxml` at the workspace root",
                    py.display()
                );
                if std::env::var_os("CI").is_some() {
                    panic!("{msg}");
                }
                eprintln!("note: skipping lxml comparison: {msg}");
                None
            }
        }
    }

    fn spawn(py: &std::path::Path) -> Result<Oracle, String> {
        let mut child = Command::new(py)
            .arg("-c")
            .arg(ORACLE_PY)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| e.to_string())?;
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        let mut o = Oracle {
            child,
            stdin,
            stdout,
        };
        match o.c14n(b"<a/>", false, None, None) {
            Ok(v) if v == b"<a></a>" => Ok(o),
            other => Err(format!("oracle self-check failed: {other:?}")),
        }
    }

    pub fn c14n(
        &mut self,
        input: &[u8],
        with_comments: bool,
        target: Option<usize>,
        exclude: Option<(&str, &str)>,
    ) -> Result<Vec<u8>, String> {
        let (exns, exlocal) = exclude.unwrap_or(("-", "-"));
        let target = target.map_or(-1, |t| t as i64);
        let stdin = self.stdin.as_mut().ok_or("closed")?;
        let header = format!(
            "{} {target} {exns} {exlocal} {}\n",
            u8::from(with_comments),
            input.len()
        );
        stdin
            .write_all(header.as_bytes())
            .and_then(|()| stdin.write_all(input))
            .and_then(|()| stdin.flush())
            .map_err(|e| e.to_string())?;
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        let (status, len) = line.trim_end().split_once(' ').ok_or("bad oracle reply")?;
        let len: usize = len.parse().map_err(|_| "bad oracle length")?;
        let mut body = vec![0; len];
        self.stdout
            .read_exact(&mut body)
            .map_err(|e| e.to_string())?;
        match status {
            "OK" => Ok(body),
            _ => Err(String::from_utf8_lossy(&body).into_owned()),
        }
    }
}

impl Drop for Oracle {
    fn drop(&mut self) {
        drop(self.stdin.take()); // EOF ends the script
        let _ = self.child.wait();
    }
}

/// Shows where two outputs first differ.
pub fn diff(a: &[u8], b: &[u8]) -> String {
    let i = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let ctx = |s: &[u8]| {
        String::from_utf8_lossy(&s[i.saturating_sub(60)..(i + 60).min(s.len())]).into_owned()
    };
    format!(
        "first difference at byte {i}:\n  ours: {:?}\n  lxml: {:?}",
        ctx(a),
        ctx(b)
    )
}

/// Small deterministic PRNG so failures reproduce.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const TOKENS: &[&[u8]] = &[
    b"<",
    b">",
    b"&",
    b"\"",
    b"'",
    b"/",
    b"=",
    b":",
    b"\r",
    b"\r\n",
    b"\t",
    b"\n",
    b" ",
    b"\0",
    b"\xFF",
    b"\xC3",
    b"\xEF\xBB\xBF",
    b"<!DOCTYPE r>",
    b"]]>",
    b"<![CDATA[",
    b"<!--",
    b"-->",
    b"<!--c-->",
    b"<?",
    b"?>",
    b"<?p d?>",
    b"<?xml version='1.0'?>",
    b"xmlns=''",
    b" xmlns:p='urn:p'",
    b" xmlns='urn:d'",
    b" xmlns=''",
    b"<p:a>",
    b"</p:a>",
    b"<a>",
    b"</a>",
    b"<b/>",
    b"<p:b xmlns:p='urn:q'/>",
    b" p:x='1'",
    b" xml:lang='en'",
    b" a='&#9;&#10;&#13;'",
    b"&amp;",
    b"&#13;",
    b"&#x9;",
    b"&bogus;",
    b"<![CDATA[x\r\ny]]>",
    "\u{e9}".as_bytes(),
    "\u{1F600}".as_bytes(),
    b"<ds:Signature xmlns:ds='http://www.w3.org/2000/09/xmldsig#'>t</ds:Signature>",
];

/// One to three random edits: bit flips, token insertions, deletions, duplications.
pub fn mutate(seed: &[u8], rng: &mut XorShift) -> Vec<u8> {
    let mut doc = seed.to_vec();
    for _ in 0..=rng.below(3) {
        let at = rng.below(doc.len() + 1);
        match rng.below(6) {
            0 => {
                if let Some(b) = doc.get_mut(at) {
                    *b ^= 1 << rng.below(8);
                }
            }
            1..=3 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                doc.splice(at..at, t.iter().copied());
            }
            4 => {
                let end = (at + rng.below(16)).min(doc.len());
                doc.drain(at..end);
            }
            _ => {
                let end = (at + rng.below(32)).min(doc.len());
                let chunk = doc[at..end].to_vec();
                let to = rng.below(doc.len() + 1);
                doc.splice(to..to, chunk);
            }
        }
    }
    doc
}
