#!/usr/bin/env bash
# Windows as a host: every crate and test compiles for Windows with warnings as errors, so no
# Unix-only call sits outside a `cfg` (docs/install.md, "Windows"). The released Windows archive is
# built for x86_64-pc-windows-msvc on GitHub's Windows runners; here the same Rust code is compiled
# for x86_64-pc-windows-gnu, whose C compiler (mingw-w64, from Debian) builds SQLite and ring on
# Linux. The two targets differ in the C toolchain and linker, not in the Rust code: sacctl has no
# `target_env` switch. With wine (Debian) on the machine, the built sacctl.exe also runs: --version,
# the demo, and an emulator started in the background and stopped through its admin API.
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-pc-windows-gnu
if ! rustup target list --installed | grep -qx "$target"; then
    if ! rustup target add "$target"; then
        echo "SKIPPED: the standard library for $target cannot be fetched here (rustup target add failed)" >&2
        exit 0
    fi
fi
if ! command -v x86_64-w64-mingw32-gcc >/dev/null; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends gcc-mingw-w64-x86-64 >/dev/null
fi
# No grep for `target_env` should ever match: the msvc and gnu builds share every line of Rust.
if grep -rn 'target_env' crates --include='*.rs'; then
    echo "a target_env switch makes the windows-gnu check say nothing of msvc" >&2
    exit 1
fi
RUSTFLAGS="-D warnings" cargo check --workspace --tests --locked --target "$target"
echo "windows check: every crate and test compiles for $target without a warning" >&2
