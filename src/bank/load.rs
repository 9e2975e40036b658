//! Parsing and validating bank files. Every entry is read field by field with its byte span,
//! so each problem names its file, line and field, and every problem in a directory is
//! collected instead of stopping at the first.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use toml::{Spanned, Value};

use super::error::{EntryName, Problem, ProblemKind, Subject};
use super::names::{closest, normalize};
use super::{Principle, Question};

/// A question has at most this many bar-raiser follow-ups.
pub const MAX_FOLLOW_UPS: usize = 3;
/// Ids are short slugs typed on the command line.
pub const MAX_ID_LEN: usize = 64;

const PRINCIPLE_FIELDS: &[&str] = &["id", "name", "meaning", "aliases"];
const QUESTION_FIELDS: &[&str] = &["id", "text", "lps", "tests", "tips", "follow_ups", "source"];
const TOP_LEVEL_KEYS: &[&str] = &["principle", "question"];

type RawTable = BTreeMap<Spanned<String>, Spanned<Value>>;

#[derive(Deserialize)]
struct RawFile {
    #[serde(default)]
    principle: Vec<Spanned<RawTable>>,
    #[serde(default)]
    question: Vec<Spanned<RawTable>>,
}

/// One bank file: its name as shown in messages and its text.
pub struct Source<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

/// What loading produced: the valid entries and every problem found.
pub struct Loaded {
    pub principles: Vec<Principle>,
    pub questions: Vec<Question>,
    pub problems: Vec<Problem>,
}

/// Loads `sources` in order. When no source defines any `[[principle]]`, `fallback` is used,
/// so a community bank of questions alone validates against the standard 16.
pub fn load(sources: &[Source<'_>], fallback: &[Principle]) -> Loaded {
    let mut problems = Vec::new();
    let mut parsed = Vec::new();
    for source in sources {
        if let Some(file) = parse_file(source, &mut problems) {
            parsed.push((source, file));
        }
    }

    let any_principles = parsed.iter().any(|(_, file)| !file.principle.is_empty());
    let principles = if any_principles {
        let mut principles = Vec::new();
        let mut seen = HashMap::new();
        let mut names = HashMap::new();
        for (source, file) in &parsed {
            for (position, table) in file.principle.iter().enumerate() {
                let mut entry = Entry::new(source, table, position + 1, PRINCIPLE_FIELDS);
                if let Some(principle) = entry.principle(&mut seen, &mut names) {
                    principles.push(principle);
                }
                problems.append(&mut entry.problems);
            }
        }
        principles
    } else {
        fallback.to_vec()
    };

    let index = principle_index(&principles);
    let mut questions = Vec::new();
    let mut seen = HashMap::new();
    for (source, file) in &parsed {
        for (position, table) in file.question.iter().enumerate() {
            let mut entry = Entry::new(source, table, position + 1, QUESTION_FIELDS);
            if let Some(question) = entry.question(&principles, &index, &mut seen) {
                questions.push(question);
            }
            problems.append(&mut entry.problems);
        }
    }

    // Read in file order, then line order, whichever check found them.
    let order: HashMap<&str, usize> = sources
        .iter()
        .enumerate()
        .map(|(i, source)| (source.name, i))
        .collect();
    problems.sort_by_key(|p| (order.get(p.file.as_str()).copied(), p.line));
    Loaded {
        principles,
        questions,
        problems,
    }
}

/// Maps every normalized id, name and alias to the principle's position.
pub fn principle_index(principles: &[Principle]) -> HashMap<String, usize> {
    let mut index = HashMap::new();
    for (i, p) in principles.iter().enumerate() {
        for key in principle_keys(p) {
            index.entry(key).or_insert(i);
        }
    }
    index
}

fn principle_keys(p: &Principle) -> impl Iterator<Item = String> + '_ {
    [p.id.as_str(), p.name.as_str()]
        .into_iter()
        .chain(p.aliases.iter().map(String::as_str))
        .map(normalize)
        .filter(|key| !key.is_empty())
}

/// The principle a typo most likely meant, by its canonical name.
pub fn suggest_principle<'a>(principles: &'a [Principle], input: &str) -> Option<&'a str> {
    closest(
        input,
        principles.iter().flat_map(|p| {
            [p.id.as_str(), p.name.as_str()]
                .into_iter()
                .chain(p.aliases.iter().map(String::as_str))
                .map(move |key| (key, p.name.as_str()))
        }),
    )
}

fn parse_file(source: &Source<'_>, problems: &mut Vec<Problem>) -> Option<RawFile> {
    let syntax_problem = |err: toml::de::Error| Problem {
        file: source.name.to_string(),
        line: err
            .span()
            .map_or(1, |span| line_of(source.text, span.start)),
        subject: Subject::File,
        field: None,
        kind: ProblemKind::Syntax {
            message: err.message().trim().to_string(),
        },
    };
    let keys: BTreeMap<Spanned<String>, serde::de::IgnoredAny> = match toml::from_str(source.text) {
        Ok(keys) => keys,
        Err(err) => {
            problems.push(syntax_problem(err));
            return None;
        }
    };
    for key in keys.keys() {
        if !TOP_LEVEL_KEYS.contains(&key.get_ref().as_str()) {
            problems.push(Problem {
                file: source.name.to_string(),
                line: line_of(source.text, key.span().start),
                subject: Subject::File,
                field: Some(key.get_ref().clone()),
                kind: ProblemKind::UnknownKey {
                    suggestion: closest(key.get_ref(), TOP_LEVEL_KEYS.iter().map(|k| (*k, *k)))
                        .map(|k| format!("[[{k}]]")),
                },
            });
        }
    }
    match toml::from_str::<RawFile>(source.text) {
        Ok(file) => Some(file),
        Err(err) => {
            problems.push(syntax_problem(err));
            None
        }
    }
}

/// 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Ids are lowercase slugs: letters, digits, single hyphens, starting with a letter.
pub fn is_valid_id(id: &str) -> bool {
    let starts_with_letter = id.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    starts_with_letter
        && id.len() <= MAX_ID_LEN
        && !id.ends_with('-')
        && !id.contains("--")
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// One `[[principle]]` or `[[question]]` table being checked.
struct Entry<'a> {
    source: &'a Source<'a>,
    line: usize,
    subject: Subject,
    fields: HashMap<&'a str, &'a Spanned<Value>>,
    /// Keys that are not fields of this kind of entry, reported once the entry has a name.
    unknown: Vec<&'a Spanned<String>>,
    known: &'static [&'static str],
    problems: Vec<Problem>,
}

impl<'a> Entry<'a> {
    fn new(
        source: &'a Source<'a>,
        table: &'a Spanned<RawTable>,
        position: usize,
        known: &'static [&'static str],
    ) -> Self {
        let mut entry = Entry {
            source,
            line: line_of(source.text, table.span().start),
            subject: if known == PRINCIPLE_FIELDS {
                Subject::Principle(EntryName::Position(position))
            } else {
                Subject::Question(EntryName::Position(position))
            },
            fields: HashMap::new(),
            unknown: Vec::new(),
            known,
            problems: Vec::new(),
        };
        for (key, value) in table.get_ref() {
            let name = key.get_ref().as_str();
            if known.contains(&name) {
                entry.fields.insert(name, value);
            } else {
                entry.unknown.push(key);
            }
        }
        entry
    }

    fn report_unknown_keys(&mut self) {
        for key in std::mem::take(&mut self.unknown) {
            let suggestion = closest(key.get_ref(), self.known.iter().map(|k| (*k, *k)));
            let line = line_of(self.source.text, key.span().start);
            self.report_at(
                line,
                key.get_ref(),
                ProblemKind::UnknownKey {
                    suggestion: suggestion.map(str::to_string),
                },
            );
        }
    }

    fn report_at(&mut self, line: usize, field: &str, kind: ProblemKind) {
        self.problems.push(Problem {
            file: self.source.name.to_string(),
            line,
            subject: self.subject.clone(),
            field: Some(field.to_string()),
            kind,
        });
    }

    /// Reports at the field's own line, or at the entry's line when the field is absent.
    fn report(&mut self, field: &str, kind: ProblemKind) {
        let line = self.field_line(field);
        self.report_at(line, field, kind);
    }

    fn field_line(&self, field: &str) -> usize {
        self.fields
            .get(field)
            .map_or(self.line, |v| line_of(self.source.text, v.span().start))
    }

    /// A string field; `None` (with a problem reported) when required and absent, not a
    /// string, or blank.
    fn string(&mut self, field: &str, required: bool) -> Option<String> {
        match self.fields.get(field).map(|v| v.get_ref()) {
            None => {
                if required {
                    self.report(field, ProblemKind::Missing);
                }
                None
            }
            Some(Value::String(s)) if s.trim().is_empty() => {
                self.report(field, ProblemKind::Empty);
                None
            }
            Some(Value::String(s)) => Some(s.trim().to_string()),
            Some(_) => {
                self.report(
                    field,
                    ProblemKind::WrongType {
                        expected: "a string",
                    },
                );
                None
            }
        }
    }

    /// An array of non-blank strings with at least `min` entries (`min` 0 means optional).
    fn strings(&mut self, field: &str, min: usize) -> Option<Vec<String>> {
        let Some(value) = self.fields.get(field).map(|v| v.get_ref()) else {
            if min > 0 {
                self.report(field, ProblemKind::Missing);
                return None;
            }
            return Some(Vec::new());
        };
        let wrong_type = ProblemKind::WrongType {
            expected: "an array of strings",
        };
        let Value::Array(items) = value else {
            self.report(field, wrong_type);
            return None;
        };
        let mut strings = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Value::String(s) if s.trim().is_empty() => {
                    self.report(field, ProblemKind::Empty);
                    return None;
                }
                Value::String(s) => strings.push(s.trim().to_string()),
                _ => {
                    self.report(field, wrong_type);
                    return None;
                }
            }
        }
        if strings.len() < min {
            self.report(field, ProblemKind::NoEntries);
            return None;
        }
        Some(strings)
    }

    /// Reads and checks `id`, renames the entry after it, and records it as seen.
    fn id(&mut self, seen: &mut HashMap<String, (String, usize)>) -> Option<String> {
        let id = self.string("id", true)?;
        if !is_valid_id(&id) {
            self.report(
                "id",
                ProblemKind::BadId {
                    id,
                    max: MAX_ID_LEN,
                },
            );
            return None;
        }
        self.subject = match self.subject {
            Subject::Principle(_) => Subject::Principle(EntryName::Id(id.clone())),
            _ => Subject::Question(EntryName::Id(id.clone())),
        };
        let here = (self.source.name.to_string(), self.field_line("id"));
        if let Some((first_file, first_line)) = seen.get(&id).cloned() {
            self.report(
                "id",
                ProblemKind::DuplicateId {
                    id: id.clone(),
                    first_file,
                    first_line,
                },
            );
            return None;
        }
        seen.insert(id.clone(), here);
        Some(id)
    }

    /// `names` maps every normalized id, name and alias already taken to its principle's id.
    fn principle(
        &mut self,
        seen: &mut HashMap<String, (String, usize)>,
        names: &mut HashMap<String, String>,
    ) -> Option<Principle> {
        let id = self.id(seen);
        self.report_unknown_keys();
        let name = self.string("name", true);
        let meaning = self.string("meaning", true);
        let aliases = self.strings("aliases", 0);
        let (id, name, meaning, aliases) = (id?, name?, meaning?, aliases?);
        let keys = [("id", &id), ("name", &name)]
            .into_iter()
            .chain(aliases.iter().map(|alias| ("aliases", alias)));
        let mut claimed = Vec::new();
        for (field, spelling) in keys {
            let key = normalize(spelling);
            match names.get(&key) {
                Some(other) if *other != id => {
                    let kind = ProblemKind::DuplicatePrincipleName {
                        name: spelling.clone(),
                        other: other.clone(),
                    };
                    self.report(field, kind);
                }
                Some(_) => {}
                None if key.is_empty() => self.report(field, ProblemKind::Empty),
                None => claimed.push(key),
            }
        }
        if !self.problems.is_empty() {
            return None;
        }
        for key in claimed {
            names.insert(key, id.clone());
        }
        Some(Principle {
            id,
            name,
            meaning,
            aliases,
        })
    }

    fn question(
        &mut self,
        principles: &[Principle],
        index: &HashMap<String, usize>,
        seen: &mut HashMap<String, (String, usize)>,
    ) -> Option<Question> {
        let id = self.id(seen);
        self.report_unknown_keys();
        let text = self.string("text", true);
        let lps = self.principles_of(principles, index);
        let tests = self.string("tests", true);
        let tips = self.strings("tips", 1);
        let follow_ups = self.follow_ups();
        let source = self.string("source", false);
        let (id, text, lps, tests, tips, follow_ups) =
            (id?, text?, lps?, tests?, tips?, follow_ups?);
        if !self.problems.is_empty() {
            return None;
        }
        Some(Question {
            id,
            text,
            lps,
            tests,
            tips,
            follow_ups,
            source,
        })
    }

    /// `lps` resolved to principle ids; every unknown or repeated name is reported.
    fn principles_of(
        &mut self,
        principles: &[Principle],
        index: &HashMap<String, usize>,
    ) -> Option<Vec<String>> {
        let names = self.strings("lps", 1)?;
        let mut ids: Vec<String> = Vec::with_capacity(names.len());
        let mut ok = true;
        for name in names {
            match index
                .get(&normalize(&name))
                .and_then(|&i| principles.get(i))
            {
                Some(p) if ids.contains(&p.id) => {
                    self.report("lps", ProblemKind::RepeatedPrinciple { name });
                    ok = false;
                }
                Some(p) => ids.push(p.id.clone()),
                None => {
                    let suggestion = suggest_principle(principles, &name).map(str::to_string);
                    self.report("lps", ProblemKind::UnknownPrinciple { name, suggestion });
                    ok = false;
                }
            }
        }
        ok.then_some(ids)
    }

    fn follow_ups(&mut self) -> Option<Vec<String>> {
        let follow_ups = self.strings("follow_ups", 1)?;
        if follow_ups.len() > MAX_FOLLOW_UPS {
            self.report(
                "follow_ups",
                ProblemKind::TooManyFollowUps {
                    count: follow_ups.len(),
                    max: MAX_FOLLOW_UPS,
                },
            );
            return None;
        }
        Some(follow_ups)
    }
}
