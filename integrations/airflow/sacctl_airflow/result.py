"""What one sacctl invocation ended with, and what that means for an Airflow task.

sacctl's contract (docs/exit-codes.md, docs/output.md): the exit code is authoritative; with
`--output json` stdout holds one JSON document. The document is read defensively: older builds
print nothing on stdout for some errors, and fields may be added at any time, so only the exit
code is required and every field is optional.
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass, field
from typing import Any

# Exit codes (docs/exit-codes.md).
OK, FAILED, USAGE, AUTH, NOT_FOUND, TIMED_OUT, WARNINGS, ALREADY_RUNNING, UNREACHABLE, CANCELLED = range(10)
INTERRUPTED, TERMINATED = 130, 143

OUTCOMES = {
    OK: "success",
    FAILED: "job_failed",
    USAGE: "usage_error",
    AUTH: "auth_failed",
    NOT_FOUND: "not_found",
    TIMED_OUT: "timed_out",
    WARNINGS: "warnings",
    ALREADY_RUNNING: "already_running",
    UNREACHABLE: "unreachable",
    CANCELLED: "cancelled",
    INTERRUPTED: "interrupted",
    TERMINATED: "terminated",
}

# Exits of a wait after which the run is known to have ended (or not to exist): any other exit
# (timed out, interrupted, unreachable, a refused login) may leave it going, to re-attach to.
ENDED = {OK, FAILED, NOT_FOUND, WARNINGS, CANCELLED}
# Exits a retry cannot cure: the task fails at once whatever its retries.
HOPELESS = {USAGE, AUTH, NOT_FOUND}

# sacctl's progress line on stderr: "... (resume: sacctl schedule wait ...)" or "resume with: sacctl ...".
_RESUME_LINE = re.compile(r"resume(?: with)?: (sacctl [^)\n]+)")


class Action(str, enum.Enum):
    """What an exit code makes of the task (the choice for 6 and 7 is the operator's)."""

    SUCCESS = "success"
    SKIP = "skip"
    FAIL = "fail"

    @classmethod
    def parse(cls, value: str | Action, what: str) -> Action:
        try:
            return cls(value)
        except ValueError:
            raise ValueError(f"{what} must be one of fail, skip, success; got {value!r}") from None


def parse_document(stdout: str) -> dict[str, Any] | None:
    """The JSON object sacctl printed, or None. Tolerates text around it (the last object wins)."""
    text = stdout.strip()
    if not text:
        return None
    try:
        value = json.loads(text)
        return value if isinstance(value, dict) else {"value": value}
    except ValueError:
        pass
    decoder = json.JSONDecoder()
    for match in reversed(list(re.finditer(r"^\{", text, re.M))):
        try:
            value, _ = decoder.raw_decode(text[match.start() :])
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


@dataclass(frozen=True)
class SacctlResult:
    """The exit code, the JSON document (if any) and the stderr of one sacctl run."""

    exit_code: int
    document: dict[str, Any] | None = None
    stderr: str = ""
    argv: list[str] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        doc = self.document or {}
        return str(doc.get("outcome") or OUTCOMES.get(self.exit_code, f"exit_{self.exit_code}"))

    @property
    def run_id(self) -> str | None:
        """The SAC run: a data import's or multi action's execution id, a Data Import job id, a
        calendar event's id."""
        doc = self.document or {}
        for key in ("execution_id", "job_id", "jobID", "run_id", "event_id"):
            if isinstance(doc.get(key), str) and doc[key]:
                return doc[key]
        return None

    @property
    def resume(self) -> str | None:
        """The command that picks the run up again, from the document or else from stderr."""
        doc = self.document or {}
        if isinstance(doc.get("resume"), str):
            return doc["resume"]
        found = _RESUME_LINE.findall(self.stderr)
        return found[-1].strip() if found else None

    @property
    def still_going(self) -> bool:
        return self.exit_code not in ENDED

    def describe(self) -> str:
        """One line for a log or an exception: the exit, SAC's message or sacctl's error and hints."""
        doc = self.document or {}
        parts = [f"sacctl exited {self.exit_code} ({self.outcome})"]
        for key in ("error", "message"):
            if doc.get(key):
                parts.append(str(doc[key]))
        hints = doc.get("hints") or []
        if isinstance(hints, list) and hints:
            parts.append("hint: " + "; ".join(map(str, hints)))
        if not self.document and self.stderr.strip():
            parts.append(self.stderr.strip().splitlines()[-1])
        return ": ".join(parts[:2]) + "".join(f"; {p}" for p in parts[2:])

    def to_event(self) -> dict[str, Any]:
        """A JSON-serialisable form (trigger events, XCom); stderr cut to its last lines."""
        tail = "\n".join(self.stderr.splitlines()[-30:])
        return {"exit_code": self.exit_code, "document": self.document, "stderr": tail, "argv": self.argv}

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> SacctlResult:
        return cls(int(event["exit_code"]), event.get("document"), event.get("stderr", ""), event.get("argv", []))


def action_for(exit_code: int, on_warnings: Action, on_already_running: Action) -> Action:
    """The task's fate for a final exit code: 0 succeeds, 6 and 7 as configured, the rest fail."""
    if exit_code == OK:
        return Action.SUCCESS
    if exit_code == WARNINGS:
        return on_warnings
    if exit_code == ALREADY_RUNNING:
        return on_already_running
    return Action.FAIL
