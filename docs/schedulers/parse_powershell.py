"""Parses every PowerShell block (```powershell) of the given Markdown files, and the whole of the
given .ps1 files, with tree-sitter's PowerShell grammar (PyPI: tree-sitter, tree-sitter-powershell)
and fails on a syntax error.

PowerShell itself cannot be installed here from Debian, PyPI or npm; this checks the syntax only:
what a script does under PowerShell (cmdlets, $LASTEXITCODE) is not run.
"""
import re
import sys

import tree_sitter
import tree_sitter_powershell

BLOCK = re.compile(r"^```powershell\n(.*?)^```", re.S | re.M)


def first_error(node):
    """The first ERROR or MISSING node under `node`, or None."""
    if node.type == "ERROR" or node.is_missing:
        return node
    for child in node.children:
        found = first_error(child)
        if found is not None:
            return found
    return None


def scripts(path, text):
    """(line, code) of each PowerShell script in the file: a .ps1 is one, Markdown has its blocks."""
    if path.endswith(".ps1"):
        return [(1, text)]
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in BLOCK.finditer(text)]


def main(paths):
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))
    blocks = failed = 0
    for path in paths:
        text = open(path, encoding="utf-8-sig").read()
        for line, code in scripts(path, text):
            blocks += 1
            tree = parser.parse(code.encode())
            if tree.root_node.has_error:
                bad = first_error(tree.root_node)
                where = bad.start_point[0] + line if bad is not None else line
                print(f"{path}:{where}: PowerShell syntax error in the block of line {line}")
                failed += 1
    print(f"{blocks} PowerShell blocks parsed, {failed} with errors")
    if blocks == 0 or failed:
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
