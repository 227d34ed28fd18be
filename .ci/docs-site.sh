#!/usr/bin/env bash
# Builds the documentation site (docs/ as an mdBook, the README's tour as its landing page) into
# target/book and checks every link of the built pages. mdBook comes from crates.io
# (`cargo install mdbook --locked`) when it is not on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v mdbook >/dev/null; then
    root="${MDBOOK_ROOT:-$PWD/target/tools}"
    [ -x "$root/bin/mdbook" ] || cargo install mdbook --locked --root "$root"
    export PATH="$root/bin:$PATH"
fi
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
# The book's source: docs/ as it is, and the README as introduction.md with its links made
# relative to docs/ (docs/x.md -> x.md; other repository paths -> ../x, which the check reports).
cp -r docs "$stage/book"
python3 - "$stage/book/introduction.md" <<'PY'
import re, sys
text = open("README.md", encoding="utf-8").read()
def relink(m):
    target = m.group(2)
    if re.match(r"[a-z]+:|#", target):
        return m.group(0)
    target = target[len("docs/"):] if target.startswith("docs/") else "../" + target
    return f"{m.group(1)}({target})"
open(sys.argv[1], "w", encoding="utf-8").write(re.sub(r"(\]\s*)\(([^)\s]+)\)", relink, text))
PY
# mdBook writes a README.md as index.html but keeps links to README.md: name them index.md.
find "$stage/book" -name README.md -execdir mv README.md index.md \;
find "$stage/book" -name '*.md' -exec sed -i -E 's#(\]\(([^)#]*/)?)README\.md#\1index.md#g' {} +
sed -i 's|build-dir = "../target/book"|build-dir = "'"$PWD"'/target/book"|' "$stage/book/book.toml"
mdbook build "$stage/book"
python3 .ci/check-links.py target/book "$stage/book"
