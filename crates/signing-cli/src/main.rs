//! `signstash-sign`: sign a file, make a development PKI, or run a timestamp authority.
//! Automation depends on this interface; keep it stable.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use signstash_signing::visible::{self, Area, Placement, SignatureImage, Template};
use signstash_signing::{
    devpki, CanonicalTransform, Certificate, DigestAlgorithm, Format, HttpTimeStamper,
    KeyFileSigner, Level, Pkcs11Config, Pkcs11Signer, SignatureParams, SignatureTransform, Signer,
    TimestampAuthority, VisibleSignature,
};

#[derive(Parser)]
#[command(
    name = "signstash-sign",
    version,
    about = "Sign'Stash signer: PAdES, XAdES, CAdES at B-B and B-T"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sign INPUT into OUTPUT.
    Sign(Box<SignArgs>),
    /// Write a development PKI into DIR: ca.pem, signer.pem, signer.key, signer.p12 (password "changeit"), tsa.pem, tsa.key.
    DevPki { dir: PathBuf },
    /// Run an RFC 3161 timestamp authority over HTTP.
    Tsa(TsaArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Pades,
    Xades,
    Cades,
}

#[derive(Clone, Copy, ValueEnum)]
enum LevelArg {
    #[value(name = "b-b")]
    BB,
    #[value(name = "b-t")]
    BT,
}

#[derive(Clone, Copy, ValueEnum)]
enum TransformArg {
    Enveloped,
    Xpath,
    #[value(name = "xpath2-filter")]
    Xpath2Filter,
}

#[derive(Clone, Copy, ValueEnum)]
enum CanonicalArg {
    Exclusive,
    #[value(name = "exclusive-with-comments")]
    ExclusiveWithComments,
}

#[derive(Clone, Copy, ValueEnum)]
enum DigestArg {
    Sha256,
    Sha384,
    Sha512,
}

#[derive(Args)]
#[command(group(ArgGroup::new("placement").args(["visible", "visible_field", "visible_placeholder"])))]
struct SignArgs {
    #[arg(long, value_enum)]
    format: FormatArg,
    #[arg(long, value_enum, default_value = "b-b")]
    level: LevelArg,
    /// Timestamp authority for level b-t.
    #[arg(long)]
    tsa_url: Option<String>,
    /// Private key (PEM, PKCS#8 or traditional), with --cert.
    #[arg(long, requires = "cert", conflicts_with_all = ["p12", "pkcs11_module"])]
    key: Option<PathBuf>,
    /// Signer certificate (PEM).
    #[arg(long, requires = "key")]
    cert: Option<PathBuf>,
    /// Further certificates of the chain (PEM), with --key or --pkcs11-module.
    #[arg(long)]
    chain: Option<PathBuf>,
    /// PKCS#12 file, with --password.
    #[arg(long, requires = "password", conflicts_with = "pkcs11_module")]
    p12: Option<PathBuf>,
    #[arg(long)]
    password: Option<String>,
    /// PKCS#11 module (.so), with --pkcs11-token, --pkcs11-pin and --pkcs11-key.
    #[arg(long, requires_all = ["pkcs11_token", "pkcs11_pin", "pkcs11_key"])]
    pkcs11_module: Option<PathBuf>,
    #[arg(long)]
    pkcs11_token: Option<String>,
    #[arg(long)]
    pkcs11_pin: Option<String>,
    #[arg(long)]
    pkcs11_key: Option<String>,
    /// XAdES: local name of the element that receives the signature.
    #[arg(long)]
    signature_location: Option<String>,
    #[arg(long, value_enum, default_value = "enveloped")]
    signature_transform: TransformArg,
    #[arg(long, value_enum, default_value = "exclusive")]
    canonical_transform: CanonicalArg,
    /// PAdES /Reason.
    #[arg(long)]
    reason: Option<String>,
    /// PAdES /Location.
    #[arg(long)]
    location: Option<String>,
    /// CAdES: encapsulate the content (default: detached .p7s).
    #[arg(long)]
    attached: bool,
    /// PAdES: a visible signature at page=N,x=X,y=Y (points from the page's lower-left corner).
    #[arg(long, value_name = "page=N,x=X,y=Y")]
    visible: Option<String>,
    /// PAdES: a visible signature in the existing empty signature field NAME (keeps its size).
    #[arg(long, value_name = "NAME")]
    visible_field: Option<String>,
    /// PAdES: a visible signature where WORD first appears in the pages' text: the area's
    /// upper-left corner at the word's upper-left, covering the word and what lies right of and
    /// below it (never the lines above); refused if the area would leave the page there.
    #[arg(long, value_name = "WORD")]
    visible_placeholder: Option<String>,
    /// Size of the visible signature in points.
    #[arg(
        long,
        value_name = "width=W,height=H",
        requires = "placement",
        default_value = "width=155,height=50"
    )]
    area: String,
    /// Text of the visible signature; \n breaks lines; these references are filled in:
    /// ${signer} or $certificate.getCommonName() or ${certificate.commonName} (the signer's
    /// common name), $certificate.getOrganization(), $certificate.getSerialNumber() (hex),
    /// $certificate.getIssuerCommonName(), ${date} or $date (UTC), ${reason} or $reason,
    /// ${location} or $location; a line whose value is absent is left out; any other reference
    /// is an error; \$ writes a $ [default: signer, date, reason, location].
    #[arg(long, value_name = "TEXT", requires = "placement")]
    visible_text: Option<String>,
    /// Text colour and size of the visible signature [default: color=#000000,size=9].
    #[arg(long, value_name = "color=#RRGGBB,size=PT", requires = "placement")]
    font: Option<String>,
    /// Background of the visible signature: #RRGGBB or transparent [default: transparent].
    #[arg(long, value_name = "COLOUR", requires = "placement")]
    background: Option<String>,
    /// A PNG or JPEG image drawn in the visible signature, one pixel per point.
    #[arg(long, value_name = "FILE", requires = "placement")]
    image: Option<PathBuf>,
    /// Digest algorithm (default: SHA-256, SHA-384 for P-384 keys).
    #[arg(long, value_enum)]
    digest: Option<DigestArg>,
    input: PathBuf,
    output: PathBuf,
}

#[derive(Args)]
struct TsaArgs {
    #[arg(long)]
    listen: String,
    #[arg(long)]
    cert: PathBuf,
    #[arg(long)]
    key: PathBuf,
    #[arg(long)]
    chain: Option<PathBuf>,
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn signer(args: &SignArgs) -> anyhow::Result<Box<dyn Signer>> {
    let chain = args.chain.as_deref().map(read).transpose()?;
    if let (Some(key), Some(cert)) = (&args.key, &args.cert) {
        return Ok(Box::new(KeyFileSigner::from_pem(
            &read(key)?,
            &read(cert)?,
            chain.as_deref(),
        )?));
    }
    if let Some(p12) = &args.p12 {
        return Ok(Box::new(KeyFileSigner::from_pkcs12(
            &read(p12)?,
            args.password.as_deref().unwrap_or_default(),
        )?));
    }
    if let Some(module) = &args.pkcs11_module {
        let extra_chain = match chain {
            Some(pem) => Certificate::all_from_pem(&pem)?,
            None => Vec::new(),
        };
        let config = Pkcs11Config {
            module: module.clone(),
            token_label: args.pkcs11_token.clone().unwrap_or_default(),
            pin: args.pkcs11_pin.clone().unwrap_or_default(),
            key_label: args.pkcs11_key.clone().unwrap_or_default(),
            extra_chain,
        };
        return Ok(Box::new(Pkcs11Signer::open(&config)?));
    }
    bail!("no key given: use --key and --cert, --p12 and --password, or --pkcs11-module with its options")
}

/// The visible signature the flags ask for, if any.
fn visible_signature(args: &SignArgs) -> anyhow::Result<Option<VisibleSignature>> {
    let placement = match (
        &args.visible,
        &args.visible_field,
        &args.visible_placeholder,
    ) {
        (Some(at), _, _) => visible::parse_coordinate(at).context("--visible")?,
        (_, Some(name), _) => Placement::SignField(name.clone()),
        (_, _, Some(word)) => Placement::Placeholder(word.clone()),
        _ => return Ok(None),
    };
    let area: Area = visible::parse_area(&args.area).context("--area")?;
    let mut v = VisibleSignature::new(placement, Some(area));
    v.template = args
        .visible_text
        .as_ref()
        .map(|t| Template::parse(&t.replace("\\n", "\n")))
        .transpose()
        .context("--visible-text")?;
    if let Some(font) = &args.font {
        v.font = visible::parse_font(font).context("--font")?;
    }
    if let Some(bg) = &args.background {
        v.background = visible::parse_color(bg).context("--background")?;
    }
    if let Some(path) = &args.image {
        let data = read(path)?;
        v.image = Some(if data.starts_with(b"\x89PNG") {
            SignatureImage::Png(data)
        } else if data.starts_with(&[0xff, 0xd8]) {
            SignatureImage::Jpeg(data)
        } else {
            bail!(
                "--image: {} is neither a PNG nor a JPEG file",
                path.display()
            )
        });
    }
    Ok(Some(v))
}

fn sign(args: SignArgs) -> anyhow::Result<()> {
    let mut params = SignatureParams::new(match args.format {
        FormatArg::Pades => Format::Pades,
        FormatArg::Xades => Format::Xades,
        FormatArg::Cades => Format::Cades,
    });
    params.level = match args.level {
        LevelArg::BB => Level::BB,
        LevelArg::BT => Level::BT,
    };
    params.digest = args.digest.map(|d| match d {
        DigestArg::Sha256 => DigestAlgorithm::Sha256,
        DigestArg::Sha384 => DigestAlgorithm::Sha384,
        DigestArg::Sha512 => DigestAlgorithm::Sha512,
    });
    params.reason = args.reason.clone();
    params.location = args.location.clone();
    params.signature_location = args.signature_location.clone();
    params.signature_transform = match args.signature_transform {
        TransformArg::Enveloped => SignatureTransform::Enveloped,
        TransformArg::Xpath => SignatureTransform::XPath,
        TransformArg::Xpath2Filter => SignatureTransform::XPath2Filter,
    };
    params.canonical_transform = match args.canonical_transform {
        CanonicalArg::Exclusive => CanonicalTransform::Exclusive,
        CanonicalArg::ExclusiveWithComments => CanonicalTransform::ExclusiveWithComments,
    };
    params.attached = args.attached;
    params.visible = visible_signature(&args)?;
    if params.visible.is_some() && params.format != Format::Pades {
        bail!("visible signatures (--visible, --visible-field, --visible-placeholder) are for --format pades");
    }
    let tsa = match (params.level, &args.tsa_url) {
        (Level::BT, None) => bail!("level b-t needs --tsa-url"),
        (_, Some(url)) => Some(HttpTimeStamper::new(url.clone())),
        (_, None) => None,
    };
    let signer = signer(&args)?;
    let document = bytes::Bytes::from(read(&args.input)?);
    let signed = signstash_signing::sign(
        document,
        &params,
        signer.as_ref(),
        tsa.as_ref().map(|t| t as _),
    )?;
    write_atomically(&args.output, |f| {
        signed.write_to(std::io::BufWriter::new(f))
    })
}

/// Writes to a temporary file beside `path` and renames it, so a failure never leaves half a file.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("out"),
        std::process::id()
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        write(&mut f)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}

fn tsa(args: TsaArgs) -> anyhow::Result<()> {
    let chain = args.chain.as_deref().map(read).transpose()?;
    let signer = KeyFileSigner::from_pem(&read(&args.key)?, &read(&args.cert)?, chain.as_deref())?;
    let authority = Arc::new(TimestampAuthority::new(Arc::new(signer)));
    let server = Arc::new(
        tiny_http::Server::http(&args.listen)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.listen))?,
    );
    eprintln!(
        "signstash-sign: timestamp authority listening on http://{}",
        server.server_addr()
    );
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (server, authority) = (server.clone(), authority.clone());
            std::thread::spawn(move || {
                while let Ok(mut request) = server.recv() {
                    let mut body = Vec::new();
                    let ok = *request.method() == tiny_http::Method::Post
                        && request
                            .as_reader()
                            .take(64 * 1024 + 1)
                            .read_to_end(&mut body)
                            .is_ok()
                        && body.len() <= 64 * 1024;
                    let response = if ok {
                        let header = tiny_http::Header::from_bytes(
                            "Content-Type",
                            "application/timestamp-reply",
                        )
                        .ok();
                        let r = tiny_http::Response::from_data(authority.respond(&body));
                        match header {
                            Some(h) => r.with_header(h),
                            None => r,
                        }
                    } else {
                        tiny_http::Response::from_data(
                            b"POST an RFC 3161 TimeStampReq (at most 64 KiB)\n".to_vec(),
                        )
                        .with_status_code(400)
                    };
                    let _ = request.respond(response);
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.join();
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Sign(args) => sign(*args),
        Command::DevPki { dir } => devpki::DevPki::generate()
            .and_then(|pki| pki.write(&dir))
            .with_context(|| format!("cannot write the development PKI into {}", dir.display())),
        Command::Tsa(args) => tsa(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let msg: Vec<String> = e.chain().map(|c| c.to_string()).collect();
            eprintln!(
                "signstash-sign: error: {}",
                msg.join(": ").replace('\n', " ")
            );
            ExitCode::FAILURE
        }
    }
}
