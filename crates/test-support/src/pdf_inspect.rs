//! What programs we did not write see in a PDF: qpdf's signature fields and streams, poppler's
//! words with their boxes (`pdftotext -bbox`) and its rendering of a page (`pdftoppm`). Each
//! function returns `None` when its tool is missing (outside CI).

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::{run, text, tool};

/// A signature field as qpdf reads it.
#[derive(Clone, Debug)]
pub struct SigField {
    pub name: String,
    /// From 1.
    pub page: u64,
    /// The widget's `/Rect`.
    pub rect: Vec<f64>,
    pub signed: bool,
    /// The widget's normal appearance stream (`/AP /N`), decoded by qpdf.
    pub appearance: Option<Vec<u8>>,
}

/// The signature fields of `pdf`, by `qpdf --json`, each with its appearance stream.
pub fn signature_fields(pdf: &Path) -> Option<Vec<SigField>> {
    let qpdf = tool("qpdf")?;
    let out = run(Command::new(&qpdf)
        .args(["--json", "--json-key=acroform", "--json-key=qpdf"])
        .arg(pdf));
    assert!(out.status.success(), "qpdf --json: {}", text(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let objects = &json["qpdf"][1];
    let mut fields = Vec::new();
    for f in json["acroform"]["fields"].as_array().unwrap() {
        if f["fieldtype"] != "/Sig" {
            continue;
        }
        let annotation = f["annotation"]["object"].as_str().unwrap();
        let widget = &objects[format!("obj:{annotation}")]["value"];
        let rect = widget["/Rect"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let field = &objects[format!("obj:{}", f["object"].as_str().unwrap())]["value"];
        // "/AP": {"/N": "12 0 R"}: the object number.
        let appearance = widget["/AP"]["/N"]
            .as_str()
            .and_then(|r| r.split_whitespace().next())
            .map(|num| {
                let out = run(Command::new(&qpdf)
                    .arg(format!("--show-object={num}"))
                    .arg("--filtered-stream-data")
                    .arg(pdf));
                assert!(out.status.success(), "qpdf --show-object: {}", text(&out));
                out.stdout
            });
        fields.push(SigField {
            name: f["fullname"].as_str().unwrap().to_string(),
            page: f["pageposfrom1"].as_u64().unwrap(),
            rect,
            signed: field.get("/V").is_some(),
            appearance,
        });
    }
    Some(fields)
}

/// A word as poppler's text extraction finds it, its box in PDF user space (`[x0, y0, x1, y1]`,
/// y upwards, for a page whose MediaBox starts at 0, 0).
#[derive(Clone, Debug, PartialEq)]
pub struct Word {
    pub text: String,
    pub rect: [f64; 4],
}

impl Word {
    /// Whether the two boxes share some area (touching edges do not count).
    pub fn overlaps(&self, rect: &[f64]) -> bool {
        overlap(&self.rect, rect)
    }
}

/// Whether `a` and `b` (`[x0, y0, x1, y1]`) share some area; touching edges do not count.
pub fn overlap(a: &[f64], b: &[f64]) -> bool {
    const SLACK: f64 = 1e-3;
    a[0] < b[2] - SLACK && b[0] < a[2] - SLACK && a[1] < b[3] - SLACK && b[1] < a[3] - SLACK
}

/// The words of page `page` (from 1) with their boxes, by `pdftotext -bbox`: what the page
/// shows, annotations' appearances included.
pub fn words(pdf: &Path, page: u32) -> Option<Vec<Word>> {
    let pdftotext = tool("pdftotext")?;
    let p = page.to_string();
    let out = run(Command::new(pdftotext)
        .args(["-bbox", "-f", &p, "-l", &p])
        .arg(pdf)
        .arg("-"));
    assert!(out.status.success(), "pdftotext -bbox: {}", text(&out));
    let html = String::from_utf8_lossy(&out.stdout).into_owned();
    let attr = |tag: &str, name: &str| -> f64 {
        let start = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        let len = tag[start..].find('"').unwrap();
        tag[start..start + len].parse().unwrap()
    };
    let page_tag = html.split("<page ").nth(1).unwrap();
    let height = attr(page_tag, "height");
    let mut words = Vec::new();
    for w in html.split("<word ").skip(1) {
        let (tag, rest) = w.split_once('>').unwrap();
        let word = rest.split("</word>").next().unwrap();
        let word = word
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&");
        words.push(Word {
            text: word,
            rect: [
                attr(tag, "xMin"),
                height - attr(tag, "yMax"),
                attr(tag, "xMax"),
                height - attr(tag, "yMin"),
            ],
        });
    }
    Some(words)
}

/// A page as poppler renders it: `width` × `height` RGB pixels, row by row from the top.
pub struct Rendering {
    pub width: usize,
    pub height: usize,
    pub rgb: Vec<u8>,
    /// Pixels per point.
    pub scale: f64,
}

impl Rendering {
    /// The pixel at (`x`, `y`) from the top-left corner.
    pub fn pixel(&self, x: usize, y: usize) -> [u8; 3] {
        let i = (y * self.width + x) * 3;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    /// The pixels inside `rect` (user space, a page whose visible region starts at `origin`),
    /// as (x, y) pixel coordinates.
    pub fn pixels_in(&self, rect: &[f64], origin: (f64, f64)) -> Vec<(usize, usize)> {
        let px = |x: f64| ((x - origin.0) * self.scale).round().max(0.0) as usize;
        let py = |y: f64| {
            (self.height as f64 - (y - origin.1) * self.scale)
                .round()
                .max(0.0) as usize
        };
        let (x0, x1) = (px(rect[0]), px(rect[2]).min(self.width));
        let (y0, y1) = (py(rect[3]), py(rect[1]).min(self.height));
        (y0..y1)
            .flat_map(|y| (x0..x1).map(move |x| (x, y)))
            .collect()
    }
}

/// Page `page` (from 1) rendered by `pdftoppm` at `dpi` (72: one pixel per point; the
/// CropBox's top-left corner at pixel 0, 0).
pub fn render(pdf: &Path, page: u32, dpi: u32) -> Option<Rendering> {
    let pdftoppm = tool("pdftoppm")?;
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("render");
    let p = page.to_string();
    let out = run(Command::new(pdftoppm)
        .args(["-r", &dpi.to_string(), "-f", &p, "-l", &p, "-singlefile"])
        .arg(pdf)
        .arg(&prefix));
    assert!(out.status.success(), "pdftoppm: {}", text(&out));
    let ppm = std::fs::read(prefix.with_extension("ppm")).unwrap();
    // P6, width, height, maxval 255, one whitespace byte, then RGB.
    let mut fields = Vec::new();
    let mut pos = 0;
    while fields.len() < 4 {
        while ppm[pos].is_ascii_whitespace() {
            pos += 1;
        }
        let start = pos;
        while !ppm[pos].is_ascii_whitespace() {
            pos += 1;
        }
        fields.push(String::from_utf8_lossy(&ppm[start..pos]).into_owned());
    }
    assert_eq!(fields[0], "P6");
    assert_eq!(fields[3], "255");
    Some(Rendering {
        width: fields[1].parse().unwrap(),
        height: fields[2].parse().unwrap(),
        rgb: ppm[pos + 1..].to_vec(),
        scale: f64::from(dpi) / 72.0,
    })
}

/// Page `page` rendered by `pdftoppm -png` at `dpi` into `png` (a screenshot to keep).
pub fn screenshot(pdf: &Path, page: u32, dpi: u32, png: &Path) -> Option<()> {
    let pdftoppm = tool("pdftoppm")?;
    let p = page.to_string();
    if let Some(dir) = png.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    let out = run(Command::new(pdftoppm)
        .args([
            "-png",
            "-r",
            &dpi.to_string(),
            "-f",
            &p,
            "-l",
            &p,
            "-singlefile",
        ])
        .arg(pdf)
        .arg(png.with_extension("")));
    assert!(out.status.success(), "pdftoppm -png: {}", text(&out));
    assert!(png.is_file(), "pdftoppm wrote no {}", png.display());
    Some(())
}
