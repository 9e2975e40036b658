//! Store errors. Each names the database path and says what happened in words a user can act on.

use std::path::PathBuf;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process holds the database's lock file.
    #[error("the store at {path} is locked by another process (is another bar-raiser running?)")]
    Locked { path: PathBuf },

    /// The files are there but cannot be read as a database.
    #[error("the store at {path} is corrupt or unreadable: {detail}. Restore it from a backup or move it aside to start afresh")]
    Corrupt { path: PathBuf, detail: String },

    /// The database was written by a newer (or unknown) version of bar-raiser.
    #[error("the store at {path} has schema version {found}, but this bar-raiser understands version {supported}; upgrade bar-raiser to open it")]
    UnsupportedSchema {
        path: PathBuf,
        found: String,
        supported: u32,
    },

    /// A sled database that holds data but no bar-raiser schema marker.
    #[error(
        "the store at {path} is a database, but not a bar-raiser store (no schema version found)"
    )]
    NotABarRaiserStore { path: PathBuf },

    /// The path exists but is not a directory, or the directory cannot be created.
    #[error("cannot use {path} as the store directory: {detail}")]
    BadPath { path: PathBuf, detail: String },

    /// A read or write failed at the file-system level (disk full, permissions, I/O error).
    /// Nothing that was stored before is changed by a failed write.
    #[error("store I/O error at {path} while {action}: {source}")]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },

    /// A stored value could not be decoded (written by other software or damaged).
    #[error("store at {path}: the value in tree '{tree}' under key {key} could not be decoded: {detail}")]
    Decode {
        path: PathBuf,
        tree: &'static str,
        key: String,
        detail: String,
    },

    /// Any other failure reported by the database engine.
    #[error("store at {path}: database error while {action}: {detail}")]
    Backend {
        path: PathBuf,
        action: &'static str,
        detail: String,
    },
}

pub type StoreResult<T> = Result<T, StoreError>;
