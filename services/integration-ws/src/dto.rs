//! The wire types of api-v0.md, exact to the field, and their validation into what the signing
//! engine takes. Field names are camelCase; unknown fields are ignored as the historic service did.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use bytes::Bytes;
use serde::Deserialize;
use signstash_domain::{ErrorCode, SignatureType};
use signstash_signing::visible::{self, FormatError, Placement, SignatureImage, Template};
use signstash_signing::{
    CanonicalTransform, Format, Level, SignatureParams, SignatureTransform, VisibleSignature,
};

use crate::error::ApiError;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignRequest {
    /// Unique per client service: a repeat is 409 `0.0.7`.
    #[schema(required = true, max_length = 255)]
    pub external_reference: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub return_signed_content: bool,
    #[schema(required = true, min_items = 1)]
    pub documents: Option<Vec<DocumentEntry>>,
    pub preservation_info: Option<PreservationInfo>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DocumentEntry {
    #[schema(required = true)]
    pub document_request: Option<DocumentRequest>,
    #[schema(required = true)]
    pub signature_info: Option<SignatureInfo>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DocumentRequest {
    /// Unique per client service.
    #[schema(required = true, max_length = 255)]
    pub external_reference: Option<String>,
    /// File name shown to receivers (no path).
    #[schema(required = true)]
    pub name: Option<String>,
    /// `application/pdf` | `text/xml` | `application/xml` | any other type for CAdES.
    pub content_type: Option<String>,
    /// The document, base64; required in the base64 variant, absent in multipart (the file
    /// parts come in order instead).
    #[schema(format = Byte)]
    pub base64_content: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignatureInfo {
    #[schema(required = true)]
    pub signature_type: Option<SignatureType>,
    #[serde(default)]
    pub apply_timestamp: bool,
    pub reason: Option<String>,
    pub location: Option<String>,
    /// PAdES only (ignored for the other signature types).
    pub visible_signature_info: Option<VisibleSignatureInfo>,
    pub advanced_signature_info: Option<AdvancedSignatureInfo>,
}

/// A visible PAdES signature. Malformed values (an `area` or `font` that does not parse, an
/// unknown enum value, bad base64) are 400 `0.0.2`; elements that are missing (`locationType`,
/// `locationValue`, `area` unless `SIGN_FIELD`, `oneOffTemplate` for `ONE_OFF`, `imageType` and
/// `imageValue` without the other), a template reference the template language does not know,
/// or elements that do not fit the document (page out of range, area off the page, field
/// missing or signed, placeholder not found or too near the page's edge for the area, image
/// larger than the area or unreadable) are 400 `2.2.1`. Either way nothing is signed or stored.
///
/// Templates (`oneOffTemplate`, and the client service's signature text for
/// `SERVICE_CUSTOMIZATION`) break lines at `\n` and fill in these references, in today's
/// `${…}` form or the historic Velocity form:
///
/// | Reference | Value |
/// |---|---|
/// | `${signer}`, `$certificate.getCommonName()`, `${certificate.commonName}` | the signing certificate's subject common name |
/// | `$certificate.getOrganization()` | its subject organisation (O) |
/// | `$certificate.getSerialNumber()` | its serial number, upper-case hexadecimal |
/// | `$certificate.getIssuerCommonName()` | its issuer's common name |
/// | `${date}`, `$date` | the signing time, `YYYY-MM-DD HH:MM:SS UTC` |
/// | `${reason}`, `$reason` | the signature's `reason` |
/// | `${location}`, `$location` | the signature's `location` |
///
/// A Velocity method call may also be written as its property (`$certificate.commonName`), any
/// reference in braces (`${certificate.getCommonName()}`) or quiet (`$!reason`). A line that
/// refers to a value the signature does not have (no reason, no location, no organisation) is
/// left out. Any other reference is 400 `2.2.1` naming it; a `$` that starts no reference
/// (`US$ 5`) is text, and `\$` writes a `$`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VisibleSignatureInfo {
    /// `SERVICE_CUSTOMIZATION` when absent.
    pub template_type: Option<TemplateTypeDto>,
    /// The text of a `ONE_OFF` signature, a template with the references listed above.
    #[schema(example = "Digitally Signed by $certificate.getCommonName().\nDate: ${date}")]
    pub one_off_template: Option<String>,
    #[schema(required = true)]
    pub location_type: Option<LocationTypeDto>,
    /// `SIGN_FIELD`: the name of an existing empty signature field; `COORDINATE`:
    /// `page=1,x=70,y=100` (the area's lower-left corner, in points from the lower-left corner
    /// of the page); `PLACEHOLDER`: a word of the page text, whose first occurrence gets the
    /// area's upper-left corner (the word's upper-left: its start, at the top of its font's
    /// ascent, 0.05 em higher for a standard font that is not embedded), so the area covers the
    /// word and what lies right of and below it, never the lines above; an opaque
    /// `areaBackgroundColor` hides the word; an area that would leave the page there is 400
    /// `2.2.1`.
    #[schema(required = true, example = "page=1,x=70,y=100")]
    pub location_value: Option<String>,
    /// `width=155,height=50`, in points; a `SIGN_FIELD` keeps the field's own size.
    #[schema(example = "width=155,height=50")]
    pub area: Option<String>,
    /// `#RRGGBB` or `transparent` (the default).
    #[schema(example = "#FFFFFF")]
    pub area_background_color: Option<String>,
    /// `color=#RRGGBB,size=N` (points); black 9-point Helvetica by default.
    #[schema(example = "color=#000000,size=11")]
    pub font: Option<String>,
    pub image_type: Option<ImageTypeDto>,
    /// The image, base64; drawn one pixel per point, so it must fit the area.
    #[schema(format = Byte)]
    pub image_value: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schema(as = TemplateType)]
pub enum TemplateTypeDto {
    OneOff,
    ServiceCustomization,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schema(as = LocationType)]
pub enum LocationTypeDto {
    SignField,
    Coordinate,
    Placeholder,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schema(as = ImageType)]
pub enum ImageTypeDto {
    ImagePng,
    ImageJpg,
}

impl LocationTypeDto {
    fn as_str(self) -> &'static str {
        match self {
            LocationTypeDto::SignField => "SIGN_FIELD",
            LocationTypeDto::Coordinate => "COORDINATE",
            LocationTypeDto::Placeholder => "PLACEHOLDER",
        }
    }
}

impl VisibleSignatureInfo {
    /// The visible signature, or why not: `Err` for a malformed value (400 `0.0.2` and the like,
    /// answered at once), `Ok(Err(..))` for a missing element (400 `2.2.1`, answered once the
    /// whole request is known to be well formed).
    fn validate(self, field: &str) -> Result<Result<VisibleSignature, ApiError>, ApiError> {
        let at = |f: &str| format!("{field}.{f}");
        let malformed = |f: &str, e: FormatError| ApiError::attribute(format!("{}: {e}", at(f)));
        let absent = |what: String| Ok(Err(ApiError::new(ErrorCode::VisibleSignature, what)));
        let long = |f: &str, v: &Option<String>, max: usize| match v {
            Some(v) if v.chars().count() > max => Err(ApiError::new(
                ErrorCode::AttributeSizeExceeded,
                format!("{} is longer than {max} characters", at(f)),
            )),
            _ => Ok(()),
        };
        long("oneOffTemplate", &self.one_off_template, 1024)?;
        long("locationValue", &self.location_value, 255)?;

        // Every value that is there must be well formed…
        let area = self
            .area
            .as_deref()
            .map(visible::parse_area)
            .transpose()
            .map_err(|e| malformed("area", e))?;
        let background = self
            .area_background_color
            .as_deref()
            .map(visible::parse_color)
            .transpose()
            .map_err(|e| malformed("areaBackgroundColor", e))?
            .flatten();
        let font = self
            .font
            .as_deref()
            .map(visible::parse_font)
            .transpose()
            .map_err(|e| malformed("font", e))?
            .unwrap_or_default();
        let image = self
            .image_value
            .as_deref()
            .map(|b64| decode_base64(b64, &at("imageValue")))
            .transpose()?;
        let location_value = self.location_value.filter(|v| !v.trim().is_empty());
        let coordinate = match (self.location_type, &location_value) {
            (Some(LocationTypeDto::Coordinate), Some(v)) => {
                Some(visible::parse_coordinate(v).map_err(|e| malformed("locationValue", e))?)
            }
            _ => None,
        };

        // …then every element the signature needs must be there.
        let Some(location_type) = self.location_type else {
            return absent(format!("{} is required", at("locationType")));
        };
        let Some(location_value) = location_value else {
            return absent(format!(
                "{} is required for locationType {}",
                at("locationValue"),
                location_type.as_str()
            ));
        };
        let placement = match (location_type, coordinate) {
            (LocationTypeDto::Coordinate, Some(c)) => c,
            (LocationTypeDto::SignField, _) => Placement::SignField(location_value),
            (_, _) => Placement::Placeholder(location_value),
        };
        if area.is_none() && location_type != LocationTypeDto::SignField {
            return absent(format!(
                "{} is required for locationType {}",
                at("area"),
                location_type.as_str()
            ));
        }
        let template = match self
            .template_type
            .unwrap_or(TemplateTypeDto::ServiceCustomization)
        {
            TemplateTypeDto::OneOff => match self.one_off_template.filter(|t| !t.trim().is_empty())
            {
                Some(t) => match Template::parse(&t) {
                    Ok(t) => Some(t),
                    Err(e) => return absent(format!("{}: {e}", at("oneOffTemplate"))),
                },
                None => {
                    return absent(format!(
                        "{} is required for templateType ONE_OFF",
                        at("oneOffTemplate")
                    ))
                }
            },
            // Filled in from the client service's template when the request runs.
            TemplateTypeDto::ServiceCustomization => None,
        };
        let image = match (self.image_type, image) {
            (None, None) => None,
            (Some(ImageTypeDto::ImagePng), Some(data)) => Some(SignatureImage::Png(data)),
            (Some(ImageTypeDto::ImageJpg), Some(data)) => Some(SignatureImage::Jpeg(data)),
            (Some(_), None) => {
                return absent(format!("{} is required with imageType", at("imageValue")))
            }
            (None, Some(_)) => {
                return absent(format!("{} is required with imageValue", at("imageType")))
            }
        };
        let mut v = VisibleSignature::new(placement, area);
        v.background = background;
        v.font = font;
        v.template = template;
        v.image = image;
        Ok(Ok(v))
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schema(as = SignatureTransform)]
pub enum SignatureTransformDto {
    Enveloped,
    Xpath,
    Xpath2Filter,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schema(as = CanonicalTransform)]
pub enum CanonicalTransformDto {
    Exclusive,
    ExclusiveWithComments,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdvancedSignatureInfo {
    /// Local name of an existing element that will hold `ds:Signature`.
    pub signature_location: Option<String>,
    pub signature_transform: Option<SignatureTransformDto>,
    pub canonical_transform: Option<CanonicalTransformDto>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PreservationInfo {
    #[serde(default)]
    pub preserve_content: bool,
    pub delivery_info: Option<DeliveryInfo>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryInfo {
    #[serde(default)]
    pub attach_documents: bool,
    #[serde(default)]
    pub person_receiver: Vec<PersonReceiver>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PersonReceiver {
    #[schema(required = true, format = Email)]
    pub email: Option<String>,
}

/// A request that passed validation: every document decoded and its signature parameters set.
#[derive(Debug, Clone)]
pub struct ValidSignRequest {
    pub external_reference: String,
    pub description: String,
    pub return_signed_content: bool,
    pub documents: Vec<ValidDocument>,
    pub receivers: Vec<String>,
    pub attach_documents: bool,
    pub preserve_content: bool,
}

#[derive(Debug, Clone)]
pub struct ValidDocument {
    pub external_reference: String,
    pub name: String,
    pub content_type: String,
    pub signature_type: SignatureType,
    pub apply_timestamp: bool,
    pub content: Bytes,
    pub params: SignatureParams,
    /// The signature options as received, kept with the document.
    pub options: serde_json::Value,
}

impl ValidDocument {
    /// `documentAttributes` of the signed document: how it was signed.
    pub fn attributes(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        let level = if self.apply_timestamp { "B-T" } else { "B-B" };
        map.insert("SIGNATURE_ATTRIBUTE_LEVEL".into(), level.into());
        if self.signature_type == SignatureType::XAdES {
            let canonical = match self.params.canonical_transform {
                CanonicalTransform::Exclusive => "EXCLUSIVE",
                CanonicalTransform::ExclusiveWithComments => "EXCLUSIVE_WITH_COMMENTS",
            };
            let transform = match self.params.signature_transform {
                SignatureTransform::Enveloped => "ENVELOPED",
                SignatureTransform::XPath => "XPATH",
                SignatureTransform::XPath2Filter => "XPATH2_FILTER",
            };
            map.insert("SIGNATURE_ATTRIBUTE_CANONICAL".into(), canonical.into());
            map.insert("SIGNATURE_ATTRIBUTE_TRANSFORM".into(), transform.into());
        }
        serde_json::Value::Object(map)
    }
}

/// Limits the request is checked against before any signing.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_documents: usize,
    pub max_document_bytes: usize,
    /// The whole request body (64 MiB by default).
    pub max_body_bytes: usize,
    /// E-mail addresses per sign request and per resend, each counted once (50 by default).
    pub max_receivers: usize,
}

fn required<T>(value: Option<T>, field: &str) -> Result<T, ApiError> {
    value.ok_or_else(|| ApiError::attribute(format!("{field} is required")))
}

fn text(value: Option<String>, field: &str, max: usize) -> Result<String, ApiError> {
    checked_text(value, field, max, char::is_control)
}

/// [`text`] for free text that may run over several lines (an ERP's description often does):
/// line breaks and tabs are kept, every other control character is refused.
fn multiline_text(value: Option<String>, field: &str, max: usize) -> Result<String, ApiError> {
    checked_text(value, field, max, |c| {
        c.is_control() && !matches!(c, '\n' | '\r' | '\t')
    })
}

/// An optional string, checked as [`text`] when given; blank is the same as absent.
fn optional_text(
    value: Option<String>,
    field: &str,
    max: usize,
) -> Result<Option<String>, ApiError> {
    match value {
        Some(v) if !v.trim().is_empty() => text(Some(v), field, max).map(Some),
        _ => Ok(None),
    }
}

fn checked_text(
    value: Option<String>,
    field: &str,
    max: usize,
    forbidden: impl Fn(char) -> bool,
) -> Result<String, ApiError> {
    let v = required(value, field)?;
    if v.trim().is_empty() {
        return Err(ApiError::attribute(format!("{field} is required")));
    }
    if v.chars().count() > max {
        return Err(ApiError::new(
            ErrorCode::AttributeSizeExceeded,
            format!("{field} is longer than {max} characters"),
        ));
    }
    if v.chars().any(forbidden) {
        return Err(ApiError::attribute(format!(
            "{field} contains control characters"
        )));
    }
    Ok(v)
}

/// The description of an operation (sign and hash sign requests).
pub fn description(value: Option<String>) -> Result<String, ApiError> {
    multiline_text(value, "description", 1024)
}

/// base64 as integrators' libraries write it: in one piece, or broken into lines (Java's MIME
/// encoder and .NET's `InsertLineBreaks` put CRLF every 76 characters, others LF). White space
/// anywhere is ignored, as .NET's decoder does; anything else outside the alphabet is refused.
pub fn base64_text(text: &str) -> std::borrow::Cow<'_, [u8]> {
    let bytes = text.as_bytes();
    if bytes.iter().any(u8::is_ascii_whitespace) {
        bytes
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect()
    } else {
        std::borrow::Cow::Borrowed(bytes)
    }
}

/// Decodes `text` after [`base64_text`]; `Err` names `field`.
pub fn decode_base64(text: &str, field: &str) -> Result<Vec<u8>, ApiError> {
    decode_stripped(&base64_text(text), field)
}

/// Decodes what [`base64_text`] returned.
fn decode_stripped(b64: &[u8], field: &str) -> Result<Vec<u8>, ApiError> {
    B64.decode(b64)
        .map_err(|_| ApiError::attribute(format!("{field} is not valid base64")))
}

/// The receivers of one request: each address checked, given once (the first spelling kept,
/// addresses compared ignoring case, local part included: mail systems treat `Ana@x.pt` and
/// `ana@x.pt` as one mailbox, so a second e-mail would only be a duplicate), and at most
/// `max` of them (413 `0.0.4` above). `field(i)` names the `i`-th address in errors.
pub fn distinct_receivers(
    addresses: Vec<Option<String>>,
    field: impl Fn(usize) -> String,
    list: &str,
    max: usize,
) -> Result<Vec<signstash_domain::EmailAddress>, ApiError> {
    // Distinct first, so a huge list costs hashing only, never a check per entry.
    let mut seen = std::collections::HashSet::new();
    let mut distinct = Vec::new();
    for (i, address) in addresses.into_iter().enumerate() {
        match address {
            Some(a) if !seen.insert(a.trim().to_lowercase()) => {}
            a => distinct.push((i, a)),
        }
    }
    if distinct.len() > max {
        return Err(ApiError::new(
            ErrorCode::AttributeSizeExceeded,
            format!(
                "{list} holds {} distinct addresses, over the limit of {max}",
                distinct.len()
            ),
        ));
    }
    distinct
        .into_iter()
        .map(|(i, address)| {
            let field = field(i);
            let address = text(address.map(|a| a.trim().to_owned()), &field, 254)?;
            signstash_domain::EmailAddress::try_from(address.as_str()).map_err(|_| {
                ApiError::new(
                    ErrorCode::ParameterValidation,
                    format!("{field} is not a valid e-mail address"),
                )
            })
        })
        .collect()
}

impl SignRequest {
    /// Checks the request as the API page orders it (after authentication): mandatory fields,
    /// sizes, base64, enum values, e-mail addresses; names the offending field.
    /// `contents` gives the multipart variant's files, in order, instead of `base64Content`.
    pub fn validate(
        self,
        limits: Limits,
        mut contents: Option<Vec<Bytes>>,
    ) -> Result<ValidSignRequest, ApiError> {
        let external_reference = text(self.external_reference, "externalReference", 255)?;
        let description = description(self.description)?;
        let entries = required(self.documents, "documents")?;
        if entries.is_empty() {
            return Err(ApiError::attribute(
                "documents must hold at least one document",
            ));
        }
        if entries.len() > limits.max_documents {
            return Err(ApiError::new(
                ErrorCode::AttributeSizeExceeded,
                format!(
                    "documents holds {} documents, over the limit of {}",
                    entries.len(),
                    limits.max_documents
                ),
            ));
        }
        if let Some(files) = &contents {
            if files.len() != entries.len() {
                return Err(ApiError::attribute(format!(
                    "{} files for {} documents",
                    files.len(),
                    entries.len()
                )));
            }
        }
        let mut documents = Vec::with_capacity(entries.len());
        let mut seen = std::collections::HashSet::new();
        // A missing visible-signature element (2.2.1) is answered only once the whole request
        // is known to be well formed, so malformed input is always 0.0.2 first.
        let mut missing_visible_element: Option<ApiError> = None;
        for (i, entry) in entries.into_iter().enumerate() {
            let at = |f: &str| format!("documents[{i}].{f}");
            let request = required(entry.document_request, &at("documentRequest"))?;
            let info = required(entry.signature_info, &at("signatureInfo"))?;
            let doc_ref = text(
                request.external_reference,
                &at("documentRequest.externalReference"),
                255,
            )?;
            if !seen.insert(doc_ref.clone()) {
                return Err(ApiError::new(
                    ErrorCode::AlreadyExists,
                    format!(
                        "{} repeats `{doc_ref}`",
                        at("documentRequest.externalReference")
                    ),
                ));
            }
            let name = text(request.name, &at("documentRequest.name"), 255)?;
            if name.contains(['/', '\\']) {
                return Err(ApiError::attribute(format!(
                    "{} must be a file name, not a path",
                    at("documentRequest.name")
                )));
            }
            let content_type = optional_text(
                request.content_type,
                &at("documentRequest.contentType"),
                255,
            )?
            .unwrap_or_else(|| "application/octet-stream".into());
            let content = match contents.as_mut() {
                Some(files) => std::mem::take(&mut files[i]),
                None => {
                    let field = at("documentRequest.base64Content");
                    let text = required(request.base64_content, &field)?;
                    let b64 = base64_text(&text);
                    if b64.len() / 4 * 3 > limits.max_document_bytes + 3 {
                        return Err(ApiError::new(
                            ErrorCode::AttributeSizeExceeded,
                            format!("{field} is over the document size limit"),
                        ));
                    }
                    Bytes::from(decode_stripped(&b64, &field)?)
                }
            };
            if content.is_empty() {
                return Err(ApiError::attribute(format!(
                    "{} is empty",
                    at("documentRequest.base64Content")
                )));
            }
            if content.len() > limits.max_document_bytes {
                return Err(ApiError::new(
                    ErrorCode::AttributeSizeExceeded,
                    format!("{} is over the document size limit", at("documentRequest")),
                ));
            }
            let signature_type = required(info.signature_type, &at("signatureInfo.signatureType"))?;
            let mut params = SignatureParams::new(match signature_type {
                SignatureType::PAdES => Format::Pades,
                SignatureType::XAdES => Format::Xades,
                SignatureType::CAdES => Format::Cades,
            });
            params.max_document_size = limits.max_document_bytes;
            params.level = if info.apply_timestamp {
                Level::BT
            } else {
                Level::BB
            };
            params.reason = info.reason;
            params.location = info.location;
            let visible_options = match &info.visible_signature_info {
                Some(v) if signature_type == SignatureType::PAdES => serde_json::json!({
                    "templateType": v.template_type.map(|t| match t {
                        TemplateTypeDto::OneOff => "ONE_OFF",
                        TemplateTypeDto::ServiceCustomization => "SERVICE_CUSTOMIZATION",
                    }),
                    "locationType": v.location_type.map(LocationTypeDto::as_str),
                    "locationValue": v.location_value,
                    "area": v.area,
                    "imageType": v.image_type.map(|t| match t {
                        ImageTypeDto::ImagePng => "IMAGE_PNG",
                        ImageTypeDto::ImageJpg => "IMAGE_JPG",
                    }),
                }),
                _ => serde_json::Value::Null,
            };
            if let Some(v) = info.visible_signature_info {
                if signature_type == SignatureType::PAdES {
                    match v.validate(&at("signatureInfo.visibleSignatureInfo"))? {
                        Ok(v) => params.visible = Some(v),
                        Err(e) => {
                            missing_visible_element.get_or_insert(e);
                        }
                    }
                }
            }
            if let Some(adv) = info.advanced_signature_info {
                params.signature_location = adv.signature_location.filter(|s| !s.is_empty());
                params.signature_transform = match adv
                    .signature_transform
                    .unwrap_or(SignatureTransformDto::Enveloped)
                {
                    SignatureTransformDto::Enveloped => SignatureTransform::Enveloped,
                    SignatureTransformDto::Xpath => SignatureTransform::XPath,
                    SignatureTransformDto::Xpath2Filter => SignatureTransform::XPath2Filter,
                };
                params.canonical_transform = match adv
                    .canonical_transform
                    .unwrap_or(CanonicalTransformDto::Exclusive)
                {
                    CanonicalTransformDto::Exclusive => CanonicalTransform::Exclusive,
                    CanonicalTransformDto::ExclusiveWithComments => {
                        CanonicalTransform::ExclusiveWithComments
                    }
                };
            }
            let options = serde_json::json!({
                "signatureType": signature_type.as_str(),
                "applyTimestamp": info.apply_timestamp,
                "reason": params.reason,
                "location": params.location,
                "signatureLocation": params.signature_location,
                "visibleSignature": visible_options,
            });
            documents.push(ValidDocument {
                options,
                external_reference: doc_ref,
                name,
                content_type,
                signature_type,
                apply_timestamp: info.apply_timestamp,
                content,
                params,
            });
        }
        let (receivers, attach_documents, preserve_content) = match self.preservation_info {
            None => (Vec::new(), false, false),
            Some(p) => {
                let (receivers, attach) = match p.delivery_info {
                    None => (Vec::new(), false),
                    Some(d) => {
                        let emails = distinct_receivers(
                            d.person_receiver.into_iter().map(|r| r.email).collect(),
                            |i| format!("preservationInfo.deliveryInfo.personReceiver[{i}].email"),
                            "preservationInfo.deliveryInfo.personReceiver",
                            limits.max_receivers,
                        )?
                        .into_iter()
                        .map(|e| e.into_inner())
                        .collect();
                        (emails, d.attach_documents)
                    }
                };
                (receivers, attach, p.preserve_content)
            }
        };
        if let Some(e) = missing_visible_element {
            return Err(e);
        }
        Ok(ValidSignRequest {
            external_reference,
            description,
            return_signed_content: self.return_signed_content,
            documents,
            receivers,
            attach_documents,
            preserve_content,
        })
    }
}
