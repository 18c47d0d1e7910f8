//! Lab share's sizes and the one line it prints.

use crate::output::write_stdout;

/// The size of lab share's segment: room for [`SHARE_TEXT_MAX`] bytes of text and their NUL.
pub const SHARE_SEGMENT_SIZE: usize = SHARE_TEXT_MAX + 1;

/// The most bytes of text lab share's TEXT may have; the NUL goes after them.
pub const SHARE_TEXT_MAX: usize = 1023;

/// Prints lab share's one line: `child wrote: ` followed by the bytes as they are, then a
/// newline.
pub fn print_share_text(text: &[u8]) {
    write_stdout(&[b"child wrote: ", text, b"\n"].concat());
}
