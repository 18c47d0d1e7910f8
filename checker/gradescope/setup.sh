#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image, with the zip
# unpacked in /autograder/source. It installs what the checker needs, builds the checker,
# records where the Rust toolchain is (run_autograder runs with Gradescope's own PATH and
# HOME, not this script's), and makes the kit's sources readable by root alone: a student's
# program runs as another uid and must never read a solution.
set -euo pipefail
root="${AUTOGRADER_ROOT:-/autograder}"
source="$root/source"
export DEBIAN_FRONTEND=noninteractive
missing=""
for p in gcc libc6-dev util-linux curl ca-certificates; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq $missing >/dev/null
fi
if ! command -v cargo >/dev/null || ! cargo --version >/dev/null 2>&1; then
  # Where every user of the image finds it, whatever HOME is when a submission is graded.
  export CARGO_HOME=/usr/local/cargo RUSTUP_HOME=/usr/local/rustup
  curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --no-modify-path
  export PATH="$CARGO_HOME/bin:$PATH"
fi
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
sysroot="$(cd "$source" && rustc --print sysroot)"
target="${CARGO_TARGET_DIR:-$source/target}"
cd "$source"
cargo build --release --locked -p shmlab-checker
install -D -m 0755 "$target/release/shmlab" "$root/shmlab/shmlab"
# The toolchain itself (not rustup's proxies, which need RUSTUP_HOME), and the crates the
# checker's build fetched, which a submission's offline build uses.
cat >"$root/shmlab/toolchain.env" <<ENV
export PATH="$sysroot/bin:\$PATH"
export CARGO_HOME="$CARGO_HOME"
ENV
# Root only: the solutions, the tests, everything of the kit. The checker (root) reads
# what it needs; a submission's build gets its own copy of the shm crate.
chmod -R go-rwx "$source"
chmod 0700 "$source"
