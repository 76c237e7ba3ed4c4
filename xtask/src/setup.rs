//! `cargo xtask setup`: one install plan for everything the build, the tests, `up` and the
//! benchmarks need — Debian packages, the Python validators' venv, npm packages — each item
//! installed only when what it provides is missing, and checked by what it provides (a command on
//! `PATH`, a header, a file). A tool present by any route (npm from NodeSource, Chromium from
//! elsewhere) is used as it is and never reinstalled from Debian.
//!
//! The plan is a pure function of a [`View`] of the machine, so it is tested without apt.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

/// How an item is installed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A Debian package, by apt-get (needs root).
    Debian(&'static str),
    /// The Python validators in `.data/venv`, from `tests/requirements.txt` (PyPI).
    PythonVenv,
    /// A pinned package from the npm registry under `.data/node`.
    Npm(&'static str),
}

/// What an item provides, the thing checked before installing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provides {
    /// A program on `PATH` (or in /usr/bin, /usr/sbin, /usr/local/bin).
    Command(&'static str),
    /// A file, such as a header or a shared library.
    File(&'static str),
    /// Any one of these files.
    AnyFile(&'static [&'static str]),
    /// Python modules the system interpreter imports (`import a, b`).
    PythonImports(&'static str),
    /// `.data/venv` made from the current `tests/requirements.txt`.
    CurrentVenv,
    /// A file under `.data/node/node_modules/`.
    NodeModule(&'static str),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Debian(package) => write!(f, "Debian package {package}"),
            Source::PythonVenv => write!(f, "pip install -r tests/requirements.txt"),
            Source::Npm(spec) => write!(f, "npm package {spec}"),
        }
    }
}

impl std::fmt::Display for Provides {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Provides::Command(name) => write!(f, "command {name}"),
            Provides::File(path) => write!(f, "{path}"),
            Provides::AnyFile(paths) => write!(f, "{}", paths.join(" or ")),
            Provides::PythonImports(modules) => write!(f, "python3 modules {modules}"),
            Provides::CurrentVenv => write!(f, "the validators' venv .data/venv"),
            Provides::NodeModule(path) => write!(f, ".data/node/node_modules/{path}"),
        }
    }
}

/// One thing to have: where it comes from and how to tell it is there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Item {
    pub source: Source,
    pub provides: Provides,
}

const fn debian(package: &'static str, provides: Provides) -> Item {
    Item {
        source: Source::Debian(package),
        provides,
    }
}

/// The build: C libraries for -sys crates.
const BUILD: [Item; 2] = [
    debian("pkg-config", Provides::Command("pkg-config")),
    debian("libssl-dev", Provides::File("/usr/include/openssl/ssl.h")),
];

/// The private clusters of `up`, `test` and `bench` (Debian keeps the server off PATH).
const POSTGRESQL: Item = debian(
    "postgresql",
    Provides::AnyFile(&[
        "/usr/lib/postgresql/17/bin/initdb",
        "/usr/lib/postgresql/16/bin/initdb",
        "/usr/lib/postgresql/15/bin/initdb",
    ]),
);

/// Everything the build, the tests and `cargo xtask up` need, in install order (the venv needs
/// python3-venv, axe-core needs npm).
pub const EVERYTHING: &[Item] = &[
    BUILD[0],
    BUILD[1],
    // The independent validators of shared/design/oracles.md and the tests' tools.
    debian("openssl", Provides::Command("openssl")),
    debian("xmlsec1", Provides::Command("xmlsec1")),
    debian("poppler-utils", Provides::Command("pdfsig")),
    debian("libnss3-tools", Provides::Command("certutil")),
    debian("softhsm2", Provides::Command("softhsm2-util")),
    debian(
        "softhsm2",
        Provides::AnyFile(&[
            "/usr/lib/softhsm/libsofthsm2.so",
            "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
        ]),
    ),
    debian("opensc", Provides::Command("pkcs11-tool")),
    debian("qpdf", Provides::Command("qpdf")),
    debian("python3-venv", Provides::PythonImports("venv, ensurepip")),
    POSTGRESQL,
    // Browser tests: Chromium, its WebDriver, and npm for axe-core. NodeSource's nodejs carries
    // its own npm and conflicts with Debian's: npm is installed only when no npm is on PATH.
    debian("chromium", Provides::Command("chromium")),
    debian("chromium-driver", Provides::Command("chromedriver")),
    debian("npm", Provides::Command("npm")),
    Item {
        source: Source::PythonVenv,
        provides: Provides::CurrentVenv,
    },
    Item {
        source: Source::Npm("axe-core@4.14.1"),
        provides: Provides::NodeModule("axe-core/axe.min.js"),
    },
];

/// What `cargo xtask bench backoffice` needs: the build and PostgreSQL.
pub const BENCH_BACKOFFICE: &[Item] = &[BUILD[0], BUILD[1], POSTGRESQL];

/// What `cargo xtask bench api` adds: its closed-loop load generator.
pub const BENCH_API: &[Item] = &[debian("wrk", Provides::Command("wrk"))];

/// The machine as the plan sees it.
pub trait View {
    fn has_command(&self, name: &str) -> bool;
    fn has_file(&self, path: &str) -> bool;
    fn python_imports(&self, modules: &str) -> bool;
    fn venv_is_current(&self) -> bool;
    fn has_node_module(&self, path: &str) -> bool;

    fn provides(&self, what: Provides) -> bool {
        match what {
            Provides::Command(name) => self.has_command(name),
            Provides::File(path) => self.has_file(path),
            Provides::AnyFile(paths) => paths.iter().any(|p| self.has_file(p)),
            Provides::PythonImports(modules) => self.python_imports(modules),
            Provides::CurrentVenv => self.venv_is_current(),
            Provides::NodeModule(path) => self.has_node_module(path),
        }
    }
}

/// What to install: the Debian packages (each once, in order) and the other items.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub debian: Vec<&'static str>,
    pub venv: bool,
    pub npm: Vec<&'static str>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.debian.is_empty() && !self.venv && self.npm.is_empty()
    }
}

/// The items of `items` whose provided thing is missing in `view`.
pub fn plan(items: &[Item], view: &dyn View) -> Plan {
    let mut plan = Plan::default();
    for item in items.iter().filter(|item| !view.provides(item.provides)) {
        match item.source {
            Source::Debian(package) => {
                if !plan.debian.contains(&package) {
                    plan.debian.push(package);
                }
            }
            Source::PythonVenv => plan.venv = true,
            Source::Npm(spec) => plan.npm.push(spec),
        }
    }
    plan
}

/// This machine.
pub struct Machine {
    pub root: PathBuf,
}

impl Machine {
    fn venv(&self) -> PathBuf {
        self.root.join(".data/venv")
    }

    fn node(&self) -> PathBuf {
        self.root.join(".data/node")
    }

    fn requirements(&self) -> PathBuf {
        self.root.join("tests/requirements.txt")
    }
}

/// A program on `PATH`, or in the directories root's PATH has and a user's may not.
pub fn find_command(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/bin", "/usr/sbin", "/usr/local/bin", "/bin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

impl View for Machine {
    fn has_command(&self, name: &str) -> bool {
        find_command(name).is_some()
    }

    fn has_file(&self, path: &str) -> bool {
        Path::new(path).exists()
    }

    fn python_imports(&self, modules: &str) -> bool {
        Command::new("python3")
            .args(["-c", &format!("import {modules}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    }

    fn venv_is_current(&self) -> bool {
        let wanted = std::fs::read_to_string(self.requirements()).ok();
        let stamp = std::fs::read_to_string(self.venv().join(".requirements")).ok();
        wanted.is_some() && wanted == stamp && self.venv().join("bin/python").exists()
    }

    fn has_node_module(&self, path: &str) -> bool {
        self.node().join("node_modules").join(path).exists()
    }
}

pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.trim_ascii() == b"0")
        .unwrap_or(false)
}

/// A command as a person would type it (for messages).
pub fn describe(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|s| s.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `cmd`; a failure names the command and its exit status in one line.
pub fn status(cmd: &mut Command) -> Result<()> {
    let s = cmd
        .status()
        .with_context(|| format!("cannot run `{}`", describe(cmd)))?;
    if !s.success() {
        bail!("`{}` failed ({s})", describe(cmd));
    }
    Ok(())
}

const APT_INSTALL: &[&str] = &["install", "-y", "-qq", "--no-install-recommends"];

/// Installs what `items` lack on this machine, printing each thing it installs, or that nothing
/// was missing. Not root with Debian packages missing: an error whose one line is the command.
pub fn run(items: &[Item], machine: &Machine) -> Result<()> {
    let plan = plan(items, machine);
    if plan.is_empty() {
        eprintln!("xtask setup: nothing missing");
        return Ok(());
    }
    for item in items.iter().filter(|item| !machine.provides(item.provides)) {
        eprintln!("xtask setup: missing {} -> {}", item.provides, item.source);
    }
    if !plan.debian.is_empty() {
        if !is_root() {
            bail!(
                "missing Debian packages; run: sudo apt-get {} {}",
                APT_INSTALL.join(" "),
                plan.debian.join(" ")
            );
        }
        install_debian(&plan.debian)?;
    }
    if plan.venv {
        install_venv(machine)?;
    }
    for spec in &plan.npm {
        install_npm(machine, spec)?;
    }
    // What was installed must now be there: a package that installs but does not provide what it
    // was installed for is named here rather than by a test later.
    let after = self::plan(items, machine);
    if let Some(package) = after.debian.first() {
        bail!("installed {package}, but what it provides is still missing");
    }
    Ok(())
}

fn install_debian(packages: &[&str]) -> Result<()> {
    eprintln!(
        "xtask setup: installing Debian packages {}",
        packages.join(" ")
    );
    status(
        Command::new("apt-get")
            .args(["update", "-qq"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    let all = apt_install(packages)?;
    if all.status.success() {
        return Ok(());
    }
    // Name the package apt refused, and apt's reason, in one line.
    for package in packages {
        let one = apt_install(&[package])?;
        if !one.status.success() {
            bail!(
                "apt-get cannot install {package}: {}",
                apt_reason(&one.stderr)
            );
        }
    }
    bail!(
        "apt-get cannot install {} together: {}",
        packages.join(" "),
        apt_reason(&all.stderr)
    )
}

fn apt_install(packages: &[&str]) -> Result<std::process::Output> {
    Command::new("apt-get")
        .args(APT_INSTALL)
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdout(Stdio::inherit())
        .output()
        .context("cannot run apt-get")
}

/// apt's reason: its lines that name a conflict or an error, joined.
fn apt_reason(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("E:") || l.contains("Conflicts:") || l.contains("Depends:"))
        .collect();
    if lines.is_empty() {
        text.lines()
            .last()
            .unwrap_or("no reason given")
            .trim()
            .to_string()
    } else {
        lines.join("; ")
    }
}

fn install_venv(machine: &Machine) -> Result<()> {
    let venv = machine.venv();
    eprintln!(
        "xtask setup: installing the Python validators ({}) into {}",
        machine.requirements().display(),
        venv.display()
    );
    let wanted = std::fs::read_to_string(machine.requirements())?;
    status(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    status(
        Command::new(venv.join("bin/pip"))
            .args(["install", "-q", "--disable-pip-version-check", "-r"])
            .arg(machine.requirements()),
    )?;
    std::fs::write(venv.join(".requirements"), wanted)?;
    Ok(())
}

fn install_npm(machine: &Machine, spec: &str) -> Result<()> {
    let node = machine.node();
    eprintln!(
        "xtask setup: installing {spec} from npm into {}",
        node.display()
    );
    std::fs::create_dir_all(&node)?;
    status(
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
            .arg(&node)
            .arg(spec),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// A machine made of sets: the commands on PATH and the files that exist.
    #[derive(Default)]
    struct Fake {
        commands: HashSet<&'static str>,
        files: HashSet<&'static str>,
        venv_module: bool,
        venv_current: bool,
        node_modules: HashSet<&'static str>,
    }

    impl View for Fake {
        fn has_command(&self, name: &str) -> bool {
            self.commands.contains(name)
        }
        fn has_file(&self, path: &str) -> bool {
            self.files.contains(path)
        }
        fn python_imports(&self, _: &str) -> bool {
            self.venv_module
        }
        fn venv_is_current(&self) -> bool {
            self.venv_current
        }
        fn has_node_module(&self, path: &str) -> bool {
            self.node_modules.contains(path)
        }
    }

    /// Everything EVERYTHING checks for is present.
    fn complete() -> Fake {
        let mut fake = Fake {
            venv_module: true,
            venv_current: true,
            ..Fake::default()
        };
        for item in EVERYTHING {
            match item.provides {
                Provides::Command(c) => {
                    fake.commands.insert(c);
                }
                Provides::File(f) => {
                    fake.files.insert(f);
                }
                Provides::AnyFile(files) => {
                    fake.files.insert(files[files.len() - 1]);
                }
                Provides::NodeModule(m) => {
                    fake.node_modules.insert(m);
                }
                Provides::PythonImports(_) | Provides::CurrentVenv => {}
            }
        }
        fake
    }

    #[test]
    fn nothing_missing_installs_nothing() {
        assert_eq!(plan(EVERYTHING, &complete()), Plan::default());
        assert!(plan(EVERYTHING, &complete()).is_empty());
    }

    #[test]
    fn npm_from_nodesource_and_no_chromedriver_installs_the_driver_alone() {
        let mut fake = complete();
        fake.commands.remove("chromedriver");
        assert!(fake.commands.contains("npm"));
        assert_eq!(
            plan(EVERYTHING, &fake),
            Plan {
                debian: vec!["chromium-driver"],
                ..Plan::default()
            }
        );
    }

    #[test]
    fn a_fresh_ci_machine_installs_what_is_missing_and_never_npm() {
        // The issue's machine: NodeSource's node and npm, no Chromium, qpdf or SoftHSM2, no venv.
        let mut fake = complete();
        for c in ["chromium", "chromedriver", "qpdf", "softhsm2-util"] {
            fake.commands.remove(c);
        }
        fake.files.clear();
        fake.files.insert("/usr/include/openssl/ssl.h");
        fake.files.insert("/usr/lib/postgresql/15/bin/initdb");
        fake.venv_current = false;
        fake.node_modules.clear();
        assert_eq!(
            plan(EVERYTHING, &fake),
            Plan {
                // softhsm2 once, though both its command and its library are missing.
                debian: vec!["softhsm2", "qpdf", "chromium", "chromium-driver"],
                venv: true,
                npm: vec!["axe-core@4.14.1"],
            }
        );
    }

    #[test]
    fn chromium_from_elsewhere_is_used_as_it_is() {
        let mut fake = complete();
        // e.g. /usr/local/bin/chromium from another source: the plan sees a command, not a package.
        fake.commands.insert("chromium");
        assert!(plan(EVERYTHING, &fake).is_empty());
    }

    #[test]
    fn any_postgresql_version_will_do() {
        let mut fake = complete();
        fake.files.retain(|f| !f.contains("postgresql"));
        assert_eq!(plan(EVERYTHING, &fake).debian, vec!["postgresql"]);
        fake.files.insert("/usr/lib/postgresql/17/bin/initdb");
        assert!(plan(EVERYTHING, &fake).is_empty());
    }

    #[test]
    fn bench_adds_wrk() {
        let fake = complete();
        let items: Vec<Item> = EVERYTHING.iter().chain(BENCH_API).copied().collect();
        assert_eq!(plan(&items, &fake).debian, vec!["wrk"]);
    }

    #[test]
    fn the_backoffice_bench_needs_the_build_and_postgresql_only() {
        assert!(BENCH_BACKOFFICE.iter().all(|i| EVERYTHING.contains(i)));
        let mut fake = Fake::default();
        assert_eq!(
            plan(BENCH_BACKOFFICE, &fake).debian,
            vec!["pkg-config", "libssl-dev", "postgresql"]
        );
        fake.commands.insert("pkg-config");
        fake.files.insert("/usr/include/openssl/ssl.h");
        fake.files.insert("/usr/lib/postgresql/15/bin/initdb");
        assert!(plan(BENCH_BACKOFFICE, &fake).is_empty());
    }

    #[test]
    fn apt_reason_keeps_the_conflict() {
        let stderr = b"Some packages could not be installed.\n nodejs : Conflicts: npm\nE: Unable to correct problems, you have held broken packages.\n";
        assert_eq!(
            apt_reason(stderr),
            "nodejs : Conflicts: npm; E: Unable to correct problems, you have held broken packages."
        );
    }
}
