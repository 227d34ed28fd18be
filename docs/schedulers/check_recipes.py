"""Extracts the marked blocks of the recipe pages and checks the ones no emulator can run.

Pages mark a fenced block with an HTML comment on the line before it:

    <!-- test: sh -->            run it (bash) against the emulator; it must exit 0
    <!-- test: sh exit=6 -->     ... it must exit 6
    <!-- file: NAME -->          write it to FILES/NAME, for the checks below and the snippets
    <!-- file: /ABS/PATH -->     write it to that path under the scratch root

Absolute paths of a real installation (/usr/local/bin/, /etc/sacctl/, /var/lib/sacctl/,
/var/log/sacctl/) are moved under a scratch root so that the blocks run unchanged otherwise.

Usage (from test-recipes.sh):
    check_recipes.py extract PAGES_DIR WORK ROOT   -> WORK/files/*, WORK/snippets/*.sh + manifest.json
    check_recipes.py CHECK WORK ROOT [ARGS]        -> one of the checks below; exit 1 on a finding
"""

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

MARK = re.compile(r"^<!--\s*(test|file):\s*(.*?)\s*-->\s*$")
FENCE = re.compile(r"^(```+|~~~+)(.*)$")
PREFIXES = ["/usr/local/bin/", "/etc/sacctl/", "/var/lib/sacctl/", "/var/log/sacctl/"]


def relocate(text, root):
    for prefix in PREFIXES:
        text = text.replace(prefix, f"{root}{prefix}")
    return text


def blocks(page):
    """(marker kind, marker argument, line number, body) of every marked fenced block."""
    lines = page.read_text().splitlines()
    i = 0
    while i < len(lines):
        mark = MARK.match(lines[i])
        if mark and i + 1 < len(lines) and FENCE.match(lines[i + 1]):
            fence = FENCE.match(lines[i + 1]).group(1)
            body, j = [], i + 2
            while j < len(lines) and not lines[j].startswith(fence):
                body.append(lines[j])
                j += 1
            if j == len(lines):
                sys.exit(f"{page}:{i + 2}: fenced block never closed")
            yield mark.group(1), mark.group(2), i + 2, "\n".join(body) + "\n"
            i = j
        elif mark:
            sys.exit(f"{page}:{i + 1}: marker not followed by a fenced block")
        i += 1


def extract(pages_dir, work, root):
    files, snippets = work / "files", work / "snippets"
    files.mkdir(parents=True, exist_ok=True)
    snippets.mkdir(parents=True, exist_ok=True)
    manifest = []
    for page in sorted(Path(pages_dir).glob("*.md")):
        for kind, arg, line, body in blocks(page):
            if kind == "file":
                # An absolute path of an installation goes under the scratch root.
                target = Path(relocate(arg, root)) if arg.startswith("/") else files / arg
                target.parent.mkdir(parents=True, exist_ok=True)
                if target.exists():
                    sys.exit(f"{page}:{line}: file {arg} defined twice")
                target.write_text(relocate(body, root))
                if arg.endswith(".sh"):
                    target.chmod(0o755)
                continue
            words = arg.split()
            if not words or words[0] != "sh":
                sys.exit(f"{page}:{line}: unknown test marker {arg!r}")
            expect = 0
            for word in words[1:]:
                key, _, value = word.partition("=")
                if key != "exit":
                    sys.exit(f"{page}:{line}: unknown option {word!r}")
                expect = int(value)
            name = f"{page.stem}-{line}.sh"
            (snippets / name).write_text(relocate(body, root))
            manifest.append({"page": page.name, "line": line, "script": name, "exit": expect})
    (work / "manifest.json").write_text(json.dumps(manifest, indent=1))
    print(f"{len(manifest)} snippets, {len(list(files.iterdir()))} files", file=sys.stderr)


def fail(message):
    print(f"FAIL {message}")
    sys.exit(1)


# --- cron ---------------------------------------------------------------------------------

CRON_RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]


def cron_field_ok(field, low, high):
    for part in field.split(","):
        base, _, step = part.partition("/")
        if step and not step.isdigit():
            return False
        if base == "*":
            continue
        start, _, end = base.partition("-")
        for value in filter(None, (start, end)):
            if not value.isdigit() or not low <= int(value) <= high:
                return False
    return True


def check_cron(work, root, name):
    """A system crontab (cron.d): variables, then 5 time fields, a user and a command.
    Prints the environment and the commands as shell lines to run."""
    env, commands = {}, []
    for number, line in enumerate((work / "files" / name).read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        var = re.match(r"^([A-Z_][A-Z0-9_]*)=(.*)$", line)
        if var:
            env[var.group(1)] = var.group(2)
            continue
        fields = line.split(None, 6)
        if len(fields) < 7:
            fail(f"{name}:{number}: want 5 time fields, a user and a command")
        for field, (low, high) in zip(fields[:5], CRON_RANGES):
            if not cron_field_ok(field, low, high):
                fail(f"{name}:{number}: bad time field {field!r}")
        if re.search(r"(?<!\\)%", fields[6]):
            fail(f"{name}:{number}: an unescaped % ends the command in cron")
        commands.append(fields[6])
    if not commands:
        fail(f"{name}: no entries")
    for key, value in env.items():
        print(f"export {key}={shlex.quote(value)}")
    for command in commands:
        print(command)


# --- systemd ------------------------------------------------------------------------------


def check_unit_exec(work, root, name):
    """The ExecStart= of a service unit and its Environment=, as shell lines to run."""
    env, execs = [], []
    for line in (work / "files" / name).read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "Environment":
            env.extend(shlex.split(value))
        elif key.strip() == "ExecStart":
            execs.append(value.lstrip("-@:+!"))
    if len(execs) != 1:
        fail(f"{name}: want exactly one ExecStart=")
    for assignment in env:
        key, _, value = assignment.partition("=")
        print(f"export {key}={shlex.quote(value)}")
    print(execs[0])


# --- Kubernetes ---------------------------------------------------------------------------


def check_kubernetes(work, root, name):
    """Every document validated (strictly) against the Kubernetes schema; the CronJob's
    container command printed with its plain env values, to run."""
    import yaml

    path = work / "files" / name
    result = subprocess.run(["kubernetes-validate", "--strict", str(path)], capture_output=True, text=True)
    print(result.stdout + result.stderr, file=sys.stderr)
    if result.returncode != 0:
        fail(f"{name}: kubernetes-validate refused it")
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    cronjobs = [d for d in docs if d.get("kind") == "CronJob"]
    if len(cronjobs) != 1:
        fail(f"{name}: want one CronJob")
    spec = cronjobs[0]["spec"]
    if spec.get("concurrencyPolicy") != "Forbid":
        fail(f"{name}: concurrencyPolicy must be Forbid (a second pod would start a second run)")
    job = spec["jobTemplate"]["spec"]
    if job.get("backoffLimit") != 0:
        fail(f"{name}: backoffLimit must be 0 (a retried pod starts the load again)")
    (container,) = job["template"]["spec"]["containers"]
    for var in container.get("env", []):
        if "SECRET" in var["name"] or "PASSWORD" in var["name"]:
            if "value" in var:
                fail(f"{name}: {var['name']} given inline; mount it from a Secret")
        elif "value" in var:
            print(f"export {var['name']}={shlex.quote(var['value'])}")
    argv = container.get("command", []) + container.get("args", [])
    if any(re.search(r"secret|password", a, re.I) and "_FILE" not in a for a in argv):
        fail(f"{name}: a secret on the command line")
    print(" ".join(shlex.quote(a) for a in argv))


EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")


# --- GitHub Actions -----------------------------------------------------------------------


def check_github(work, root, name):
    """The workflow against the published workflow schema (vendored by check-jsonschema),
    secrets only in env, and each run: script written out to run. ${{ x }} in env values is
    replaced from the JSON object in $GHA_CONTEXT; a value with an expression it lacks is unset."""
    import os

    import yaml

    context = json.loads(os.environ.get("GHA_CONTEXT", "{}"))
    path = work / "files" / name
    result = subprocess.run(
        ["check-jsonschema", "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
    )
    print(result.stdout + result.stderr, file=sys.stderr)
    if result.returncode != 0:
        fail(f"{name}: not a valid workflow")
    flow = yaml.safe_load(path.read_text())
    count = 0
    for job_name, job in flow["jobs"].items():
        if job.get("concurrency") is None:
            fail(f"{name}: job {job_name} needs a concurrency group (no two loads at once)")
        for step in job["steps"]:
            if "run" not in step:
                continue
            if "secrets." in step["run"]:
                fail(f"{name}: step {step.get('name')!r} puts a secret into the script text")
            env = {**flow.get("env", {}), **job.get("env", {}), **step.get("env", {})}
            lines = []
            for key, value in env.items():
                value = EXPRESSION.sub(lambda m: context.get(m.group(1), m.group(0)), str(value))
                if "${{" not in value:
                    lines.append(f"export {key}={shlex.quote(value)}")
            count += 1
            script = work / "snippets" / f"gha-step-{count}.sh"
            script.write_text("\n".join(lines) + "\n" + step["run"])
            print(script)
    if count == 0:
        fail(f"{name}: no run steps")


# --- Control-M ----------------------------------------------------------------------------

EXIT_CODES = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 130, 143}


def check_controlm(work, root, name):
    """Automation API JSON: folders of Job:Command jobs whose commands call sacctl with
    --output json and no secret, whose If:CompletionStatus codes are sacctl's; the commands
    printed in flow order, to run."""
    doc = json.loads((work / "files" / name).read_text())
    commands = []
    for folder_name, folder in doc.items():
        if folder.get("Type") != "Folder":
            fail(f"{name}: {folder_name} is not a Folder")
        jobs = {k: v for k, v in folder.items() if isinstance(v, dict) and v.get("Type", "").startswith("Job:")}
        flows = [v for v in folder.values() if isinstance(v, dict) and v.get("Type") == "Flow"]
        order = [j for flow in flows for j in flow["Sequence"]] or list(jobs)
        for job_name in order:
            if job_name not in jobs:
                fail(f"{name}: the flow names {job_name}, which is not a job")
        for job_name, job in jobs.items():
            if job["Type"] != "Job:Command":
                fail(f"{name}: {job_name} is {job['Type']}, want Job:Command")
            command = job.get("Command", "")
            if "sacctl" not in command.split()[0] or ("--output json" not in command and ".sh" not in command):
                fail(f"{name}: {job_name} must call sacctl with --output json (or a wrapper script that does)")
            if re.search(r"secret|password", command, re.I):
                fail(f"{name}: {job_name} has a secret on the command line")
            for key, item in job.items():
                if isinstance(item, dict) and item.get("Type") == "If:CompletionStatus":
                    code = item.get("CompletionStatus")
                    if code not in ("OK", "NOTOK", "ANY") and int(code) not in EXIT_CODES:
                        fail(f"{name}: {job_name}.{key} branches on {code}, not an exit code of sacctl")
                    actions = [v["Type"] for v in item.values() if isinstance(v, dict)]
                    if not actions or not all(a.startswith("Action:") for a in actions):
                        fail(f"{name}: {job_name}.{key} has no action")
        commands.extend(jobs[j]["Command"] for j in order)
    for command in commands:
        print(command)


# --- PowerShell ---------------------------------------------------------------------------


def check_powershell(work, root, name, documents):
    """pwsh does not install here: check what the script relies on instead. Every property it
    reads from sacctl's JSON ($result.x) is in the documents sacctl printed for the same
    commands, and every exit code it branches on is one sacctl documents."""
    text = (work / "files" / name).read_text()
    fields = set(re.findall(r"\$result\.(\w+)", text))
    if not fields:
        fail(f"{name}: reads no field of the JSON result")
    printed = [json.loads(Path(p).read_text()) for p in documents]
    for field in sorted(fields):
        missing = [p for p, d in zip(documents, printed) if field not in d]
        if missing:
            fail(f"{name}: reads $result.{field}, which sacctl does not print in {missing}")
    codes = {int(c) for c in re.findall(r"^\s*(\d+)\s*\{", text, re.M)}
    if not codes or not codes <= EXIT_CODES:
        fail(f"{name}: branches on {sorted(codes)}, sacctl's codes are {sorted(EXIT_CODES)}")
    if re.search(r"--(client-secret|password)\b", text):
        fail(f"{name}: a secret on the command line")
    print(f"{name}: fields {sorted(fields)} present, exit codes {sorted(codes)} documented")


# --- ABAP ---------------------------------------------------------------------------------


def check_abap(work, root, name):
    """No ABAP system here: check that the program branches on every exit code the wrapper
    can end with that needs its own message (0, 5, 6, 7) and has a WHEN OTHERS for the rest."""
    text = (work / "files" / name).read_text().upper()
    case = text[text.index("CASE LV_EXITCODE") :]
    whens = set(re.findall(r"^\s*WHEN (\d+|OTHERS)\.", case, re.M))
    want = {"0", "5", "6", "7", "OTHERS"}
    if not want <= whens:
        fail(f"{name}: branches {sorted(whens)}, want {sorted(want)}")
    if "SXPG_COMMAND_EXECUTE" not in text or "'ZSAC_LOAD'" not in text:
        fail(f"{name}: does not call ZSAC_LOAD through SXPG_COMMAND_EXECUTE")
    print(f"{name}: branches on {sorted(whens)}")


CHECKS = {
    "abap": check_abap,
    "cron": check_cron,
    "unit-exec": check_unit_exec,
    "kubernetes": check_kubernetes,
    "github": check_github,
    "controlm": check_controlm,
}

if __name__ == "__main__":
    command = sys.argv[1]
    if command == "extract":
        extract(Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4])
        sys.exit(0)
    work, root = Path(sys.argv[2]), sys.argv[3]
    if command == "powershell":
        check_powershell(work, root, sys.argv[4], sys.argv[5:])
    else:
        CHECKS[command](work, root, *sys.argv[4:])
