//! The option scanner behind every lab's `parse`: a [`Spec`] says what a lab accepts,
//! [`Spec::scan`] splits a command line into positionals and options.

use std::fmt::Write as _;

use shm::{Key, Mode};

/// Why a KEY does not parse; the C track's lab.c says the same.
const KEY_EXPECTED: &str =
    "expected a number: decimal, 0x hexadecimal or 0 octal, that fits in 32 bits";
/// Why KEY 0 is refused; the C track's lab.c says the same.
const KEY_PRIVATE: &str = "0 is IPC_PRIVATE, a new segment every time that no other program can find by its key: give a non-zero key";

use super::UsageError;

/// One `--option` a lab accepts.
#[derive(Debug, Clone, Copy)]
pub(super) struct Opt {
    name: &'static str,
    /// The placeholder of its value (`OCTAL`), or `None` for a switch.
    value: Option<&'static str>,
    required: bool,
}

impl Opt {
    pub(super) const fn switch(name: &'static str) -> Opt {
        Opt {
            name,
            value: None,
            required: false,
        }
    }

    pub(super) const fn value(name: &'static str, placeholder: &'static str) -> Opt {
        Opt {
            name,
            value: Some(placeholder),
            required: false,
        }
    }

    pub(super) const fn required(name: &'static str, placeholder: &'static str) -> Opt {
        Opt {
            name,
            value: Some(placeholder),
            required: true,
        }
    }
}

/// A lab's command line: its positional arguments and options.
pub(super) struct Spec<'a> {
    pub(super) lab: &'a str,
    pub(super) positionals: &'static [&'static str],
    pub(super) options: &'static [Opt],
}

/// What [`Spec::scan`] found: exactly the positionals asked for, and the options given.
pub(super) struct Scanned<'s> {
    pub(super) positionals: Vec<&'s str>,
    /// (option name, its value or `None` for a switch)
    options: Vec<(&'static str, Option<&'s str>)>,
}

impl<'s> Scanned<'s> {
    pub(super) fn has(&self, name: &str) -> bool {
        self.options.iter().any(|(n, _)| *n == name)
    }

    pub(super) fn value(&self, name: &str) -> Option<&'s str> {
        self.options
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| *v)
    }
}

impl Spec<'_> {
    /// The usage line, e.g. `create KEY SIZE [--mode OCTAL] [--exclusive]`.
    pub(super) fn usage(&self) -> String {
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

    pub(super) fn error(&self, message: impl Into<String>) -> UsageError {
        UsageError::new(self, message)
    }

    /// Splits `args` into positionals and options. Anything starting with `--` is an option
    /// (after a lone `--`, nothing is); a value is the next argument or follows `=`.
    pub(super) fn scan<'s, S: AsRef<str>>(&self, args: &'s [S]) -> Result<Scanned<'s>, UsageError> {
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

    /// KEY, as the contract reads it (docs/labs/README.md): like `strtol(s, NULL, 0)`, in
    /// 32 bits, nothing around the number, and never 0, which is `IPC_PRIVATE`.
    pub(super) fn key(&self, s: &str) -> Result<Key, UsageError> {
        let bad = || self.error(format!("invalid key '{s}': {KEY_EXPECTED}"));
        if s.trim() != s {
            return Err(bad());
        }
        let key: Key = s.parse().map_err(|_: shm::ParseError| bad())?;
        if key == Key::PRIVATE {
            return Err(self.error(format!("invalid key '{s}': {KEY_PRIVATE}")));
        }
        Ok(key)
    }

    pub(super) fn mode(&self, s: &str) -> Result<Mode, UsageError> {
        s.parse()
            .map_err(|e: shm::ParseError| self.error(e.to_string()))
    }

    /// A decimal number such as a size or a uid.
    pub(super) fn number<T: std::str::FromStr>(
        &self,
        s: &str,
        what: &str,
    ) -> Result<T, UsageError> {
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
