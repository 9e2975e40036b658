//! Configuration: `config/bar-raiser.toml` with documented defaults, then environment overrides,
//! then validation. Every problem names the file, the line where known, and the key, so a typo
//! never silently falls back to a default.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::bank::line_of;

/// Where the config is looked for when no path is given.
pub const DEFAULT_CONFIG_PATH: &str = "config/bar-raiser.toml";
/// Environment variable that overrides `data_dir`.
pub const ENV_DATA_DIR: &str = "BAR_RAISER_DATA";
/// Environment variable that holds the bot token.
pub const ENV_TOKEN: &str = "DISCORD_TOKEN";
/// Environment variable that points the bot at another Discord API base URL (tests, proxies).
pub const ENV_API_BASE: &str = "DISCORD_API_BASE";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read the config file: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{path}: key `{key}`: {message}")]
    Invalid {
        path: PathBuf,
        key: &'static str,
        message: String,
    },
    #[error(
        "no Discord bot token: set {ENV_TOKEN} (or `discord.token_file` in the config). \
         Create an application at https://discord.com/developers/applications, add a bot \
         under \"Bot\", and copy its token; see README.md"
    )]
    MissingToken,
    #[error("discord.token_file {path}: cannot read the token: {source}")]
    TokenFile {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The whole configuration. Every field has a default, so an empty file is valid.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Directory of the store (history, sessions, settings). Overridden by `BAR_RAISER_DATA`.
    pub data_dir: PathBuf,
    /// Directory of question files; the built-in bank is used when it does not exist.
    pub questions_dir: PathBuf,
    pub interview: InterviewConfig,
    pub group: GroupConfig,
    pub cooldowns: CooldownConfig,
    pub discord: DiscordConfig,
    /// Where the config came from, for error messages. Not a key.
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InterviewConfig {
    /// Minutes without a new message before the bot sends a reminder.
    pub idle_reminder_minutes: u32,
    /// Minutes without a new message before the answer so far is analysed and stored.
    pub idle_timeout_minutes: u32,
    /// Bar-raiser follow-up questions per interview (0 to 2).
    pub max_follow_ups: u8,
    /// Leadership Principles offered (ids or names); empty means all 16.
    pub lps: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GroupConfig {
    /// Most people in one group session.
    pub max_participants: u8,
    /// Rounds when `/group start` does not say.
    pub default_rounds: u8,
    /// Minutes to answer in a round when `/group start` does not say.
    pub answer_minutes: u32,
    /// Most group sessions running at once in one server.
    pub max_open_per_server: u32,
    /// Most group sessions one person hosts at once.
    pub max_open_per_host: u32,
    /// Most group sessions one person is in at once (hosting counts).
    pub max_joined_per_person: u32,
}

/// Seconds a person waits before using the same work-starting command again (0: no wait).
/// Other people are never affected by someone's cooldown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CooldownConfig {
    pub interview_start_seconds: u32,
    pub group_start_seconds: u32,
    pub stats_seconds: u32,
    pub export_seconds: u32,
    pub daily_now_seconds: u32,
}

/// The longest cooldown the config accepts: an hour.
pub const MAX_COOLDOWN_SECONDS: u32 = 3600;

impl Default for CooldownConfig {
    fn default() -> Self {
        Self {
            interview_start_seconds: 5,
            group_start_seconds: 10,
            stats_seconds: 5,
            export_seconds: 10,
            daily_now_seconds: 5,
        }
    }
}

impl CooldownConfig {
    /// The cooldowns as the quota rules take them.
    pub fn settings(&self) -> crate::quota::CooldownSettings {
        crate::quota::CooldownSettings {
            interview_start: self.interview_start_seconds,
            group_start: self.group_start_seconds,
            stats: self.stats_seconds,
            export: self.export_seconds,
            daily_now: self.daily_now_seconds,
        }
    }
}

impl GroupConfig {
    /// The caps on open groups as the quota rules take them.
    pub fn caps(&self) -> crate::quota::CapLimits {
        crate::quota::CapLimits {
            per_server: self.max_open_per_server,
            per_host: self.max_open_per_host,
            per_person: self.max_joined_per_person,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct DiscordConfig {
    /// Register commands in this guild only (instant updates while developing).
    pub dev_guild_id: Option<u64>,
    /// Read the token from this file instead of `DISCORD_TOKEN`.
    pub token_file: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            questions_dir: PathBuf::from("questions"),
            interview: InterviewConfig::default(),
            group: GroupConfig::default(),
            cooldowns: CooldownConfig::default(),
            discord: DiscordConfig::default(),
            source: None,
        }
    }
}

impl Default for InterviewConfig {
    fn default() -> Self {
        Self {
            idle_reminder_minutes: 10,
            idle_timeout_minutes: 30,
            max_follow_ups: 2,
            lps: Vec::new(),
        }
    }
}

impl Default for GroupConfig {
    fn default() -> Self {
        Self {
            max_participants: 8,
            default_rounds: 3,
            answer_minutes: 5,
            max_open_per_server: 10,
            max_open_per_host: 1,
            max_joined_per_person: 2,
        }
    }
}

/// The environment the config reads overrides from; a trait so tests need not touch the
/// process environment.
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
}

/// The real process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }
}

impl Config {
    /// Loads `path`, or `config/bar-raiser.toml` when it exists, or the defaults; then applies
    /// environment overrides and validates.
    pub fn load(path: Option<&Path>, env: &dyn Env) -> Result<Config, ConfigError> {
        let mut config = match path {
            Some(p) => Self::from_file(p)?,
            None if Path::new(DEFAULT_CONFIG_PATH).is_file() => {
                Self::from_file(Path::new(DEFAULT_CONFIG_PATH))?
            }
            None => Config::default(),
        };
        if let Some(dir) = env.var(ENV_DATA_DIR) {
            config.data_dir = PathBuf::from(dir);
        }
        config.validate()?;
        Ok(config)
    }

    fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut config = Self::parse(&text, path)?;
        config.source = Some(path.to_path_buf());
        Ok(config)
    }

    /// Parses config text; `path` only names the place in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|err| ConfigError::Parse {
            path: path.to_path_buf(),
            line: err
                .span()
                .map(|span| line_of(text, span.start))
                .unwrap_or(1),
            message: hide_string_values(err.message().trim()),
        })
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let path = self
            .source
            .clone()
            .unwrap_or_else(|| PathBuf::from("(defaults)"));
        let invalid = |key, message: String| ConfigError::Invalid {
            path: path.clone(),
            key,
            message,
        };
        let i = &self.interview;
        if i.idle_reminder_minutes == 0 {
            return Err(invalid(
                "interview.idle_reminder_minutes",
                "must be at least 1".into(),
            ));
        }
        if i.idle_timeout_minutes <= i.idle_reminder_minutes {
            return Err(invalid(
                "interview.idle_timeout_minutes",
                format!(
                    "must be greater than interview.idle_reminder_minutes ({})",
                    i.idle_reminder_minutes
                ),
            ));
        }
        if i.max_follow_ups > 2 {
            return Err(invalid(
                "interview.max_follow_ups",
                format!("must be 0, 1 or 2, not {}", i.max_follow_ups),
            ));
        }
        let g = &self.group;
        if !(2..=25).contains(&g.max_participants) {
            return Err(invalid(
                "group.max_participants",
                format!("must be between 2 and 25, not {}", g.max_participants),
            ));
        }
        if !(1..=10).contains(&g.default_rounds) {
            return Err(invalid(
                "group.default_rounds",
                format!("must be between 1 and 10, not {}", g.default_rounds),
            ));
        }
        if !(1..=30).contains(&g.answer_minutes) {
            return Err(invalid(
                "group.answer_minutes",
                format!("must be between 1 and 30, not {}", g.answer_minutes),
            ));
        }
        let caps = [
            ("group.max_open_per_server", g.max_open_per_server, 1000),
            ("group.max_open_per_host", g.max_open_per_host, 25),
            ("group.max_joined_per_person", g.max_joined_per_person, 25),
        ];
        for (key, value, max) in caps {
            if !(1..=max).contains(&value) {
                return Err(invalid(
                    key,
                    format!("must be between 1 and {max}, not {value}"),
                ));
            }
        }
        let c = &self.cooldowns;
        let cooldowns = [
            (
                "cooldowns.interview_start_seconds",
                c.interview_start_seconds,
            ),
            ("cooldowns.group_start_seconds", c.group_start_seconds),
            ("cooldowns.stats_seconds", c.stats_seconds),
            ("cooldowns.export_seconds", c.export_seconds),
            ("cooldowns.daily_now_seconds", c.daily_now_seconds),
        ];
        for (key, value) in cooldowns {
            if value > MAX_COOLDOWN_SECONDS {
                return Err(invalid(
                    key,
                    format!(
                        "must be between 0 (no cooldown) and {MAX_COOLDOWN_SECONDS} seconds, \
                         not {value}"
                    ),
                ));
            }
        }
        if self.data_dir.as_os_str().is_empty() {
            return Err(invalid("data_dir", "must not be empty".into()));
        }
        Ok(())
    }

    /// The bot token: `DISCORD_TOKEN`, else the file named by `discord.token_file`.
    /// The token is never logged or put in an error message.
    pub fn discord_token(&self, env: &dyn Env) -> Result<String, ConfigError> {
        if let Some(token) = env.var(ENV_TOKEN) {
            return Ok(token.trim().to_string());
        }
        if let Some(path) = &self.discord.token_file {
            let token = std::fs::read_to_string(path).map_err(|source| ConfigError::TokenFile {
                path: path.clone(),
                source,
            })?;
            let token = token.trim().to_string();
            if !token.is_empty() {
                return Ok(token);
            }
        }
        Err(ConfigError::MissingToken)
    }
}

/// 1-based line number of a byte offset.
/// toml quotes a mistyped string value in its message (`invalid type: string "…"`); that value
/// may be a token pasted under the wrong key, so it is never echoed.
fn hide_string_values(message: &str) -> String {
    const OPENING: &str = "string \"";
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find(OPENING) {
        out.push_str(&rest[..start]);
        out.push_str("a string");
        let after = &rest[start + OPENING.len()..];
        rest = match after.find('"') {
            Some(end) => &after[end + 1..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    #[test]
    fn a_mistyped_string_value_is_not_echoed() {
        let text = "[discord]\ndev_guild_id = \"MTIz.secret-token-value\"\n";
        let err = Config::parse(text, Path::new("bar-raiser.toml"))
            .expect_err("a string is not a guild id")
            .to_string();
        assert!(!err.contains("secret-token-value"), "{err}");
        assert!(err.contains("bar-raiser.toml:2"), "{err}");
        assert!(
            err.contains("invalid type: a string, expected u64"),
            "{err}"
        );
    }

    use super::*;

    struct FakeEnv(HashMap<&'static str, String>);

    impl Env for FakeEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).cloned()
        }
    }

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("test.toml"))
    }

    #[test]
    fn shipped_config_parses_and_equals_the_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_CONFIG_PATH);
        let text = std::fs::read_to_string(&path).expect("config/bar-raiser.toml is shipped");
        let config = Config::parse(&text, &path).expect("shipped config is valid");
        assert_eq!(config, Config::default());
    }

    #[test]
    fn unknown_key_is_named_with_its_line() {
        let err = parse("data_dir = \"x\"\n[interview]\nidle_timout_minutes = 5\n").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("test.toml:3:"), "{text}");
        assert!(text.contains("idle_timout_minutes"), "{text}");
    }

    #[test]
    fn wrong_type_is_named() {
        let err = parse("[group]\nmax_participants = \"eight\"\n").unwrap_err();
        assert!(err.to_string().contains("test.toml:2:"), "{err}");
    }

    #[test]
    fn invalid_value_names_the_key() {
        let mut config = parse("[interview]\nidle_reminder_minutes = 40\n").unwrap();
        config.source = Some(PathBuf::from("c.toml"));
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("interview.idle_timeout_minutes"), "{err}");
        assert!(err.starts_with("c.toml"), "{err}");
    }

    #[test]
    fn caps_and_cooldowns_out_of_range_name_their_key() {
        for (text, key) in [
            (
                "[group]\nmax_open_per_server = 0\n",
                "group.max_open_per_server",
            ),
            (
                "[group]\nmax_open_per_host = 26\n",
                "group.max_open_per_host",
            ),
            (
                "[group]\nmax_joined_per_person = 0\n",
                "group.max_joined_per_person",
            ),
            (
                "[cooldowns]\nstats_seconds = 3601\n",
                "cooldowns.stats_seconds",
            ),
            (
                "[cooldowns]\nexport_seconds = 99999\n",
                "cooldowns.export_seconds",
            ),
        ] {
            let err = parse(text).unwrap().validate().unwrap_err().to_string();
            assert!(err.contains(key), "{text}: {err}");
        }
        let err = parse("[cooldowns]\nstats_secs = 3\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("stats_secs") && err.contains("test.toml:2"),
            "{err}"
        );
        let off = parse("[cooldowns]\ninterview_start_seconds = 0\n").unwrap();
        assert!(off.validate().is_ok());
        assert_eq!(off.cooldowns.settings().interview_start, 0);
        assert_eq!(off.cooldowns.settings().stats, 5);
    }

    #[test]
    fn env_overrides_data_dir() {
        let env = FakeEnv(HashMap::from([(
            ENV_DATA_DIR,
            "/tmp/elsewhere".to_string(),
        )]));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "data_dir = \"here\"\n").unwrap();
        let config = Config::load(Some(&path), &env).unwrap();
        assert_eq!(config.data_dir, PathBuf::from("/tmp/elsewhere"));
    }

    #[test]
    fn token_comes_from_env_then_file_and_never_appears_in_errors() {
        let config = Config::default();
        let env = FakeEnv(HashMap::from([(ENV_TOKEN, " secret-token \n".to_string())]));
        assert_eq!(config.discord_token(&env).unwrap(), "secret-token");

        let empty = FakeEnv(HashMap::new());
        let err = config.discord_token(&empty).unwrap_err().to_string();
        assert!(err.contains(ENV_TOKEN), "{err}");

        let dir = tempfile::tempdir().unwrap();
        let token_path = dir.path().join("token");
        std::fs::write(&token_path, "file-token\n").unwrap();
        let mut with_file = Config::default();
        with_file.discord.token_file = Some(token_path);
        assert_eq!(with_file.discord_token(&empty).unwrap(), "file-token");
    }

    #[test]
    fn missing_file_names_the_path() {
        let err = Config::load(
            Some(Path::new("/nonexistent/bar.toml")),
            &FakeEnv(HashMap::new()),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("/nonexistent/bar.toml"), "{err}");
    }
}
