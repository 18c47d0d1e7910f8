//! A panic of the checker's own code, caught where one scenario's work is done (its checks,
//! its hints, its rendering), so that it costs that scenario alone and never the report.
//!
//! The default panic hook prints a backtrace hint on stderr for every panic, caught or not:
//! while [`catch`] runs its closure, the hook of this thread records where the panic happened
//! instead, and the caught [`Panic`] carries it. Panics elsewhere (other threads, code outside
//! [`catch`]) still go to the hook that was there before.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

/// A panic caught by [`catch`]: its message, and the source line it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panic {
    /// The panic's message (`range end index 200 out of range for slice of length 200`).
    pub message: String,
    /// Where: `checker/src/catalogue/memo/turn.rs:317`, when the hook saw it.
    pub location: Option<String>,
}

impl std::fmt::Display for Panic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.location {
            Some(at) => write!(f, "{}, at {at}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

thread_local! {
    /// How many [`catch`] calls this thread is inside.
    static CATCHING: Cell<usize> = const { Cell::new(0) };
    /// Where the last panic caught on this thread happened.
    static LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

/// Puts the quiet hook in front of the one there was, once per process.
fn install_hook() {
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if CATCHING.with(Cell::get) > 0 {
                let at = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()));
                LOCATION.with(|l| *l.borrow_mut() = at);
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs `f`; a panic in it is returned as a [`Panic`], with nothing printed.
///
/// `f` is treated as unwind safe: whatever it was working on is dropped with the panic, and
/// callers use nothing of it afterwards but the [`Panic`].
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, Panic> {
    install_hook();
    CATCHING.with(|c| c.set(c.get() + 1));
    LOCATION.with(|l| l.borrow_mut().take());
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    CATCHING.with(|c| c.set(c.get() - 1));
    result.map_err(|payload| Panic {
        message: payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic without a message".into()),
        location: LOCATION.with(|l| l.borrow_mut().take()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_returned_with_its_message_and_where_it_happened() {
        let caught = catch(|| -> u8 {
            let v = [0u8; 200];
            let n = std::hint::black_box(200);
            v[n..=n][0]
        })
        .unwrap_err();
        assert!(
            caught
                .message
                .contains("out of range for slice of length 200"),
            "{caught}"
        );
        let at = caught.location.as_deref().unwrap_or_default();
        assert!(at.starts_with("checker/src/scenario/caught.rs:"), "{at}");
        assert!(caught
            .to_string()
            .contains(", at checker/src/scenario/caught.rs:"));
    }

    #[test]
    fn no_panic_gives_the_value_and_a_formatted_message_is_kept() {
        assert_eq!(catch(|| 7), Ok(7));
        let caught = catch(|| panic!("bad {}", 42)).unwrap_err();
        assert_eq!(caught.message, "bad 42");
        let nested = catch(|| catch(|| panic!("inner")).unwrap_err().message);
        assert_eq!(nested.as_deref(), Ok("inner"));
    }
}
