//! One plain struct per lab for its arguments, and the usage error when they do not fit.
//!
//! `parse` is a pure function over the arguments (testable); `from_env` parses the command
//! line and, on a mistake, prints the usage and exits 2. How a command line is split into
//! positionals and options is in [`scan`].

use std::ffi::OsString;
use std::fmt::{self, Display};
use std::process;

use shm::{Key, Mode};

use crate::exit::EXIT_USAGE;
use crate::share::SHARE_TEXT_MAX;
use scan::{Opt, Spec};

mod scan;
#[cfg(test)]
mod tests;

/// A command line that does not match the lab's usage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError {
    lab: String,
    usage: String,
    message: String,
}

impl UsageError {
    fn new(spec: &Spec<'_>, message: impl Into<String>) -> UsageError {
        UsageError {
            lab: spec.lab.to_string(),
            usage: spec.usage(),
            message: message.into(),
        }
    }

    /// What is wrong, e.g. `missing SIZE`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The lab's usage line, e.g. `create KEY SIZE [--mode OCTAL] [--exclusive]`.
    pub fn usage(&self) -> &str {
        &self.usage
    }
}

impl Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}\nusage: {}", self.lab, self.message, self.usage)
    }
}

impl std::error::Error for UsageError {}

/// Prints what is wrong and the usage line on stderr, then exits with status 2.
///
/// ```text
/// create: missing SIZE
/// usage: create KEY SIZE [--mode OCTAL] [--exclusive]
/// ```
pub fn usage_error(error: &UsageError) -> ! {
    eprintln!("{error}");
    process::exit(EXIT_USAGE)
}

/// Arguments of lab create: `create KEY SIZE [--mode OCTAL] [--exclusive]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateArgs {
    /// The segment's key.
    pub key: Key,
    /// The size to ask for, in bytes.
    pub size: usize,
    /// The permission bits for a new segment; `0644` unless `--mode` is given.
    pub mode: Mode,
    /// `--exclusive`: fail if the key already has a segment (`IPC_EXCL`).
    pub exclusive: bool,
}

impl CreateArgs {
    /// The mode of a new segment when `--mode` is not given.
    pub const DEFAULT_MODE: Mode = Mode::new(0o644);

    const SPEC: Spec<'static> = Spec {
        lab: "create",
        positionals: &["KEY", "SIZE"],
        options: &[Opt::value("--mode", "OCTAL"), Opt::switch("--exclusive")],
    };

    /// Parses the arguments after the program name.
    pub fn parse<S: AsRef<str>>(args: &[S]) -> Result<CreateArgs, UsageError> {
        let spec = &Self::SPEC;
        let found = spec.scan(args)?;
        Ok(CreateArgs {
            key: spec.key(found.positionals[0])?,
            size: spec.number(found.positionals[1], "size")?,
            mode: match found.value("--mode") {
                Some(m) => spec.mode(m)?,
                None => Self::DEFAULT_MODE,
            },
            exclusive: found.has("--exclusive"),
        })
    }

    /// Parses the command line; on bad usage, prints it and exits 2.
    pub fn from_env() -> CreateArgs {
        from_env(Self::parse)
    }
}

/// Arguments of the labs that take only a key: `access KEY`, `detach KEY`, `remove KEY`,
/// `stat KEY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyArgs {
    /// The segment's key.
    pub key: Key,
}

impl KeyArgs {
    /// Parses the arguments after the program name; `lab` names the lab in the usage line.
    pub fn parse<S: AsRef<str>>(lab: &str, args: &[S]) -> Result<KeyArgs, UsageError> {
        let spec = Spec {
            lab,
            positionals: &["KEY"],
            options: &[],
        };
        let found = spec.scan(args)?;
        Ok(KeyArgs {
            key: spec.key(found.positionals[0])?,
        })
    }

    /// Parses the command line of `lab`; on bad usage, prints it and exits 2.
    pub fn from_env(lab: &str) -> KeyArgs {
        from_env(|args| Self::parse(lab, args))
    }
}

/// Arguments of lab attach: `attach KEY [--write TEXT] [--readonly]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachArgs {
    /// The segment's key.
    pub key: Key,
    /// `--write TEXT`: the text to copy into the segment; `None` means read instead.
    pub write: Option<String>,
    /// `--readonly`: attach with `SHM_RDONLY`.
    pub readonly: bool,
}

impl AttachArgs {
    const SPEC: Spec<'static> = Spec {
        lab: "attach",
        positionals: &["KEY"],
        options: &[Opt::value("--write", "TEXT"), Opt::switch("--readonly")],
    };

    /// Parses the arguments after the program name.
    ///
    /// `--write` with `--readonly` is a usage error: the write could only crash.
    pub fn parse<S: AsRef<str>>(args: &[S]) -> Result<AttachArgs, UsageError> {
        let spec = &Self::SPEC;
        let found = spec.scan(args)?;
        let parsed = AttachArgs {
            key: spec.key(found.positionals[0])?,
            write: found.value("--write").map(str::to_string),
            readonly: found.has("--readonly"),
        };
        if parsed.write.is_some() && parsed.readonly {
            return Err(UsageError::new(
                spec,
                "--write needs a read-write attachment; drop --readonly",
            ));
        }
        Ok(parsed)
    }

    /// Parses the command line; on bad usage, prints it and exits 2.
    pub fn from_env() -> AttachArgs {
        from_env(Self::parse)
    }
}

/// Arguments of lab set: `set KEY --mode OCTAL [--uid UID] [--gid GID]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetArgs {
    /// The segment's key.
    pub key: Key,
    /// The new permission bits (required).
    pub mode: Mode,
    /// `--uid UID`: the new owner; `None` keeps the current one.
    pub uid: Option<u32>,
    /// `--gid GID`: the new group; `None` keeps the current one.
    pub gid: Option<u32>,
}

impl SetArgs {
    const SPEC: Spec<'static> = Spec {
        lab: "set",
        positionals: &["KEY"],
        options: &[
            Opt::required("--mode", "OCTAL"),
            Opt::value("--uid", "UID"),
            Opt::value("--gid", "GID"),
        ],
    };

    /// Parses the arguments after the program name.
    pub fn parse<S: AsRef<str>>(args: &[S]) -> Result<SetArgs, UsageError> {
        let spec = &Self::SPEC;
        let found = spec.scan(args)?;
        Ok(SetArgs {
            key: spec.key(found.positionals[0])?,
            mode: spec.mode(found.value("--mode").unwrap_or_default())?,
            uid: found
                .value("--uid")
                .map(|v| spec.number(v, "uid"))
                .transpose()?,
            gid: found
                .value("--gid")
                .map(|v| spec.number(v, "gid"))
                .transpose()?,
        })
    }

    /// Parses the command line; on bad usage, prints it and exits 2.
    pub fn from_env() -> SetArgs {
        from_env(Self::parse)
    }
}

/// Arguments of lab share: `share KEY TEXT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareArgs {
    /// The key of the segment to create.
    pub key: Key,
    /// The text the child writes: 1 to [`SHARE_TEXT_MAX`] bytes.
    pub text: String,
}

impl ShareArgs {
    const SPEC: Spec<'static> = Spec {
        lab: "share",
        positionals: &["KEY", "TEXT"],
        options: &[],
    };

    /// Parses the arguments after the program name. TEXT must be 1 to [`SHARE_TEXT_MAX`]
    /// bytes; like every argument, one starting with `--` is taken as an option (and this lab
    /// has none) unless a lone `--` comes before it.
    pub fn parse<S: AsRef<str>>(args: &[S]) -> Result<ShareArgs, UsageError> {
        let spec = &Self::SPEC;
        let found = spec.scan(args)?;
        let key = spec.key(found.positionals[0])?;
        let text = found.positionals[1];
        if text.is_empty() {
            return Err(spec.error("TEXT is empty: give the child something to write"));
        }
        if text.len() > SHARE_TEXT_MAX {
            return Err(spec.error(format!(
                "TEXT is {} bytes: at most {SHARE_TEXT_MAX} fit in the segment with their NUL",
                text.len()
            )));
        }
        Ok(ShareArgs {
            key,
            text: text.to_string(),
        })
    }

    /// Parses the command line; on bad usage, prints it and exits 2.
    pub fn from_env() -> ShareArgs {
        from_env(Self::parse)
    }
}

/// Reads the program's arguments (without the program name) and parses them, exiting 2 on
/// a usage error.
fn from_env<T>(parse: impl FnOnce(&[String]) -> Result<T, UsageError>) -> T {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(OsString::into_string)
        .collect::<Result<_, _>>()
        .unwrap_or_else(|bad| {
            eprintln!("error: argument {bad:?} is not valid UTF-8");
            process::exit(EXIT_USAGE)
        });
    parse(&args).unwrap_or_else(|e| usage_error(&e))
}
