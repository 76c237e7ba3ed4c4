//! CAdES: a CMS SignedData over any content, detached (`.p7s`) or attached.

use bytes::Bytes;
use const_oid::db::rfc5911::ID_DATA;

use crate::cms::CmsPrepared;
use crate::{CertificateChain, DigestAlgorithm, KeyKind, Result, SignatureParams, SignedDocument};

pub(crate) struct State {
    cms: CmsPrepared,
    attached: bool,
}

pub(crate) fn prepare(
    document: &[u8],
    params: &SignatureParams,
    chain: &CertificateChain,
    alg: DigestAlgorithm,
) -> Result<(State, Vec<u8>)> {
    let cms = CmsPrepared::new(ID_DATA, alg, &alg.digest(document)?, chain.signer())?;
    let tbs = cms.to_be_signed.clone();
    Ok((
        State {
            cms,
            attached: params.attached,
        },
        tbs,
    ))
}

impl State {
    pub fn finish(
        self,
        document: Bytes,
        chain: &CertificateChain,
        kind: KeyKind,
        signature: &[u8],
        timestamp_over: impl FnOnce(&[u8]) -> Result<Option<Vec<u8>>>,
    ) -> Result<SignedDocument> {
        let token = timestamp_over(signature)?;
        let econtent = self.attached.then_some(&document[..]);
        let der = self
            .cms
            .assemble(chain, kind, signature, econtent, token.as_deref())?;
        Ok(SignedDocument::new(document).new_bytes(der))
    }
}
