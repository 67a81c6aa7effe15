//! `autoheal completions SHELL` and `autoheal man`: the shell completion scripts and the
//! manual page, generated from the command line's own definition so they never drift from it.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, Failure};

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, powershell or elvish.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// The completion script for a shell, as text.
pub fn completion_script(shell: Shell) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "autoheal", &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

pub fn completions(args: CompletionsArgs) -> Result<(), Failure> {
    print(&completion_script(args.shell))
}

/// The manual page (roff), with a section for every subcommand.
pub fn man_page() -> Result<String, Failure> {
    let command = Cli::command();
    let mut out = Vec::new();
    let man = clap_mangen::Man::new(command.clone());
    man.render(&mut out)
        .map_err(|e| Failure::internal(format!("cannot render the manual page: {e}")))?;
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        // A page of its own is named after the command (`autoheal-heal`); clap wants the name
        // for the life of the process, which `man` is.
        let name: &'static str = Box::leak(format!("autoheal-{}", sub.get_name()).into_boxed_str());
        let page = clap_mangen::Man::new(sub.clone().name(name));
        out.extend_from_slice(b"\n");
        page.render_title(&mut out)
            .and_then(|()| page.render_name_section(&mut out))
            .and_then(|()| page.render_synopsis_section(&mut out))
            .and_then(|()| page.render_description_section(&mut out))
            .and_then(|()| page.render_options_section(&mut out))
            .map_err(|e| Failure::internal(format!("cannot render the manual page: {e}")))?;
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

pub fn man() -> Result<(), Failure> {
    print(&man_page()?)
}

fn print(text: &str) -> Result<(), Failure> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        // `autoheal man | head`: the reader went away; nothing is wrong.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::internal(format!("cannot write: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shell_completes_every_subcommand() {
        let names: Vec<String> = Cli::command()
            .get_subcommands()
            .map(|s| s.get_name().to_string())
            .collect();
        assert!(names.len() >= 12, "{names:?}");
        for shell in [
            Shell::Bash,
            Shell::Zsh,
            Shell::Fish,
            Shell::PowerShell,
            Shell::Elvish,
        ] {
            let script = completion_script(shell);
            for name in &names {
                assert!(script.contains(name.as_str()), "{shell}: {name}");
            }
        }
    }

    #[test]
    fn the_manual_page_has_every_subcommand() {
        let page = man_page().unwrap();
        assert!(
            page.starts_with(".ie") || page.contains(".TH"),
            "{}",
            &page[..200]
        );
        for sub in Cli::command().get_subcommands() {
            assert!(
                page.contains(&format!("autoheal\\-{}", sub.get_name()))
                    || page.contains(&format!("autoheal-{}", sub.get_name())),
                "{}",
                sub.get_name()
            );
        }
    }
}
