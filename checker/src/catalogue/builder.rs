//! The builder each lab's file writes its scenarios with, so that a scenario reads in the
//! order it happens: setup → run → expectations.
//!
//! ```text
//! def("create/mode-600", "--mode 600 and an odd size are used as given")
//!     .needs(&[Need::Persistence])
//!     .run(&[FREE, lit("5000"), lit("--mode"), lit("600")])
//!     .reading_contents()
//!     .expect(|c| check_new_segment(c, 5000, 0o600, "--mode"))
//! ```

use crate::model::Lab;
use crate::scenario::{Action, Arg, Ctx, Invocation, Need, Purpose, Scenario, SegmentSpec, Step};

/// The key of setup segment `n`.
pub fn key(n: usize) -> Arg {
    Arg::Key(n)
}

/// A literal argument.
pub fn lit(s: &str) -> Arg {
    Arg::Lit(s.to_string())
}

/// A key that has no segment when the run starts.
pub const FREE: Arg = Arg::FreeKey;

/// A scenario being written: everything but its expectations.
pub struct Draft {
    slug: &'static str,
    title: &'static str,
    purpose: Purpose,
    needs: Vec<Need>,
    setup: Vec<SegmentSpec>,
    steps: Vec<Step>,
    read_contents: bool,
}

/// A scenario written, waiting for its lab.
pub struct Def {
    draft: Draft,
    expect: fn(&mut Ctx<'_>),
}

/// Starts the scenario `slug` (`lab/name`, as the guide lists it).
pub fn def(slug: &'static str, title: &'static str) -> Draft {
    Draft {
        slug,
        title,
        purpose: Purpose::Behaviour,
        needs: Vec::new(),
        setup: Vec::new(),
        steps: Vec::new(),
        read_contents: false,
    }
}

impl Draft {
    /// What the environment must allow (unmet: skipped with the reason).
    pub fn needs(mut self, needs: &[Need]) -> Draft {
        self.needs = needs.to_vec();
        self
    }
    /// A segment the checker creates before the first run.
    pub fn setup(mut self, seg: SegmentSpec) -> Draft {
        self.setup.push(seg);
        self
    }
    /// A run of the program with these arguments.
    pub fn run(mut self, args: &[Arg]) -> Draft {
        self.steps.push(Step::Run(Invocation {
            args: args.to_vec(),
            stdin: None,
            answers: None,
        }));
        self
    }
    /// A run of the program with these arguments and `stdin` as its standard input.
    pub fn run_fed(mut self, args: &[Arg], stdin: &[u8]) -> Draft {
        self.steps.push(Step::Run(Invocation {
            args: args.to_vec(),
            stdin: Some(stdin.to_vec()),
            answers: None,
        }));
        self
    }
    /// Something the checker does after the previous step.
    pub fn then(mut self, action: Action) -> Draft {
        self.steps.push(Step::Checker(action));
        self
    }
    /// Read the segments' bytes after the first run.
    pub fn reading_contents(mut self) -> Draft {
        self.read_contents = true;
        self
    }
    /// The scenario checks only the handling of bad usage.
    pub fn usage(mut self) -> Draft {
        self.purpose = Purpose::Usage;
        self
    }
    /// What the checker expects of the observation.
    pub fn expect(self, expect: fn(&mut Ctx<'_>)) -> Def {
        Def {
            draft: self,
            expect,
        }
    }
}

impl Def {
    /// The scenario, in `lab`.
    pub fn build(self, lab: Lab) -> Scenario {
        let d = self.draft;
        Scenario {
            lab,
            slug: d.slug,
            title: d.title,
            purpose: d.purpose,
            needs: d.needs,
            setup: d.setup,
            steps: d.steps,
            read_contents: d.read_contents,
            expect: self.expect,
        }
    }
}
