//! The audit log as the backoffice writes it: every change an operator makes, in the same
//! transaction as the change (pass the transaction), with the changed fields' values before
//! and after (never secrets: the callers list only fields that are not); sign-ins, their
//! failures and refused actions too.

use serde_json::{json, Map, Value};
use signstash_domain::{
    ActorKind, EmailAddress, IssuerCompanyId, Language, OperatorId, PartnerCompanyId,
};
use signstash_store::audit::{self, NewAuditEntry};
use signstash_store::StoreError;
use sqlx::PgExecutor;

use crate::page::Signed;

/// What an entry is about: its kind, id and the companies that may read it.
pub struct Target {
    pub kind: &'static str,
    pub id: String,
    pub partner: Option<PartnerCompanyId>,
    pub issuer: Option<IssuerCompanyId>,
}

/// The fields that changed, `{"field": {"before": …, "after": …}}`; unchanged ones are left
/// out. A created thing has only `after`s.
#[derive(Default)]
pub struct Changes(Map<String, Value>);

impl Changes {
    pub fn field(mut self, name: &str, before: impl ToString, after: impl ToString) -> Self {
        let (before, after) = (before.to_string(), after.to_string());
        if before != after {
            self.0
                .insert(name.into(), json!({ "before": before, "after": after }));
        }
        self
    }

    pub fn created(mut self, name: &str, value: impl ToString) -> Self {
        self.0
            .insert(name.into(), json!({ "after": value.to_string() }));
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The fields of a company's details that changed (partners and issuers share them).
    pub fn company(self, before: Company<'_>, after: Company<'_>) -> Self {
        let text = |o: Option<&str>| o.unwrap_or_default().to_owned();
        let email = |e: Option<&EmailAddress>| e.map(ToString::to_string).unwrap_or_default();
        self.field("name", before.name, after.name)
            .field("email", email(before.email), email(after.email))
            .field("address", text(before.address), text(after.address))
            .field(
                "postal_code",
                text(before.postal_code),
                text(after.postal_code),
            )
            .field("city", text(before.city), text(after.city))
            .field("language", before.language, after.language)
    }
}

/// A company's details as [`Changes::company`] compares them.
pub struct Company<'a> {
    pub name: &'a str,
    pub email: Option<&'a EmailAddress>,
    pub address: Option<&'a str>,
    pub postal_code: Option<&'a str>,
    pub city: Option<&'a str>,
    pub language: Language,
}

/// Writes what `signed`'s operator did to `target`.
pub async fn record(
    db: impl PgExecutor<'_>,
    signed: &Signed,
    action: &str,
    target: &Target,
    changes: Changes,
) -> Result<(), StoreError> {
    audit::append(
        db,
        &NewAuditEntry {
            actor_kind: ActorKind::Operator,
            operator_id: Some(signed.session.operator_id),
            client_service_id: None,
            partner_company_id: target.partner,
            issuer_company_id: target.issuer,
            action: action.into(),
            target_kind: Some(target.kind.into()),
            target_id: Some(target.id.clone()),
            details: Value::Object(changes.0),
            request_id: None,
            remote_address: signed.address.clone(),
        },
    )
    .await
    .map(|_| ())
}

/// An action the policy refused.
pub async fn denied(
    db: impl PgExecutor<'_>,
    signed: &Signed,
    action: &str,
) -> Result<(), StoreError> {
    audit::append(
        db,
        &NewAuditEntry {
            actor_kind: ActorKind::Operator,
            operator_id: Some(signed.session.operator_id),
            client_service_id: None,
            partner_company_id: None,
            issuer_company_id: None,
            action: "access.denied".into(),
            target_kind: Some("action".into()),
            target_id: Some(action.into()),
            details: json!({ "path": signed.chrome.here }),
            request_id: None,
            remote_address: signed.address.clone(),
        },
    )
    .await
    .map(|_| ())
}

/// A sign-in, or a refused one (`operator` when the e-mail named one).
pub async fn sign_in(
    db: impl PgExecutor<'_>,
    operator: Option<(
        OperatorId,
        Option<PartnerCompanyId>,
        Option<IssuerCompanyId>,
    )>,
    succeeded: bool,
    address: &str,
) -> Result<(), StoreError> {
    let (id, partner, issuer) = match operator {
        Some((id, p, i)) => (Some(id), p, i),
        None => (None, None, None),
    };
    audit::append(
        db,
        &NewAuditEntry {
            actor_kind: ActorKind::Operator,
            operator_id: id,
            client_service_id: None,
            partner_company_id: partner,
            issuer_company_id: issuer,
            action: if succeeded {
                "operator.signed_in"
            } else {
                "operator.sign_in_failed"
            }
            .into(),
            target_kind: None,
            target_id: None,
            details: json!({}),
            request_id: None,
            remote_address: Some(address.into()),
        },
    )
    .await
    .map(|_| ())
}
