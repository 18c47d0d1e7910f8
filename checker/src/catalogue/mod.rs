//! The labs' scenarios: what the checker runs, and what it expects.
//!
//! One file per lab lists its scenarios first, in the order its guide's "What the checker
//! runs" lists them (a test pins the two together), each reading setup → run →
//! expectations; the lab's own expectations and hints follow. Expectations shared by several
//! labs are in `expect`, those on the trace of calls in `timeline`, and the builder in
//! `builder`. Every hint is written for a student reading their report: what was seen, the
//! likely mistake in one sentence, and the fix.

pub mod builder;
pub mod expect;
pub mod timeline;

mod access;
mod attach;
mod create;
mod detach;
#[cfg(test)]
mod hint_tests;
mod memo;
#[cfg(test)]
mod panic_tests;
mod remove;
mod set;
mod share;
mod stat;

use crate::model::Lab;
use crate::scenario::Scenario;

/// The scenarios of `lab`, in the order they run.
pub fn scenarios(lab: Lab) -> Vec<Scenario> {
    let defs = match lab {
        Lab::Create => create::scenarios(),
        Lab::Access => access::scenarios(),
        Lab::Attach => attach::scenarios(),
        Lab::Detach => detach::scenarios(),
        Lab::Remove => remove::scenarios(),
        Lab::Stat => stat::scenarios(),
        Lab::Set => set::scenarios(),
        Lab::Memo => memo::scenarios(),
        Lab::Share => share::scenarios(),
    };
    defs.into_iter().map(|d| d.build(lab)).collect()
}

/// Every scenario of every lab, in teaching order.
pub fn all() -> Vec<Scenario> {
    Lab::ALL.into_iter().flat_map(scenarios).collect()
}

/// The slug closest to `slug`, for "did you mean".
pub fn nearest_slug(slug: &str) -> &'static str {
    all()
        .iter()
        .map(|s| {
            (
                strsim::damerau_levenshtein(&slug.to_lowercase(), s.slug),
                s.slug,
            )
        })
        .min()
        .map_or("create/default-mode", |(_, s)| s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Step;

    #[test]
    fn every_lab_has_scenarios_with_unique_slugs_under_its_name() {
        let mut seen = std::collections::HashSet::new();
        for lab in Lab::ALL {
            let list = scenarios(lab);
            assert!(list.len() >= 3, "{lab} has {} scenarios", list.len());
            for s in list {
                assert!(s.slug.starts_with(&format!("{lab}/")), "{}", s.slug);
                assert!(seen.insert(s.slug), "duplicate slug {}", s.slug);
                assert!(
                    s.steps.iter().any(|st| matches!(st, Step::Run(_))),
                    "{} runs nothing",
                    s.slug
                );
            }
        }
    }

    #[test]
    fn a_misspelt_slug_gets_the_nearest_one() {
        assert_eq!(nearest_slug("create/default-mod"), "create/default-mode");
        assert_eq!(nearest_slug("stat/fresh!"), "stat/fresh");
    }

    #[test]
    fn decimal_reading_of_an_octal_mode_is_recognised() {
        use expect::{decimal_as_octal, mode_hint};
        assert_eq!(decimal_as_octal(0o600), 600);
        assert!(mode_hint(0o600, 600 & 0o777, "--mode").contains("base 8"));
        assert!(mode_hint(0o644, 0, "the default").contains("IPC_CREAT alone"));
    }
}
