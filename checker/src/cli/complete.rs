//! What the shell completions know: the words an argument takes (labs, scenario slugs,
//! `explain` topics).

use std::ffi::{OsStr, OsString};

use clap::builder::{PossibleValue, TypedValueParser};

use crate::catalogue;
use crate::model::Lab;
use crate::report::explain::TOPICS;

/// A value parser that takes any word (the plan checks it and says what is wrong in its own
/// sentence, with the nearest name) but gives the completions the words it knows.
#[derive(Clone, Copy, Debug)]
pub struct Known {
    labs: bool,
    slugs: bool,
    topics: bool,
}

impl Known {
    pub const LABS: Known = Known {
        labs: true,
        slugs: false,
        topics: false,
    };
    pub const LABS_AND_SLUGS: Known = Known {
        labs: true,
        slugs: true,
        topics: false,
    };
    pub const TOPICS: Known = Known {
        labs: false,
        slugs: false,
        topics: true,
    };

    fn words(&self) -> Vec<PossibleValue> {
        let mut out = Vec::new();
        if self.labs {
            out.extend(
                Lab::ALL
                    .iter()
                    .map(|l| PossibleValue::new(l.name()).help(l.summary())),
            );
        }
        if self.slugs {
            out.extend(
                catalogue::all()
                    .into_iter()
                    .map(|s| PossibleValue::new(s.slug).help(s.title)),
            );
        }
        if self.topics {
            out.extend(
                TOPICS
                    .iter()
                    .map(|t| PossibleValue::new(t.name).help(t.summary)),
            );
        }
        out
    }
}

impl TypedValueParser for Known {
    type Value = OsString;

    fn parse_ref(
        &self,
        _cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<OsString, clap::Error> {
        Ok(value.to_os_string())
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(self.words().into_iter()))
    }
}

/// The labs, in order, as help text lists them.
pub fn labs_list() -> String {
    Lab::ALL.map(|l| l.name()).join(", ")
}

/// The help of `check`'s LAB[/SCENARIO].
pub fn check_labs_help() -> String {
    format!(
        "Labs ({}) or scenarios (create/default-mode; `shmlab list --scenarios` lists them)",
        labs_list()
    )
}
