//! Reference solutions of the shmlab labs, one binary per lab.
//!
//! `solution-create`, `solution-access`, `solution-attach`, `solution-detach`,
//! `solution-remove`, `solution-stat`, `solution-set`, `solution-memo` and `solution-share`
//! are the student starters of `labs/src/bin/` with every `todo!()` filled in (diff a starter
//! against its solution to see exactly what a lab asks for). They share the argument parsing
//! and output of the `shmlab-labs` library, so they print exactly what the lab contract asks
//! for.
//!
//! `cargo shmlab check --solutions` runs the checker's scenarios against them.
