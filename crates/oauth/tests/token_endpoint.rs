//! The token endpoint driven through the real router with `oneshot`.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{basic, form_post, send, server, token, Reply, ISSUER};
use signstash_oauth::TokenRejection;

fn assert_invalid_client(reply: &Reply) {
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
    assert_eq!(reply.body["error"], "invalid_client", "{}", reply.text);
    assert_eq!(
        reply.headers["www-authenticate"], r#"Basic realm="signstash""#,
        "{:?}",
        reply.headers
    );
    assert_eq!(reply.headers["cache-control"], "no-store");
}

#[tokio::test]
async fn basic_auth_gets_a_token_that_verifies() {
    let s = server();
    let reply = send(
        &s.app,
        form_post(
            "/oauth/token",
            Some(&basic("demo", "demo-secret")),
            "grant_type=client_credentials",
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.headers["cache-control"], "no-store");
    assert_eq!(reply.headers["pragma"], "no-cache");
    assert_eq!(reply.body["token_type"], "bearer");
    assert_eq!(reply.body["expires_in"], 86399);
    assert_eq!(reply.body["scope"], "read write");
    let mut members: Vec<&String> = reply.body.as_object().expect("object").keys().collect();
    members.sort();
    assert_eq!(
        members,
        ["access_token", "expires_in", "jti", "scope", "token_type"]
    );
    // Member order on the wire is the contract's.
    let order: Vec<usize> = ["access_token", "token_type", "expires_in", "scope", "jti"]
        .iter()
        .map(|m| reply.text.find(&format!("\"{m}\"")).expect("member"))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{}", reply.text);

    let claims = s
        .state
        .tokens
        .verify(reply.body["access_token"].as_str().expect("token"))
        .expect("verifies");
    assert_eq!(claims.sub, "demo");
    assert_eq!(claims.client_id, "demo");
    assert_eq!(claims.csid, 1);
    assert_eq!(claims.scope, "read write");
    assert_eq!(claims.iss, ISSUER);
    assert_eq!(claims.exp - claims.iat, 86399);
    assert_eq!(reply.body["jti"], claims.jti.to_string());
}

#[tokio::test]
async fn form_credentials_get_a_token_also_on_the_alias_path() {
    let s = server();
    for path in ["/oauth/token", "/oauth2/authorization-server/oauth/token"] {
        let reply = send(
            &s.app,
            form_post(
                path,
                None,
                "grant_type=client_credentials&client_id=demo2&client_secret=demo2-secret&scope=read+write",
            ),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text);
        let claims = s
            .state
            .tokens
            .verify(reply.body["access_token"].as_str().expect("token"))
            .expect("verifies");
        assert_eq!(claims.csid, 2);
        assert_eq!(claims.sub, "demo2");
    }
    // Content type with a charset parameter.
    let request = Request::post("/oauth/token")
        .header(
            "content-type",
            "application/x-www-form-urlencoded; charset=UTF-8",
        )
        .header("authorization", basic("demo", "demo-secret"))
        .body(Body::from("grant_type=client_credentials"))
        .expect("request");
    assert_eq!(send(&s.app, request).await.status, StatusCode::OK);
}

#[tokio::test]
async fn basic_credentials_are_read_form_encoded_or_verbatim() {
    let s = server();
    // RFC 6749 §2.3.1 encoding of "p+q%2".
    token(&s.app, "legacy", "p%2Bq%252").await;
    // As the historic service took them, verbatim.
    token(&s.app, "legacy", "p+q%2").await;
    // The form field is always form-decoded.
    let reply = send(
        &s.app,
        form_post(
            "/oauth/token",
            None,
            "grant_type=client_credentials&client_id=legacy&client_secret=p%2Bq%252",
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

#[tokio::test]
async fn bad_credentials_are_invalid_client_with_a_basic_challenge() {
    let s = server();
    let cases = [
        ("wrong secret", Some(basic("demo", "nope")), ""),
        (
            "other client's secret",
            Some(basic("demo", "demo2-secret")),
            "",
        ),
        ("unknown alias", Some(basic("ghost", "demo-secret")), ""),
        ("empty alias", Some(basic("", "demo-secret")), ""),
        ("empty secret", Some(basic("demo", "")), ""),
        ("no colon", Some("Basic ZGVtbw==".to_owned()), ""),
        ("not base64", Some("Basic %%%".to_owned()), ""),
        ("no credentials", None, ""),
        ("another scheme", Some("Bearer x.y.z".to_owned()), ""),
        (
            "form wrong secret",
            None,
            "&client_id=demo&client_secret=nope",
        ),
        ("form id only", None, "&client_id=demo"),
    ];
    let mut descriptions = Vec::new();
    for (case, authorization, extra) in cases {
        let reply = send(
            &s.app,
            form_post(
                "/oauth/token",
                authorization.as_deref(),
                &format!("grant_type=client_credentials{extra}"),
            ),
        )
        .await;
        assert_invalid_client(&reply);
        descriptions.push((case, reply.body));
    }
    // One answer for every failure: nothing tells an unknown alias from a wrong secret.
    assert!(
        descriptions.windows(2).all(|w| w[0].1 == w[1].1),
        "{descriptions:?}"
    );
    insta::assert_json_snapshot!("invalid_client", descriptions[0].1);
}

#[tokio::test]
async fn inactive_client_is_invalid_client_only_told_with_the_right_secret() {
    let s = server();
    let reply = send(
        &s.app,
        form_post(
            "/oauth/token",
            Some(&basic("sleeping", "sleeping-secret")),
            "grant_type=client_credentials",
        ),
    )
    .await;
    assert_invalid_client(&reply);
    insta::assert_json_snapshot!("inactive_client", reply.body);
    // Without the secret, an inactive client service looks like any bad credentials.
    let wrong = send(
        &s.app,
        form_post(
            "/oauth/token",
            Some(&basic("sleeping", "guess")),
            "grant_type=client_credentials",
        ),
    )
    .await;
    assert_invalid_client(&wrong);
    assert_eq!(wrong.body["error_description"], "Bad client credentials");
}

#[tokio::test]
async fn grant_type_errors() {
    let s = server();
    let auth = basic("demo", "demo-secret");
    let missing = send(&s.app, form_post("/oauth/token", Some(&auth), "scope=read")).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.body["error"], "invalid_request");
    insta::assert_json_snapshot!("missing_grant_type", missing.body);

    for grant in [
        "password",
        "authorization_code",
        "refresh_token",
        "CLIENT_CREDENTIALS",
    ] {
        let reply = send(
            &s.app,
            form_post("/oauth/token", Some(&auth), &format!("grant_type={grant}")),
        )
        .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{grant}");
        assert_eq!(reply.body["error"], "unsupported_grant_type", "{grant}");
        if grant == "password" {
            insta::assert_json_snapshot!("unsupported_grant_type", reply.body);
        }
    }

    let repeated = send(
        &s.app,
        form_post(
            "/oauth/token",
            Some(&auth),
            "grant_type=client_credentials&grant_type=client_credentials",
        ),
    )
    .await;
    assert_eq!(repeated.status, StatusCode::BAD_REQUEST);
    assert_eq!(repeated.body["error"], "invalid_request");

    let scope = send(
        &s.app,
        form_post(
            "/oauth/token",
            Some(&auth),
            "grant_type=client_credentials&scope=admin",
        ),
    )
    .await;
    assert_eq!(scope.status, StatusCode::BAD_REQUEST);
    assert_eq!(scope.body["error"], "invalid_scope");
}

#[tokio::test]
async fn malformed_bodies_are_invalid_request_in_the_rfc_body() {
    let s = server();
    let auth = basic("demo", "demo-secret");
    let json = Request::post("/oauth/token")
        .header("content-type", "application/json")
        .header("authorization", &auth)
        .body(Body::from(r#"{"grant_type":"client_credentials"}"#))
        .expect("request");
    let no_type = Request::post("/oauth/token")
        .header("authorization", &auth)
        .body(Body::from("grant_type=client_credentials"))
        .expect("request");
    let bad_escape = form_post("/oauth/token", Some(&auth), "grant_type=client%2");
    let not_utf8 = Request::post("/oauth/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("authorization", &auth)
        .body(Body::from(vec![b'g', b'=', 0xff, 0xfe]))
        .expect("request");
    let too_big = form_post(
        "/oauth/token",
        Some(&auth),
        &format!("grant_type=client_credentials&x={}", "a".repeat(3 << 20)),
    );
    let mut bodies = Vec::new();
    for (case, request) in [
        ("json", json),
        ("no content type", no_type),
        ("bad escape", bad_escape),
        ("not utf-8", not_utf8),
        ("over the body limit", too_big),
    ] {
        let reply = send(&s.app, request).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{case}: {}",
            reply.text
        );
        assert_eq!(
            reply.body["error"], "invalid_request",
            "{case}: {}",
            reply.text
        );
        assert!(
            reply.body["error_description"].is_string(),
            "{case}: {}",
            reply.text
        );
        assert_eq!(reply.headers["content-type"], "application/json", "{case}");
        bodies.push(reply.body);
    }
    insta::assert_json_snapshot!("json_body", bodies[0]);

    let both = send(
        &s.app,
        form_post(
            "/oauth/token",
            Some(&auth),
            "grant_type=client_credentials&client_id=demo&client_secret=demo-secret",
        ),
    )
    .await;
    assert_eq!(both.status, StatusCode::BAD_REQUEST, "{}", both.text);
    assert_eq!(both.body["error"], "invalid_request");

    let get = send(
        &s.app,
        Request::get("/oauth/token")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(get.headers["allow"], "POST");
    assert_eq!(get.body["error"], "invalid_request");

    let post_jwks = send(
        &s.app,
        Request::post("/oauth/jwks.json")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(post_jwks.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(post_jwks.headers["allow"], "GET,HEAD");
    assert_eq!(
        post_jwks.body["error"], "invalid_request",
        "{}",
        post_jwks.text
    );
}

#[tokio::test]
async fn jwks_publishes_the_active_key_and_verifies_tokens_alone() {
    let s = server();
    let access_token = token(&s.app, "demo", "demo-secret").await;
    let reply = send(
        &s.app,
        Request::get("/oauth/jwks.json")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let key = &reply.body["keys"][0];
    assert_eq!(key["kty"], "EC");
    assert_eq!(key["crv"], "P-256");
    assert_eq!(key["alg"], "ES256");
    assert_eq!(key["use"], "sig");
    assert_eq!(key["kid"], s.state.tokens.keys().active().kid());
    assert!(key.get("d").is_none(), "no private member");
    let mut members: Vec<&String> = key.as_object().expect("object").keys().collect();
    members.sort();
    assert_eq!(members, ["alg", "crv", "kid", "kty", "use", "x", "y"]);

    // jsonwebtoken's own JWK reader, given only the JWKS document.
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_str(&reply.text).expect("jwks");
    let header = jsonwebtoken::decode_header(&access_token).expect("header");
    let jwk = set
        .find(header.kid.as_deref().expect("kid"))
        .expect("kid in jwks");
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).expect("decoding key");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_issuer(&[ISSUER]);
    let data = jsonwebtoken::decode::<serde_json::Value>(&access_token, &key, &validation)
        .expect("verifies from the JWKS alone");
    assert_eq!(data.claims["sub"], "demo");
    assert_eq!(data.claims["csid"], 1);

    python_cryptography_verifies(&reply.text, &access_token);
}

/// A second, unrelated implementation: Python `cryptography` (installed in .data/venv by
/// `cargo xtask test` for the signature validators) checks the ES256 signature from the JWKS.
/// Skipped, loudly, where the venv is not there.
fn python_cryptography_verifies(jwks: &str, token: &str) {
    let python =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.data/venv/bin/python3");
    if !python.exists() {
        eprintln!(
            "SKIP python cryptography check: {} missing",
            python.display()
        );
        return;
    }
    const SCRIPT: &str = r#"
import base64, json, sys
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils
b = lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
jwks, token = json.loads(sys.argv[1]), sys.argv[2]
head, body, sig = token.split(".")
kid = json.loads(b(head))["kid"]
jwk = next(k for k in jwks["keys"] if k["kid"] == kid)
pub = ec.EllipticCurvePublicNumbers(int.from_bytes(b(jwk["x"]), "big"), int.from_bytes(b(jwk["y"]), "big"), ec.SECP256R1()).public_key()
raw = b(sig)
der = utils.encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
pub.verify(der, f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256()))
print(json.loads(b(body))["sub"])
"#;
    let out = std::process::Command::new(&python)
        .args(["-c", SCRIPT, jwks, token])
        .output()
        .expect("run python");
    if String::from_utf8_lossy(&out.stderr).contains("No module named 'cryptography'") {
        eprintln!("SKIP python cryptography check: module missing");
        return;
    }
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "demo");
}

#[tokio::test]
async fn tokens_of_the_endpoint_are_refused_by_another_ring() {
    let ours = server();
    let theirs = server();
    let token = token(&theirs.app, "demo", "demo-secret").await;
    assert_eq!(
        ours.state.tokens.verify(&token),
        Err(TokenRejection::UnknownKey)
    );
}
