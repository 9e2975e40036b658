//! What can go wrong when loading a bank: a directory that cannot be read, or problems in the
//! files themselves, each pinned to a file, a line and (when there is one) a field.

use std::fmt;
use std::path::PathBuf;

use thiserror::Error;

/// Loading a question bank failed.
#[derive(Debug, Error)]
pub enum BankError {
    /// The directory or one of its files could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The directory holds no `*.toml` file at all.
    #[error("{}: no question files (*.toml) found", dir.display())]
    NoFiles { dir: PathBuf },
    /// The files were read but are not a valid bank; every problem found is listed.
    #[error("{}", ProblemList(problems))]
    Invalid { problems: Vec<Problem> },
}

struct ProblemList<'a>(&'a [Problem]);

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.0.len();
        write!(
            f,
            "the question bank has {count} problem{}:",
            if count == 1 { "" } else { "s" }
        )?;
        for problem in self.0 {
            write!(f, "\n  {problem}")?;
        }
        Ok(())
    }
}

/// Which entry of a file a problem is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// The file as a whole (syntax errors, unknown top-level keys).
    File,
    /// A `[[principle]]`, by id when it has a usable one, else by its position (1-based).
    Principle(EntryName),
    /// A `[[question]]`, by id when it has a usable one, else by its position (1-based).
    Question(EntryName),
}

/// How an entry is named in a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryName {
    Id(String),
    Position(usize),
}

impl fmt::Display for EntryName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryName::Id(id) => write!(f, "{id:?}"),
            EntryName::Position(n) => write!(f, "#{n}"),
        }
    }
}

/// One thing wrong with a bank, located precisely enough to fix it without searching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file, as found in the directory (e.g. `questions/ownership.toml`).
    pub file: String,
    /// 1-based line number.
    pub line: usize,
    pub subject: Subject,
    /// The field the problem is in, when it is about one field.
    pub field: Option<String>,
    pub kind: ProblemKind,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.file, self.line)?;
        match &self.subject {
            Subject::File => {}
            Subject::Principle(name) => write!(f, "principle {name}: ")?,
            Subject::Question(name) => write!(f, "question {name}: ")?,
        }
        if let Some(field) = &self.field {
            write!(f, "field {field:?}: ")?;
        }
        write!(f, "{}", self.kind)
    }
}

/// The kinds of problem a bank file can have.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProblemKind {
    #[error("TOML syntax error: {message}")]
    Syntax { message: String },
    #[error("unknown key{}", suggestion_suffix(.suggestion))]
    UnknownKey { suggestion: Option<String> },
    #[error("missing (required)")]
    Missing,
    #[error("expected {expected}")]
    WrongType { expected: &'static str },
    #[error("is empty")]
    Empty,
    #[error("unknown Leadership Principle {name:?}{}", suggestion_suffix(.suggestion))]
    UnknownPrinciple {
        name: String,
        suggestion: Option<String>,
    },
    #[error("Leadership Principle {name:?} is listed twice")]
    RepeatedPrinciple { name: String },
    #[error("duplicate id {id:?} (first defined at {first_file}:{first_line})")]
    DuplicateId {
        id: String,
        first_file: String,
        first_line: usize,
    },
    #[error("{name:?} is already used by principle {other:?}")]
    DuplicatePrincipleName { name: String, other: String },
    #[error(
        "bad id {id:?}: use lowercase letters, digits and single hyphens, starting with a letter (at most {max} characters)"
    )]
    BadId { id: String, max: usize },
    #[error("has {count} follow-ups; at most {max} are allowed")]
    TooManyFollowUps { count: usize, max: usize },
    #[error("needs at least one entry")]
    NoEntries,
}

fn suggestion_suffix(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(s) => format!(" (did you mean {s:?}?)"),
        None => String::new(),
    }
}
