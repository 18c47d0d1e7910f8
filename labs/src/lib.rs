//! The plumbing every lab program shares, so the labs themselves are only about shared memory.
//!
//! Each lab is one small program (`src/bin/<lab>.rs`) that follows the lab contract: it reads
//! its arguments, makes the System V calls, prints its result on stdout and exits with
//! 0 (success), 1 (a call failed) or 2 (bad usage). This library does everything except the
//! calls, one module for each job:
//!
//! - **Arguments** (`args.rs`, its option scanner in `args/scan.rs`): one plain struct per lab
//!   ([`CreateArgs`], [`KeyArgs`], [`AttachArgs`], [`SetArgs`], [`ShareArgs`]). `parse` is a
//!   pure function over the arguments (testable); `from_env` parses the command line and, on a
//!   mistake, prints the usage ([`usage_error`]) and exits 2. `KEY` is decimal, `0x` hex or
//!   `0` octal (see [`shm::Key`]), `SIZE` is decimal bytes, `--mode` is octal (see
//!   [`shm::Mode`]). Options may come before, between or after the positional arguments;
//!   `--name=value` works too.
//! - **Failures** (`exit.rs`): [`fail`] prints one line such as `shmget: EEXIST (File exists)`
//!   on stderr and exits 1; [`fail_with`] does the same for a failure that has no errno.
//! - **Output** (`output.rs`): [`print_id`], [`print_text`], [`print_stat`] and [`print_line`]
//!   print exactly what the contract asks for, and nothing else; so do [`print_memo_text`]
//!   (`memo.rs`) and [`print_share_text`] (`share.rs`), next to the sizes of those labs'
//!   segments ([`MEMO_SEGMENT_SIZE`], [`SHARE_SEGMENT_SIZE`]).
//! - **Questions** (lab memo, `memo.rs`): a [`Dialog`] prints a prompt and reads the answer from
//!   stdin, `y`/`n` questions ([`Dialog::ask_yes_no`]) and a line of text
//!   ([`Dialog::ask_line`]); end of input answers `n` (or "no text") to every later question.
//!
//! ```no_run
//! use shmlab_labs::{fail, print_id, KeyArgs};
//!
//! let args = KeyArgs::from_env("access"); // exits 2 on bad usage
//! match shm::shmget(args.key, 0, shm::IpcFlags::empty()) {
//!     Ok(id) => print_id(id),              // prints "42"
//!     Err(e) => fail("shmget", e),         // "shmget: ENOENT (No such file or directory)", exit 1
//! }
//! ```

mod args;
mod exit;
mod memo;
mod output;
mod share;

pub use args::{usage_error, AttachArgs, CreateArgs, KeyArgs, SetArgs, ShareArgs, UsageError};
pub use exit::{fail, fail_with, failure_line, EXIT_FAILURE, EXIT_USAGE};
pub use memo::{
    clean_line, parse_answer, print_memo_text, Dialog, MEMO_SEGMENT_SIZE, MEMO_TEXT_MAX,
};
pub use output::{format_stat, print_id, print_line, print_stat, print_text};
pub use share::{print_share_text, SHARE_SEGMENT_SIZE, SHARE_TEXT_MAX};
