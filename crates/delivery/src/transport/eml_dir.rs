use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::MailTransport;
use crate::compose::Mail;
use crate::error::{DeliveryError, MailError};

/// Development transport: each message becomes one `.eml` file in a folder (`.data/mail/`).
///
/// Files appear atomically: written to a hidden `.tmp` file in the same folder, flushed to
/// disk, then renamed, so a reader never sees half a message. Names sort by time:
/// `{UTC timestamp}-{uuid}.eml`.
#[derive(Debug, Clone)]
pub struct EmlDirTransport {
    dir: PathBuf,
}

impl EmlDirTransport {
    /// Creates the folder if needed.
    pub fn new(dir: impl Into<PathBuf>) -> Result<Self, MailError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(|e| MailError::Config {
            setting: "mail folder",
            reason: format!("{}: {e}", dir.display()),
        })?;
        Ok(Self { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[async_trait::async_trait]
impl MailTransport for EmlDirTransport {
    async fn send(&self, mail: &Mail) -> Result<(), DeliveryError> {
        let dir = self.dir.clone();
        let raw = mail.formatted();
        let written = tokio::task::spawn_blocking(move || write_atomically(&dir, &raw))
            .await
            .map_err(|e| DeliveryError::Transient {
                smtp_code: None,
                message: format!("mail writer task failed: {e}"),
            })?;
        match written {
            Ok(path) => {
                tracing::debug!(path = %path.display(), "mail written");
                Ok(())
            }
            Err(e) => Err(DeliveryError::Transient {
                smtp_code: None,
                message: format!("could not write mail into {}: {e}", self.dir.display()),
            }),
        }
    }
}

fn write_atomically(dir: &Path, raw: &[u8]) -> std::io::Result<PathBuf> {
    let id = uuid::Uuid::new_v4();
    let stamp = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second].[subsecond digits:6]Z"
        ))
        .map_err(std::io::Error::other)?;
    let tmp = dir.join(format!(".{id}.eml.tmp"));
    let target = dir.join(format!("{stamp}-{id}.eml"));
    let result = (|| {
        let mut file = fs::File::create_new(&tmp)?;
        file.write_all(raw)?;
        file.sync_all()?;
        fs::rename(&tmp, &target)?;
        // Make the rename itself durable.
        fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map(|()| target)
}
