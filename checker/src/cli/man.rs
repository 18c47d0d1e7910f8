//! The manual pages (the `full` feature): one page per subcommand, with the exit statuses
//! and the environment.

use clap::CommandFactory;

use crate::error::exit_codes;

/// The exit statuses, as the manual pages say them: one table, from `exit_codes`.
const EXIT_STATUS: &[(u8, &str)] = &[
    (exit_codes::OK, "No selected scenario failed (skipped ones are counted apart)."),
    (
        exit_codes::FAILED,
        "At least one scenario failed, or a lab does not compile or is missing.",
    ),
    (
        exit_codes::USAGE,
        "The command line was wrong: unknown lab, missing program, bad option.",
    ),
    (
        exit_codes::ENVIRONMENT,
        "The environment cannot run the checks (no cargo, no System V IPC, ...), or the checker was interrupted.",
    ),
];

/// The environment variables the checker reads.
const ENVIRONMENT: &[(&str, &str)] = &[
    ("NO_COLOR", "When set and not empty, no colours (--color auto)."),
    ("FORCE_COLOR, CLICOLOR_FORCE", "When set (and not 0), colours on stdout even when it is not a terminal (--color auto)."),
    ("CARGO, RUSTC", "The cargo and rustc that build the Rust labs; else those on PATH, else those of the toolchain the checker was built with."),
    ("CC", "The C compiler of the C track (default cc)."),
    ("AUTOGRADER_ROOT", "Where the Gradescope autograder is laid out (default /autograder)."),
    ("SHMLAB_STATE", "The progress file (default .shmlab-state.txt in the workspace)."),
];

/// Roff text, escaped.
fn roff(text: &str) -> String {
    text.replace('\\', "\\e").replace('-', "\\-")
}

fn extra_sections() -> String {
    let mut s = String::from(".SH \"EXIT STATUS\"\n");
    for (code, what) in EXIT_STATUS {
        s.push_str(&format!(".TP\n\\fB{code}\\fR\n{}\n", roff(what)));
    }
    s.push_str(".SH ENVIRONMENT\n");
    for (name, what) in ENVIRONMENT {
        s.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", roff(name), roff(what)));
    }
    s
}

/// The manual page of `shmlab`, or of `shmlab SUBCOMMAND` (`shmlab-SUBCOMMAND(1)`, which
/// the main page's SUBCOMMANDS section points to); `None` for a subcommand that does not exist.
pub fn man_page(sub: Option<&str>) -> Option<Vec<u8>> {
    let root = built();
    let cmd = match sub {
        None => root,
        Some(name) => {
            let found = root
                .get_subcommands()
                .find(|c| c.get_name() == name && !c.is_hide_set())?
                .clone();
            found
                .name(format!("shmlab-{name}"))
                .bin_name(format!("shmlab {name}"))
        }
    };
    let mut out = Vec::new();
    // Rendering into memory cannot fail.
    let _ = clap_mangen::Man::new(cmd).render(&mut out);
    out.extend_from_slice(extra_sections().as_bytes());
    Some(out)
}

/// The command line's definition, built (with clap's own `help` subcommand, which the main
/// page lists too).
fn built() -> clap::Command {
    let mut cmd = super::Cli::command();
    cmd.build();
    cmd
}

/// The names of the subcommands that have a page.
pub fn pages() -> Vec<String> {
    built()
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name().to_string())
        .collect()
}
