//! PAdES baseline (ETSI EN 319 142-1): a CAdES-detached CMS in a PDF signature dictionary,
//! appended as an incremental update so every original byte (and earlier signatures) stay.

use bytes::Bytes;
use const_oid::db::rfc5911::ID_DATA;
use signstash_pdf::{PreparedPdf, SignatureFieldOptions};

use crate::cms::CmsPrepared;
use crate::{
    CertificateChain, DigestAlgorithm, Error, KeyKind, Result, SignatureParams, SignedDocument,
};

pub(crate) struct State {
    pdf: PreparedPdf,
    cms: CmsPrepared,
}

/// Room for the CMS in `/Contents`: the certificates, the signature, the attributes, and a
/// timestamp token (which carries its authority's certificate) for B-T.
fn contents_capacity(chain: &CertificateChain, with_timestamp: bool) -> usize {
    let certs: usize = chain.all().iter().map(|c| c.der().len()).sum();
    4096 + certs + if with_timestamp { 12 * 1024 } else { 0 }
}

pub(crate) fn prepare(
    document: &[u8],
    params: &SignatureParams,
    chain: &CertificateChain,
    alg: DigestAlgorithm,
    signing_time: time::OffsetDateTime,
) -> Result<(State, Vec<u8>)> {
    let visible = params
        .visible
        .as_ref()
        .map(|v| {
            v.to_pdf(
                chain.signer(),
                signing_time,
                params.reason.as_deref(),
                params.location.as_deref(),
            )
        })
        .transpose()?;
    let opts = SignatureFieldOptions {
        contents_capacity: contents_capacity(chain, params.level == crate::Level::BT),
        reason: params.reason.clone(),
        location: params.location.clone(),
        signing_time: signing_time.into(),
        sub_filter: "ETSI.CAdES.detached".into(),
        visible,
    };
    // A visible signature that cannot be placed is the caller's request failing, not the
    // document being broken.
    let pdf = signstash_pdf::prepare_signature(document, &opts).map_err(|e| match e {
        signstash_pdf::Error::VisibleSignature(msg) => Error::VisibleSignature(msg),
        other => Error::Pdf(other),
    })?;
    let digest = alg.digest_parts(pdf.signed_parts(document))?;
    let cms = CmsPrepared::new(ID_DATA, alg, &digest, chain.signer())?;
    let tbs = cms.to_be_signed.clone();
    Ok((State { pdf, cms }, tbs))
}

impl State {
    pub fn finish(
        mut self,
        document: Bytes,
        chain: &CertificateChain,
        kind: KeyKind,
        signature: &[u8],
        timestamp_over: impl FnOnce(&[u8]) -> Result<Option<Vec<u8>>>,
    ) -> Result<SignedDocument> {
        let token = timestamp_over(signature)?;
        let der = self
            .cms
            .assemble(chain, kind, signature, None, token.as_deref())?;
        self.pdf.embed_signature(&der)?;
        let len = document.len();
        Ok(SignedDocument::new(document)
            .original(0..len)
            .new_bytes(self.pdf.tail().to_vec()))
    }
}
