//! What the sled store does around the database itself: an owner-only directory, the schema
//! version, and a small marker file that lets it tell a damaged database from a new one.
//!
//! sled treats a damaged or truncated log like a torn write and opens whatever it can read,
//! possibly nothing. Left alone, a store whose data was lost would open empty and carry on. So
//! the marker file records that a store was created here and the seal number of its last clean
//! close; the same number is kept inside the database. At open, a database missing its schema,
//! or holding an older seal than the file, is refused as damaged.

use std::path::Path;

use super::error::{StoreError, StoreResult};
use super::keys;
use super::sled_store::classify;

/// The layout version this build reads and writes. Bump it (and add a migration) whenever the
/// key layout or a stored value's shape changes incompatibly.
pub const SCHEMA_VERSION: u32 = 1;

/// Where the schema version lives, in sled's default tree.
pub(super) const SCHEMA_KEY: &[u8] = b"bar-raiser/schema-version";

/// Open failures: sled reports a held lock as an I/O error with this text.
pub(super) fn open_error(path: &Path, error: sled::Error) -> StoreError {
    match error {
        sled::Error::Io(e) if e.to_string().contains("could not acquire lock") => {
            StoreError::Locked {
                path: path.to_path_buf(),
            }
        }
        sled::Error::Io(source) => StoreError::Io {
            path: path.to_path_buf(),
            action: "opening the database",
            source,
        },
        sled::Error::Corruption { .. } => StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: "the database engine found damaged data while opening it".into(),
        },
        sled::Error::Unsupported(detail) | sled::Error::ReportableBug(detail) => {
            StoreError::Corrupt {
                path: path.to_path_buf(),
                detail,
            }
        }
        other => StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: other.to_string(),
        },
    }
}

pub(super) fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "unknown failure".to_string()
    }
}

/// Creates the store directory owner-only; refuses a path that is a file.
pub(super) fn prepare_directory(path: &Path) -> StoreResult<()> {
    let bad = |detail: String| StoreError::BadPath {
        path: path.to_path_buf(),
        detail,
    };
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_dir() => {
            return Err(bad("it exists and is not a directory".into()));
        }
        Ok(_) => {
            // Tighten an existing directory only when it is clearly the store's own: empty, or
            // already holding a sled database.
            let is_ours = path.join("conf").exists()
                || std::fs::read_dir(path)
                    .map(|mut entries| entries.next().is_none())
                    .unwrap_or(false);
            if is_ours {
                set_mode(path, 0o700)
                    .map_err(|e| bad(format!("cannot restrict its permissions: {e}")))?;
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            create_private_dir(path).map_err(|e| bad(format!("cannot create it: {e}")))?;
        }
        Err(e) => return Err(bad(e.to_string())),
    }
    Ok(())
}

#[cfg(unix)]
fn create_private_dir(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
}

#[cfg(not(unix))]
fn create_private_dir(path: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(path)
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

/// Makes the files sled created readable by the owner only (sled uses the process umask).
pub(super) fn restrict_file_permissions(path: &Path) -> StoreResult<()> {
    let entries = std::fs::read_dir(path).map_err(|e| StoreError::Io {
        path: path.to_path_buf(),
        action: "restricting file permissions",
        source: e,
    })?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // Only what sled and this module create; anything else in the folder is not ours.
        let ours = matches!(name.as_ref(), "conf" | "db" | "blobs")
            || name.starts_with("snap.")
            || name.starts_with(MARKER_FILE);
        if !ours {
            continue;
        }
        let file = entry.path();
        let mode = if file.is_dir() { 0o700 } else { 0o600 };
        set_mode(&file, mode).map_err(|e| StoreError::Io {
            path: file.clone(),
            action: "restricting file permissions",
            source: e,
        })?;
    }
    Ok(())
}

/// The marker file, next to the database files.
pub(super) const MARKER_FILE: &str = "bar-raiser-store";

/// Where the seal number of the last clean close lives, in sled's default tree.
const SEAL_KEY: &[u8] = b"bar-raiser/closed-seal";

/// What the marker file says.
#[derive(Debug, Default, PartialEq, Eq)]
struct Marker {
    exists: bool,
    seal: u64,
}

fn read_marker(path: &Path) -> StoreResult<Marker> {
    let file = path.join(MARKER_FILE);
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Marker::default()),
        Err(source) => {
            return Err(StoreError::Io {
                path: file,
                action: "reading the store marker file",
                source,
            })
        }
    };
    let seal = text
        .lines()
        .find_map(|line| line.strip_prefix("seal: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    Ok(Marker { exists: true, seal })
}

/// Replaces the marker file atomically (write aside, then rename), owner-only.
fn write_marker(path: &Path, seal: u64) -> StoreResult<()> {
    let file = path.join(MARKER_FILE);
    let aside = path.join(format!("{MARKER_FILE}.new"));
    let text = format!(
        "A bar-raiser store (schema {SCHEMA_VERSION}) lives in this directory. Keep this file: \
         it lets bar-raiser tell a damaged database from a new one.\nseal: {seal}\n"
    );
    std::fs::write(&aside, text)
        .and_then(|()| set_mode(&aside, 0o600))
        .and_then(|()| std::fs::rename(&aside, &file))
        .map_err(|source| StoreError::Io {
            path: file,
            action: "writing the store marker file",
            source,
        })
}

fn seal_in_db(path: &Path, db: &sled::Db) -> StoreResult<u64> {
    let stored = db
        .get(SEAL_KEY)
        .map_err(|e| classify(path, "reading the close seal", e))?;
    Ok(stored
        .and_then(|bytes| <[u8; 8]>::try_from(bytes.as_ref()).ok())
        .map_or(0, u64::from_be_bytes))
}

/// Checks the schema version and that the database holds at least what it held at its last
/// clean close; writes the schema and the marker file into a new store.
pub(super) fn check_integrity(path: &Path, db: &sled::Db) -> StoreResult<()> {
    let marker = read_marker(path)?;
    let read = |e| classify(path, "reading the schema version", e);
    let damaged = |what: String| StoreError::Corrupt {
        path: path.to_path_buf(),
        detail: format!(
            "{what} (damaged or truncated). If you restored an older copy on purpose, delete {} \
             to accept it",
            path.join(MARKER_FILE).display()
        ),
    };
    match db.get(SCHEMA_KEY).map_err(read)? {
        Some(bytes) => {
            let found = <[u8; 4]>::try_from(bytes.as_ref()).map(u32::from_be_bytes);
            match found {
                Ok(SCHEMA_VERSION) => {}
                Ok(other) => {
                    return Err(StoreError::UnsupportedSchema {
                        path: path.to_path_buf(),
                        found: other.to_string(),
                        supported: SCHEMA_VERSION,
                    })
                }
                Err(_) => {
                    return Err(StoreError::UnsupportedSchema {
                        path: path.to_path_buf(),
                        found: keys::display_key(&bytes),
                        supported: SCHEMA_VERSION,
                    })
                }
            }
            let seal = seal_in_db(path, db)?;
            if seal < marker.seal {
                return Err(damaged(format!(
                    "the database holds less than at its last clean close (seal {seal}, expected \
                     {})",
                    marker.seal
                )));
            }
            if !marker.exists {
                write_marker(path, seal)?;
            }
            Ok(())
        }
        None if marker.exists => Err(damaged(
            "a store was created here but the database files no longer hold it".to_string(),
        )),
        None => {
            let default_tree_name: &[u8] = b"__sled__default";
            let mut holds_data = !db.is_empty();
            for name in db.tree_names() {
                if name.as_ref() == default_tree_name {
                    continue;
                }
                let tree = db.open_tree(&name).map_err(read)?;
                holds_data |= !tree.is_empty();
            }
            if holds_data {
                return Err(StoreError::NotABarRaiserStore {
                    path: path.to_path_buf(),
                });
            }
            db.insert(SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes())
                .map_err(|e| classify(path, "writing the schema version", e))?;
            db.flush()
                .map_err(|e| classify(path, "writing the schema version", e))?;
            write_marker(path, 0)
        }
    }
}

/// Records a clean close: a new seal in the database, flushed, then in the marker file. A crash
/// between the two leaves the database ahead of the file, which opens fine.
pub(super) fn seal(path: &Path, db: &sled::Db) -> StoreResult<()> {
    let next = seal_in_db(path, db)?.saturating_add(1);
    db.insert(SEAL_KEY, &next.to_be_bytes())
        .map_err(|e| classify(path, "sealing the store on close", e))?;
    db.flush()
        .map_err(|e| classify(path, "sealing the store on close", e))?;
    write_marker(path, next)
}
