//! The tenancy scope: which issuer companies a signed-in operator may see — all of them (the
//! platform), a partner's subtree, one issuer, or the issuers an auditor audits. It is built only
//! from a session read from the database ([`crate::operator_sessions::open`]); nothing outside
//! this crate can make one, so a query that takes a `&Scope` cannot be called with a scope the
//! operator does not have. Every store query that lists, shows or exports for the backoffice is
//! to take one ([`search_issuer_companies`] here is one).

use signstash_domain::{IssuerCompanyId, PartnerCompanyId, Role};
use sqlx::PgExecutor;

use crate::error::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope(Kind);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    All,
    Partner(PartnerCompanyId),
    Issuer(IssuerCompanyId),
    Issuers(Vec<IssuerCompanyId>),
}

/// What a scope covers, to read (not to build) one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Covers<'a> {
    All,
    Partner(PartnerCompanyId),
    Issuer(IssuerCompanyId),
    Issuers(&'a [IssuerCompanyId]),
}

impl Scope {
    /// The scope of an operator with `role` in its company; `audited` are an auditor's issuers.
    /// An operator whose company does not fit its role (which the schema's checks prevent)
    /// sees nothing.
    pub(crate) fn of(
        role: Role,
        partner: Option<PartnerCompanyId>,
        issuer: Option<IssuerCompanyId>,
        audited: Vec<IssuerCompanyId>,
    ) -> Self {
        Self(match (role, partner, issuer) {
            (Role::SystemAdministrator, _, _) => Kind::All,
            (Role::Partner, Some(p), _) => Kind::Partner(p),
            (Role::Issuer, _, Some(i)) => Kind::Issuer(i),
            (Role::Auditor, _, _) => Kind::Issuers(audited),
            (Role::Partner | Role::Issuer, _, _) => Kind::Issuers(Vec::new()),
        })
    }

    pub fn covers(&self) -> Covers<'_> {
        match &self.0 {
            Kind::All => Covers::All,
            Kind::Partner(p) => Covers::Partner(*p),
            Kind::Issuer(i) => Covers::Issuer(*i),
            Kind::Issuers(list) => Covers::Issuers(list),
        }
    }

    /// The parameters of a condition on partner companies: everything?, the operator's
    /// partner (an issuer operator or an auditor sees no partner company).
    pub(crate) fn partner_params(&self) -> (bool, Option<i64>) {
        match &self.0 {
            Kind::All => (true, None),
            Kind::Partner(p) => (false, Some(p.0)),
            Kind::Issuer(_) | Kind::Issuers(_) => (false, None),
        }
    }

    /// The parameters of [`ISSUER_IN_SCOPE`]: everything?, the partner, the issuers.
    pub(crate) fn params(&self) -> (bool, Option<i64>, Vec<i64>) {
        match &self.0 {
            Kind::All => (true, None, Vec::new()),
            Kind::Partner(p) => (false, Some(p.0), Vec::new()),
            Kind::Issuer(i) => (false, None, vec![i.0]),
            Kind::Issuers(list) => (false, None, list.iter().map(|i| i.0).collect()),
        }
    }
}

/// The condition on an `issuer_companies` row aliased `ic`, over parameters $1–$3
/// ([`Scope::params`]).
pub(crate) const ISSUER_IN_SCOPE: &str =
    "($1 OR ic.partner_company_id = $2 OR ic.id = ANY($3::BIGINT[]))";

/// The first `limit` issuer companies in `scope` whose name or VAT number contains `text` (any
/// case; every one when `None`), by name: `(id, name)`. A choice among them never lists a whole
/// platform.
pub async fn search_issuer_companies(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    text: Option<&str>,
    limit: i64,
) -> Result<Vec<(IssuerCompanyId, String)>, StoreError> {
    let (all, partner, issuers) = scope.params();
    Ok(sqlx::query_as(&format!(
        "SELECT ic.id, ic.name FROM issuer_companies ic WHERE {ISSUER_IN_SCOPE}
           AND ($4::TEXT IS NULL OR ic.name ILIKE '%' || $4 || '%' OR ic.vat_number LIKE '%' || $4 || '%')
         ORDER BY ic.name, ic.id LIMIT $5"
    ))
    .bind(all)
    .bind(partner)
    .bind(issuers)
    .bind(text.map(crate::like_escape))
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// The name of issuer company `id`, if it is in `scope`.
pub async fn issuer_company_name(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    id: IssuerCompanyId,
) -> Result<Option<String>, StoreError> {
    let (all, partner, issuers) = scope.params();
    Ok(sqlx::query_scalar(&format!(
        "SELECT ic.name FROM issuer_companies ic WHERE {ISSUER_IN_SCOPE} AND ic.id = $4"
    ))
    .bind(all)
    .bind(partner)
    .bind(issuers)
    .bind(id)
    .fetch_optional(db)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_gets_its_scope_and_a_misfit_gets_nothing() {
        let p = PartnerCompanyId(7);
        let i = IssuerCompanyId(9);
        assert_eq!(
            Scope::of(Role::SystemAdministrator, None, None, vec![]).covers(),
            Covers::All
        );
        assert_eq!(
            Scope::of(Role::Partner, Some(p), None, vec![]).covers(),
            Covers::Partner(p)
        );
        assert_eq!(
            Scope::of(Role::Issuer, Some(p), Some(i), vec![]).covers(),
            Covers::Issuer(i)
        );
        assert_eq!(
            Scope::of(Role::Auditor, None, None, vec![i]).covers(),
            Covers::Issuers(&[i])
        );
        assert_eq!(
            Scope::of(Role::Partner, None, None, vec![]).covers(),
            Covers::Issuers(&[])
        );
        assert_eq!(
            Scope::of(Role::Issuer, Some(p), None, vec![i]).covers(),
            Covers::Issuers(&[])
        );
    }
}
