//! RFC 3161 time-stamping: a client that obtains and checks tokens, and a responder (a timestamp
//! authority) that issues them, used as the development default and in tests.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use cmpv2::status::{PkiFailureInfoValues, PkiStatus, PkiStatusInfo};
use cms::content_info::ContentInfo;
use cms::signed_data::EncapsulatedContentInfo;
use der::asn1::{Any, GeneralizedTime, Int, ObjectIdentifier, OctetString};
use der::{Decode, Encode, Reader, SliceReader};
use x509_tsp::{MessageImprint, TimeStampReq, TimeStampResp, TspVersion, TstInfo};

use crate::cms::{algorithm, CmsPrepared, ID_CT_TST_INFO};
use crate::{DigestAlgorithm, Error, Result, Signer};

/// Anything that returns an RFC 3161 `TimeStampToken` (DER `ContentInfo`) over a digest.
pub trait TimeStamper: Send + Sync {
    fn timestamp(&self, alg: DigestAlgorithm, digest: &[u8]) -> Result<Vec<u8>>;
}

fn tsp_err(msg: impl Into<String>) -> Error {
    Error::Timestamp(msg.into())
}

fn random_positive_int(len: usize) -> Result<Int> {
    let mut bytes = vec![0u8; len];
    openssl::rand::rand_bytes(&mut bytes)?;
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01; // no leading zero byte, so the DER is minimal as it stands
    Ok(Int::new(&bytes)?)
}

/// Builds a request with a fresh nonce; returns its DER and the nonce to check the reply against.
pub fn build_request(alg: DigestAlgorithm, digest: &[u8]) -> Result<(Vec<u8>, Int)> {
    let nonce = random_positive_int(8)?;
    let req = TimeStampReq {
        version: TspVersion::V1,
        message_imprint: MessageImprint {
            hash_algorithm: algorithm(alg.oid(), true),
            hashed_message: OctetString::new(digest)?,
        },
        req_policy: None,
        nonce: Some(nonce.clone()),
        cert_req: true,
        extensions: None,
    };
    Ok((req.to_der()?, nonce))
}

/// Checks a reply before its token is used: the status is granted, the token is a SignedData
/// over a TSTInfo whose message imprint and nonce are the ones asked for. Returns the token DER.
pub fn check_response(
    reply: &[u8],
    alg: DigestAlgorithm,
    digest: &[u8],
    nonce: &Int,
) -> Result<Vec<u8>> {
    let resp = TimeStampResp::from_der(reply)
        .map_err(|e| tsp_err(format!("reply is not a TimeStampResp: {e}")))?;
    match resp.status.status {
        PkiStatus::Accepted | PkiStatus::GrantedWithMods => {}
        other => {
            let text: Vec<String> = resp
                .status
                .status_string
                .iter()
                .flatten()
                .map(|s| s.to_string())
                .collect();
            return Err(tsp_err(format!(
                "request refused ({other:?}) {}",
                text.join("; ")
            )));
        }
    }
    let token = resp
        .time_stamp_token
        .ok_or_else(|| tsp_err("granted reply without a token"))?;
    let tst = tst_info(&token)?;
    if tst.message_imprint.hash_algorithm.oid != alg.oid()
        || tst.message_imprint.hashed_message.as_bytes() != digest
    {
        return Err(tsp_err("token's message imprint is not the one requested"));
    }
    if tst.nonce.as_ref() != Some(nonce) {
        return Err(tsp_err("token's nonce is not the one requested"));
    }
    Ok(token.to_der()?)
}

/// The TSTInfo inside a token.
///
/// Only the head of the SignedData is decoded: real authorities (openssl among them) may send
/// certificate SETs that are not in DER order or repeat a certificate, which a strict decoder
/// refuses although the token is sound.
pub fn tst_info(token: &ContentInfo) -> Result<TstInfo> {
    let not_signed_data = |e: der::Error| tsp_err(format!("token is not SignedData: {e}"));
    let mut reader = SliceReader::new(token.content.value()).map_err(not_signed_data)?;
    let _version: Any = reader.decode().map_err(not_signed_data)?;
    let _digest_algorithms: Any = reader.decode().map_err(not_signed_data)?;
    let encap: EncapsulatedContentInfo = reader.decode().map_err(not_signed_data)?;
    if encap.econtent_type != ID_CT_TST_INFO {
        return Err(tsp_err("token does not hold a TSTInfo"));
    }
    let econtent = encap
        .econtent
        .ok_or_else(|| tsp_err("token without content"))?;
    let octets = OctetString::from_der(&econtent.to_der()?)?;
    TstInfo::from_der(octets.as_bytes()).map_err(|e| tsp_err(format!("bad TSTInfo: {e}")))
}

/// A timestamp authority reached over HTTP (`application/timestamp-query`).
pub struct HttpTimeStamper {
    url: String,
    agent: ureq::Agent,
}

impl HttpTimeStamper {
    pub fn new(url: impl Into<String>) -> Self {
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(30))
            .build();
        Self {
            url: url.into(),
            agent,
        }
    }
}

impl TimeStamper for HttpTimeStamper {
    fn timestamp(&self, alg: DigestAlgorithm, digest: &[u8]) -> Result<Vec<u8>> {
        let (req, nonce) = build_request(alg, digest)?;
        let resp = self
            .agent
            .post(&self.url)
            .set("Content-Type", "application/timestamp-query")
            .send_bytes(&req)
            .map_err(|e| tsp_err(format!("{}: {e}", self.url)))?;
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut resp.into_reader().take(1 << 20), &mut body)?;
        check_response(&body, alg, digest, &nonce)
    }
}

use std::io::Read as _;

/// What a [`TimestampAuthority`] answers: a DER `TimeStampResp` either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Status granted, with a token.
    Granted(Vec<u8>),
    /// Status rejection: the request was malformed or could not be served.
    Rejected(Vec<u8>),
}

impl Reply {
    pub fn into_der(self) -> Vec<u8> {
        match self {
            Reply::Granted(der) | Reply::Rejected(der) => der,
        }
    }
}

/// An RFC 3161 responder: request in, signed token out. Its signer's certificate must carry the
/// critical `timeStamping` extended key usage (RFC 3161 §2.3).
pub struct TimestampAuthority {
    signer: Arc<dyn Signer>,
    policy: ObjectIdentifier,
}

/// The policy of the development authority: an arbitrary OID under the private-use arc.
pub const DEV_TSA_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.99999.1.1");

impl TimestampAuthority {
    pub fn new(signer: Arc<dyn Signer>) -> Self {
        Self {
            signer,
            policy: DEV_TSA_POLICY,
        }
    }

    fn rejection(text: &str, fail: PkiFailureInfoValues) -> Reply {
        let text = der::asn1::Utf8StringRef::new(text).ok();
        let resp = TimeStampResp {
            status: PkiStatusInfo {
                status: PkiStatus::Rejection,
                status_string: text.map(|t| vec![t]),
                fail_info: Some(fail.into()),
            },
            time_stamp_token: None,
        };
        Reply::Rejected(resp.to_der().unwrap_or_default())
    }

    /// Answers a DER `TimeStampReq` with a DER `TimeStampResp`; a bad request gets a rejection
    /// reply (never a panic), as the protocol wants.
    pub fn respond(&self, request: &[u8]) -> Vec<u8> {
        self.reply(request).into_der()
    }

    /// [`TimestampAuthority::respond`], telling a granted token from a rejection (a service
    /// counts what it grants).
    pub fn reply(&self, request: &[u8]) -> Reply {
        let req = match TimeStampReq::from_der(request) {
            Ok(r) => r,
            Err(_) => {
                return Self::rejection("not a TimeStampReq", PkiFailureInfoValues::BadDataFormat)
            }
        };
        let Some(alg) = DigestAlgorithm::from_oid(&req.message_imprint.hash_algorithm.oid) else {
            return Self::rejection("unsupported hash algorithm", PkiFailureInfoValues::BadAlg);
        };
        if req.message_imprint.hashed_message.as_bytes().len() != alg.output_len() {
            return Self::rejection(
                "hash length does not match the algorithm",
                PkiFailureInfoValues::BadDataFormat,
            );
        }
        if req.req_policy.is_some_and(|p| p != self.policy) {
            return Self::rejection("unaccepted policy", PkiFailureInfoValues::UnacceptedPolicy);
        }
        match self.issue(&req) {
            Ok(token) => Reply::Granted(token),
            Err(_) => Self::rejection(
                "the authority could not sign",
                PkiFailureInfoValues::SystemFailure,
            ),
        }
    }

    fn issue(&self, req: &TimeStampReq) -> Result<Vec<u8>> {
        let tst = TstInfo {
            version: TspVersion::V1,
            policy: self.policy,
            message_imprint: req.message_imprint.clone(),
            serial_number: random_positive_int(16)?,
            gen_time: GeneralizedTime::from_system_time(SystemTime::now())?,
            accuracy: None,
            ordering: false,
            nonce: req.nonce.clone(),
            tsa: None,
            extensions: None,
        };
        let tst_der = tst.to_der()?;
        let chain = self.signer.certificate_chain();
        let kind = self.signer.key_kind();
        let alg = kind.default_digest();
        let prepared =
            CmsPrepared::new(ID_CT_TST_INFO, alg, &alg.digest(&tst_der)?, chain.signer())?;
        let digest = alg.digest(&prepared.to_be_signed)?;
        let signature = self.signer.sign(alg, &prepared.to_be_signed, &digest)?;
        let token = prepared.assemble(chain, kind, &signature, Some(&tst_der), None)?;
        let resp = TimeStampResp {
            status: PkiStatusInfo {
                status: PkiStatus::Accepted,
                status_string: None,
                fail_info: None,
            },
            time_stamp_token: Some(ContentInfo::from_der(&token)?),
        };
        Ok(resp.to_der()?)
    }
}

impl TimeStamper for TimestampAuthority {
    fn timestamp(&self, alg: DigestAlgorithm, digest: &[u8]) -> Result<Vec<u8>> {
        let (req, nonce) = build_request(alg, digest)?;
        check_response(&self.respond(&req), alg, digest, &nonce)
    }
}
