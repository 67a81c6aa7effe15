//! Reading `.github/auto-heal-config.yml` into a [`Policy`], with errors a person can act on.
//!
//! Every error names the file and, where YAML or a type is wrong, the line and column; a bad
//! regular expression names the pattern. Unknown keys are not errors (a newer autoheal may
//! know them): they come back as warnings naming the key.

use std::path::{Path, PathBuf};

use regex::RegexBuilder;

use super::matcher::NameMatcher;
use super::policy::Policy;

/// Where the policy in force came from; shown by `scan` and recorded in `healing_context.json`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PolicySource {
    /// A file on this machine (`--config`, or the checkout in the working directory).
    File { path: PathBuf },
    /// The repository's default branch, through the contents API.
    Repository { repo: String, path: String },
    /// No file anywhere: the defaults, the values `autoheal init` writes.
    Defaults,
}

impl std::fmt::Display for PolicySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PolicySource::File { path } => write!(f, "{}", path.display()),
            PolicySource::Repository { repo, path } => write!(f, "{repo}:{path}"),
            PolicySource::Defaults => f.write_str("built-in defaults"),
        }
    }
}

/// A validated policy and what was noticed while reading it.
#[derive(Debug, Clone)]
pub struct LoadedPolicy {
    pub policy: Policy,
    pub source: PolicySource,
    pub warnings: Vec<String>,
}

impl LoadedPolicy {
    pub fn defaults() -> Self {
        LoadedPolicy {
            policy: Policy::default(),
            source: PolicySource::Defaults,
            warnings: Vec::new(),
        }
    }
}

/// Why a configuration file was refused. Displayed as `file:line:column: message`.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
    #[error("{file}: failure_patterns[{index}]: invalid regular expression {pattern:?}: {message}")]
    BadPattern {
        file: String,
        index: usize,
        pattern: String,
        message: String,
    },
    #[error("cannot read {file}: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
}

/// Largest configuration file we read. A policy is a page of YAML; anything bigger is a
/// mistake (or an attack) and is refused before parsing.
pub const MAX_CONFIG_BYTES: usize = 1024 * 1024;

/// Upper bound on a compiled user pattern, so a pathological regex fails fast and clearly.
const MAX_PATTERN_SIZE: usize = 1 << 20;

/// Reads and validates a policy file from disk.
pub fn load_file(path: &Path) -> Result<LoadedPolicy, ConfigError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| ConfigError::Io {
        file: file.clone(),
        source,
    })?;
    let (policy, warnings) = parse_policy(&bytes, &file)?;
    Ok(LoadedPolicy {
        policy,
        source: PolicySource::File {
            path: path.to_path_buf(),
        },
        warnings,
    })
}

/// Parses and validates policy text; `file` is only used in messages.
pub fn parse_policy(bytes: &[u8], file: &str) -> Result<(Policy, Vec<String>), ConfigError> {
    if bytes.len() > MAX_CONFIG_BYTES {
        return Err(ConfigError::Invalid {
            file: file.into(),
            message: format!(
                "file is {} bytes; a policy file may be at most {} bytes",
                bytes.len(),
                MAX_CONFIG_BYTES
            ),
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let (line, column) = line_column(bytes, e.valid_up_to());
        ConfigError::Syntax {
            file: file.into(),
            line,
            column,
            message: "file is not valid UTF-8".into(),
        }
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);

    // A file holding only comments (or nothing) means "the defaults", as an absent file does.
    if text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#') || l.trim() == "---")
    {
        return Ok((Policy::default(), Vec::new()));
    }

    let mut warnings = Vec::new();
    let deserializer = serde_yaml::Deserializer::from_str(text);
    let policy: Policy = serde_ignored::deserialize(deserializer, |path| {
        warnings.push(format!("{file}: unknown key `{path}` ignored"));
    })
    .map_err(|e| yaml_error(e, file, text))?;
    validate(&policy, file)?;
    Ok((policy, warnings))
}

fn yaml_error(e: serde_yaml::Error, file: &str, text: &str) -> ConfigError {
    let message = e.to_string();
    // serde_yaml places a duplicate key at its mapping's start; point at the duplicate itself.
    if let Some(key) = message
        .strip_prefix("duplicate field `")
        .or_else(|| message.strip_prefix("duplicate entry with key \""))
        .and_then(|rest| rest.split(['`', '"']).next())
        && let Some((line, column)) = second_occurrence(text, key)
    {
        return ConfigError::Syntax {
            file: file.into(),
            line,
            column,
            message: format!("duplicate key `{key}`"),
        };
    }
    match e.location() {
        Some(loc) => {
            // serde_yaml appends " at line L column C"; we print the location up front instead.
            let suffix = format!(" at line {} column {}", loc.line(), loc.column());
            let message = message.replace(&suffix, "");
            ConfigError::Syntax {
                file: file.into(),
                line: loc.line(),
                column: loc.column(),
                message,
            }
        }
        None => ConfigError::Invalid {
            file: file.into(),
            message,
        },
    }
}

/// Line and column of the second line that defines `key:`.
fn second_occurrence(text: &str, key: &str) -> Option<(usize, usize)> {
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let trimmed = l.trim_start();
            let rest = trimmed
                .strip_prefix(key)
                .or_else(|| trimmed.strip_prefix("- ")?.strip_prefix(key))?;
            rest.trim_start()
                .starts_with(':')
                .then(|| (i + 1, l.len() - trimmed.len() + 1))
        })
        .nth(1)
}

fn line_column(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = memchr::memchr_iter(b'\n', before).count() + 1;
    let column = before.len()
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1)
        + 1;
    (line, column)
}

/// Checks what the type system cannot: regexes compile, globs parse, values are in range.
fn validate(policy: &Policy, file: &str) -> Result<(), ConfigError> {
    let invalid = |message: String| ConfigError::Invalid {
        file: file.into(),
        message,
    };
    for (index, p) in policy.failure_patterns.iter().enumerate() {
        compile_user_pattern(&p.pattern).map_err(|message| ConfigError::BadPattern {
            file: file.into(),
            index,
            pattern: p.pattern.clone(),
            message,
        })?;
        if let Some(rec) = &p.recommendation
            && !matches!(rec.as_str(), "heal" | "rerun" | "manual_review")
        {
            return Err(invalid(format!(
                "failure_patterns[{index}].recommendation: {rec:?} is not one of heal, rerun, manual_review"
            )));
        }
    }
    for (key, globs) in [
        ("monitored_workflows", &policy.monitored_workflows),
        ("excluded_workflows", &policy.excluded_workflows),
        (
            "security.trusted_branches",
            &policy.security.trusted_branches,
        ),
    ] {
        NameMatcher::new(globs).map_err(|e| invalid(format!("{key}: {e}")))?;
    }
    let t = policy.copilot.temperature;
    if !(0.0..=2.0).contains(&t) {
        return Err(invalid(format!(
            "copilot.temperature: {t} is outside 0.0..=2.0"
        )));
    }
    if policy.copilot.trigger.trim().is_empty() {
        return Err(invalid("copilot.trigger: must not be empty".into()));
    }
    if policy.branches.prefix.is_empty() {
        return Err(invalid("branches.prefix: must not be empty".into()));
    }
    if !policy.branches.naming.starts_with(&policy.branches.prefix) {
        return Err(invalid(format!(
            "branches.naming: {:?} must start with branches.prefix {:?} (cleanup only touches branches under the prefix)",
            policy.branches.naming, policy.branches.prefix
        )));
    }
    if !policy.branches.naming.contains("{run_id}") {
        return Err(invalid(format!(
            "branches.naming: {:?} must contain {{run_id}} so every heal gets its own branch",
            policy.branches.naming
        )));
    }
    if policy.labels.tracking.trim().is_empty() {
        return Err(invalid("labels.tracking: must not be empty".into()));
    }
    if policy.rerun.max_attempts == 0 {
        return Err(invalid("rerun.max_attempts: must be at least 1".into()));
    }
    Ok(())
}

/// Compiles a repository's `failure_patterns` entry the one way autoheal uses it:
/// case-insensitive, linear-time engine, bounded size.
pub fn compile_user_pattern(pattern: &str) -> Result<regex::Regex, String> {
    RegexBuilder::new(pattern)
        .case_insensitive(true)
        .size_limit(MAX_PATTERN_SIZE)
        .build()
        .map_err(|e| match e {
            regex::Error::Syntax(s) => s.lines().last().unwrap_or_default().trim().to_string(),
            regex::Error::CompiledTooBig(limit) => {
                format!("pattern compiles to more than {limit} bytes; simplify it")
            }
            other => other.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<(Policy, Vec<String>), ConfigError> {
        parse_policy(text.as_bytes(), ".github/auto-heal-config.yml")
    }

    #[test]
    fn the_designs_example_parses_to_the_defaults() {
        let text = r#"
enabled: true
monitored_workflows:
  - "*"
excluded_workflows:
  - "Auto-Heal Workflow Failures"
max_heal_attempts_per_day: 3
copilot:
  enabled: true
  model: "gpt-4"
  temperature: 0.2
  include_context:
    - "README.md"
    - "requirements.txt"
failure_patterns:
  - pattern: "no space left on device"
    suggestion: "Add disk cleanup step"
  - pattern: "timeout"
    suggestion: "Increase timeout value"
security:
  trusted_branches:
    - "main"
    - "develop"
  require_code_review: true
  run_security_scans: true
  max_file_changes: 20
"#;
        let (policy, warnings) = parse(text).unwrap();
        assert_eq!(policy, Policy::default());
        assert!(warnings.is_empty());
    }

    #[test]
    fn empty_and_comment_only_files_mean_defaults() {
        for text in ["", "\n\n", "# nothing yet\n", "\u{feff}# bom\n", "---\n"] {
            assert_eq!(parse(text).unwrap().0, Policy::default(), "{text:?}");
        }
    }

    #[test]
    fn a_wrong_type_names_file_line_and_column() {
        let err = parse("enabled: true\nmax_heal_attempts_per_day: lots\n").unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with(".github/auto-heal-config.yml:2:28: "),
            "{msg}"
        );
        assert!(msg.contains("max_heal_attempts_per_day"), "{msg}");
    }

    #[test]
    fn malformed_yaml_is_located() {
        let err = parse("enabled: true\ncopilot:\n  model: [unclosed\n").unwrap_err();
        assert!(matches!(err, ConfigError::Syntax { .. }), "{err}");
        assert!(err.to_string().starts_with(".github/auto-heal-config.yml:"));
    }

    #[test]
    fn a_bom_is_ignored() {
        let (policy, _) = parse("\u{feff}enabled: false\n").unwrap();
        assert!(!policy.enabled);
    }

    #[test]
    fn unknown_keys_warn_with_their_path() {
        let (policy, warnings) = parse("enabeld: false\ncopilot:\n  modle: x\n").unwrap();
        assert!(policy.enabled);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].contains("`enabeld`"));
        assert!(warnings[1].contains("`copilot.modle`"));
    }

    #[test]
    fn a_bad_regex_names_the_pattern() {
        let err = parse("failure_patterns:\n  - pattern: \"(unclosed\"\n    suggestion: x\n")
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("failure_patterns[0]"), "{msg}");
        assert!(msg.contains("(unclosed"), "{msg}");
    }

    #[test]
    fn lookaround_is_refused_because_only_the_linear_engine_is_used() {
        let err =
            parse("failure_patterns:\n  - pattern: \"a(?=b)\"\n    suggestion: x\n").unwrap_err();
        assert!(matches!(err, ConfigError::BadPattern { .. }));
    }

    #[test]
    fn huge_numbers_are_located_errors_not_panics() {
        let err = parse("max_heal_attempts_per_day: 99999999999999999999999\n").unwrap_err();
        assert!(matches!(err, ConfigError::Syntax { line: 1, .. }), "{err}");
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let err = parse("enabled: true\nenabled: false\n").unwrap_err();
        assert!(err.to_string().contains(":2:"), "{err}");
    }

    #[test]
    fn tabs_are_a_located_error() {
        let err = parse("copilot:\n\tmodel: x\n").unwrap_err();
        assert!(matches!(err, ConfigError::Syntax { line: 2, .. }), "{err}");
    }

    #[test]
    fn oversized_files_are_refused_before_parsing() {
        let big = "# x\n".repeat(MAX_CONFIG_BYTES);
        assert!(matches!(
            parse(&big).unwrap_err(),
            ConfigError::Invalid { .. }
        ));
    }

    #[test]
    fn branch_naming_must_stay_under_the_prefix() {
        let err = parse("branches:\n  naming: \"fix/{run_id}\"\n").unwrap_err();
        assert!(err.to_string().contains("branches.naming"));
    }

    #[test]
    fn the_copilot_mode_is_one_of_three() {
        let (p, _) = parse("copilot:\n  mode: task\n").unwrap();
        assert_eq!(p.copilot.mode, super::super::policy::CopilotMode::Task);
        assert!(parse("copilot:\n  mode: workspace\n").is_err());
    }
}
