//! The question bank: the 16 Leadership Principles and the questions asked about them, loaded
//! from `questions/*.toml` and validated so that a broken file names its file, line and field.
//!
//! Pure apart from reading the files of a directory. Files are read in name order; any
//! `*.toml` in the directory is part of the bank, so a community can drop in its own file.
//! A directory whose files define no `[[principle]]` uses the built-in 16.

mod error;
mod load;
mod names;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rand::seq::SliceRandom;

pub use error::{BankError, EntryName, Problem, ProblemKind, Subject};
/// Shared with the config loader, which reports TOML errors by line the same way.
pub(crate) use load::line_of;
pub use load::{MAX_FOLLOW_UPS, MAX_ID_LEN};

/// A Leadership Principle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principle {
    /// Stable slug, e.g. `customer-obsession`.
    pub id: String,
    /// Canonical name, e.g. "Are Right, A Lot".
    pub name: String,
    /// One line on what it asks of a person.
    pub meaning: String,
    /// Other spellings people use ("Disagree and Commit").
    pub aliases: Vec<String>,
}

/// A behavioral interview question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// Stable slug, used in history and on the command line.
    pub id: String,
    pub text: String,
    /// Ids of the principles it is aligned with, first the main one.
    pub lps: Vec<String>,
    /// What the interviewer is really testing.
    pub tests: String,
    pub tips: Vec<String>,
    /// Bar-raiser follow-up prompts (1 to [`MAX_FOLLOW_UPS`]).
    pub follow_ups: Vec<String>,
    /// Where it comes from (`seed` for the interview guide), when stated.
    pub source: Option<String>,
}

impl Question {
    /// What the answer analyzer needs to know about this question.
    pub fn hints(&self) -> crate::analysis::QuestionHints<'_> {
        crate::analysis::QuestionHints {
            text: &self.text,
            follow_ups: &self.follow_ups,
        }
    }
}

/// An LP should have at least this many questions; fewer is a warning, not an error.
pub const MIN_QUESTIONS_PER_PRINCIPLE: usize = 3;

/// Embeds `questions/<name>` for each name, as `(name, text)`.
macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../questions/", $name)))),*]
    };
}

/// The repository's `questions/` directory, compiled in for when no directory is present.
/// A unit test keeps this list equal to the files on disk.
const BUILTIN_FILES: &[(&str, &str)] = embedded![
    "are-right-a-lot.toml",
    "dive-deep.toml",
    "earn-trust.toml",
    "frugality.toml",
    "have-backbone-disagree-and-commit.toml",
    "hire-and-develop-the-best.toml",
    "insist-on-the-highest-standards.toml",
    "invent-and-simplify.toml",
    "learn-and-be-curious.toml",
    "principles.toml",
    "seed.toml",
    "strive-to-be-earths-best-employer.toml",
    "success-and-scale-bring-broad-responsibility.toml",
    "think-big.toml",
];

/// A validated question bank.
#[derive(Debug, Clone)]
pub struct Bank {
    principles: Vec<Principle>,
    questions: Vec<Question>,
    principle_index: HashMap<String, usize>,
    question_index: HashMap<String, usize>,
}

/// The result of checking a directory: the valid part of the bank and every problem found.
#[derive(Debug)]
pub struct Validation {
    /// The principles and the questions that passed every check.
    pub bank: Bank,
    pub problems: Vec<Problem>,
}

impl Bank {
    /// Loads every `*.toml` file of `dir` (in name order) and fails on any problem.
    pub fn load_dir(dir: &Path) -> Result<Bank, BankError> {
        let validation = Self::validate_dir(dir)?;
        if validation.problems.is_empty() {
            Ok(validation.bank)
        } else {
            Err(BankError::Invalid {
                problems: validation.problems,
            })
        }
    }

    /// Checks every `*.toml` file of `dir`, collecting all problems. `Err` only when the
    /// directory or a file cannot be read, or there is no `*.toml` file.
    pub fn validate_dir(dir: &Path) -> Result<Validation, BankError> {
        let files = toml_files(dir)?;
        let mut texts = Vec::with_capacity(files.len());
        for path in files {
            let text = std::fs::read_to_string(&path).map_err(|source| BankError::Read {
                path: path.clone(),
                source,
            })?;
            texts.push((path.display().to_string(), text));
        }
        let sources: Vec<load::Source<'_>> = texts
            .iter()
            .map(|(name, text)| load::Source { name, text })
            .collect();
        Ok(Self::validate_sources(&sources))
    }

    /// Loads a bank from in-memory `(file name, text)` pairs, in the order given.
    pub fn from_sources(files: &[(&str, &str)]) -> Result<Bank, BankError> {
        let sources: Vec<load::Source<'_>> = files
            .iter()
            .map(|(name, text)| load::Source { name, text })
            .collect();
        let validation = Self::validate_sources(&sources);
        if validation.problems.is_empty() {
            Ok(validation.bank)
        } else {
            Err(BankError::Invalid {
                problems: validation.problems,
            })
        }
    }

    fn validate_sources(sources: &[load::Source<'_>]) -> Validation {
        let loaded = load::load(sources, &builtin_principles());
        Validation {
            bank: Bank::new(loaded.principles, loaded.questions),
            problems: loaded.problems,
        }
    }

    /// The repository's own bank, compiled into the binary.
    pub fn builtin() -> Bank {
        // The embedded files are checked by a unit test, so this cannot fail in a release.
        Self::from_sources(BUILTIN_FILES)
            .unwrap_or_else(|err| panic!("the built-in question bank is invalid: {err}"))
    }

    fn new(principles: Vec<Principle>, questions: Vec<Question>) -> Bank {
        let principle_index = load::principle_index(&principles);
        let question_index = questions
            .iter()
            .enumerate()
            .map(|(i, q)| (q.id.clone(), i))
            .collect();
        Bank {
            principles,
            questions,
            principle_index,
            question_index,
        }
    }

    /// The principles in their canonical order.
    pub fn principles(&self) -> &[Principle] {
        &self.principles
    }

    /// A principle by id, name or alias, ignoring case and punctuation.
    pub fn principle(&self, name_or_id_or_alias: &str) -> Option<&Principle> {
        self.principle_index
            .get(&names::normalize(name_or_id_or_alias))
            .and_then(|&i| self.principles.get(i))
    }

    /// The canonical name of the principle `input` most likely meant, for "did you mean".
    pub fn suggest_principle(&self, input: &str) -> Option<&str> {
        load::suggest_principle(&self.principles, input)
    }

    /// A question by its exact id.
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.question_index
            .get(id)
            .and_then(|&i| self.questions.get(i))
    }

    /// All questions, in file order.
    pub fn questions(&self) -> &[Question] {
        &self.questions
    }

    /// The questions aligned with the principle of this id.
    pub fn questions_for(&self, principle_id: &str) -> Vec<&Question> {
        self.questions
            .iter()
            .filter(|q| q.lps.iter().any(|lp| lp == principle_id))
            .collect()
    }

    /// How many questions each principle has, in canonical order.
    pub fn counts(&self) -> Vec<(&Principle, usize)> {
        self.principles
            .iter()
            .map(|p| (p, self.questions_for(&p.id).len()))
            .collect()
    }

    /// Principles with fewer than [`MIN_QUESTIONS_PER_PRINCIPLE`] questions.
    pub fn thin_principles(&self) -> Vec<(&Principle, usize)> {
        self.counts()
            .into_iter()
            .filter(|(_, n)| *n < MIN_QUESTIONS_PER_PRINCIPLE)
            .collect()
    }

    /// A random question, for the principle `lp` (id, name or alias) when given, whose id is
    /// not in `exclude`. `None` when nothing is left, or when `lp` names no principle (check
    /// it with [`Bank::principle`] first to tell the two apart).
    pub fn pick(
        &self,
        lp: Option<&str>,
        exclude: &[&str],
        rng: &mut impl rand::Rng,
    ) -> Option<&Question> {
        let principle_id = match lp {
            Some(name) => Some(self.principle(name)?.id.as_str()),
            None => None,
        };
        let candidates: Vec<&Question> = self
            .questions
            .iter()
            .filter(|q| principle_id.is_none_or(|id| q.lps.iter().any(|lp| lp == id)))
            .filter(|q| !exclude.contains(&q.id.as_str()))
            .collect();
        candidates.choose(rng).copied()
    }
}

/// The 16 principles of the built-in bank, used when a directory defines none.
fn builtin_principles() -> Vec<Principle> {
    let sources: Vec<load::Source<'_>> = BUILTIN_FILES
        .iter()
        .filter(|(name, _)| *name == "principles.toml")
        .map(|(name, text)| load::Source { name, text })
        .collect();
    load::load(&sources, &[]).principles
}

/// The `*.toml` files directly in `dir`, sorted by name.
fn toml_files(dir: &Path) -> Result<Vec<PathBuf>, BankError> {
    let read_error = |source| BankError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_error)? {
        let entry = entry.map_err(read_error)?;
        let path = entry.path();
        let is_toml = path.extension().is_some_and(|ext| ext == "toml");
        if is_toml && path.is_file() {
            files.push(path);
        }
    }
    if files.is_empty() {
        return Err(BankError::NoFiles {
            dir: dir.to_path_buf(),
        });
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests;

impl Bank {
    /// The names of a question's principles, joined for display ("Ownership / Deliver Results").
    pub fn principle_names(&self, question: &Question) -> String {
        let names: Vec<&str> = question
            .lps
            .iter()
            .map(|id| self.principle(id).map_or(id.as_str(), |p| p.name.as_str()))
            .collect();
        names.join(" / ")
    }
}
