//! The failure pattern catalog: known failures, what they mean, and what to do about them.
//!
//! The built-in catalog is data (`assets/patterns.yml`, compiled into the binary); the
//! repository's own `failure_patterns` come first and their suggestions win. The patterns
//! form one [`PatternSet`]: a line is searched once for the literals they require, and only
//! the patterns whose literals it holds are compiled (on first use) and run. The winning
//! pattern's regex then runs once more on that line, for its capture.

use std::collections::BTreeMap;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::builtin;
use super::pattern_set::{Literals, PatternSet};
use crate::config::FailurePattern;

/// What autoheal recommends doing about a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recommendation {
    /// Ask Copilot for a fix.
    Heal,
    /// A transient failure: re-run the failed jobs first.
    Rerun,
    /// A person must look (security, authentication, credentials).
    ManualReview,
    /// The policy forbids healing this run.
    Blocked,
}

impl Recommendation {
    pub fn as_str(self) -> &'static str {
        match self {
            Recommendation::Heal => "heal",
            Recommendation::Rerun => "rerun",
            Recommendation::ManualReview => "manual_review",
            Recommendation::Blocked => "blocked",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "heal" => Recommendation::Heal,
            "rerun" => Recommendation::Rerun,
            "manual_review" => Recommendation::ManualReview,
            _ => return None,
        })
    }
}

/// A failure category and whether it is safe to hand to an AI (see [`super::verdict`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Category {
    pub name: String,
    pub safe_to_heal: bool,
    pub description: String,
}

/// Where a pattern came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PatternSource {
    Repository,
    Builtin,
}

/// One pattern of the catalog (its compiled form is in the catalog's [`PatternSet`]).
#[derive(Debug, Clone)]
pub struct Pattern {
    pub id: String,
    pub category: String,
    /// The regex's source.
    pub regex: String,
    pub suggestion: String,
    pub recommendation: Recommendation,
    pub source: PatternSource,
    /// A repository pattern that named neither its category nor its recommendation takes
    /// them from the built-in pattern matching the same line (its suggestion still wins).
    pub inherits_category: bool,
    pub inherits_recommendation: bool,
    /// Lines that must match, with the expected `subject` capture (built-in only; tested).
    pub examples: Vec<(String, Option<String>)>,
    pub counter_examples: Vec<String>,
}

/// A pattern found on a line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatternMatch {
    pub pattern: String,
    pub category: String,
    pub suggestion: String,
    pub recommendation: Recommendation,
    pub source: PatternSource,
    /// The identifying capture (the missing module, the error code), if the pattern has one.
    pub subject: Option<String>,
    /// Byte range of the match in the line's clean text (for emphasis in the console).
    #[serde(skip)]
    pub span: (usize, usize),
    /// Position in the catalog (lower wins): repository patterns, then built-in order.
    #[serde(skip)]
    pub priority: usize,
    /// The category was named (by the pattern, or the built-in pattern on the same line),
    /// not the default a repository pattern without one gets: the analysis then decides it.
    #[serde(skip)]
    pub category_named: bool,
}

/// Every pattern in force.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub patterns: Vec<Pattern>,
    pub categories: BTreeMap<String, Category>,
    set: PatternSet,
}

impl Catalog {
    /// The built-in catalog alone.
    pub fn builtin() -> Result<Catalog, String> {
        Catalog::with_repository_patterns(&[])
    }

    /// The repository's patterns (first, so their suggestions win), then the built-in ones.
    pub fn with_repository_patterns(user: &[FailurePattern]) -> Result<Catalog, String> {
        let mut categories: BTreeMap<String, Category> = builtin::CATEGORIES
            .iter()
            .map(|&(name, safe_to_heal, description)| {
                (
                    name.to_string(),
                    Category {
                        name: name.to_string(),
                        safe_to_heal,
                        description: description.to_string(),
                    },
                )
            })
            .collect();
        categories
            .entry("configuration".into())
            .or_insert_with(|| Category {
                name: "configuration".into(),
                safe_to_heal: true,
                description: "Configuration errors".into(),
            });
        let mut patterns = Vec::with_capacity(user.len() + builtin::PATTERNS.len());
        let mut compiled = Vec::with_capacity(user.len());
        for (i, p) in user.iter().enumerate() {
            let regex = crate::config::load::compile_user_pattern(&p.pattern)
                .map_err(|e| format!("failure_patterns[{i}] {:?}: {e}", p.pattern))?;
            let category = p.category.clone().unwrap_or_else(|| "configuration".into());
            let category_safe = categories.get(&category).map(|c| c.safe_to_heal);
            let recommendation = p
                .recommendation
                .as_deref()
                .and_then(Recommendation::parse)
                .unwrap_or(match category_safe {
                    Some(false) => Recommendation::ManualReview,
                    _ => Recommendation::Heal,
                });
            categories
                .entry(category.clone())
                .or_insert_with(|| Category {
                    name: category.clone(),
                    safe_to_heal: true,
                    description: "Defined by the repository".into(),
                });
            patterns.push(Pattern {
                id: format!("repo-{}", i + 1),
                category,
                regex: p.pattern.clone(),
                suggestion: p.suggestion.clone(),
                recommendation,
                source: PatternSource::Repository,
                inherits_category: p.category.is_none(),
                inherits_recommendation: p.recommendation.is_none(),
                examples: Vec::new(),
                counter_examples: Vec::new(),
            });
            compiled.push(regex);
        }
        for p in builtin::PATTERNS {
            let recommendation = match p.recommendation {
                Some(r) => Recommendation::parse(r)
                    .ok_or_else(|| format!("built-in pattern {}: recommendation {r:?}", p.id))?,
                None => Recommendation::Heal,
            };
            let examples = p
                .examples
                .iter()
                .enumerate()
                .map(|(i, e)| (e.to_string(), p.subjects.get(i).map(|s| s.to_string())))
                .collect();
            patterns.push(Pattern {
                id: p.id.to_string(),
                category: p.category.to_string(),
                regex: p.regex.to_string(),
                suggestion: p.suggestion.to_string(),
                recommendation,
                source: PatternSource::Builtin,
                inherits_category: false,
                inherits_recommendation: false,
                examples,
                counter_examples: p.counter_examples.iter().map(|s| s.to_string()).collect(),
            });
        }
        // A repository's patterns are compiled (to report their errors when the policy is
        // read) and their literals found now; the built-in ones come ready from the build.
        let mut compiled = compiled.into_iter();
        let literals = builtin::PATTERNS
            .iter()
            .map(|p| Literals::Known(p.literals));
        let set = PatternSet::new(
            patterns
                .iter()
                .map(|p| p.regex.clone())
                .zip(compiled.by_ref().map(Some).chain(std::iter::repeat(None)))
                .zip(std::iter::repeat_n(Literals::Find, user.len()).chain(literals))
                .map(|((source, regex), literals)| (source, regex, literals)),
            true,
        );
        Ok(Catalog {
            patterns,
            categories,
            set,
        })
    }

    /// The patterns' sources, as a filter over raw bytes needs them.
    pub fn regex_sources(&self) -> impl Iterator<Item = &str> {
        self.patterns.iter().map(|p| p.regex.as_str())
    }

    /// The patterns, matched through their literals.
    pub fn pattern_set(&self) -> &PatternSet {
        &self.set
    }

    /// Pattern `i`'s regex, compiled on first use.
    pub fn regex(&self, i: usize) -> Option<&Regex> {
        self.set.regex(i)
    }

    /// The first (highest-priority) pattern matching `line`, with its capture.
    pub fn match_line(&self, line: &str) -> Option<PatternMatch> {
        let mut matched = Vec::new();
        self.set.matches(line, &mut matched);
        self.first_of(line, &matched)
    }

    /// The same, given the patterns whose literals an automaton found on the line.
    pub fn match_line_among(
        &self,
        line: &str,
        candidates: &[u32],
        matched: &mut Vec<u32>,
    ) -> Option<PatternMatch> {
        self.set.matches_among(line, candidates, matched);
        self.first_of(line, matched)
    }

    fn first_of(&self, line: &str, matched: &[u32]) -> Option<PatternMatch> {
        let index = *matched.first()? as usize;
        let p = &self.patterns[index];
        let builtin = if p.inherits_category || p.inherits_recommendation {
            matched
                .iter()
                .map(|&i| &self.patterns[i as usize])
                .find(|b| b.source == PatternSource::Builtin)
        } else {
            None
        };
        let category = match builtin {
            Some(b) if p.inherits_category => b.category.clone(),
            _ => p.category.clone(),
        };
        let category_named = !p.inherits_category || builtin.is_some();
        let recommendation = match builtin {
            Some(b) if p.inherits_recommendation => b.recommendation,
            _ => p.recommendation,
        };
        let caps = self.set.regex(index)?.captures(line)?;
        let whole = caps.get(0)?;
        let subject = caps
            .name("subject")
            .map(|m| m.as_str().trim().to_string())
            .filter(|s| !s.is_empty());
        let suggestion = match &subject {
            Some(s) => p.suggestion.replace("{subject}", s),
            None => p
                .suggestion
                .replace("`{subject}`", "it")
                .replace("{subject}", "it"),
        };
        Some(PatternMatch {
            pattern: p.id.clone(),
            category,
            suggestion,
            recommendation,
            source: p.source,
            subject,
            span: (whole.start(), whole.end()),
            priority: index,
            category_named,
        })
    }

    pub fn category(&self, name: &str) -> Option<&Category> {
        self.categories.get(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_catalog_loads_and_is_large_enough() {
        let c = Catalog::builtin().unwrap();
        assert!(c.patterns.len() >= 60, "{} patterns", c.patterns.len());
        for needed in [
            "dependency",
            "timeout",
            "resources",
            "docker",
            "compile",
            "test",
            "workflow_syntax",
            "network",
            "rate_limit",
            "auth",
            "credentials",
            "security",
        ] {
            assert!(
                c.patterns.iter().any(|p| p.category == needed),
                "no pattern of category {needed}"
            );
        }
        let ids: std::collections::HashSet<_> = c.patterns.iter().map(|p| &p.id).collect();
        assert_eq!(ids.len(), c.patterns.len(), "pattern ids are unique");
    }

    #[test]
    fn every_example_matches_its_own_pattern_with_its_subject() {
        let c = Catalog::builtin().unwrap();
        for (i, p) in c.patterns.iter().enumerate() {
            assert!(!p.examples.is_empty(), "{} has no example", p.id);
            for (example, subject) in &p.examples {
                let caps = c
                    .regex(i)
                    .unwrap_or_else(|| panic!("{} compiles", p.id))
                    .captures(example)
                    .unwrap_or_else(|| panic!("{}: example does not match: {example}", p.id));
                if let Some(expected) = subject {
                    assert_eq!(
                        caps.name("subject").map(|m| m.as_str()),
                        Some(expected.as_str()),
                        "{}: subject of {example}",
                        p.id
                    );
                }
            }
            for counter in &p.counter_examples {
                assert!(
                    !c.regex(i).is_some_and(|r| r.is_match(counter)),
                    "{}: counter-example matches: {counter}",
                    p.id
                );
            }
        }
    }

    #[test]
    fn every_example_is_won_by_its_own_pattern() {
        // Order is priority: an earlier, broader pattern must not steal a later one's lines.
        let c = Catalog::builtin().unwrap();
        for p in &c.patterns {
            for (example, _) in &p.examples {
                let won = c.match_line(example).map(|m| m.pattern);
                assert_eq!(won.as_deref(), Some(p.id.as_str()), "{example}");
            }
        }
    }

    #[test]
    fn repository_patterns_come_first_and_their_suggestions_win() {
        let user = vec![FailurePattern::new(
            "no space left on device",
            "Add disk cleanup step",
        )];
        let c = Catalog::with_repository_patterns(&user).unwrap();
        let m = c
            .match_line("OSError: [Errno 28] No space left on device")
            .unwrap();
        assert_eq!(m.source, PatternSource::Repository);
        assert_eq!(m.suggestion, "Add disk cleanup step");
        // No category given: the built-in pattern on the same line lends its own.
        assert_eq!(m.category, "resources");
        let plain = c
            .match_line("no space left on device, said the disk")
            .unwrap();
        assert_eq!(plain.source, PatternSource::Repository);
    }

    #[test]
    fn a_repository_pattern_cannot_make_a_credentials_failure_safe() {
        let user = vec![FailurePattern::new(
            "Could not load credentials",
            "Set the deploy role secret",
        )];
        let c = Catalog::with_repository_patterns(&user).unwrap();
        let m = c
            .match_line("Error: Could not load credentials from any providers")
            .unwrap();
        assert_eq!(m.suggestion, "Set the deploy role secret");
        assert_eq!(m.category, "credentials");
        assert_eq!(m.recommendation, Recommendation::ManualReview);
    }

    #[test]
    fn captures_fill_the_suggestion() {
        let c = Catalog::builtin().unwrap();
        let m = c
            .match_line("E   ModuleNotFoundError: No module named 'requests'")
            .unwrap();
        assert_eq!(m.category, "dependency");
        assert_eq!(m.subject.as_deref(), Some("requests"));
        assert!(m.suggestion.contains("requests"), "{}", m.suggestion);
    }
}
