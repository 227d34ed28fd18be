# Shell functions shared by the scripts that test sacctl from the outside (the scheduler recipes,
# the Airflow provider): find or build the binary, make a throwaway Python venv, start an emulator.
# Source it; every function reports on stderr and exits on failure.

# The sacctl binary: $SACCTL_BIN if set, else a debug build of this checkout.
sacctl_binary() {
    local root
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    if [[ -n "${SACCTL_BIN:-}" ]]; then
        echo "$SACCTL_BIN"
        return
    fi
    (cd "$root" && cargo build -q -p sacctl >&2)
    echo "$root/target/debug/sacctl"
}

# make_venv DIR PACKAGE...: a new venv in DIR with the packages from PyPI. uv resolves and
# installs them (fast); its cache lives inside DIR, so nothing is kept across runs.
make_venv() {
    local dir="$1"
    shift
    python3 -m venv "$dir"
    "$dir/bin/pip" install -q --disable-pip-version-check --no-cache-dir uv >&2
    UV_CACHE_DIR="$dir/.uv-cache" "$dir/bin/uv" pip install -q --python "$dir/bin/python" "$@" >&2
    rm -rf "$dir/.uv-cache"
}

# start_emulator DIR [FLAGS...]: an emulator on free loopback ports keeping its state in DIR,
# stopped when the calling shell exits. Exports SACCTL_TENANT_URL, SACCTL_API_URL,
# SACCTL_TOKEN_URL and EMULATOR_PID.
start_emulator() {
    local dir="$1" bin
    shift
    bin="$(sacctl_binary)"
    mkdir -p "$dir"
    "$bin" emulator --port 0 --api-port 0 --print-env --data-dir "$dir" "$@" \
        >"$dir/env" 2>"$dir/emulator.log" &
    EMULATOR_PID=$!
    export EMULATOR_PID
    trap 'kill "$EMULATOR_PID" 2>/dev/null || true' EXIT
    # A TERM (e.g. from `timeout`) must still run the EXIT trap, so the emulator never outlives us.
    trap 'exit 143' TERM
    trap 'exit 130' INT
    local i
    for i in $(seq 1 300); do
        if [[ "$(grep -c '^SACCTL_' "$dir/env" 2>/dev/null)" == 3 ]]; then
            set -a
            # shellcheck disable=SC1091
            . "$dir/env"
            set +a
            return
        fi
        if ! kill -0 "$EMULATOR_PID" 2>/dev/null; then
            echo "the emulator did not start:" >&2
            cat "$dir/emulator.log" >&2
            exit 1
        fi
        sleep 0.1
    done
    echo "the emulator printed no URLs within 30 s" >&2
    exit 1
}
