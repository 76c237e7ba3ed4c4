//! Headless Chromium driven through chromedriver's W3C WebDriver API (plain HTTP + JSON), for
//! the browser tests: open pages, click, read, run scripts, take screenshots, read the
//! console, download — and [`check_page`], what every page of a browser test gets (screenshot,
//! console, axe-core). Debian's `chromium` and `chromium-driver`; a test is skipped outside CI
//! when they are missing. The portal, the backoffice and the platform tests share it.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::Client,
    /// Where downloads land.
    pub downloads: tempfile::TempDir,
}

impl Browser {
    /// A fresh headless Chromium (its own profile), or `None` when chromium or chromedriver
    /// is missing outside CI.
    pub async fn start(language: &str) -> Option<Self> {
        let chromedriver = crate::tool("chromedriver")?;
        let chromium = crate::tool("chromium")?;
        let port = crate::smtp::free_port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver not listening");
            std::thread::sleep(Duration::from_millis(50));
        }
        let downloads = tempfile::tempdir().unwrap();
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1280,1000", format!("--lang={language}"),
                    "--no-first-run", "--no-default-browser-check", "--disable-extensions"
                ],
                "prefs": {
                    "download.default_directory": downloads.path(),
                    "download.prompt_for_download": false,
                    "intl.accept_languages": language
                }
            }
        }}});
        let r: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = r["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {r}"))
            .to_string();
        let browser = Self {
            driver,
            base,
            session,
            http,
            downloads,
        };
        browser
            .cdp(
                "Browser.setDownloadBehavior",
                json!({"behavior": "allow", "downloadPath": browser.downloads.path()}),
            )
            .await;
        Some(browser)
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut request = self.http.request(method, url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let r: Value = request.send().await.unwrap().json().await.unwrap();
        if let Some(error) = r["value"].get("error") {
            panic!("WebDriver {path}: {error}: {}", r["value"]["message"]);
        }
        r["value"].clone()
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> Value {
        self.call(reqwest::Method::GET, path, None).await
    }

    /// A Chrome DevTools Protocol command, through chromedriver.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.post("/goog/cdp/execute", json!({"cmd": cmd, "params": params}))
            .await
    }

    pub async fn goto(&self, url: &str) {
        self.post("/url", json!({"url": url})).await;
    }

    pub async fn url(&self) -> String {
        self.get("/url").await.as_str().unwrap().to_string()
    }

    pub async fn source(&self) -> String {
        self.get("/source").await.as_str().unwrap().to_string()
    }

    /// The first element matching `css`, or `None`.
    pub async fn find(&self, css: &str) -> Option<String> {
        let url = format!("{}/session/{}/element", self.base, self.session);
        let r: Value = self
            .http
            .post(url)
            .json(&json!({"using": "css selector", "value": css}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        r["value"][ELEMENT].as_str().map(str::to_string)
    }

    /// Waits (up to 15 s) for an element matching `css`, e.g. on the page a click leads to.
    pub async fn wait_for(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(element) = self.find(css).await {
                return element;
            }
            assert!(
                Instant::now() < deadline,
                "no `{css}` at {}:\n{}",
                self.url().await,
                self.source().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn find_all(&self, css: &str) -> Vec<String> {
        self.post("/elements", json!({"using": "css selector", "value": css}))
            .await
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e[ELEMENT].as_str().unwrap().to_string())
            .collect()
    }

    pub async fn text(&self, element: &str) -> String {
        self.get(&format!("/element/{element}/text"))
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn attribute(&self, element: &str, name: &str) -> Option<String> {
        self.get(&format!("/element/{element}/attribute/{name}"))
            .await
            .as_str()
            .map(str::to_string)
    }

    pub async fn click(&self, element: &str) {
        self.post(&format!("/element/{element}/click"), json!({}))
            .await;
    }

    pub async fn type_into(&self, element: &str, text: &str) {
        self.post(&format!("/element/{element}/value"), json!({"text": text}))
            .await;
    }

    /// Runs `script` (its `arguments`) and returns what it returns.
    pub async fn execute(&self, script: &str, args: Value) -> Value {
        self.post("/execute/sync", json!({"script": script, "args": args}))
            .await
    }

    /// Runs asynchronous `script`, which calls `arguments[arguments.length - 1]` with its result.
    pub async fn execute_async(&self, script: &str, args: Value) -> Value {
        self.post("/execute/async", json!({"script": script, "args": args}))
            .await
    }

    /// Saves a PNG screenshot of the viewport to `path`.
    pub async fn screenshot(&self, path: &Path) {
        let png = self.get("/screenshot").await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    /// The console entries since the last call: `(level, message)`.
    pub async fn console(&self) -> Vec<(String, String)> {
        self.post("/se/log", json!({"type": "browser"}))
            .await
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|e| {
                (
                    e["level"].as_str().unwrap_or_default().to_string(),
                    e["message"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    /// Waits (up to 20 s) for a finished download named `name`. Asynchronously: the portal
    /// serving the download runs on the test's own runtime.
    pub async fn downloaded(&self, name: &str) -> PathBuf {
        let path = self.downloads.path().join(name);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let partial = std::fs::read_dir(self.downloads.path())
                .unwrap()
                .filter_map(Result::ok)
                .any(|e| e.file_name().to_string_lossy().ends_with(".crdownload"));
            if path.is_file() && !partial {
                return path;
            }
            assert!(
                Instant::now() < deadline,
                "{name} was not downloaded; the folder holds {:?}",
                std::fs::read_dir(self.downloads.path())
                    .unwrap()
                    .filter_map(Result::ok)
                    .map(|e| e.file_name())
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ends Chromium with the session; then the driver.
        let url = format!("{}/session/{}", self.base, self.session);
        let _ = delete_blocking(&url);
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// A DELETE over a plain socket: `Drop` cannot await, and the workspace's reqwest has no
/// blocking client.
fn delete_blocking(url: &str) -> std::io::Result<()> {
    use std::io::{Read as _, Write as _};
    let rest = url.strip_prefix("http://").unwrap_or(url);
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "DELETE /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut sink = Vec::new();
    let _ = stream.read_to_end(&mut sink);
    Ok(())
}

/// axe-core's source: `SIGNSTASH_AXE`, else `.data/node` (`cargo xtask test` installs it);
/// `None` (the test is skipped) when missing outside CI.
pub fn axe_source() -> Option<String> {
    let path = std::env::var_os("SIGNSTASH_AXE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            crate::workspace_root().join(".data/node/node_modules/axe-core/axe.min.js")
        });
    match std::fs::read_to_string(&path) {
        Ok(source) => Some(source),
        Err(e) => {
            let note = format!(
                "axe-core not found at {} ({e}); `cargo xtask test` installs it",
                path.display()
            );
            assert!(std::env::var_os("CI").is_none(), "{note}");
            eprintln!("SKIPPED (not under CI): {note}");
            None
        }
    }
}

/// The checks every page gets: a screenshot `artifacts/{name}.png`, no console errors (beyond
/// `allowed`), and axe-core without serious or critical violations (its report beside the
/// screenshot).
pub async fn check_page(
    browser: &Browser,
    axe: &str,
    artifacts: &Path,
    name: &str,
    allowed: &[&str],
) {
    std::fs::create_dir_all(artifacts).unwrap();
    browser
        .screenshot(&artifacts.join(format!("{name}.png")))
        .await;
    let errors: Vec<(String, String)> = browser
        .console()
        .await
        .into_iter()
        .filter(|(level, message)| {
            level == "SEVERE" && !allowed.iter().any(|a| message.contains(a))
        })
        .collect();
    assert!(errors.is_empty(), "{name}: console errors {errors:?}");
    // axe-core is injected by the test (the pages themselves load no script at all).
    browser.execute(axe, json!([])).await;
    let violations = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {resultTypes: ['violations']})
                .then(r => done(r.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map(n => n.target.join(' '))}))))
                .catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));",
            json!([]),
        )
        .await;
    let violations = violations.as_array().unwrap();
    std::fs::write(
        artifacts.join(format!("{name}.axe.json")),
        serde_json::to_vec_pretty(&violations).unwrap(),
    )
    .unwrap();
    let serious: Vec<_> = violations
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .collect();
    assert!(
        serious.is_empty(),
        "{name}: accessibility violations {serious:#?}"
    );
}
