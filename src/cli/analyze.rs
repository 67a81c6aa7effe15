//! `autoheal analyze`: the failure analysis on a local log file.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use crate::analysis::{Analyzer, Baseline, JobContext, LogAnalysis, LogFormat};
use crate::engine::report::{ExcerptReport, MatchOut, redacted_excerpt, redacted_matches};
use crate::text::redact;

use super::{Failure, GlobalArgs, output};

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// The log: a raw GitHub job log, `gh run view --log` output, or any CI's plain log;
    /// `-` reads standard input (`gh run view --log-failed | autoheal analyze --log -`).
    #[arg(long, value_name = "FILE")]
    pub log: PathBuf,
    /// The last passing log of the same job: lines new in the failing log weigh more.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct AnalyzeDocument<'a> {
    file: String,
    format: LogFormat,
    total_lines: usize,
    failed_step: Option<&'a str>,
    category: &'a str,
    safe_to_heal: bool,
    /// Why the failure may not be healed; null exactly when `safe_to_heal`.
    blocked_reason: Option<String>,
    /// Where the job failed: the failed command's lines, up to the CI's word that it failed.
    failure_region: &'a crate::analysis::region::Region,
    excerpt: Vec<ExcerptReport>,
    matches: Vec<MatchOut>,
    matches_total: usize,
}

pub fn run(global: &GlobalArgs, args: AnalyzeArgs) -> Result<(), Failure> {
    let policy = match &global.config {
        Some(path) => {
            let p = crate::config::load_file(path)?;
            for w in &p.warnings {
                output::warning(w);
            }
            p.policy
        }
        None => crate::config::Policy::default(),
    };
    let analyzer = Analyzer::new(&policy.failure_patterns).map_err(Failure::usage)?;
    let input: Box<dyn std::io::Read + Send> = if args.log.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(
            std::fs::File::open(&args.log)
                .map_err(|e| Failure::usage(format!("cannot read {}: {e}", args.log.display())))?,
        )
    };
    let baseline = match &args.baseline {
        Some(path) => Some(Baseline::from_log(&std::fs::read(path).map_err(|e| {
            Failure::usage(format!("cannot read {}: {e}", path.display()))
        })?)),
        None => None,
    };
    let ctx = JobContext {
        steps: &[],
        baseline: baseline.as_ref(),
    };
    let analysis = analyzer
        .analyze(input, &ctx)
        .map_err(|e| Failure::internal(format!("cannot read {}: {e}", args.log.display())))?;

    if args.json {
        // The failed command is log text: it leaves the machine masked, like the excerpt.
        let mut region = analysis.region.clone();
        region.command = region.command.map(|c| redact::redact(&c, &[]).into_owned());
        let doc = AnalyzeDocument {
            file: args.log.display().to_string(),
            format: analysis.format,
            total_lines: analysis.total_lines,
            failed_step: analysis.failed_step.as_deref(),
            category: &analysis.category,
            safe_to_heal: analysis.safe_to_heal,
            blocked_reason: (!analysis.safe_to_heal)
                .then(|| crate::analysis::verdict::unsafe_category(&analysis.category)),
            failure_region: &region,
            excerpt: redacted_excerpt(&analysis, &[]),
            matches: redacted_matches(&analysis, &[]),
            matches_total: analysis.matches_total,
        };
        output::json(&doc)
    } else {
        output::text(|out| print_text(out, &args.log.display().to_string(), &analysis))
    }
}

fn print_text(out: &mut dyn Write, file: &str, a: &LogAnalysis) -> std::io::Result<()> {
    let format = match a.format {
        LogFormat::RawGithub => "raw GitHub job log",
        LogFormat::GhRunView => "gh run view --log output",
        LogFormat::Plain => "plain log",
    };
    writeln!(out, "{file}: {format}, {} lines", a.total_lines)?;
    if let Some(step) = &a.failed_step {
        writeln!(out, "failed step: {}", redact::redact(step, &[]))?;
    }
    let safety = if a.safe_to_heal {
        "safe to hand to Copilot"
    } else {
        "needs a person: not safe to hand to an AI"
    };
    writeln!(out, "category: {} ({safety})", a.category)?;
    if !a.matches.is_empty() {
        writeln!(out, "\nmatched patterns:")?;
        for m in a.matches.iter().take(20) {
            writeln!(
                out,
                "  line {:>6}  {} [{}]\n               {}",
                m.line,
                m.pattern,
                m.category,
                redact::redact(&m.suggestion, &[])
            )?;
        }
        if a.matches_total > 20 {
            writeln!(out, "  … and {} more", a.matches_total - 20)?;
        }
    }
    writeln!(out, "\nexcerpt:")?;
    let mut last = 0;
    for l in &a.excerpt {
        if last != 0 && l.line > last + 1 {
            writeln!(out, "  {:>6} ┆", "⋮")?;
        }
        let text = redact::redact(&l.text, &[]);
        let repeated = l.repeated.map(|n| format!("  (×{n})")).unwrap_or_default();
        let mark = if l.anchor { '▶' } else { '│' };
        writeln!(out, "  {:>6} {mark} {text}{repeated}", l.line)?;
        last = l.line + l.repeated.unwrap_or(1) - 1;
    }
    if a.excerpt.is_empty() {
        writeln!(out, "  (no line in this log looks like a failure)")?;
    }
    Ok(())
}
