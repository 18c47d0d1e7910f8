#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image: it installs what
# the checker needs and builds it. The kit's sources are in /autograder/source.
set -euo pipefail
root="${AUTOGRADER_ROOT:-/autograder}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq gcc libc6-dev util-linux curl ca-certificates python3 >/dev/null
if ! command -v cargo >/dev/null; then
  curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
  # shellcheck disable=SC1091
  . "$HOME/.cargo/env"
fi
cd "$root/source"
cargo build --release -p shmlab-checker
install -m 0755 target/release/shmlab /usr/local/bin/shmlab
