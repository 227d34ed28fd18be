#!/usr/bin/env bash
# Releases (docs/install.md): what the release workflow makes, checked on this host with the same
# tool, dist (crates.io: cargo-dist, at the version dist-workspace.toml names; installed into
# target/tools when missing, or taken from $DIST_ROOT/bin).
#   1. .github/workflows/release.yml is what dist generates from dist-workspace.toml
#      (`dist generate --check`), and `dist plan` lists every target's archive with its checksum,
#      sha256.sum and both installers.
#   2. dist builds this host's archive and the installers; the archive's checksum is checked and
#      it is unpacked into an empty folder.
#   3. From the unpacked binary, with a scratch HOME: `sacctl --version` (the version and commit),
#      `sacctl demo`, `sacctl emulator start --detach`, `status`, `stop`, and `status` failing after.
#   4. The shell installer, fetching from a loopback copy of the release: a tampered archive is
#      refused by its checksum and nothing is installed; the real one lands in ~/.sacctl/bin of a
#      scratch HOME, PATH set in its profile, and passes step 3 again.
#   5. The PowerShell installer names the Windows archive, the release URL and its install folder,
#      and parses with tree-sitter's PowerShell grammar (PyPI), as the recipes' scripts do.
# Not run here: the other targets' archives (built only on GitHub's macOS, Windows and Arm runners),
# the PowerShell installer itself (no PowerShell on this machine) and the container image push.
# Needs cargo, python3, tar, sha256sum, curl. The release build (link-time optimisation, one codegen
# unit) takes most of the time: over ten minutes on two cores from nothing; the checks themselves
# under a minute.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
# shellcheck source=../../.ci/lib.sh
. "$root/.ci/lib.sh"
started=$(date +%s)

want="$(sed -n 's/^cargo-dist-version = "\(.*\)"$/\1/p' dist-workspace.toml)"
tools="${DIST_ROOT:-$root/target/tools}"
if ! "$tools/bin/dist" --version 2>/dev/null | grep -qx "dist $want\|cargo-dist $want"; then
    echo "installing dist $want from crates.io into $tools..." >&2
    cargo install cargo-dist --version "=$want" --locked --root "$tools"
fi
dist="$tools/bin/dist"
host="$(rustc -vV | sed -n 's/^host: //p')"

work="$(mktemp -d)"
cleanup() {
    [[ -n "${emulator_home:-}" ]] && HOME="$emulator_home" "${sacctl_bin:-true}" emulator stop --data-dir "$work/emulator" >/dev/null 2>&1 || true
    [[ -n "${server_pid:-}" ]] && kill "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

echo "== 1. the workflow and the plan" >&2
"$dist" generate --check || fail "release.yml is not what dist generates from dist-workspace.toml: run \`dist generate\`"
"$dist" plan --output-format=json --no-local-paths >"$work/plan.json" 2>"$work/plan.log" \
    || { cat "$work/plan.log" >&2; fail "dist plan"; }
python3 - "$work/plan.json" <<'PY'
import json, sys
plan = json.load(open(sys.argv[1]))
names = set(plan["artifacts"])
targets = ["x86_64-unknown-linux-gnu", "x86_64-unknown-linux-musl", "aarch64-unknown-linux-musl",
           "x86_64-apple-darwin", "aarch64-apple-darwin"]
want = {f"sacctl-{t}.tar.gz" for t in targets} | {"sacctl-x86_64-pc-windows-msvc.zip"}
want |= {a + ".sha256" for a in want} | {"sacctl-installer.sh", "sacctl-installer.ps1", "sha256.sum"}
missing = sorted(want - names)
if missing:
    sys.exit(f"dist plan lacks {missing}; it has {sorted(names)}")
print(f"plan: {len(names)} artifacts, every target's archive with its checksum and both installers", file=sys.stderr)
PY

echo "== 2. this host's archive ($host) and the installers, built by dist" >&2
rm -rf target/distrib
# --artifacts=all: the archive, and the installers and sha256.sum carrying its checksum, as the
# release workflow makes them from every runner's archive.
"$dist" build --artifacts=all --target "$host" >"$work/build.log" 2>&1 \
    || { tail -30 "$work/build.log" >&2; fail "dist build --artifacts=all --target $host"; }
archive="target/distrib/sacctl-$host.tar.gz"
[[ -f "$archive" && -f "$archive.sha256" ]] || fail "dist built no $archive with its .sha256: $(ls target/distrib)"
(cd target/distrib && sha256sum -c "sacctl-$host.tar.gz.sha256") >&2 || fail "the checksum of $archive"
mkdir "$work/unpacked"
tar -xzf "$archive" -C "$work/unpacked"
sacctl_bin="$(find "$work/unpacked" -type f -name sacctl -perm -u+x | head -1)"
[[ -n "$sacctl_bin" ]] || fail "no executable sacctl in $archive: $(tar -tzf "$archive")"
echo "archive: $(tar -tzf "$archive" | tr '\n' ' ')" >&2

# try BIN LABEL: --version, the demo, and an emulator in the background started and stopped, with
# a HOME of its own (so nothing of this machine's user is read or written).
try() {
    local bin="$1" label="$2" out
    emulator_home="$work/home-$label"
    mkdir -p "$emulator_home"
    out="$(HOME="$emulator_home" "$bin" --version)" || fail "$label: --version"
    [[ "$out" == "sacctl $(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1) (commit "* ]] \
        || fail "$label: --version printed: $out"
    echo "$label: $out" >&2
    HOME="$emulator_home" "$bin" demo >"$work/demo-$label.out" 2>"$work/demo-$label.err" \
        || { tail -20 "$work/demo-$label.err" >&2; fail "$label: sacctl demo"; }
    grep -q "89" "$work/demo-$label.out" "$work/demo-$label.err" || fail "$label: the demo read no 89 rows"
    local env_lines
    env_lines="$(HOME="$emulator_home" "$bin" emulator start --detach --port 0 --api-port 0 \
        --data-dir "$work/emulator" 2>"$work/start-$label.err")" \
        || { cat "$work/start-$label.err" >&2; fail "$label: emulator start --detach"; }
    (
        eval "$env_lines"
        [[ -n "${SACCTL_TENANT_URL:-}" ]] || fail "$label: start --detach exported no SACCTL_TENANT_URL"
        HOME="$emulator_home" "$bin" emulator status --data-dir "$work/emulator" >&2 \
            || fail "$label: emulator status after start"
    )
    HOME="$emulator_home" "$bin" emulator stop --data-dir "$work/emulator" >&2 || fail "$label: emulator stop"
    local code=0
    HOME="$emulator_home" "$bin" emulator status --data-dir "$work/emulator" >/dev/null 2>&1 || code=$?
    [[ $code -ne 0 ]] || fail "$label: the emulator still answers after stop"
    emulator_home=""
    echo "$label: --version, demo, emulator start --detach / stop: ok" >&2
}

echo "== 3. sacctl from the unpacked archive" >&2
try "$sacctl_bin" archive

echo "== 4. the shell installer, from a loopback copy of the release" >&2
(cd target/distrib && grep -q " \*sacctl-$host.tar.gz\$" sha256.sum) || fail "sha256.sum lacks the archive"
# serve DIR: a static HTTP server on a free loopback port for DIR; sets server_pid and base.
serve() {
    python3 -u -c '
import functools, http.server, sys
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
print(server.server_address[1], flush=True)
server.serve_forever()' "$1" >"$work/port.new" 2>"$work/http.log" &
    server_pid=$!
    for _ in $(seq 1 100); do [[ -s "$work/port.new" ]] && break; sleep 0.1; done
    base="http://127.0.0.1:$(head -1 "$work/port.new")"
    rm "$work/port.new"
}
# A tampered archive is refused by the installer's checksum check, and nothing is installed.
mkdir "$work/tampered" "$work/home-tampered"
cp target/distrib/sacctl-installer.sh "$work/tampered/"
cp "$archive" "$work/tampered/" && printf 'x' >>"$work/tampered/sacctl-$host.tar.gz"
serve "$work/tampered"
code=0
HOME="$work/home-tampered" SACCTL_DOWNLOAD_URL="$base" sh target/distrib/sacctl-installer.sh \
    >"$work/tampered.log" 2>&1 || code=$?
kill "$server_pid"; server_pid=""
[[ $code -ne 0 && ! -e "$work/home-tampered/.sacctl/bin/sacctl" ]] \
    || { cat "$work/tampered.log" >&2; fail "the installer took an archive whose checksum is wrong"; }
grep -qi "checksum" "$work/tampered.log" || { cat "$work/tampered.log" >&2; fail "the refusal names no checksum"; }
said="$(grep -i checksum "$work/tampered.log" | head -1 | sed 's/\x1b[[(][0-9;]*[A-Za-z]//g')"
echo "installer: a tampered archive is refused (exit $code: $said), nothing installed" >&2
# The release as published: installed into a scratch home, with PATH set in its shell profile.
serve "$root/target/distrib"
HOME="$work/home-installed" SHELL=/bin/bash SACCTL_DOWNLOAD_URL="$base" sh target/distrib/sacctl-installer.sh \
    >"$work/install.log" 2>&1 || { cat "$work/install.log" >&2; fail "the shell installer"; }
kill "$server_pid"; server_pid=""
installed="$work/home-installed/.sacctl/bin/sacctl"
[[ -x "$installed" ]] || { cat "$work/install.log" >&2; fail "the installer put no sacctl in ~/.sacctl/bin"; }
grep -q '.sacctl/bin' "$work/home-installed/.config/sacctl/env.sh" \
    || fail "the installer's env.sh does not add ~/.sacctl/bin to PATH"
grep -q 'sacctl/env.sh' "$work/home-installed/.profile" || fail "the installer left .profile as it was"
cmp -s "$installed" "$sacctl_bin" || fail "the installed sacctl differs from the archive's"
echo "installer: installed ~/.sacctl/bin/sacctl (the archive's binary) and set PATH in .profile" >&2
try "$installed" installed

echo "== 5. the PowerShell installer" >&2
# Built for the Windows target only, so by a build of the global artifacts for every target (the
# shell installer it writes again carries no archive's checksum: step 4 is done with it).
"$dist" build --artifacts=global >"$work/global.log" 2>&1 \
    || { tail -30 "$work/global.log" >&2; fail "dist build --artifacts=global"; }
ps1=target/distrib/sacctl-installer.ps1
[[ -f "$ps1" ]] || fail "dist built no sacctl-installer.ps1"
# What it fetches and where it installs (read from the script; no PowerShell runs here).
for want in "sacctl-x86_64-pc-windows-msvc.zip" "https://github.com/sacctl/sacctl/releases/download/v" ".sacctl/bin"; do
    grep -qF "$want" "$ps1" || fail "sacctl-installer.ps1 does not name $want"
done
# Its syntax, with tree-sitter's PowerShell grammar (as the recipes' scripts are checked).
make_venv "$work/venv" tree-sitter tree-sitter-powershell
"$work/venv/bin/python" docs/schedulers/parse_powershell.py "$ps1" || fail "sacctl-installer.ps1 does not parse"
echo "installer.ps1: names the Windows archive, the release URL and ~/.sacctl/bin; parses" >&2

echo "run-tests.sh took $(($(date +%s) - started)) s" >&2
