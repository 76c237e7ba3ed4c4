//! The backoffice's pages against the time of the SQL they run, on generated data, measured in
//! the same run.
//!
//! `cargo xtask bench backoffice` (a private PostgreSQL under `.data/pg-bench` on port 55434
//! unless `DATABASE_URL` is set, then `cargo bench -p backoffice --bench backoffice`) prints one
//! markdown table: for each page of [`ROWS`] and each role that may open it, the page's p50 and
//! p95 over HTTP, the p95 of the page's own SQL run directly against the same database, the goal
//! (page p95 ≤ 2 × query p95 + 5 ms, issue 14's "Speed") and PASS / FAIL.
//!
//! The stack is the real one: a fresh database in the cluster of `DATABASE_URL` (dropped at the
//! end), migrated, the demo tenants (integration-ws's `seed_demo_tenants`, what `integration-ws
//! seed-demo` runs), `backoffice seed-demo-operators` (the release binary cargo builds for this
//! bench), then generated with one set-based statement per table ([`GENERATE`]): ~100 partner
//! companies (the demo partner one of them), 10,000 issuer companies (~100 under each partner),
//! 50,000 client services, 50,000 operators and 100,000 audit-log entries; then `ANALYZE`. Then
//! `backoffice serve` runs as a child process on a free port with the shipped defaults, and each
//! development operator signs in (the session cookie is kept and sent with every request).
//!
//! Each row: one request first — a 404, or the "not built yet" page, prints "not built" (the
//! menus other branches are building get rows here now; they measure once their page exists) —,
//! then `WARM_UP` page requests and queries, then up to `REQUESTS` of each, alternately (a page,
//! its query, a page…) so that the machine's other tenants disturb both alike; a row stops after
//! `ROW_SECONDS` with at least `MIN_REQUESTS`. A page is timed from sending the request to the
//! end of its body, one at a time over a kept-alive connection; its query through one sqlx
//! connection with `plan_cache_mode = force_custom_plan`, as the backoffice's pool
//! (`signstash_store::connect_planning_each_time`), rows fetched. Sign-in's reference is
//! what it cannot avoid: the argon2id check of the password (in this process) plus the operator
//! lookup; `/home`'s is the session lookup every signed-in page makes.
//!
//! A row that fails its goal gets its query's `EXPLAIN (ANALYZE, BUFFERS)` printed under the
//! table. It is a report: the exit code is 0 whether or not the goals are met. Run without
//! `--bench` (as `cargo test` does) it does nothing.

#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use signstash_domain::Role;
use sqlx::{Connection as _, Executor as _, PgConnection, Row as _};

/// The master key the bench's backoffice runs with (nothing it seals outlives the run).
const BENCH_MASTER_KEY: &str = "YmFja29mZmljZS1iZW5jaC1tYXN0ZXIta2V5LTMyYiE=";

const SERVICE: &str = env!("CARGO_BIN_EXE_backoffice");

/// Requests per row (and as many queries), after `WARM_UP` of each; `SIGNSTASH_BENCH_REQUESTS`
/// overrides.
const REQUESTS: usize = 200;
const WARM_UP: usize = 20;
/// A row stops after this long, with at least `MIN_REQUESTS`, so that slow pages keep the run
/// within a few minutes.
const ROW_SECONDS: f64 = 4.0;
const MIN_REQUESTS: usize = 40;
/// Sign-in costs an argon2id check (~30–60 ms here): fewer.
const SIGN_IN_REQUESTS: usize = 60;
const SIGN_IN_WARM_UP: usize = 5;
/// A page not built yet: its query alone, this many times after a warm-up.
const UNBUILT_QUERIES: usize = 10;
const UNBUILT_WARM_UP: usize = 3;
const GOAL_FACTOR: f64 = 2.0;
const GOAL_SLACK: Duration = Duration::from_millis(5);

// ---------------------------------------------------------------------------------------------
// The pages

/// Who opens a page: the development operators (`backoffice::demo::DEMO_OPERATORS`).
const ALL: &[Role] = &[
    Role::SystemAdministrator,
    Role::Partner,
    Role::Issuer,
    Role::Auditor,
];
const PLATFORM: &[Role] = &[Role::SystemAdministrator, Role::Partner];
const ADMIN: &[Role] = &[Role::SystemAdministrator];
const MANAGERS: &[Role] = &[Role::SystemAdministrator, Role::Partner, Role::Issuer];

/// A thing a path or a query names, found in the seeded database.
#[derive(Clone, Copy, Debug)]
enum Ref {
    /// The demo partner (that of client service `demo`).
    Partner,
    /// `demo`'s issuer.
    Issuer,
    /// Client service `demo`.
    ClientService,
    /// `issuer@signstash.local`: every manager may see it.
    Operator,
    /// The first generated certificate authority.
    Authority,
}

impl Ref {
    const ALL: [(Ref, &'static str); 5] = [
        (Ref::Partner, "{partner}"),
        (Ref::Issuer, "{issuer}"),
        (Ref::ClientService, "{client_service}"),
        (Ref::Operator, "{operator}"),
        (Ref::Authority, "{authority}"),
    ];
}

/// A parameter of a row's SQL, bound in order.
#[derive(Clone, Copy, Debug)]
enum Arg {
    /// `Scope::partner_params()` of the signed-in operator: $n everything?, $n+1 its partner.
    PartnerScope,
    /// `Scope::params()` (`scope::ISSUER_IN_SCOPE`): everything?, the partner, the issuers.
    IssuerScope,
    /// `Scope::partner_params().0` alone: everything? (the platform's pages).
    Platform,
    /// The viewer's first Operators tab (`routes::operators::tabs`), the list's default role.
    FirstTab,
    Text(Option<&'static str>),
    Bool(Option<bool>),
    Date(Option<&'static str>),
    Id(Option<Ref>),
    Int(i64),
    /// The SHA-256 of the signed-in operator's session token, then the idle and absolute
    /// limits (seconds, as `operator_sessions::open` binds them).
    Session,
}

const NO_TEXT: Arg = Arg::Text(None);
const NO_DATE: Arg = Arg::Date(None);
const NO_ID: Arg = Arg::Id(None);
const NO_BOOL: Arg = Arg::Bool(None);
/// The first page of an offset list: `OFFSET 0 LIMIT 21` (`list::PER_PAGE` + 1).
const FIRST: [Arg; 2] = [Arg::Int(0), Arg::Int(FIRST_LIMIT)];
const FIRST_LIMIT: i64 = 21;

#[derive(Clone, Copy, Debug)]
enum Reference {
    /// This SQL with these parameters (`{company_allows_sign_in}` is replaced by the store's
    /// `operators::COMPANY_ALLOWS_SIGN_IN`).
    Sql(&'static str, &'static [Arg]),
    /// The argon2id check of the password plus [`OPERATOR_BY_EMAIL`].
    SignIn,
    /// `audit_view::list`, built for the operator's scope and the row's query string
    /// ([`audit_query`]).
    AuditLog,
}

#[derive(Clone, Copy, Debug)]
enum Method {
    Get,
    /// `POST /sign-in` with the role's e-mail and password.
    SignIn,
}

/// One page: a name, the roles that open it, the request and the SQL it runs.
struct Row {
    name: &'static str,
    roles: &'static [Role],
    method: Method,
    /// With `{partner}`, `{issuer}`, `{client_service}`, `{operator}` for the seeded ids.
    path: &'static str,
    reference: Reference,
}

const fn get(
    name: &'static str,
    roles: &'static [Role],
    path: &'static str,
    sql: &'static str,
    args: &'static [Arg],
) -> Row {
    Row {
        name,
        roles,
        method: Method::Get,
        path,
        reference: Reference::Sql(sql, args),
    }
}

const fn audit(name: &'static str, path: &'static str) -> Row {
    Row {
        name,
        roles: ALL,
        method: Method::Get,
        path,
        reference: Reference::AuditLog,
    }
}

/// Every page measured; one line each. The SQL is the store function's, copied (keep them in
/// step), and the query string uses the page's own names. A page that runs more than one
/// statement is timed against its main one; the comment above its rows names the others.
#[rustfmt::skip]
const ROWS: &[Row] = &[
    Row { name: "Sign-in", roles: ALL, method: Method::SignIn, path: "/sign-in", reference: Reference::SignIn },
    get("Home (the session lookup alone)", ALL, "/home", SESSION, &[Arg::Session]),
    // Partner companies: crates/store/src/partner_companies.rs (list, find).
    get("Partner companies", PLATFORM, "/partner-companies", PARTNERS, &[Arg::PartnerScope, NO_TEXT, NO_DATE, NO_DATE, FIRST[0], FIRST[1]]),
    get("Partner companies, name", PLATFORM, "/partner-companies?name=demo", PARTNERS, &[Arg::PartnerScope, Arg::Text(Some("demo")), NO_DATE, NO_DATE, FIRST[0], FIRST[1]]),
    get("Partner companies, created from", PLATFORM, "/partner-companies?created_from=2025-06-01", PARTNERS, &[Arg::PartnerScope, NO_TEXT, Arg::Date(Some("2025-06-01")), NO_DATE, FIRST[0], FIRST[1]]),
    get("Partner companies, created to", PLATFORM, "/partner-companies?created_to=2025-06-01", PARTNERS, &[Arg::PartnerScope, NO_TEXT, NO_DATE, Arg::Date(Some("2025-06-01")), FIRST[0], FIRST[1]]),
    get("Partner company", PLATFORM, "/partner-companies/{partner}", PARTNER, &[Arg::PartnerScope, Arg::Id(Some(Ref::Partner))]),
    // Issuer companies: crates/store/src/issuer_companies.rs (list; find). The list also runs,
    // for the administrator only, `issuer_companies::partners` (the company filter's choices,
    // ~100 rows); the detail also runs `issuer_companies::operators` and `::client_services`
    // (its resources, 20 of each). The company filter is the administrator's only.
    get("Issuer companies", ALL, "/issuer-companies", ISSUERS, &[Arg::IssuerScope, NO_ID, NO_TEXT, NO_DATE, NO_DATE, FIRST[0], FIRST[1]]),
    get("Issuer companies, company", ADMIN, "/issuer-companies?company={partner}", ISSUERS, &[Arg::IssuerScope, Arg::Id(Some(Ref::Partner)), NO_TEXT, NO_DATE, NO_DATE, FIRST[0], FIRST[1]]),
    get("Issuer companies, name", ALL, "/issuer-companies?name=norte", ISSUERS, &[Arg::IssuerScope, NO_ID, Arg::Text(Some("norte")), NO_DATE, NO_DATE, FIRST[0], FIRST[1]]),
    get("Issuer companies, created from", ALL, "/issuer-companies?created_from=2026-06-01", ISSUERS, &[Arg::IssuerScope, NO_ID, NO_TEXT, Arg::Date(Some("2026-06-01")), NO_DATE, FIRST[0], FIRST[1]]),
    get("Issuer companies, created to", ALL, "/issuer-companies?created_to=2025-06-01", ISSUERS, &[Arg::IssuerScope, NO_ID, NO_TEXT, NO_DATE, Arg::Date(Some("2025-06-01")), FIRST[0], FIRST[1]]),
    get("Issuer company", ALL, "/issuer-companies/{issuer}", ISSUER, &[Arg::IssuerScope, Arg::Id(Some(Ref::Issuer))]),
    // Client services: crates/store/src/client_service_admin.rs (list, find). The issuer
    // filter (part of its name or VAT number) is the administrator's and a partner's only.
    get("Client services", ALL, "/client-services", CLIENT_SERVICES, &[Arg::IssuerScope, NO_TEXT, NO_TEXT, NO_TEXT, NO_DATE, NO_DATE, NO_TEXT, FIRST[0], FIRST[1]]),
    get("Client services, alias", ALL, "/client-services?alias=a1", CLIENT_SERVICES, &[Arg::IssuerScope, Arg::Text(Some("a1")), NO_TEXT, NO_TEXT, NO_DATE, NO_DATE, NO_TEXT, FIRST[0], FIRST[1]]),
    get("Client services, name or bundle", ALL, "/client-services?text=erp", CLIENT_SERVICES, &[Arg::IssuerScope, NO_TEXT, Arg::Text(Some("erp")), NO_TEXT, NO_DATE, NO_DATE, NO_TEXT, FIRST[0], FIRST[1]]),
    get("Client services, status", ALL, "/client-services?status=SUSPENDED", CLIENT_SERVICES, &[Arg::IssuerScope, NO_TEXT, NO_TEXT, Arg::Text(Some("SUSPENDED")), NO_DATE, NO_DATE, NO_TEXT, FIRST[0], FIRST[1]]),
    get("Client services, issuer", PLATFORM, "/client-services?issuer=norte", CLIENT_SERVICES, &[Arg::IssuerScope, NO_TEXT, NO_TEXT, NO_TEXT, NO_DATE, NO_DATE, Arg::Text(Some("norte")), FIRST[0], FIRST[1]]),
    get("Client services, created from", ALL, "/client-services?created_from=2026-06-01", CLIENT_SERVICES, &[Arg::IssuerScope, NO_TEXT, NO_TEXT, NO_TEXT, Arg::Date(Some("2026-06-01")), NO_DATE, NO_TEXT, FIRST[0], FIRST[1]]),
    get("Client services, created to", ALL, "/client-services?created_to=2025-06-01", CLIENT_SERVICES, &[Arg::IssuerScope, NO_TEXT, NO_TEXT, NO_TEXT, NO_DATE, Arg::Date(Some("2025-06-01")), NO_TEXT, FIRST[0], FIRST[1]]),
    get("Client service", ALL, "/client-services/{client_service}", CLIENT_SERVICE, &[Arg::IssuerScope, Arg::Id(Some(Ref::ClientService))]),
    // A new client service's first step, the issuer search (`search_issuers_for_new`); the form
    // with the issuer chosen runs `issuer_for_new`, then `certificates` of that issuer.
    get("New client service: issuers", PLATFORM, "/client-services/new", ISSUERS_FOR_NEW, &[Arg::IssuerScope, NO_TEXT, Arg::Int(FIRST_LIMIT)]),
    get("New client service: issuers, search", PLATFORM, "/client-services/new?q=norte", ISSUERS_FOR_NEW, &[Arg::IssuerScope, Arg::Text(Some("norte")), Arg::Int(FIRST_LIMIT)]),
    get("New client service: form", PLATFORM, "/client-services/new?issuer={issuer}", CERTIFICATES, &[Arg::IssuerScope, Arg::Id(Some(Ref::Issuer)), NO_ID]),
    // Operators: crates/store/src/operator_admin.rs (list, find); one tab per role, the
    // viewer's first by default. The company filter is the administrator's and a partner's.
    get("Operators", MANAGERS, "/operators", OPERATORS, &[Arg::IssuerScope, Arg::FirstTab, NO_TEXT, NO_TEXT, NO_TEXT, NO_DATE, NO_DATE, NO_TEXT, FIRST[0], FIRST[1]]),
    get("Operators, role tab", MANAGERS, "/operators?role=ISSUER", OPERATORS, &[Arg::IssuerScope, Arg::Text(Some("ISSUER")), NO_TEXT, NO_TEXT, NO_TEXT, NO_DATE, NO_DATE, NO_TEXT, FIRST[0], FIRST[1]]),
    get("Operators, username", MANAGERS, "/operators?role=ISSUER&email=op12", OPERATORS, &[Arg::IssuerScope, Arg::Text(Some("ISSUER")), Arg::Text(Some("op12")), NO_TEXT, NO_TEXT, NO_DATE, NO_DATE, NO_TEXT, FIRST[0], FIRST[1]]),
    get("Operators, name", MANAGERS, "/operators?role=ISSUER&name=silva", OPERATORS, &[Arg::IssuerScope, Arg::Text(Some("ISSUER")), NO_TEXT, Arg::Text(Some("silva")), NO_TEXT, NO_DATE, NO_DATE, NO_TEXT, FIRST[0], FIRST[1]]),
    get("Operators, status", MANAGERS, "/operators?role=ISSUER&status=LOCKED", OPERATORS, &[Arg::IssuerScope, Arg::Text(Some("ISSUER")), NO_TEXT, NO_TEXT, Arg::Text(Some("LOCKED")), NO_DATE, NO_DATE, NO_TEXT, FIRST[0], FIRST[1]]),
    get("Operators, created from", MANAGERS, "/operators?role=ISSUER&created_from=2026-06-01", OPERATORS, &[Arg::IssuerScope, Arg::Text(Some("ISSUER")), NO_TEXT, NO_TEXT, NO_TEXT, Arg::Date(Some("2026-06-01")), NO_DATE, NO_TEXT, FIRST[0], FIRST[1]]),
    get("Operators, created to", MANAGERS, "/operators?role=ISSUER&created_to=2025-06-01", OPERATORS, &[Arg::IssuerScope, Arg::Text(Some("ISSUER")), NO_TEXT, NO_TEXT, NO_TEXT, NO_DATE, Arg::Date(Some("2025-06-01")), NO_TEXT, FIRST[0], FIRST[1]]),
    get("Operators, company", PLATFORM, "/operators?role=ISSUER&company=norte", OPERATORS, &[Arg::IssuerScope, Arg::Text(Some("ISSUER")), NO_TEXT, NO_TEXT, NO_TEXT, NO_DATE, NO_DATE, Arg::Text(Some("norte")), FIRST[0], FIRST[1]]),
    get("Operator", MANAGERS, "/operators/{operator}", OPERATOR, &[Arg::IssuerScope, Arg::Id(Some(Ref::Operator))]),
    // A new operator's first step, the company search: `operator_admin::search_partners` (the
    // administrator's and a partner's), then `scope::search_issuer_companies`, timed.
    get("New operator: companies", PLATFORM, "/operators/new", ISSUER_SEARCH, &[Arg::IssuerScope, NO_TEXT, Arg::Int(FIRST_LIMIT)]),
    get("New operator: companies, search", PLATFORM, "/operators/new?q=norte", ISSUER_SEARCH, &[Arg::IssuerScope, Arg::Text(Some("norte")), Arg::Int(FIRST_LIMIT)]),
    // Audit log: crates/store/src/audit_view.rs (list), whose SQL depends on the scope and the
    // filters given: the bench builds it as the store does ([`audit_query`]) from the row's
    // query string, keyset paging (the first page). Before it the store runs, for a partner,
    // the lookup of its issuers, and with the company filter the lookup of the companies
    // named so; the bench runs those once and times the main statement.
    audit("Audit log", "/audit-log"),
    audit("Audit log, actor", "/audit-log?actor=op1"),
    audit("Audit log, action", "/audit-log?action=issuer_company."),
    audit("Audit log, company", "/audit-log?company=norte"),
    audit("Audit log, from", "/audit-log?from=2026-11-01"),
    audit("Audit log, to", "/audit-log?to=2025-12-31"),
    // System configurations: crates/store/src/authority_admin.rs (list, find) and
    // system_configuration.rs (get). The index page runs no statement of its own.
    get("Certificate authorities", ADMIN, "/system-configurations/certificate-authorities", AUTHORITIES, &[Arg::Platform, NO_TEXT, NO_BOOL, NO_DATE, NO_DATE, FIRST[0], FIRST[1]]),
    get("Certificate authorities, name", ADMIN, "/system-configurations/certificate-authorities?name=ca%201", AUTHORITIES, &[Arg::Platform, Arg::Text(Some("ca 1")), NO_BOOL, NO_DATE, NO_DATE, FIRST[0], FIRST[1]]),
    get("Certificate authorities, type", ADMIN, "/system-configurations/certificate-authorities?type=REMOTE", AUTHORITIES, &[Arg::Platform, NO_TEXT, Arg::Bool(Some(true)), NO_DATE, NO_DATE, FIRST[0], FIRST[1]]),
    get("Certificate authorities, created from", ADMIN, "/system-configurations/certificate-authorities?created_from=2025-06-01", AUTHORITIES, &[Arg::Platform, NO_TEXT, NO_BOOL, Arg::Date(Some("2025-06-01")), NO_DATE, FIRST[0], FIRST[1]]),
    get("Certificate authorities, created to", ADMIN, "/system-configurations/certificate-authorities?created_to=2025-06-01", AUTHORITIES, &[Arg::Platform, NO_TEXT, NO_BOOL, NO_DATE, Arg::Date(Some("2025-06-01")), FIRST[0], FIRST[1]]),
    get("Certificate authority", ADMIN, "/system-configurations/certificate-authorities/{authority}", AUTHORITY, &[Arg::Platform, Arg::Id(Some(Ref::Authority))]),
    get("General configuration", ADMIN, "/system-configurations/general", SYSTEM_CONFIGURATION, &[Arg::Platform]),
];

/// `operators::find_by_email` (sign-in).
const OPERATOR_BY_EMAIL: &str =
    "SELECT id, partner_company_id, issuer_company_id, email, name, role, password_hash, status,
        {company_allows_sign_in} AS company_allows_sign_in
 FROM operators o WHERE lower(email) = lower($1)";

/// `operator_sessions::open`: every signed-in request.
const SESSION: &str = "UPDATE operator_sessions s SET last_seen_at = now()
 FROM operators o
 WHERE s.token_hash = $1 AND o.id = s.operator_id AND o.status = 'ACTIVE'
   AND {company_allows_sign_in}
   AND s.last_seen_at > now() - make_interval(secs => $2)
   AND s.created_at > now() - make_interval(secs => $3)
 RETURNING o.id, o.name, o.role, s.csrf_token, o.partner_company_id, o.issuer_company_id,
           ARRAY(SELECT a.issuer_company_id FROM auditor_issuers a
                 WHERE a.operator_id = o.id ORDER BY 1)";

/// `partner_companies::list`.
const PARTNERS: &str =
    "SELECT pc.id, pc.name, pc.vat_number, pc.country_code, pc.email, pc.address,
    pc.postal_code, pc.city, pc.language, pc.kind, pc.status, pc.limit_signatures,
    pc.limit_valid_until, pc.created_at FROM partner_companies pc
 WHERE ($1 OR pc.id = $2)
   AND ($3::TEXT IS NULL OR pc.name ILIKE '%' || $3 || '%')
   AND ($4::DATE IS NULL OR pc.created_at >= $4::DATE)
   AND ($5::DATE IS NULL OR pc.created_at < $5::DATE + 1)
 ORDER BY lower(pc.name), pc.id
 OFFSET $6 LIMIT $7";

/// `partner_companies::find`.
const PARTNER: &str = "SELECT pc.id, pc.name, pc.vat_number, pc.country_code, pc.email, pc.address,
    pc.postal_code, pc.city, pc.language, pc.kind, pc.status, pc.limit_signatures,
    pc.limit_valid_until, pc.created_at FROM partner_companies pc WHERE ($1 OR pc.id = $2) AND pc.id = $3";

/// `issuer_companies::list` (`COLUMNS`, `ISSUER_IN_SCOPE` spelt out).
const ISSUERS: &str = "SELECT ic.id, ic.partner_company_id, pc.name AS partner_name, ic.name,
    ic.vat_number, ic.country_code, ic.email, ic.address, ic.postal_code, ic.city, ic.language,
    ic.status, ic.limit_signatures, ic.limit_valid_until, ic.created_at FROM issuer_companies ic
         JOIN partner_companies pc ON pc.id = ic.partner_company_id
         WHERE ($1 OR ic.partner_company_id = $2 OR ic.id = ANY($3::BIGINT[]))
           AND ($4::BIGINT IS NULL OR ic.partner_company_id = $4)
           AND ($5::TEXT IS NULL OR ic.name ILIKE '%' || $5 || '%')
           AND ($6::DATE IS NULL OR ic.created_at >= $6::DATE)
           AND ($7::DATE IS NULL OR ic.created_at < $7::DATE + 1)
         ORDER BY lower(ic.name), ic.id
         OFFSET $8 LIMIT $9";

/// `issuer_companies::find`.
const ISSUER: &str = "SELECT ic.id, ic.partner_company_id, pc.name AS partner_name, ic.name,
    ic.vat_number, ic.country_code, ic.email, ic.address, ic.postal_code, ic.city, ic.language,
    ic.status, ic.limit_signatures, ic.limit_valid_until, ic.created_at FROM issuer_companies ic
         JOIN partner_companies pc ON pc.id = ic.partner_company_id
         WHERE ($1 OR ic.partner_company_id = $2 OR ic.id = ANY($3::BIGINT[])) AND ic.id = $4";

/// `client_service_admin::list`.
const CLIENT_SERVICES: &str =
    "SELECT cs.id, cs.alias, cs.name, cs.bundle, cs.status, ic.name AS issuer_name,
                cs.created_at
         FROM client_services cs JOIN issuer_companies ic ON ic.id = cs.issuer_company_id
         WHERE ($1 OR ic.partner_company_id = $2 OR ic.id = ANY($3::BIGINT[]))
           AND ($4::TEXT IS NULL OR cs.alias ILIKE '%' || $4 || '%')
           AND ($5::TEXT IS NULL OR cs.name ILIKE '%' || $5 || '%' OR cs.bundle ILIKE '%' || $5 || '%')
           AND ($6::TEXT IS NULL OR cs.status = $6)
           AND ($7::DATE IS NULL OR cs.created_at >= $7::DATE)
           AND ($8::DATE IS NULL OR cs.created_at < $8::DATE + 1)
           AND ($9::TEXT IS NULL OR ic.name ILIKE '%' || $9 || '%' OR ic.vat_number LIKE '%' || $9 || '%')
         ORDER BY cs.created_at DESC, cs.id DESC
         OFFSET $10 LIMIT $11";

/// `client_service_admin::search_issuers_for_new` (`ISSUER_CHOICE` spelt out).
const ISSUERS_FOR_NEW: &str = "
    SELECT ic.id, ic.name, ic.vat_number, ic.country_code, pc.id AS partner_company_id,
           pc.name AS partner_name, pc.vat_number AS partner_vat_number,
           pc.country_code AS partner_country_code
    FROM issuer_companies ic JOIN partner_companies pc ON pc.id = ic.partner_company_id
    WHERE ($1 OR ic.partner_company_id = $2 OR ic.id = ANY($3::BIGINT[]))
      AND ic.status IN ('ACTIVE', 'REGISTERED')
      AND ($4::TEXT IS NULL OR ic.name ILIKE '%' || $4 || '%' OR ic.vat_number LIKE '%' || $4 || '%')
    ORDER BY ic.name, ic.id LIMIT $5";

/// `client_service_admin::certificates`.
const CERTIFICATES: &str = "SELECT c.id, c.issuer_company_id, c.label, c.subject, c.not_after
         FROM certificates c JOIN issuer_companies ic ON ic.id = c.issuer_company_id
         WHERE ($1 OR ic.partner_company_id = $2 OR ic.id = ANY($3::BIGINT[]))
           AND (c.status = 'ACTIVE' OR c.id = $5)
           AND c.issuer_company_id = $4
         ORDER BY lower(c.label), c.id";

/// `scope::search_issuer_companies`.
const ISSUER_SEARCH: &str =
    "SELECT ic.id, ic.name FROM issuer_companies ic WHERE ($1 OR ic.partner_company_id = $2 OR ic.id = ANY($3::BIGINT[]))
           AND ($4::TEXT IS NULL OR ic.name ILIKE '%' || $4 || '%' OR ic.vat_number LIKE '%' || $4 || '%')
         ORDER BY ic.name, ic.id LIMIT $5";

/// `client_service_admin::find` (`DETAIL` and its condition).
const CLIENT_SERVICE: &str = "
    SELECT cs.id, cs.alias, cs.name, cs.bundle, cs.extra_information, cs.status, cs.language,
           cs.created_at, cs.issuer_company_id, ic.name AS issuer_name,
           ic.vat_number AS issuer_vat_number, ic.country_code AS issuer_country_code,
           ic.status AS issuer_status, pc.id AS partner_company_id, pc.name AS partner_name,
           pc.vat_number AS partner_vat_number, pc.country_code AS partner_country_code,
           cs.certificate_id, c.label AS certificate_label, c.subject AS certificate_subject,
           c.not_after AS certificate_not_after, cs.concurrency_limit, cs.storage_period_months,
           cs.link_validity_days, cs.access_code_required, cs.smtp_host, cs.smtp_port,
           cs.smtp_security, cs.smtp_username,
           cs.smtp_password_encrypted IS NOT NULL AS smtp_password_set, cs.mail_from
    FROM client_services cs
    JOIN issuer_companies ic ON ic.id = cs.issuer_company_id
    JOIN partner_companies pc ON pc.id = ic.partner_company_id
    LEFT JOIN certificates c ON c.id = cs.certificate_id WHERE ($1 OR ic.partner_company_id = $2 OR ic.id = ANY($3::BIGINT[])) AND cs.id = $4";

/// `operator_admin::list` (`COLUMNS` and `IN_SCOPE` spelt out).
const OPERATORS: &str = "SELECT o.id, o.name, o.email, o.role, o.status, o.language,
    o.partner_company_id, o.issuer_company_id,
    coalesce((SELECT pc.name FROM partner_companies pc WHERE pc.id = o.partner_company_id),
             (SELECT ic.name FROM issuer_companies ic WHERE ic.id = o.issuer_company_id),
             (SELECT string_agg(ic.name, ', ' ORDER BY ic.name) FROM auditor_issuers a
              JOIN issuer_companies ic ON ic.id = a.issuer_company_id
              WHERE a.operator_id = o.id)) AS company,
    o.created_at, o.last_sign_in_at FROM operators o
         WHERE ($1 OR o.partner_company_id = $2 OR o.issuer_company_id = ANY($3::BIGINT[])
      OR o.issuer_company_id = ANY(ARRAY(SELECT ic.id FROM issuer_companies ic
                                         WHERE ic.partner_company_id = $2))) AND o.role = $4
           AND ($5::TEXT IS NULL OR o.email ILIKE '%' || $5 || '%')
           AND ($6::TEXT IS NULL OR o.name ILIKE '%' || $6 || '%')
           AND ($7::TEXT IS NULL OR o.status = $7)
           AND ($8::DATE IS NULL OR o.created_at >= $8::DATE)
           AND ($9::DATE IS NULL OR o.created_at < $9::DATE + 1)
           AND ($10::TEXT IS NULL
                OR EXISTS (SELECT 1 FROM partner_companies pc
                           WHERE pc.id = o.partner_company_id AND pc.name ILIKE '%' || $10 || '%')
                OR EXISTS (SELECT 1 FROM issuer_companies ic
                           WHERE ic.id = o.issuer_company_id AND ic.name ILIKE '%' || $10 || '%')
                OR EXISTS (SELECT 1 FROM auditor_issuers a
                           JOIN issuer_companies ic ON ic.id = a.issuer_company_id
                           WHERE a.operator_id = o.id AND ic.name ILIKE '%' || $10 || '%'))
         ORDER BY lower(o.name), o.id
         OFFSET $11 LIMIT $12";

/// `operator_admin::find`.
const OPERATOR: &str = "SELECT o.id, o.name, o.email, o.role, o.status, o.language,
    o.partner_company_id, o.issuer_company_id,
    coalesce((SELECT pc.name FROM partner_companies pc WHERE pc.id = o.partner_company_id),
             (SELECT ic.name FROM issuer_companies ic WHERE ic.id = o.issuer_company_id),
             (SELECT string_agg(ic.name, ', ' ORDER BY ic.name) FROM auditor_issuers a
              JOIN issuer_companies ic ON ic.id = a.issuer_company_id
              WHERE a.operator_id = o.id)) AS company,
    o.created_at, o.last_sign_in_at FROM operators o WHERE ($1 OR o.partner_company_id = $2 OR o.issuer_company_id = ANY($3::BIGINT[])
      OR o.issuer_company_id = ANY(ARRAY(SELECT ic.id FROM issuer_companies ic
                                         WHERE ic.partner_company_id = $2))) AND o.id = $4";

/// `audit_view::list`: the text before the scope's condition; [`audit_query`] adds the rest
/// as the store's `QueryBuilder` does.
const AUDIT_LOG: &str = "SELECT a.id, a.occurred_at, a.actor_kind, o.name AS operator_name,
                o.email AS operator_email, cs.alias AS client_service_alias, a.action,
                a.target_kind, a.target_id, pc.name AS partner_name, ic.name AS issuer_name,
                a.details, a.remote_address
         FROM audit_log a
         LEFT JOIN operators o ON o.id = a.operator_id
         LEFT JOIN client_services cs ON cs.id = a.client_service_id
         LEFT JOIN partner_companies pc ON pc.id = a.partner_company_id
         LEFT JOIN issuer_companies ic ON ic.id = a.issuer_company_id
         WHERE ";

/// `authority_admin::list` (`COLUMNS` spelt out).
const AUTHORITIES: &str = "SELECT ca.id, ca.name, ca.csc_base_url, ca.oauth_authorize_url,
    ca.oauth_token_url, ca.oauth_client_id,
    ca.oauth_client_secret_encrypted IS NOT NULL AS has_client_secret, ca.ca_chain_pem,
    ca.access_max_days, ca.access_max_signatures, ca.created_at, ca.updated_at FROM certificate_authorities ca
         WHERE $1
           AND ($2::TEXT IS NULL OR ca.name ILIKE '%' || $2 || '%')
           AND ($3::BOOLEAN IS NULL OR (ca.csc_base_url IS NOT NULL) = $3)
           AND ($4::DATE IS NULL OR ca.created_at >= $4::DATE)
           AND ($5::DATE IS NULL OR ca.created_at < $5::DATE + 1)
         ORDER BY lower(ca.name), ca.id
         OFFSET $6 LIMIT $7";

/// `authority_admin::find`.
const AUTHORITY: &str = "SELECT ca.id, ca.name, ca.csc_base_url, ca.oauth_authorize_url,
    ca.oauth_token_url, ca.oauth_client_id,
    ca.oauth_client_secret_encrypted IS NOT NULL AS has_client_secret, ca.ca_chain_pem,
    ca.access_max_days, ca.access_max_signatures, ca.created_at, ca.updated_at FROM certificate_authorities ca WHERE $1 AND ca.id = $2";

/// `system_configuration::get`.
const SYSTEM_CONFIGURATION: &str =
    "SELECT default_language, storage_period_months, link_validity_days,
                email_retry_threshold, updated_at
         FROM system_configuration WHERE $1 AND id";

// ---------------------------------------------------------------------------------------------
// The data

/// The generated data, one set-based statement per table, after the demo tenants and
/// operators. Fixed dates (2025-01-01 onwards) so that the rows' date filters select the same
/// share on every run; the demo partner (VAT 500000000) is one of the ~100 partners the issuers
/// are dealt to, so its operator sees ~100 issuers.
const GENERATE: &[(&str, &str)] = &[
    (
        "99 partner companies",
        "INSERT INTO partner_companies (name, vat_number, country_code, email, status, kind,
             address, postal_code, city, language, created_at)
         SELECT format('%s Parceiro %s, S.A.',
                    (ARRAY['Alfa','Beta','Gama','Delta','Omega','Norte','Sul','Atlântico'])[1 + g % 8],
                    lpad(g::text, 3, '0')),
                (510000000 + g)::text, 'PRT', format('partner%s@bench.example', g),
                CASE WHEN g % 17 = 0 THEN 'INACTIVE' ELSE 'ACTIVE' END,
                CASE WHEN g % 3 = 0 THEN 'RESELLER' ELSE 'INTEGRATOR' END,
                format('Rua %s, %s', g, g % 90 + 1), '1000-001', 'Lisboa',
                CASE WHEN g % 4 = 0 THEN 'en' ELSE 'pt_PT' END,
                timestamptz '2025-01-01' + g * interval '7 days'
         FROM generate_series(1, 99) g",
    ),
    (
        "10,000 issuer companies",
        "WITH p AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS rn FROM partner_companies),
              n AS (SELECT count(*) AS n FROM partner_companies)
         INSERT INTO issuer_companies (partner_company_id, name, vat_number, country_code,
             address, postal_code, city, email, status, language, created_at)
         SELECT p.id,
                format('%s %s %s, Lda.',
                    (ARRAY['Comércio','Indústria','Serviços','Transportes','Farmácia','Padaria',
                           'Construções','Têxteis','Vinhos','Software'])[1 + g % 10],
                    (ARRAY['Norte','Sul','Centro','Lisboa','Porto','Minho','Algarve'])[1 + (g / 10) % 7],
                    lpad(g::text, 5, '0')),
                (600000000 + g)::text, 'PRT', format('Avenida %s', g), '4000-001',
                (ARRAY['Lisboa','Porto','Braga','Faro','Coimbra'])[1 + g % 5],
                format('issuer%s@bench.example', g),
                CASE WHEN g % 20 = 0 THEN 'REGISTERED' WHEN g % 20 = 1 THEN 'SUSPENDED'
                     WHEN g % 20 = 2 THEN 'BLOCKED' WHEN g % 100 = 3 THEN 'DELETED'
                     ELSE 'ACTIVE' END,
                CASE WHEN g % 5 = 0 THEN 'en' ELSE 'pt_PT' END,
                timestamptz '2025-01-01' + (g % 700) * interval '1 day' + g * interval '1 second'
         FROM generate_series(1, 10000) g CROSS JOIN n JOIN p ON p.rn = g % n.n",
    ),
    (
        "50,000 client services",
        "INSERT INTO client_services (issuer_company_id, alias, name, secret_hash, status,
             language, bundle, extra_information, created_at)
         SELECT ic.id,
                format('%s.%s-%s.%s-%s', pc.country_code, pc.vat_number, ic.country_code,
                       ic.vat_number, lpad(to_hex((g * 40503) % 16777216), 6, '0')),
                format('%s %s', (ARRAY['ERP','Faturação','POS','Loja online','Contabilidade'])[1 + g % 5], g),
                (SELECT secret_hash FROM client_services WHERE alias = 'demo'),
                CASE WHEN g % 25 = 0 THEN 'INACTIVE' WHEN g % 25 = 1 THEN 'SUSPENDED' ELSE 'ACTIVE' END,
                CASE WHEN g % 5 = 0 THEN 'en' ELSE 'pt_PT' END,
                (ARRAY['BASIC','STANDARD','PREMIUM'])[1 + g % 3], '',
                timestamptz '2025-01-01' + (g % 700) * interval '1 day' + g * interval '1 second'
         FROM generate_series(0, 49999) g
         JOIN issuer_companies ic ON ic.vat_number = (600000001 + g / 5)::text
         JOIN partner_companies pc ON pc.id = ic.partner_company_id",
    ),
    (
        "50,000 operators",
        "INSERT INTO operators (partner_company_id, issuer_company_id, email, name, role,
             password_hash, status, language, created_at)
         SELECT CASE WHEN r.role = 'PARTNER' THEN ic.partner_company_id END,
                CASE WHEN r.role = 'ISSUER' THEN ic.id END,
                format('op%s@bench.example', g),
                format('%s %s %s',
                    (ARRAY['Ana','João','Maria','Pedro','Rita','Rui','Sofia','Tiago','Inês','Miguel'])[1 + g % 10],
                    (ARRAY['Silva','Santos','Ferreira','Pereira','Oliveira','Costa','Rodrigues',
                           'Martins','Sousa','Fernandes','Gomes'])[1 + (g / 10) % 11],
                    g),
                r.role,
                (SELECT password_hash FROM operators WHERE email = 'admin@signstash.local'),
                CASE WHEN g % 13 = 0 THEN 'REGISTERED' WHEN g % 17 = 0 THEN 'INACTIVE'
                     WHEN g % 19 = 0 THEN 'LOCKED' ELSE 'ACTIVE' END,
                CASE WHEN g % 6 = 0 THEN 'en' ELSE 'pt_PT' END,
                timestamptz '2025-01-01' + (g % 700) * interval '1 day' + g * interval '1 second'
         FROM generate_series(0, 49999) g
         CROSS JOIN LATERAL (SELECT CASE WHEN g % 500 = 7 THEN 'SYSTEM_ADMINISTRATOR'
                                         WHEN g % 10 = 0 THEN 'PARTNER'
                                         WHEN g % 10 = 1 THEN 'AUDITOR'
                                         ELSE 'ISSUER' END AS role) r
         JOIN issuer_companies ic ON ic.vat_number = (600000001 + g % 10000)::text",
    ),
    (
        "100,000 audit-log entries",
        "INSERT INTO audit_log (occurred_at, actor_kind, operator_id, partner_company_id,
             issuer_company_id, action, target_kind, target_id, details, remote_address)
         SELECT timestamptz '2025-12-01' + g * interval '5 minutes', 'OPERATOR', o.id,
                ic.partner_company_id, ic.id,
                (ARRAY['issuer_company.update','client_service.create','client_service.update',
                       'operator.create','operator.update','operator.sign_in',
                       'client_service.secret_rotated','issuer_company.status'])[1 + g % 8],
                'issuer_company', ic.id::text,
                jsonb_build_object('name', jsonb_build_object('before', 'A', 'after', 'B')),
                format('10.%s.%s.%s', g % 200, (g / 200) % 250, g % 250)
         FROM generate_series(0, 99999) g
         JOIN issuer_companies ic ON ic.vat_number = (600000001 + g % 10000)::text
         JOIN operators o ON lower(o.email) = format('op%s@bench.example', (g * 7) % 50000)",
    ),
    (
        "30 certificate authorities",
        "INSERT INTO certificate_authorities (name, csc_base_url, oauth_authorize_url,
             oauth_token_url, oauth_client_id, created_at, updated_at)
         SELECT format('CA %s', g),
                CASE WHEN g % 2 = 0 THEN format('https://ca%s.bench.example/csc/v2', g) END,
                CASE WHEN g % 2 = 0 THEN format('https://ca%s.bench.example/oauth2/authorize', g) END,
                CASE WHEN g % 2 = 0 THEN format('https://ca%s.bench.example/oauth2/token', g) END,
                CASE WHEN g % 2 = 0 THEN 'signstash' END,
                timestamptz '2025-01-01' + g * interval '11 days',
                timestamptz '2025-01-01' + g * interval '11 days'
         FROM generate_series(1, 30) g",
    ),
];

// ---------------------------------------------------------------------------------------------
// Main

fn main() {
    if let Err(e) = check_rows() {
        eprintln!("backoffice bench: the row table: {e}");
        std::process::exit(1);
    }
    if !std::env::args().any(|a| a == "--bench") {
        println!(
            "backoffice bench: the row table is consistent ({} rows); the bench itself runs with \
             `cargo xtask bench backoffice`",
            ROWS.len()
        );
        return;
    }
    let Ok(admin_url) = std::env::var("DATABASE_URL") else {
        eprintln!(
            "backoffice bench: DATABASE_URL is not set (`cargo xtask bench backoffice` sets one)"
        );
        std::process::exit(1);
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    if let Err(e) = runtime.block_on(run(&admin_url)) {
        eprintln!("backoffice bench: {e}");
        std::process::exit(1);
    }
}

/// Each row's parameters fill its SQL's placeholders exactly, and its path names only known
/// things.
fn check_rows() -> Result<(), String> {
    for row in ROWS {
        if let Reference::Sql(sql, args) = row.reference {
            let bound: usize = args
                .iter()
                .map(|a| match a {
                    Arg::PartnerScope => 2,
                    Arg::IssuerScope | Arg::Session => 3,
                    _ => 1,
                })
                .sum();
            let highest = sql
                .split('$')
                .skip(1)
                .filter_map(|rest| {
                    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                    digits.parse::<usize>().ok()
                })
                .max()
                .unwrap_or(0);
            if bound != highest {
                return Err(format!(
                    "{}: {bound} parameters bound, the SQL has ${highest}",
                    row.name
                ));
            }
        }
        if let Reference::AuditLog = row.reference {
            let query = row.path.split_once('?').map(|(_, q)| q).unwrap_or("");
            let pairs: Vec<(String, String)> =
                serde_urlencoded::from_str(query).map_err(|e| e.to_string())?;
            if let Some((k, _)) = pairs
                .iter()
                .find(|(k, _)| !AUDIT_FILTERS.contains(&k.as_str()))
            {
                return Err(format!("{}: the audit log has no filter {k}", row.name));
            }
        }
        let mut path = row.path.to_string();
        for (_, name) in Ref::ALL {
            path = path.replace(name, "1");
        }
        if path.contains('{') || path.contains('}') {
            return Err(format!("{}: unknown placeholder in {}", row.name, row.path));
        }
    }
    Ok(())
}

async fn run(admin_url: &str) -> Result<(), String> {
    let started = Instant::now();
    let load_before = loadavg();
    let stack = Stack::create(admin_url).await?;
    let result = async {
        let generated = stack.seed().await?;
        let service = stack.start().await?;
        let results = measure(&stack, &service).await;
        report(&results?, &generated, &load_before);
        Ok(())
    }
    .await;
    stack.destroy().await;
    eprintln!(
        "backoffice bench: done in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    result
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

// ---------------------------------------------------------------------------------------------
// The stack: database, seed, service process

struct Stack {
    dir: tempfile::TempDir,
    admin_url: String,
    database: String,
    database_url: String,
    http: reqwest::Client,
}

impl Stack {
    async fn create(admin_url: &str) -> Result<Self, String> {
        let database = format!(
            "signstash_bench_backoffice_{}_{}",
            std::process::id(),
            unix_seconds()
        );
        let mut admin = PgConnection::connect(admin_url)
            .await
            .map_err(|e| format!("DATABASE_URL: {e}"))?;
        admin
            .execute(format!("CREATE DATABASE \"{database}\"").as_str())
            .await
            .map_err(|e| format!("cannot create the benchmark database: {e}"))?;
        let _ = admin.close().await;
        Ok(Self {
            dir: tempfile::tempdir().map_err(err)?,
            database_url: with_database(admin_url, &database)?,
            admin_url: admin_url.into(),
            database,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(60))
                .build()
                .map_err(err)?,
        })
    }

    /// Migrations, the demo tenants and operators, the generated rows, `ANALYZE`; returns
    /// what was generated and how long each took.
    async fn seed(&self) -> Result<Vec<String>, String> {
        eprintln!("backoffice bench: migrations, the demo tenants and operators…");
        let db = sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .connect(&self.database_url)
            .await
            .map_err(err)?;
        signstash_store::MIGRATOR.run(&db).await.map_err(err)?;
        let pki = signstash_test_support::pki::TestPki::new();
        integration_ws::demo::seed_demo_tenants(
            &db,
            &signstash_store::MasterKey::generate(),
            pki.path(),
        )
        .await?;
        let out = Command::new(SERVICE)
            .arg("seed-demo-operators")
            .env("DATABASE_URL", &self.database_url)
            .env("SIGNSTASH_MASTER_KEY", BENCH_MASTER_KEY)
            .env("RUST_LOG", "warn")
            .env("NO_COLOR", "1")
            .output()
            .map_err(|e| format!("cannot run {SERVICE}: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "backoffice seed-demo-operators failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let mut done = Vec::new();
        for (what, sql) in GENERATE {
            let t = Instant::now();
            sqlx::query(sql)
                .execute(&db)
                .await
                .map_err(|e| format!("generating {what}: {e}"))?;
            eprintln!(
                "backoffice bench: {what} in {:.1} s",
                t.elapsed().as_secs_f64()
            );
            done.push(format!("{what} ({:.1} s)", t.elapsed().as_secs_f64()));
        }
        sqlx::query("ANALYZE").execute(&db).await.map_err(err)?;
        let counts: (i64, i64, i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM partner_companies), (SELECT count(*) FROM issuer_companies),
                    (SELECT count(*) FROM client_services), (SELECT count(*) FROM operators),
                    (SELECT count(*) FROM audit_log)",
        )
        .fetch_one(&db)
        .await
        .map_err(err)?;
        done.push(format!(
            "in all {} partner companies, {} issuer companies, {} client services, {} operators, {} audit-log entries",
            counts.0, counts.1, counts.2, counts.3, counts.4
        ));
        db.close().await;
        Ok(done)
    }

    /// `backoffice serve` on a free port, once `/health/ready` answers 200.
    async fn start(&self) -> Result<Service, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let log = self.dir.path().join("backoffice.log");
        let file = std::fs::File::create(&log).map_err(err)?;
        let child = Command::new(SERVICE)
            .arg("serve")
            .env("DATABASE_URL", &self.database_url)
            .env("SIGNSTASH_MASTER_KEY", BENCH_MASTER_KEY)
            .env("SIGNSTASH_BACKOFFICE_BIND", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(file.try_clone().map_err(err)?)
            .stderr(file)
            .spawn()
            .map_err(|e| format!("cannot start {SERVICE}: {e}"))?;
        let mut service = Service {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(exit)) = service.child.try_wait() {
                return Err(format!(
                    "backoffice serve exited ({exit}): {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                ));
            }
            let ready = self
                .http
                .get(format!("{}/health/ready", service.url))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200);
            if ready {
                return Ok(service);
            }
            if Instant::now() > deadline {
                return Err("backoffice not ready after 60 s".into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn destroy(self) {
        if let Ok(mut admin) = PgConnection::connect(&self.admin_url).await {
            let drop = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.database);
            if let Err(e) = admin.execute(drop.as_str()).await {
                eprintln!("backoffice bench: could not drop {}: {e}", self.database);
            }
            let _ = admin.close().await;
        }
    }
}

/// A running `backoffice serve`, killed when dropped.
struct Service {
    child: Child,
    url: String,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The URL of another database on the same server.
fn with_database(url: &str, database: &str) -> Result<String, String> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let authority = base.find("://").ok_or("DATABASE_URL: not a URL")? + 3;
    let server = match base[authority..].find('/') {
        Some(slash) => &base[..authority + slash],
        None => base,
    };
    Ok(format!("{server}/{database}{query}"))
}

fn unix_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

// ---------------------------------------------------------------------------------------------
// The measurements

/// A development operator, signed in.
struct Operator {
    role: Role,
    email: &'static str,
    password: &'static str,
    /// Its session cookie (`name=token`) and the token's SHA-256.
    cookie: String,
    session_hash: [u8; 32],
    /// `Scope::partner_params()` and `Scope::params()` as the store binds them.
    all: bool,
    partner: Option<i64>,
    issuers: Vec<i64>,
    /// Its password hash, for sign-in's reference.
    password_hash: String,
}

/// The seeded ids the rows name.
struct Ids {
    partner: i64,
    issuer: i64,
    client_service: i64,
    operator: i64,
    authority: i64,
}

impl Ids {
    fn of(&self, r: Ref) -> i64 {
        match r {
            Ref::Partner => self.partner,
            Ref::Issuer => self.issuer,
            Ref::ClientService => self.client_service,
            Ref::Operator => self.operator,
            Ref::Authority => self.authority,
        }
    }

    fn path(&self, path: &str) -> String {
        Ref::ALL.iter().fold(path.to_string(), |p, (r, name)| {
            p.replace(name, &self.of(*r).to_string())
        })
    }
}

enum Outcome {
    Measured {
        page: Vec<Duration>,
        query: Vec<Duration>,
    },
    /// The page is not built: its expected query alone, `UNBUILT_QUERIES` times, as the
    /// service would run it (custom plans forced, as its pool does) and with PostgreSQL's
    /// default plan cache (or why it failed).
    NotBuilt(Result<(Vec<Duration>, Vec<Duration>), String>),
    Failed(String),
}

/// Why a request did not give a page.
enum Refused {
    NotBuilt,
    Failed(String),
}

struct Measured {
    row: &'static Row,
    role: Role,
    path: String,
    outcome: Outcome,
    /// `EXPLAIN (ANALYZE, BUFFERS)` of the query, for a row that misses its goal.
    plan: Option<String>,
}

impl Measured {
    /// (page p50, page p95, query p50, query p95, goal, pass).
    fn figures(&self) -> Option<(Duration, Duration, Duration, Duration, Duration, bool)> {
        let Outcome::Measured { page, query } = &self.outcome else {
            return None;
        };
        let (pp95, qp95) = (percentile(page, 0.95), percentile(query, 0.95));
        let goal = qp95.mul_f64(GOAL_FACTOR) + GOAL_SLACK;
        Some((
            percentile(page, 0.50),
            pp95,
            percentile(query, 0.50),
            qp95,
            goal,
            pp95 <= goal,
        ))
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

async fn measure(stack: &Stack, service: &Service) -> Result<Vec<Measured>, String> {
    // The comparison connection plans every statement for its parameters, as the backoffice's
    // pool does (`signstash_store::connect_planning_each_time`): like for like.
    let options: sqlx::postgres::PgConnectOptions = stack.database_url.parse().map_err(err)?;
    let mut db =
        PgConnection::connect_with(&options.options([("plan_cache_mode", "force_custom_plan")]))
            .await
            .map_err(err)?;
    let mode: String = sqlx::query_scalar("SHOW plan_cache_mode")
        .fetch_one(&mut db)
        .await
        .map_err(err)?;
    if mode != "force_custom_plan" {
        return Err(format!(
            "the comparison connection's plan_cache_mode is {mode}"
        ));
    }
    let (partner, issuer, client_service): (i64, i64, i64) = sqlx::query_as(
        "SELECT ic.partner_company_id, ic.id, cs.id FROM client_services cs
         JOIN issuer_companies ic ON ic.id = cs.issuer_company_id WHERE cs.alias = 'demo'",
    )
    .fetch_one(&mut db)
    .await
    .map_err(err)?;
    let operator: i64 =
        sqlx::query_scalar("SELECT id FROM operators WHERE email = 'issuer@signstash.local'")
            .fetch_one(&mut db)
            .await
            .map_err(err)?;
    let authority: i64 =
        sqlx::query_scalar("SELECT id FROM certificate_authorities ORDER BY id LIMIT 1")
            .fetch_one(&mut db)
            .await
            .map_err(err)?;
    let ids = Ids {
        partner,
        issuer,
        client_service,
        operator,
        authority,
    };
    // A page not built yet: its query also with PostgreSQL's default plan cache (a prepared
    // statement may switch to a generic plan after five runs), to show what that would cost.
    let mut custom = PgConnection::connect(&stack.database_url)
        .await
        .map_err(err)?;
    let mut operators = Vec::new();
    for (email, password, _, role) in backoffice::demo::DEMO_OPERATORS {
        operators.push(sign_in(stack, service, &mut db, email, password, role).await?);
    }
    let requests: usize = std::env::var("SIGNSTASH_BENCH_REQUESTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(REQUESTS);
    let mut out = Vec::new();
    for row in ROWS {
        for operator in operators.iter().filter(|o| row.roles.contains(&o.role)) {
            let path = ids.path(row.path);
            eprintln!(
                "backoffice bench: {} as {} ({path})…",
                row.name,
                role_name(operator.role)
            );
            let outcome = measure_row(
                stack,
                service,
                (&mut db, &mut custom),
                &ids,
                row,
                operator,
                &path,
                requests,
            )
            .await;
            let mut measured = Measured {
                row,
                role: operator.role,
                path,
                outcome,
                plan: None,
            };
            if let Some((_, p95, _, q95, _, false)) = measured.figures() {
                eprintln!(
                    "backoffice bench:   FAIL: page p95 {} against query p95 {}",
                    ms(p95),
                    ms(q95)
                );
                if !matches!(row.reference, Reference::SignIn) {
                    measured.plan = Some(match statement(&mut db, row, operator, &ids).await {
                        Ok(s) => explain(&mut db, &s).await,
                        Err(e) => format!("EXPLAIN failed: {e}"),
                    });
                }
            }
            out.push(measured);
        }
    }
    let _ = db.close().await;
    let _ = custom.close().await;
    Ok(out)
}

async fn sign_in(
    stack: &Stack,
    service: &Service,
    db: &mut PgConnection,
    email: &'static str,
    password: &'static str,
    role: Role,
) -> Result<Operator, String> {
    let r = stack
        .http
        .post(format!("{}/sign-in", service.url))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .map_err(err)?;
    if r.status() != 303 {
        return Err(format!("{email} cannot sign in: {}", r.status()));
    }
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .ok_or_else(|| format!("{email}: no session cookie"))?
        .to_string();
    let token = cookie.split_once('=').map(|(_, t)| t).unwrap_or_default();
    let (id, partner, issuer, password_hash): (i64, Option<i64>, Option<i64>, String) =
        sqlx::query_as(
            "SELECT id, partner_company_id, issuer_company_id, password_hash FROM operators
             WHERE email = $1",
        )
        .bind(email)
        .fetch_one(&mut *db)
        .await
        .map_err(err)?;
    let audited: Vec<i64> = sqlx::query_scalar(
        "SELECT issuer_company_id FROM auditor_issuers WHERE operator_id = $1 ORDER BY 1",
    )
    .bind(id)
    .fetch_all(&mut *db)
    .await
    .map_err(err)?;
    // As `Scope::of`, then `partner_params()` / `params()`.
    let (all, partner, issuers) = match role {
        Role::SystemAdministrator => (true, None, Vec::new()),
        Role::Partner => (false, partner, Vec::new()),
        Role::Issuer => (false, None, issuer.into_iter().collect()),
        Role::Auditor => (false, None, audited),
    };
    Ok(Operator {
        role,
        email,
        password,
        session_hash: backoffice::session::hash(token),
        cookie,
        all,
        partner,
        issuers,
        password_hash,
    })
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::SystemAdministrator => "admin",
        Role::Partner => "partner",
        Role::Issuer => "issuer",
        Role::Auditor => "auditor",
    }
}

/// One request of the row; the time to the end of the body, or why it is not a page.
async fn request(
    stack: &Stack,
    service: &Service,
    row: &Row,
    operator: &Operator,
    path: &str,
) -> Result<Duration, Refused> {
    let url = format!("{}{path}", service.url);
    let t = Instant::now();
    let (status, body) = match row.method {
        Method::Get => {
            let r = stack
                .http
                .get(&url)
                .header("cookie", &operator.cookie)
                .send()
                .await
                .map_err(|e| Refused::Failed(e.to_string()))?;
            let status = r.status().as_u16();
            (status, r.text().await.unwrap_or_default())
        }
        Method::SignIn => {
            let r = stack
                .http
                .post(&url)
                .form(&[("email", operator.email), ("password", operator.password)])
                .send()
                .await
                .map_err(|e| Refused::Failed(e.to_string()))?;
            let status = r.status().as_u16();
            let body = r.text().await.unwrap_or_default();
            // Signed in: 303 to /home.
            (if status == 303 { 200 } else { status }, body)
        }
    };
    let elapsed = t.elapsed();
    let unbuilt = [
        backoffice::i18n::EN.not_built,
        backoffice::i18n::PT_PT.not_built,
    ];
    if status == 404 || (status == 200 && unbuilt.iter().any(|t| body.contains(t))) {
        return Err(Refused::NotBuilt);
    }
    if status != 200 {
        return Err(Refused::Failed(format!("answered {status}")));
    }
    Ok(elapsed)
}

/// A value bound to a statement, typed as the store binds it.
#[derive(Clone, Debug)]
enum Value {
    Bool(bool),
    OptBool(Option<bool>),
    I64(i64),
    OptI64(Option<i64>),
    Ints(Vec<i64>),
    Text(String),
    OptText(Option<String>),
    OptDate(Option<time::Date>),
    Time(time::OffsetDateTime),
    Bytes(Vec<u8>),
    F64(f64),
}

/// A row's reference statement for one operator: its SQL text and values.
struct Statement {
    sql: String,
    values: Vec<Value>,
    /// Whether the store prepares it once per connection (`false`: `audit_view::list`'s
    /// `persistent(false)`, parsed and planned on each run).
    persistent: bool,
}

impl Statement {
    fn query(&self) -> sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments> {
        self.query_text(&self.sql)
    }

    fn query_text<'q>(
        &self,
        sql: &'q str,
    ) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
        let mut q = sqlx::query(sql).persistent(self.persistent);
        for v in &self.values {
            q = match v.clone() {
                Value::Bool(b) => q.bind(b),
                Value::OptBool(b) => q.bind(b),
                Value::I64(n) => q.bind(n),
                Value::OptI64(n) => q.bind(n),
                Value::Ints(n) => q.bind(n),
                Value::Text(t) => q.bind(t),
                Value::OptText(t) => q.bind(t),
                Value::OptDate(d) => q.bind(d),
                Value::Time(t) => q.bind(t),
                Value::Bytes(b) => q.bind(b),
                Value::F64(f) => q.bind(f),
            };
        }
        q
    }
}

fn parse_date(d: &str) -> time::Date {
    time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]"))
        .expect("a date in the row table")
}

/// The row's SQL with its parameters for `operator` (for the audit log, built as the store
/// builds it, its look-ups run on `db` first).
async fn statement(
    db: &mut PgConnection,
    row: &Row,
    operator: &Operator,
    ids: &Ids,
) -> Result<Statement, String> {
    let (sql, args) = match row.reference {
        Reference::Sql(sql, args) => (sql, args),
        Reference::SignIn => {
            return Ok(Statement {
                sql: sql_text(OPERATOR_BY_EMAIL),
                values: vec![Value::Text(operator.email.into())],
                persistent: true,
            })
        }
        Reference::AuditLog => return audit_query(db, row.path, operator).await,
    };
    let mut values = Vec::new();
    for arg in args {
        match *arg {
            Arg::PartnerScope => {
                values.push(Value::Bool(operator.all));
                values.push(Value::OptI64(operator.partner));
            }
            Arg::IssuerScope => {
                values.push(Value::Bool(operator.all));
                values.push(Value::OptI64(operator.partner));
                values.push(Value::Ints(operator.issuers.clone()));
            }
            Arg::Platform => values.push(Value::Bool(operator.all)),
            Arg::FirstTab => values.push(Value::Text(
                backoffice::routes::operators::tabs(operator.role)
                    .first()
                    .ok_or("no Operators tab")?
                    .to_string(),
            )),
            Arg::Text(t) => values.push(Value::OptText(t.map(str::to_owned))),
            Arg::Bool(b) => values.push(Value::OptBool(b)),
            Arg::Date(d) => values.push(Value::OptDate(d.map(parse_date))),
            Arg::Id(r) => values.push(Value::OptI64(r.map(|r| ids.of(r)))),
            Arg::Int(n) => values.push(Value::I64(n)),
            Arg::Session => {
                values.push(Value::Bytes(operator.session_hash.to_vec()));
                values.push(Value::F64(1800.0));
                values.push(Value::F64(28800.0));
            }
        }
    }
    Ok(Statement {
        sql: sql_text(sql),
        values,
        persistent: true,
    })
}

/// The audit log's filters the page reads from its query string.
const AUDIT_FILTERS: [&str; 5] = ["actor", "action", "company", "from", "to"];

/// `audit_view::list`'s statement for `operator` and the filters of `path`'s query string
/// (the first page: no `before`), built as the store's `QueryBuilder` builds it, with the
/// look-ups it makes first (a partner's issuers, the companies the company filter names) run
/// here once.
async fn audit_query(
    db: &mut PgConnection,
    path: &str,
    operator: &Operator,
) -> Result<Statement, String> {
    let query = path.split_once('?').map(|(_, q)| q).unwrap_or("");
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).map_err(err)?;
    let filter = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let mut sql = AUDIT_LOG.to_owned();
    let mut values = Vec::new();
    let mut bind = |v: Value| {
        values.push(v);
        format!("${}", values.len())
    };
    match (operator.role, operator.all, operator.partner) {
        (_, true, _) => sql.push_str("TRUE"),
        (Role::Partner, false, Some(p)) => {
            let issuers: Vec<i64> =
                sqlx::query_scalar("SELECT id FROM issuer_companies WHERE partner_company_id = $1")
                    .bind(p)
                    .fetch_all(&mut *db)
                    .await
                    .map_err(err)?;
            let a = bind(Value::I64(p));
            let b = bind(Value::Ints(issuers));
            sql.push_str(&format!(
                "(a.partner_company_id = {a} OR a.issuer_company_id = ANY({b}::BIGINT[]))"
            ));
        }
        (Role::Issuer, false, None) if operator.issuers.len() == 1 => {
            let a = bind(Value::I64(operator.issuers[0]));
            sql.push_str(&format!("a.issuer_company_id = {a}"));
        }
        _ => {
            let a = bind(Value::Ints(operator.issuers.clone()));
            sql.push_str(&format!("a.issuer_company_id = ANY({a}::BIGINT[])"));
        }
    }
    if let Some(actor) = filter("actor") {
        let pattern = format!("%{actor}%");
        let a = bind(Value::Text(pattern.clone()));
        let b = bind(Value::Text(pattern));
        sql.push_str(&format!(
            " AND a.operator_id IN (SELECT f.id FROM operators f WHERE f.email ILIKE {a} OR f.name ILIKE {b})"
        ));
    }
    if let Some(action) = filter("action") {
        let a = bind(Value::Text(format!("{action}%")));
        sql.push_str(&format!(" AND a.action LIKE {a}"));
    }
    if let Some(company) = filter("company") {
        let within = match (operator.all, operator.partner) {
            (false, None) => Some(operator.issuers.clone()),
            _ => None,
        };
        let (partners, issuers): (Vec<i64>, Vec<i64>) = sqlx::query_as(
            "SELECT ARRAY(SELECT id FROM partner_companies WHERE name ILIKE $1),
                    ARRAY(SELECT id FROM issuer_companies WHERE name ILIKE $1
                          AND ($2::BIGINT[] IS NULL OR id = ANY($2)))",
        )
        .bind(format!("%{company}%"))
        .bind(within)
        .fetch_one(&mut *db)
        .await
        .map_err(err)?;
        let a = bind(Value::Ints(partners));
        let b = bind(Value::Ints(issuers));
        sql.push_str(&format!(
            " AND (a.partner_company_id = ANY({a}::BIGINT[]) OR a.issuer_company_id = ANY({b}::BIGINT[]))"
        ));
    }
    if let Some(from) = filter("from") {
        let a = bind(Value::Time(parse_date(&from).midnight().assume_utc()));
        sql.push_str(&format!(" AND a.occurred_at >= {a}"));
    }
    if let Some(to) = filter("to") {
        let until = parse_date(&to).next_day().ok_or("no next day")?;
        let a = bind(Value::Time(until.midnight().assume_utc()));
        sql.push_str(&format!(" AND a.occurred_at < {a}"));
    }
    let a = bind(Value::I64(FIRST_LIMIT));
    sql.push_str(&format!(
        " ORDER BY a.occurred_at DESC, a.id DESC LIMIT {a}"
    ));
    Ok(Statement {
        sql,
        values,
        persistent: false,
    })
}

fn sql_text(sql: &str) -> String {
    sql.replace(
        "{company_allows_sign_in}",
        signstash_store::operators::COMPANY_ALLOWS_SIGN_IN,
    )
}

/// One run of the row's reference: its statement, or sign-in's argon2id check and lookup.
async fn reference(
    db: &mut PgConnection,
    row: &Row,
    operator: &Operator,
    statement: &Statement,
) -> Result<Duration, String> {
    let t = Instant::now();
    if let Reference::SignIn = row.reference {
        if !signstash_oauth::secret::verify_client_secret(
            operator.password,
            Some(&operator.password_hash),
        ) {
            return Err("the password does not verify".into());
        }
    }
    statement.query().fetch_all(&mut *db).await.map_err(err)?;
    Ok(t.elapsed())
}

#[allow(clippy::too_many_arguments)]
async fn measure_row(
    stack: &Stack,
    service: &Service,
    (db, custom): (&mut PgConnection, &mut PgConnection),
    ids: &Ids,
    row: &Row,
    operator: &Operator,
    path: &str,
    requests: usize,
) -> Outcome {
    let statement = match statement(db, row, operator, ids).await {
        Ok(s) => s,
        Err(e) => return Outcome::Failed(format!("query: {e}")),
    };
    let (requests, warm_up) = match row.method {
        Method::SignIn => (requests.min(SIGN_IN_REQUESTS), SIGN_IN_WARM_UP),
        Method::Get => (requests, WARM_UP),
    };
    // Is it a page yet?
    match request(stack, service, row, operator, path).await {
        Ok(_) => {}
        Err(Refused::NotBuilt) => {
            return query_only((db, custom), row, operator, &statement).await;
        }
        Err(Refused::Failed(why)) => return Outcome::Failed(why),
    }
    let mut page = Vec::with_capacity(requests);
    let mut query = Vec::with_capacity(requests);
    let started = Instant::now();
    for i in 0..warm_up + requests {
        if i == warm_up {
            page.clear();
            query.clear();
        }
        let p = match request(stack, service, row, operator, path).await {
            Ok(d) => d,
            Err(Refused::NotBuilt) => return Outcome::Failed("no longer a page".into()),
            Err(Refused::Failed(why)) => return Outcome::Failed(why),
        };
        let q = match reference(db, row, operator, &statement).await {
            Ok(d) => d,
            Err(e) => return Outcome::Failed(format!("query: {e}")),
        };
        page.push(p);
        query.push(q);
        if i >= warm_up + MIN_REQUESTS && started.elapsed().as_secs_f64() > ROW_SECONDS {
            break;
        }
    }
    page.sort();
    query.sort();
    Outcome::Measured { page, query }
}

/// A page not built yet: its expected query alone, a few times, so that its cost on the
/// generated data shows before the page exists (and a query that fails shows now).
async fn query_only(
    (db, generic): (&mut PgConnection, &mut PgConnection),
    row: &Row,
    operator: &Operator,
    statement: &Statement,
) -> Outcome {
    let custom = match runs(db, row, operator, statement).await {
        Ok(t) => t,
        Err(e) => return Outcome::NotBuilt(Err(e)),
    };
    Outcome::NotBuilt(
        runs(generic, row, operator, statement)
            .await
            .map(|g| (custom, g)),
    )
}

/// The reference `UNBUILT_QUERIES` times after `UNBUILT_WARM_UP`, sorted.
async fn runs(
    db: &mut PgConnection,
    row: &Row,
    operator: &Operator,
    statement: &Statement,
) -> Result<Vec<Duration>, String> {
    let mut times = Vec::new();
    for i in 0..UNBUILT_WARM_UP + UNBUILT_QUERIES {
        let d = reference(db, row, operator, statement).await?;
        if i >= UNBUILT_WARM_UP {
            times.push(d);
        }
    }
    times.sort();
    Ok(times)
}

async fn explain(db: &mut PgConnection, statement: &Statement) -> String {
    let text = format!("EXPLAIN (ANALYZE, BUFFERS) {}", statement.sql);
    match statement.query_text(&text).fetch_all(&mut *db).await {
        Ok(rows) => rows
            .iter()
            .filter_map(|r| r.try_get::<String, _>(0).ok())
            .collect::<Vec<_>>()
            .join("\n"),
        Err(e) => format!("EXPLAIN failed: {e}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The report

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms >= 10.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

fn report(results: &[Measured], generated: &[String], load_before: &str) {
    let (mut pass, mut fail, mut not_built, mut failed) = (0, 0, 0, 0);
    println!();
    println!(
        "| Page | Role | Request | n | Page p50 | Page p95 | Query p50 | Query p95 | Goal: page p95 ≤ 2 × query p95 + 5 ms | Result |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for m in results {
        if let Outcome::NotBuilt(_) = m.outcome {
            not_built += 1;
            continue;
        }
        let method = match m.row.method {
            Method::Get => "GET",
            Method::SignIn => "POST",
        };
        let request = format!("`{method} {}`", m.path);
        let dash = || "—".to_string();
        let (n, cells) = match (&m.outcome, m.figures()) {
            (Outcome::Measured { page, .. }, Some((p50, p95, q50, q95, goal, ok))) => {
                if ok {
                    pass += 1;
                } else {
                    fail += 1;
                }
                (
                    page.len().to_string(),
                    [
                        ms(p50),
                        ms(p95),
                        ms(q50),
                        ms(q95),
                        format!("≤ {}", ms(goal)),
                        if ok { "PASS" } else { "**FAIL**" }.to_string(),
                    ],
                )
            }
            (Outcome::Failed(why), _) => {
                failed += 1;
                (
                    dash(),
                    [
                        dash(),
                        dash(),
                        dash(),
                        dash(),
                        dash(),
                        format!("**error**: {why}"),
                    ],
                )
            }
            (Outcome::NotBuilt(_), _) | (Outcome::Measured { .. }, None) => continue,
        };
        println!(
            "| {} | {} | {request} | {n} | {} |",
            m.row.name,
            role_name(m.role),
            cells.join(" | ")
        );
    }
    println!();
    println!(
        "Summary: {} rows: {pass} PASS, {fail} FAIL, {failed} errors, {not_built} not built.",
        results.len()
    );
    if not_built > 0 {
        println!();
        println!(
            "Not built yet (the page answers 404 or its menu's \"not built yet\" page): the \
             SQL expected for it, alone, {UNBUILT_QUERIES} runs after {UNBUILT_WARM_UP}:"
        );
        println!();
        println!(
            "| Page | Role | Request | Query p50 | Query max | Query p50, PostgreSQL's default \
             plan cache (`plan_cache_mode = auto`) |"
        );
        println!("|---|---|---|---|---|---|");
        for m in results {
            let Outcome::NotBuilt(query) = &m.outcome else {
                continue;
            };
            let cells = match query {
                Ok((times, custom)) => format!(
                    "{} | {} | {}",
                    ms(percentile(times, 0.5)),
                    ms(times.last().copied().unwrap_or_default()),
                    ms(percentile(custom, 0.5))
                ),
                Err(e) => format!("**query error**: {e} | — | —"),
            };
            println!(
                "| {} | {} | `GET {}` | {cells} |",
                m.row.name,
                role_name(m.role),
                m.path
            );
        }
    }
    println!();
    let mut notes = String::new();
    let _ = write!(
        notes,
        "Data: {}. Each page timed over HTTP/1.1 keep-alive, one request at a time, from sending \
         to the end of the body; each query through one sqlx connection planning every \
         statement for its parameters (`plan_cache_mode = force_custom_plan`, as the \
         backoffice's pool), rows fetched; pages and queries alternate; {WARM_UP} of each first as a warm-up \
         ({SIGN_IN_WARM_UP} for sign-in), then up to {REQUESTS} ({SIGN_IN_REQUESTS} for sign-in; \
         a row stops after {ROW_SECONDS} s with at least {MIN_REQUESTS}). Sign-in's query \
         column is its argon2id check (in the bench's process) plus the operator lookup; \
         /home's is the session lookup every signed-in page makes.",
        generated.join(", ")
    );
    println!("{notes}");
    let nproc = std::thread::available_parallelism()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into());
    println!(
        "Machine: nproc = {nproc}; load average before / after: {load_before} / {} (a shared \
         machine: compare page against query, not runs against runs).",
        loadavg()
    );
    for m in results.iter().filter(|m| m.plan.is_some()) {
        println!();
        println!(
            "EXPLAIN (ANALYZE, BUFFERS) for {} as {} ({}):",
            m.row.name,
            role_name(m.role),
            m.path
        );
        println!("```");
        println!("{}", m.plan.as_deref().unwrap_or_default());
        println!("```");
    }
}
