//! `SignOperation` as the API page spells it, read back from the store.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use bytes::Bytes;
use serde::Serialize;
use signstash_domain::{ClientServiceId, OperationId};
use signstash_store::client_services::ClientService;
use signstash_store::{deliveries, documents, operations};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::error::ApiError;
use crate::state::App;

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignOperation {
    pub id: i64,
    #[serde(rename = "type")]
    #[schema(value_type = signstash_domain::OperationType)]
    pub operation_type: String,
    #[schema(value_type = signstash_domain::OperationStatus)]
    pub status: String,
    pub issuer_company: IssuerCompany,
    pub issuer_client_service_alias: String,
    #[schema(format = DateTime)]
    pub creation_date: String,
    pub folder: Folder,
    /// Milliseconds.
    pub execution_time: Option<i64>,
    pub document_list: Vec<DocumentView>,
    pub delivery_info: DeliveryInfo,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IssuerCompany {
    pub name: String,
    pub vat_number: String,
    pub country_code: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Folder {
    pub folder_id: i64,
    pub external_reference: String,
    pub description: String,
    #[schema(value_type = signstash_domain::FolderContent)]
    pub folder_content: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DocumentView {
    pub internal_id: i64,
    pub external_reference: String,
    pub name: String,
    pub content_type: String,
    #[schema(value_type = signstash_domain::SignStatus)]
    pub sign_status: String,
    #[schema(value_type = Option<signstash_domain::SignError>)]
    pub sign_error: Option<String>,
    #[schema(value_type = signstash_domain::CipherStatus)]
    pub cipher_status: String,
    #[schema(value_type = signstash_domain::StorageStatus)]
    pub storage_status: String,
    pub content_length: i64,
    #[schema(format = DateTime)]
    pub reception_date: String,
    /// Months.
    pub storage_period: Option<i32>,
    #[schema(format = DateTime)]
    pub storage_end_date: Option<String>,
    /// The signed document, base64; only when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Byte)]
    pub signed_content: Option<String>,
    /// Hash signing: the signature value over the digest (base64).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature_value: Option<String>,
    pub document_attributes: Vec<Attribute>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Attribute {
    pub key: String,
    pub value: String,
}

/// The receivers of an operation and where their e-mail stands.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = OperationDeliveryInfo)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryInfo {
    pub attach_documents: bool,
    pub person_receiver: Vec<Receiver>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Receiver {
    pub email: String,
    #[schema(value_type = signstash_domain::DeliveryStatus)]
    pub delivery_status: String,
}

fn date(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// The operation `id` of client service `cs`, or 404-as-not-found (`None`) when it does not
/// exist or belongs to another client service — the two are indistinguishable.
pub async fn load(
    app: &App,
    cs: &ClientService,
    id: OperationId,
    include_content: bool,
) -> Result<Option<SignOperation>, ApiError> {
    let csid: ClientServiceId = cs.id;
    let Some(op) = operations::find(&app.db, csid, id)
        .await
        .map_err(ApiError::internal)?
    else {
        return Ok(None);
    };
    let docs = documents::list_for_operation(&app.db, csid, id)
        .await
        .map_err(ApiError::internal)?;
    let receivers = deliveries::list_for_operation(&app.db, csid, id)
        .await
        .map_err(ApiError::internal)?;
    let mut contents = Vec::with_capacity(docs.len());
    for d in &docs {
        contents.push(match (include_content, d.stored()) {
            (true, Some(stored)) => Some(
                app.documents
                    .get(&stored)
                    .await
                    .map_err(ApiError::internal)?,
            ),
            _ => None,
        });
    }
    Ok(Some(assemble(cs, &op, docs, contents, &receivers)))
}

/// The answer for an operation read back or just finished: `contents[i]` is the signed content
/// of `docs[i]` when it is to be returned.
pub fn assemble(
    cs: &ClientService,
    op: &operations::Operation,
    docs: Vec<documents::Document>,
    contents: Vec<Option<Bytes>>,
    receivers: &[deliveries::Delivery],
) -> SignOperation {
    let document_list = docs
        .into_iter()
        .zip(contents.into_iter().chain(std::iter::repeat(None)))
        .map(|(d, content)| document_view(d, content.map(|c| B64.encode(c))))
        .collect();
    SignOperation {
        id: op.id.0,
        operation_type: op.operation_type.as_str().into(),
        status: op.status.as_str().into(),
        issuer_company: IssuerCompany {
            name: cs.issuer.name.clone(),
            vat_number: cs.issuer.vat_number.to_string(),
            country_code: cs.issuer.country_code.clone(),
        },
        issuer_client_service_alias: cs.alias.to_string(),
        creation_date: date(op.created_at),
        folder: Folder {
            folder_id: op.id.0,
            external_reference: op.external_reference.to_string(),
            description: op.description.clone(),
            folder_content: op.folder_content.as_str().into(),
        },
        execution_time: op.execution_time_ms,
        document_list,
        delivery_info: DeliveryInfo {
            attach_documents: op.attach_documents,
            person_receiver: receivers
                .iter()
                .map(|r| Receiver {
                    email: r.receiver_email.to_string(),
                    delivery_status: r.status.as_str().into(),
                })
                .collect(),
        },
    }
}

fn document_view(d: documents::Document, signed_content: Option<String>) -> DocumentView {
    let document_attributes = match &d.attributes {
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(k, v)| Attribute {
                key: k.clone(),
                value: v
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string()),
            })
            .collect(),
        _ => Vec::new(),
    };
    DocumentView {
        internal_id: d.id.0,
        external_reference: d.external_reference.to_string(),
        name: d.name,
        content_type: d.content_type,
        sign_status: d.sign_status.as_str().into(),
        sign_error: d.sign_error.map(|e| e.as_str().into()),
        cipher_status: d.cipher_status.as_str().into(),
        storage_status: d.storage_status.as_str().into(),
        content_length: d.content_length,
        reception_date: date(d.received_at),
        storage_period: d.storage_period_months,
        storage_end_date: d.storage_end_date.map(date),
        signed_content,
        signature_value: d.signature_value.as_deref().map(|v| B64.encode(v)),
        document_attributes,
    }
}
