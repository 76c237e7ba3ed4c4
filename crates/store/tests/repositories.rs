//! The other repositories: companies, client services, certificates, operators, OAuth keys,
//! templates, portal links, audit log.
#![cfg(signstash_db_tests)]
#![allow(clippy::unwrap_used)]

mod common;

use common::{email, operation, tenant, ARGON2, CHAIN};
use secrecy::ExposeSecret as _;
use signstash_domain::{
    ActorKind, Alias, ClientServiceStatus, IssuerStatus, JwtAlgorithm, KeySourceKind, Language,
    Role, TemplateKind, UsageMetric, UsagePeriod,
};
use signstash_store::{
    audit, certificates, client_services, companies, oauth_keys, operations, operators,
    portal_links, templates, usage, DuplicateKind, MasterKey, StoreError,
};
use sqlx::PgPool;

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn client_service_by_alias_with_its_issuer(pool: PgPool) {
    let a = tenant(&pool, "demo").await;
    let cs = client_services::find_by_alias(&pool, &Alias::try_from("demo").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cs.id, a.client_service);
    assert_eq!(cs.status, ClientServiceStatus::Active);
    assert_eq!(cs.language, Language::En);
    assert_eq!(cs.certificate_id, Some(a.certificate));
    assert_eq!(cs.secret_hash.expose_secret(), ARGON2);
    assert!(
        !format!("{cs:?}").contains("argon2id"),
        "Debug shows the secret hash"
    );
    assert_eq!(cs.issuer.id, a.issuer);
    assert_eq!(cs.issuer.vat_number.as_str(), "PT507957547");
    assert_eq!(cs.issuer.status, IssuerStatus::Active);
    assert!(
        client_services::find_by_alias(&pool, &Alias::try_from("nobody").unwrap())
            .await
            .unwrap()
            .is_none()
    );

    client_services::set_status(&pool, a.client_service, ClientServiceStatus::Suspended)
        .await
        .unwrap();
    companies::set_issuer_status(&pool, a.issuer, IssuerStatus::Blocked)
        .await
        .unwrap();
    let cs = client_services::find(&pool, a.client_service)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cs.status, ClientServiceStatus::Suspended);
    assert_eq!(cs.issuer.status, IssuerStatus::Blocked);

    // The alias is unique.
    let err = client_services::create(
        &pool,
        &client_services::NewClientService {
            issuer_company_id: a.issuer,
            alias: Alias::try_from("demo").unwrap(),
            name: String::new(),
            secret_hash: ARGON2.into(),
            language: Language::PtPt,
            certificate_id: None,
            concurrency_limit: 1,
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(err, StoreError::Duplicate(DuplicateKind::Alias)));
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn certificates_of_a_client_service(pool: PgPool) {
    let a = tenant(&pool, "demo").await;
    let b = tenant(&pool, "demo2").await;
    let ca = certificates::create_authority(
        &pool,
        &certificates::NewCertificateAuthority {
            name: "Test CA".into(),
            csc_base_url: Some("https://ca.invalid/csc/v2".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let remote = certificates::create(
        &pool,
        &certificates::NewCertificate {
            issuer_company_id: a.issuer,
            certificate_authority_id: Some(ca),
            label: "remote".into(),
            chain_pem: CHAIN.into(),
            subject: None,
            serial_number: None,
            key_algorithm: None,
            not_before: None,
            not_after: None,
            key_source: KeySourceKind::RemoteCa,
            key_reference: Some("credential-1".into()),
            key_encrypted: None,
            key_passphrase_encrypted: None,
            access_expires_at: Some(time::OffsetDateTime::now_utc() + time::Duration::days(60)),
        },
    )
    .await
    .unwrap();

    let configured = certificates::configured_for_client_service(&pool, a.client_service)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(configured.id, a.certificate);
    assert_eq!(configured.key_source, KeySourceKind::KeyFile);
    let all = certificates::list_for_client_service(&pool, a.client_service)
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|c| c.id).collect::<Vec<_>>(),
        [a.certificate, remote]
    );
    // B sees only its own.
    let of_b = certificates::list_for_client_service(&pool, b.client_service)
        .await
        .unwrap();
    assert_eq!(
        of_b.iter().map(|c| c.id).collect::<Vec<_>>(),
        [b.certificate]
    );

    // A client service cannot use another issuer's certificate.
    assert!(matches!(
        client_services::set_certificate(&pool, b.client_service, Some(remote)).await,
        Err(StoreError::NotFound)
    ));
    client_services::set_certificate(&pool, a.client_service, Some(remote))
        .await
        .unwrap();
    certificates::add_signatures(&pool, remote, 3)
        .await
        .unwrap();
    let configured = certificates::configured_for_client_service(&pool, a.client_service)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((configured.id, configured.signature_count), (remote, 3));
    client_services::set_certificate(&pool, a.client_service, None)
        .await
        .unwrap();
    assert!(
        certificates::configured_for_client_service(&pool, a.client_service)
            .await
            .unwrap()
            .is_none()
    );
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn oauth_signing_keys(pool: PgPool) {
    let master = MasterKey::generate();
    for kid in ["k1", "k2"] {
        oauth_keys::insert(
            &pool,
            &oauth_keys::NewOAuthSigningKey {
                kid: kid.into(),
                algorithm: JwtAlgorithm::Es256,
                private_key_encrypted: master
                    .seal(
                        b"-----BEGIN PRIVATE KEY-----",
                        format!("oauth_signing_keys:{kid}").as_bytes(),
                    )
                    .unwrap(),
                public_jwk: serde_json::json!({"kty": "EC", "crv": "P-256", "kid": kid}),
            },
        )
        .await
        .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let active = oauth_keys::list_active(&pool).await.unwrap();
    assert_eq!(
        active.iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(),
        ["k2", "k1"]
    );
    assert_eq!(active[0].algorithm, JwtAlgorithm::Es256);
    assert_eq!(
        &*master
            .open(&active[0].private_key_encrypted, b"oauth_signing_keys:k2")
            .unwrap(),
        b"-----BEGIN PRIVATE KEY-----"
    );
    assert!(!format!("{:?}", active[0]).contains("private_key"));
    oauth_keys::retire(&pool, "k2").await.unwrap();
    let active = oauth_keys::list_active(&pool).await.unwrap();
    assert_eq!(
        active.iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(),
        ["k1"]
    );
    let dup = oauth_keys::insert(
        &pool,
        &oauth_keys::NewOAuthSigningKey {
            kid: "k1".into(),
            algorithm: JwtAlgorithm::Rs256,
            private_key_encrypted: vec![1],
            public_jwk: serde_json::json!({}),
        },
    )
    .await;
    assert!(matches!(
        dup,
        Err(StoreError::Duplicate(DuplicateKind::Other))
    ));
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn templates_fall_back_to_the_system_default(pool: PgPool) {
    let a = tenant(&pool, "demo").await;
    let b = tenant(&pool, "demo2").await;
    let email_template = |cs, body: &str| templates::NewTemplate {
        client_service_id: cs,
        kind: TemplateKind::Email,
        language: Some(Language::En),
        name: body.into(),
        subject: Some("Documents available".into()),
        body: body.into(),
        logo: None,
        logo_content_type: None,
    };
    templates::insert(&pool, &email_template(None, "system"))
        .await
        .unwrap();
    templates::insert(&pool, &email_template(Some(a.client_service), "of A"))
        .await
        .unwrap();
    assert!(matches!(
        templates::insert(&pool, &email_template(None, "second system")).await,
        Err(StoreError::Duplicate(_))
    ));
    let of = |cs| templates::effective(&pool, cs, TemplateKind::Email, Some(Language::En));
    assert_eq!(of(a.client_service).await.unwrap().unwrap().body, "of A");
    assert_eq!(of(b.client_service).await.unwrap().unwrap().body, "system");
    assert!(templates::effective(
        &pool,
        b.client_service,
        TemplateKind::Email,
        Some(Language::PtPt)
    )
    .await
    .unwrap()
    .is_none());
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn portal_links_open_by_token_hash_until_they_expire(pool: PgPool) {
    let a = tenant(&pool, "demo").await;
    let b = tenant(&pool, "demo2").await;
    let mut conn = pool.acquire().await.unwrap();
    let created = operations::create(
        &mut *conn,
        &operation(
            a.client_service,
            "ERP-1",
            &["INV-1"],
            &["client@example.com"],
        ),
    )
    .await
    .unwrap();
    let now = time::OffsetDateTime::now_utc();
    let link = |hash: u8, cs, expires_at| portal_links::NewPortalLink {
        token_hash: [hash; 32],
        operation_id: created.id,
        client_service_id: cs,
        delivery_id: Some(created.delivery_ids[0]),
        receiver_email: email("client@example.com"),
        expires_at,
    };
    portal_links::insert(
        &pool,
        &link(1, a.client_service, now + time::Duration::days(30)),
    )
    .await
    .unwrap();
    portal_links::insert(
        &pool,
        &link(2, a.client_service, now - time::Duration::seconds(1)),
    )
    .await
    .unwrap();
    assert!(matches!(
        portal_links::insert(&pool, &link(3, b.client_service, now)).await,
        Err(StoreError::NotFound)
    ));
    let opened = portal_links::open(&pool, &[1; 32]).await.unwrap().unwrap();
    assert_eq!(opened.operation_id, created.id);
    assert!(opened.first_opened_at.is_some());
    assert!(
        portal_links::open(&pool, &[2; 32]).await.unwrap().is_none(),
        "expired"
    );
    assert!(portal_links::open(&pool, &[9; 32]).await.unwrap().is_none());
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn operators_and_the_audit_log(pool: PgPool) {
    let a = tenant(&pool, "demo").await;
    let id = operators::create(
        &pool,
        &operators::NewOperator {
            partner_company_id: None,
            issuer_company_id: Some(a.issuer),
            email: email("Ana@Example.com"),
            name: "Ana".into(),
            role: Role::Issuer,
            password_hash: ARGON2.into(),
        },
    )
    .await
    .unwrap();
    let found = operators::find_by_email(&pool, &email("ana@example.com"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found.id, found.role), (id, Role::Issuer));
    let dup = operators::create(
        &pool,
        &operators::NewOperator {
            partner_company_id: None,
            issuer_company_id: Some(a.issuer),
            email: email("ANA@example.com"),
            name: "Ana again".into(),
            role: Role::Auditor,
            password_hash: ARGON2.into(),
        },
    )
    .await;
    assert!(matches!(
        dup,
        Err(StoreError::Duplicate(DuplicateKind::OperatorEmail))
    ));
    // An issuer company cannot hold a system administrator.
    let err = operators::create(
        &pool,
        &operators::NewOperator {
            partner_company_id: None,
            issuer_company_id: Some(a.issuer),
            email: email("root@example.com"),
            name: "Root".into(),
            role: Role::SystemAdministrator,
            password_hash: ARGON2.into(),
        },
    )
    .await;
    assert!(matches!(err, Err(StoreError::Database(_))));

    audit::append(
        &pool,
        &audit::NewAuditEntry {
            actor_kind: ActorKind::Operator,
            operator_id: Some(id),
            client_service_id: Some(a.client_service),
            partner_company_id: None,
            issuer_company_id: Some(a.issuer),
            action: "client_service.secret_rotated".into(),
            target_kind: Some("client_service".into()),
            target_id: Some(a.client_service.to_string()),
            details: serde_json::json!({}),
            request_id: Some("req-1".into()),
            remote_address: Some("127.0.0.1".into()),
        },
    )
    .await
    .unwrap();
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn usage_counters_and_limits(pool: PgPool) {
    let a = tenant(&pool, "demo").await;
    let month = time::macros::date!(2026 - 11 - 01);
    let metric = UsageMetric::DocumentsSigned;
    assert_eq!(
        usage::add(&pool, a.client_service, metric, month, 2)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        usage::add(&pool, a.client_service, metric, month, 3)
            .await
            .unwrap(),
        5
    );
    sqlx::query(
        "INSERT INTO usage_limits (issuer_company_id, client_service_id, metric, period, max_value)
         VALUES ($1, NULL, 'DOCUMENTS_SIGNED', 'MONTH', 1000), ($1, $2, 'DOCUMENTS_SIGNED', 'YEAR', 5000)",
    )
    .bind(a.issuer)
    .bind(a.client_service)
    .execute(&pool)
    .await
    .unwrap();
    let limits = usage::limits(&pool, a.client_service, metric)
        .await
        .unwrap();
    assert_eq!(
        limits,
        [
            (UsagePeriod::Month, 1000, false),
            (UsagePeriod::Year, 5000, true)
        ]
    );
}
