//! The signature column of the operation page: each document's signature as our own verifier
//! (`signstash_signing::verify`) sees it now, against the certificates stored for the issuer.

use signstash_domain::SignatureType;
use signstash_signing::verify::{verify, Verification};
use signstash_signing::{Certificate, Format};
use signstash_store::certificates;
use signstash_store::documents::Document;

use crate::access::Access;
use crate::error::PageError;
use crate::state::App;

/// Every certificate in the chains stored for the client service's issuer: what a signer
/// must chain to.
pub async fn trusted(app: &App, access: &Access) -> Result<Vec<Certificate>, PageError> {
    let mut out = Vec::new();
    for cert in certificates::list_for_client_service(&app.db, access.client_service.id).await? {
        match Certificate::all_from_pem(cert.chain_pem.as_bytes()) {
            Ok(chain) => out.extend(chain),
            Err(e) => {
                tracing::warn!(certificate = cert.id.0, error = %e, "unreadable stored chain")
            }
        }
    }
    Ok(out)
}

fn format(t: SignatureType) -> Format {
    match t {
        SignatureType::PAdES => Format::Pades,
        SignatureType::XAdES => Format::Xades,
        SignatureType::CAdES => Format::Cades,
    }
}

/// Verifies `doc`'s signed bytes (off the async threads: a large PDF is hashed whole).
pub async fn check(
    app: &App,
    doc: &Document,
    trusted: &[Certificate],
) -> Result<Verification, PageError> {
    let stored = doc.stored().ok_or(PageError::NotFound)?;
    let bytes = app.documents.get(&stored).await?;
    let (format, trusted) = (format(doc.signature_type), trusted.to_vec());
    let v = tokio::task::spawn_blocking(move || verify(format, &bytes, None, &trusted))
        .await
        .map_err(PageError::internal)?;
    if let Some(problem) = &v.problem {
        tracing::warn!(
            document = doc.id.0,
            integrity = ?v.integrity,
            problem,
            "a delivered document's signature is not intact"
        );
    }
    Ok(v)
}
