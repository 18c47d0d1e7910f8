//! The plumbing every lab program shares, so the labs themselves are only about shared memory.
//!
//! Each lab is one small program (`src/bin/<lab>.rs`) that follows the lab contract: it reads
//! its arguments, makes the System V calls, prints its result on stdout and exits with
//! 0 (success), 1 (a call failed) or 2 (bad usage). This library does everything except the
//! calls:
//!
//! - **Arguments**: one plain struct per lab ([`CreateArgs`], [`KeyArgs`], [`AttachArgs`],
//!   [`SetArgs`], [`ShareArgs`]). `parse` is a pure function over the arguments (testable);
//!   `from_env` parses the command line and, on a mistake, prints the usage and exits 2.
//!   `KEY` is decimal, `0x` hex or `0` octal (see [`shm::Key`]), `SIZE` is decimal bytes,
//!   `--mode` is octal (see [`shm::Mode`]). Options may come before, between or after the
//!   positional arguments; `--name=value` works too.
//! - **Failures**: [`fail`] prints one line such as `shmget: EEXIST (File exists)` on stderr
//!   and exits 1; [`fail_with`] does the same for a failure that has no errno.
//! - **Output**: [`print_id`], [`print_text`], [`print_stat`], [`print_memo_text`],
//!   [`print_line`] and [`print_share_text`] print exactly what the contract asks for, and
//!   nothing else.
//! - **Questions** (lab memo): a [`Dialog`] prints a prompt and reads the answer from stdin,
//!   `y`/`n` questions ([`Dialog::ask_yes_no`]) and a line of text ([`Dialog::ask_line`]);
//!   end of input answers `n` (or "no text") to every later question.
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

use std::ffi::OsString;
use std::fmt::{self, Display, Write as _};
use std::io::{self, Write as _};
use std::process;

use shm::{Errno, Key, Mode, SegmentStat, ShmId};

/// Exit status when a call failed.
pub const EXIT_FAILURE: i32 = 1;
/// Exit status on bad usage (missing, extra or malformed arguments).
pub const EXIT_USAGE: i32 = 2;

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

/// The one stderr line for a failed call: `CALL: ERRNAME (strerror text)`.
///
/// ```
/// assert_eq!(
///     shmlab_labs::failure_line("shmget", shm::Errno::EEXIST),
///     "shmget: EEXIST (File exists)"
/// );
/// ```
pub fn failure_line(call: &str, err: Errno) -> String {
    format!("{call}: {err:?} ({})", err.desc())
}

/// Reports that `call` failed with `err` (one line on stderr, see [`failure_line`]) and exits
/// with status 1.
pub fn fail(call: &str, err: Errno) -> ! {
    exit_failure(&failure_line(call, err))
}

/// Reports a failure that has no errno, as `WHAT: REASON` on stderr, and exits with status 1.
///
/// For example `fail_with("attach", "text does not fit in the segment")`.
pub fn fail_with(what: &str, reason: impl Display) -> ! {
    exit_failure(&format!("{what}: {reason}"))
}

fn exit_failure(line: &str) -> ! {
    // Whatever was printed on stdout so far still goes out.
    let _ = io::stdout().flush();
    eprintln!("{line}");
    process::exit(EXIT_FAILURE)
}

/// Prints a segment id and a newline, as `printf("%d\n", id)` would.
pub fn print_id(id: ShmId) {
    write_stdout(format!("{id}\n").as_bytes());
}

/// Prints the bytes read from a segment, then a newline.
///
/// The bytes are written as they are, like `printf("%s\n", p)`: text that is not UTF-8 is not
/// altered.
pub fn print_text(text: &[u8]) {
    let mut line = Vec::with_capacity(text.len() + 1);
    line.extend_from_slice(text);
    line.push(b'\n');
    write_stdout(&line);
}

/// The 14 `name: value` lines of lab stat, each ending with a newline.
///
/// The key is `0x%08x`, the mode the four-digit octal of the nine permission bits (without
/// `SHM_DEST` or `SHM_LOCKED`), times are seconds since the epoch (0 = never).
pub fn format_stat(id: ShmId, st: &SegmentStat) -> String {
    let mut out = String::new();
    let lines: [(&str, &dyn Display); 14] = [
        ("key", &st.key()),
        ("shmid", &id),
        ("size", &st.size()),
        ("mode", &st.mode()),
        ("uid", &st.uid()),
        ("gid", &st.gid()),
        ("cuid", &st.cuid()),
        ("cgid", &st.cgid()),
        ("cpid", &st.cpid()),
        ("lpid", &st.lpid()),
        ("nattch", &st.nattch()),
        ("atime", &st.atime()),
        ("dtime", &st.dtime()),
        ("ctime", &st.ctime()),
    ];
    for (name, value) in lines {
        // Writing to a String cannot fail.
        let _ = writeln!(out, "{name}: {value}");
    }
    out
}

/// Prints [`format_stat`] on stdout.
pub fn print_stat(id: ShmId, st: &SegmentStat) {
    write_stdout(format_stat(id, st).as_bytes());
}

/// Writes all of `bytes` to stdout and flushes. A closed pipe (`lab | head -0`) ends the
/// program quietly, as it would end a C program; any other error is a failure.
fn write_stdout(bytes: &[u8]) {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => process::exit(0),
        Err(e) => fail_with("stdout", e),
    }
}

/// The size lab memo asks for: room for [`MEMO_TEXT_MAX`] bytes of text and their NUL.
pub const MEMO_SEGMENT_SIZE: usize = MEMO_TEXT_MAX + 1;

/// The most bytes of text lab memo stores (and shows); the NUL goes after them.
pub const MEMO_TEXT_MAX: usize = 200;

/// Prints one line of text and a newline, such as lab memo's `segment deleted`.
pub fn print_line(line: &str) {
    write_stdout(format!("{line}\n").as_bytes());
}

/// Prints lab memo's first line: `new segment: no text yet` when `text` is `None` (the segment
/// was just created), else `text: ` followed by the bytes as they are, then a newline.
pub fn print_memo_text(text: Option<&[u8]>) {
    let line = match text {
        None => b"new segment: no text yet\n".to_vec(),
        Some(t) => [b"text: ", t, b"\n"].concat(),
    };
    write_stdout(&line);
}

/// The size of lab share's segment: room for [`SHARE_TEXT_MAX`] bytes of text and their NUL.
pub const SHARE_SEGMENT_SIZE: usize = SHARE_TEXT_MAX + 1;

/// The most bytes of text lab share's TEXT may have; the NUL goes after them.
pub const SHARE_TEXT_MAX: usize = 1023;

/// Prints lab share's one line: `child wrote: ` followed by the bytes as they are, then a
/// newline.
pub fn print_share_text(text: &[u8]) {
    write_stdout(&[b"child wrote: ", text, b"\n"].concat());
}

/// What an answer line means: `Some(true)` for `y`, `Some(false)` for `n` (whitespace around
/// it ignored), `None` for anything else.
///
/// ```
/// use shmlab_labs::parse_answer;
/// assert_eq!(parse_answer(b" y \n"), Some(true));
/// assert_eq!(parse_answer(b"n"), Some(false));
/// assert_eq!(parse_answer(b"yes"), None);
/// ```
pub fn parse_answer(line: &[u8]) -> Option<bool> {
    match line.trim_ascii() {
        b"y" => Some(true),
        b"n" => Some(false),
        _ => None,
    }
}

/// A line as lab memo stores it: without its newline (nor a `\r` before it), cut to at most
/// `max` bytes.
///
/// ```
/// assert_eq!(shmlab_labs::clean_line(b"hello\r\n", 200), b"hello");
/// assert_eq!(shmlab_labs::clean_line(b"abcdef\n", 3), b"abc");
/// ```
pub fn clean_line(line: &[u8], max: usize) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    &line[..line.len().min(max)]
}

/// The questions lab memo asks: prompts on an output (stdout), answers read a line at a time
/// from an input (stdin).
///
/// Once the input has ended, every later question gets "end of input" at once, without
/// reading again: a program that reaches the end of its input always finishes.
///
/// ```no_run
/// let mut dialog = shmlab_labs::Dialog::stdio();
/// if dialog.ask_yes_no("change the text? [y/n] ") {
///     let text = dialog.ask_line("new text: ", shmlab_labs::MEMO_TEXT_MAX); // None at end of input
/// }
/// ```
#[derive(Debug)]
pub struct Dialog<R, W> {
    input: R,
    output: W,
    ended: bool,
}

impl Dialog<io::StdinLock<'static>, io::Stdout> {
    /// A dialog on this program's stdin and stdout.
    pub fn stdio() -> Self {
        Dialog::new(io::stdin().lock(), io::stdout())
    }
}

impl<R: io::BufRead, W: io::Write> Dialog<R, W> {
    /// A dialog reading answers from `input` and writing prompts to `output`.
    pub fn new(input: R, output: W) -> Self {
        Dialog {
            input,
            output,
            ended: false,
        }
    }

    /// Whether the input has ended.
    pub fn has_ended(&self) -> bool {
        self.ended
    }

    /// Prints `question` (no newline is added) and reads answers until one is `y` or `n`;
    /// after anything else it prints `please answer y or n` and asks again. Returns true for
    /// `y`; false for `n` and at end of input.
    pub fn ask_yes_no(&mut self, question: &str) -> bool {
        loop {
            self.say(question);
            match self.read_line().as_deref().map(parse_answer) {
                None => return false,
                Some(Some(answer)) => return answer,
                Some(None) => self.say("please answer y or n\n"),
            }
        }
    }

    /// Prints `prompt` (no newline is added) and reads one line, returned without its newline
    /// and cut to at most `max` bytes (see [`clean_line`]); `None` at end of input.
    pub fn ask_line(&mut self, prompt: &str, max: usize) -> Option<Vec<u8>> {
        self.say(prompt);
        self.read_line().map(|line| clean_line(&line, max).to_vec())
    }

    /// One line with its newline, or `None` at end of input (a read error counts as the end).
    /// A last line without a newline is still a line; the input has ended after it.
    fn read_line(&mut self) -> Option<Vec<u8>> {
        if self.ended {
            return None;
        }
        let mut line = Vec::new();
        match self.input.read_until(b'\n', &mut line) {
            Ok(_) if line.ends_with(b"\n") => Some(line),
            Ok(_) => {
                self.ended = true;
                (!line.is_empty()).then_some(line)
            }
            Err(_) => {
                self.ended = true;
                None
            }
        }
    }

    /// Writes `text` and flushes, so that a prompt shows before the program waits. A closed
    /// pipe ends the program quietly, as in [`print_text`]; any other error is a failure.
    fn say(&mut self, text: &str) {
        match self
            .output
            .write_all(text.as_bytes())
            .and_then(|()| self.output.flush())
        {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => process::exit(0),
            Err(e) => fail_with("stdout", e),
        }
    }
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

/// One `--option` a lab accepts.
#[derive(Debug, Clone, Copy)]
struct Opt {
    name: &'static str,
    /// The placeholder of its value (`OCTAL`), or `None` for a switch.
    value: Option<&'static str>,
    required: bool,
}

impl Opt {
    const fn switch(name: &'static str) -> Opt {
        Opt {
            name,
            value: None,
            required: false,
        }
    }

    const fn value(name: &'static str, placeholder: &'static str) -> Opt {
        Opt {
            name,
            value: Some(placeholder),
            required: false,
        }
    }

    const fn required(name: &'static str, placeholder: &'static str) -> Opt {
        Opt {
            name,
            value: Some(placeholder),
            required: true,
        }
    }
}

/// A lab's command line: its positional arguments and options.
struct Spec<'a> {
    lab: &'a str,
    positionals: &'static [&'static str],
    options: &'static [Opt],
}

/// What [`Spec::scan`] found: exactly the positionals asked for, and the options given.
struct Scanned<'s> {
    positionals: Vec<&'s str>,
    /// (option name, its value or `None` for a switch)
    options: Vec<(&'static str, Option<&'s str>)>,
}

impl<'s> Scanned<'s> {
    fn has(&self, name: &str) -> bool {
        self.options.iter().any(|(n, _)| *n == name)
    }

    fn value(&self, name: &str) -> Option<&'s str> {
        self.options
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| *v)
    }
}

impl Spec<'_> {
    /// The usage line, e.g. `create KEY SIZE [--mode OCTAL] [--exclusive]`.
    fn usage(&self) -> String {
        let mut line = self.lab.to_string();
        for p in self.positionals {
            line.push(' ');
            line.push_str(p);
        }
        for o in self.options {
            // Writing to a String cannot fail.
            let _ = match (o.value, o.required) {
                (Some(v), true) => write!(line, " {} {v}", o.name),
                (Some(v), false) => write!(line, " [{} {v}]", o.name),
                (None, _) => write!(line, " [{}]", o.name),
            };
        }
        line
    }

    fn error(&self, message: impl Into<String>) -> UsageError {
        UsageError::new(self, message)
    }

    /// Splits `args` into positionals and options. Anything starting with `--` is an option
    /// (after a lone `--`, nothing is); a value is the next argument or follows `=`.
    fn scan<'s, S: AsRef<str>>(&self, args: &'s [S]) -> Result<Scanned<'s>, UsageError> {
        let mut found = Scanned {
            positionals: Vec::new(),
            options: Vec::new(),
        };
        let mut only_positionals = false;
        let mut rest = args.iter().map(AsRef::as_ref);
        while let Some(arg) = rest.next() {
            if only_positionals || !arg.starts_with("--") {
                if found.positionals.len() == self.positionals.len() {
                    return Err(self.error(format!("unexpected argument '{arg}'")));
                }
                found.positionals.push(arg);
                continue;
            }
            if arg == "--" {
                only_positionals = true;
                continue;
            }
            let (name, inline) = match arg.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (arg, None),
            };
            let opt = self
                .options
                .iter()
                .find(|o| o.name == name)
                .ok_or_else(|| self.error(format!("unknown option '{name}'")))?;
            if found.has(opt.name) {
                return Err(self.error(format!("{} given twice", opt.name)));
            }
            let value = match (opt.value, inline) {
                (None, None) => None,
                (None, Some(_)) => {
                    return Err(self.error(format!("{} takes no value", opt.name)));
                }
                (Some(_), Some(v)) => Some(v),
                (Some(placeholder), None) => Some(
                    rest.next()
                        .ok_or_else(|| self.error(format!("{} needs {placeholder}", opt.name)))?,
                ),
            };
            found.options.push((opt.name, value));
        }
        if let Some(missing) = self.positionals.get(found.positionals.len()) {
            return Err(self.error(format!("missing {missing}")));
        }
        if let Some(o) = self
            .options
            .iter()
            .find(|o| o.required && !found.has(o.name))
        {
            return Err(self.error(format!("{} is required", o.name)));
        }
        Ok(found)
    }

    fn key(&self, s: &str) -> Result<Key, UsageError> {
        s.parse()
            .map_err(|e: shm::ParseError| self.error(e.to_string()))
    }

    fn mode(&self, s: &str) -> Result<Mode, UsageError> {
        s.parse()
            .map_err(|e: shm::ParseError| self.error(e.to_string()))
    }

    /// A decimal number such as a size or a uid.
    fn number<T: std::str::FromStr>(&self, s: &str, what: &str) -> Result<T, UsageError> {
        let t = s.trim();
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.error(format!(
                "invalid {what} '{s}': expected a non-negative decimal number"
            )));
        }
        t.parse()
            .map_err(|_| self.error(format!("invalid {what} '{s}': too large")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create(args: &[&str]) -> Result<CreateArgs, UsageError> {
        CreateArgs::parse(args)
    }

    #[test]
    fn create_defaults_to_mode_0644_not_exclusive() {
        assert_eq!(
            create(&["0x1234", "4096"]).unwrap(),
            CreateArgs {
                key: Key::new(0x1234),
                size: 4096,
                mode: Mode::new(0o644),
                exclusive: false,
            }
        );
    }

    #[test]
    fn create_accepts_options_in_any_position() {
        let want = CreateArgs {
            key: Key::new(0o17),
            size: 5000,
            mode: Mode::new(0o600),
            exclusive: true,
        };
        assert_eq!(
            create(&["017", "5000", "--mode", "600", "--exclusive"]).unwrap(),
            want
        );
        assert_eq!(
            create(&["--exclusive", "017", "--mode=0600", "5000"]).unwrap(),
            want
        );
    }

    #[test]
    fn key_parses_like_strtol_base_zero() {
        let key = |s| KeyArgs::parse("access", &[s]).unwrap().key;
        assert_eq!(key("4660"), Key::new(0x1234));
        assert_eq!(key("0x1234"), Key::new(0x1234));
        assert_eq!(key("011064"), Key::new(0x1234));
        assert_eq!(key("0xffffffff"), Key::new(-1));
        assert_eq!(key("-1"), Key::new(-1));
    }

    #[test]
    fn create_without_size_names_what_is_missing() {
        let e = create(&["0x1234"]).unwrap_err();
        assert_eq!(e.message(), "missing SIZE");
        assert_eq!(
            e.to_string(),
            "create: missing SIZE\nusage: create KEY SIZE [--mode OCTAL] [--exclusive]"
        );
    }

    #[test]
    fn create_rejects_bad_numbers_and_modes() {
        assert!(create(&["0x1234", "0x10"]).is_err(), "SIZE is decimal");
        assert!(create(&["0x1234", "-5"]).is_err());
        assert!(create(&["0x1234", "4k"]).is_err());
        assert!(create(&["zz", "4096"]).is_err());
        assert!(create(&["1", "4096", "--mode", "999"]).is_err());
        assert!(create(&["1", "4096", "--mode", "1644"]).is_err());
        assert!(create(&["1", "4096", "--mode"]).is_err());
    }

    #[test]
    fn create_rejects_unknown_repeated_and_extra_arguments() {
        let msg = |args: &[&str]| create(args).unwrap_err().message().to_string();
        assert_eq!(msg(&["1", "2", "3"]), "unexpected argument '3'");
        assert_eq!(msg(&["1", "2", "--excl"]), "unknown option '--excl'");
        assert_eq!(
            msg(&["1", "2", "--exclusive", "--exclusive"]),
            "--exclusive given twice"
        );
        assert_eq!(
            msg(&["1", "2", "--exclusive=yes"]),
            "--exclusive takes no value"
        );
        assert_eq!(msg(&[]), "missing KEY");
    }

    #[test]
    fn size_zero_is_left_for_the_kernel_to_refuse() {
        assert_eq!(create(&["1", "0"]).unwrap().size, 0);
    }

    #[test]
    fn key_labs_take_exactly_one_key() {
        assert_eq!(
            KeyArgs::parse("stat", &["0x10"]).unwrap(),
            KeyArgs { key: Key::new(16) }
        );
        let e = KeyArgs::parse::<&str>("stat", &[]).unwrap_err();
        assert_eq!(e.to_string(), "stat: missing KEY\nusage: stat KEY");
        assert!(KeyArgs::parse("remove", &["1", "2"]).is_err());
        assert!(KeyArgs::parse("remove", &["1", "--force"]).is_err());
    }

    #[test]
    fn attach_reads_by_default() {
        assert_eq!(
            AttachArgs::parse(&["42"]).unwrap(),
            AttachArgs {
                key: Key::new(42),
                write: None,
                readonly: false,
            }
        );
        assert!(AttachArgs::parse(&["42", "--readonly"]).unwrap().readonly);
    }

    #[test]
    fn attach_write_takes_the_next_argument_verbatim() {
        let args = AttachArgs::parse(&["42", "--write", "--not-an-option"]).unwrap();
        assert_eq!(args.write.as_deref(), Some("--not-an-option"));
        let args = AttachArgs::parse(&["--write", "", "42"]).unwrap();
        assert_eq!(args.write.as_deref(), Some(""));
        let args = AttachArgs::parse(&["42", "--write=a=b c"]).unwrap();
        assert_eq!(args.write.as_deref(), Some("a=b c"));
    }

    #[test]
    fn attach_refuses_to_write_through_a_readonly_attachment() {
        assert!(AttachArgs::parse(&["42", "--write", "hi", "--readonly"]).is_err());
    }

    #[test]
    fn set_requires_mode_and_takes_optional_owner() {
        assert_eq!(
            SetArgs::parse(&["0x10", "--mode", "640"]).unwrap(),
            SetArgs {
                key: Key::new(16),
                mode: Mode::new(0o640),
                uid: None,
                gid: None,
            }
        );
        assert_eq!(
            SetArgs::parse(&["0x10", "--gid", "4343", "--mode", "600", "--uid", "4242"]).unwrap(),
            SetArgs {
                key: Key::new(16),
                mode: Mode::new(0o600),
                uid: Some(4242),
                gid: Some(4343),
            }
        );
        let e = SetArgs::parse(&["0x10"]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "set: --mode is required\nusage: set KEY --mode OCTAL [--uid UID] [--gid GID]"
        );
        assert!(SetArgs::parse(&["0x10", "--mode", "600", "--uid", "-1"]).is_err());
        assert!(SetArgs::parse(&["0x10", "--mode", "600", "--gid", "4294967296"]).is_err());
    }

    #[test]
    fn a_lone_double_dash_ends_the_options() {
        let args = KeyArgs::parse("access", &["--", "-1"]).unwrap();
        assert_eq!(args.key, Key::new(-1));
    }

    #[test]
    fn failure_line_has_errno_name_and_text() {
        assert_eq!(
            failure_line("shmget", Errno::ENOENT),
            "shmget: ENOENT (No such file or directory)"
        );
        assert_eq!(
            failure_line("shmctl", Errno::EPERM),
            "shmctl: EPERM (Operation not permitted)"
        );
    }

    #[test]
    fn stat_of_a_zeroed_buffer_prints_14_lines_in_contract_order() {
        let mut st = SegmentStat::zeroed();
        st.set_mode(Mode::new(0o644));
        st.set_uid(1000);
        st.set_gid(1001);
        assert_eq!(
            format_stat(ShmId::new(0), &st),
            "key: 0x00000000\nshmid: 0\nsize: 0\nmode: 0644\nuid: 1000\ngid: 1001\n\
             cuid: 0\ncgid: 0\ncpid: 0\nlpid: 0\nnattch: 0\natime: 0\ndtime: 0\nctime: 0\n"
        );
    }

    fn dialog(input: &str) -> Dialog<&[u8], Vec<u8>> {
        Dialog::new(input.as_bytes(), Vec::new())
    }

    #[test]
    fn yes_no_asks_again_until_y_or_n() {
        let mut d = dialog("maybe\n  y \n");
        assert!(d.ask_yes_no("q? "));
        assert_eq!(d.output, b"q? please answer y or n\nq? ");
    }

    #[test]
    fn end_of_input_answers_no_to_every_later_question() {
        let mut d = dialog("");
        assert!(!d.ask_yes_no("a? "));
        assert!(d.has_ended());
        assert_eq!(d.ask_line("t: ", 200), None);
        assert!(!d.ask_yes_no("b? "));
        assert_eq!(d.output, b"a? t: b? ");
    }

    #[test]
    fn a_last_line_without_newline_still_counts() {
        let mut d = dialog("y");
        assert!(d.ask_yes_no("a? "));
        assert!(d.has_ended());
        assert!(!d.ask_yes_no("b? "));
    }

    #[test]
    fn ask_line_drops_the_newline_and_cuts_long_text() {
        let long = format!("y\n{}\r\nn\n", "x".repeat(300));
        let mut d = dialog(&long);
        assert!(d.ask_yes_no("a? "));
        assert_eq!(d.ask_line("t: ", 200), Some(vec![b'x'; 200]));
        assert!(!d.ask_yes_no("b? "));
        assert!(!d.has_ended());
        let mut d = dialog("hello memo\r\n");
        assert_eq!(d.ask_line("t: ", 200).as_deref(), Some(&b"hello memo"[..]));
    }

    #[test]
    fn memo_segment_holds_the_text_and_its_nul() {
        assert_eq!(MEMO_SEGMENT_SIZE, 201);
    }

    #[test]
    fn share_takes_a_key_and_a_text_of_1_to_1023_bytes() {
        assert_eq!(
            ShareArgs::parse(&["0x1234", "hello from the child"]).unwrap(),
            ShareArgs {
                key: Key::new(0x1234),
                text: "hello from the child".into(),
            }
        );
        let longest = "x".repeat(SHARE_TEXT_MAX);
        assert_eq!(ShareArgs::parse(&["1", &longest]).unwrap().text, longest);
        assert_eq!(SHARE_SEGMENT_SIZE, 1024);
        let msg = |args: &[&str]| ShareArgs::parse(args).unwrap_err().to_string();
        assert_eq!(
            msg(&["0x1234"]),
            "share: missing TEXT\nusage: share KEY TEXT"
        );
        assert_eq!(
            msg(&["0x1234", ""]),
            "share: TEXT is empty: give the child something to write\nusage: share KEY TEXT"
        );
        assert!(
            msg(&["1", &"x".repeat(1024)]).starts_with("share: TEXT is 1024 bytes: at most 1023")
        );
        assert!(ShareArgs::parse(&["1", "a", "b"]).is_err());
        assert!(ShareArgs::parse(&["zz", "a"]).is_err());
    }

    #[test]
    fn share_text_may_start_with_dashes_after_a_lone_double_dash() {
        assert!(ShareArgs::parse(&["1", "--x"]).is_err());
        assert_eq!(ShareArgs::parse(&["1", "--", "--x"]).unwrap().text, "--x");
        assert_eq!(ShareArgs::parse(&["1", "-x"]).unwrap().text, "-x");
    }

    /// Removes the segment when dropped, so a failing assertion leaks nothing.
    struct Guard(ShmId);

    impl Drop for Guard {
        fn drop(&mut self) {
            let _ = shm::shmctl(self.0, shm::ShmctlCmd::IpcRmid);
        }
    }

    #[test]
    fn stat_of_a_real_segment_shows_its_size_mode_and_creator() {
        let id = shm::shmget(
            Key::PRIVATE,
            1234,
            shm::IpcFlags::IPC_CREAT | Mode::new(0o640),
        )
        .expect("shmget");
        let guard = Guard(id);
        let st = shm::ipc_stat(guard.0).expect("IPC_STAT");
        let text = format_stat(guard.0, &st);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 14);
        assert_eq!(lines[0], "key: 0x00000000");
        assert_eq!(lines[1], format!("shmid: {}", id.raw()));
        assert_eq!(lines[2], "size: 1234");
        assert_eq!(lines[3], "mode: 0640");
        assert_eq!(lines[8], format!("cpid: {}", std::process::id()));
        assert_eq!(lines[10], "nattch: 0");
        assert_eq!(lines[11], "atime: 0");
        assert!(
            lines[13]
                .strip_prefix("ctime: ")
                .unwrap()
                .parse::<i64>()
                .unwrap()
                > 0
        );
    }

    #[test]
    fn stat_mode_hides_shm_dest() {
        let id = shm::shmget(
            Key::PRIVATE,
            64,
            shm::IpcFlags::IPC_CREAT | Mode::new(0o600),
        )
        .expect("shmget");
        let guard = Guard(id);
        let seg = shm::shmat(guard.0, None, shm::AtFlags::empty()).expect("shmat");
        shm::shmctl(guard.0, shm::ShmctlCmd::IpcRmid).expect("IPC_RMID");
        let st = shm::ipc_stat(guard.0).expect("IPC_STAT");
        assert!(st.is_marked_for_destruction());
        assert!(format_stat(guard.0, &st).contains("\nmode: 0600\n"));
        shm::shmdt(seg).expect("shmdt");
    }
}
