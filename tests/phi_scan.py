"""PHI in log output: a session-wide scan (wired in tests/conftest.py).

While an integration, e2e or hostile test runs, every log record emitted in this process is
formatted as the services format it (shared.logging.JsonFormatter, redaction on) and searched;
at the end of the session the log files tests wrote for the service processes they started
(`*.log` under the session's temporary directory, not a private Kafka's data segments nor the fake
Twilio's own log) are searched too. The values looked for:

* every phone number, name, drug and message body in the test sources and in
  shared/testing/factories.py (string literals passed as `phone=`, `body=`, `drug=`,
  `display_name=`, `free_text=`, `Body=`, `From=`, `harness.text(...)`... and every E.164 literal);
* anything a test registers at run time (`register(...)`, e.g. generated phone numbers);
* anything shaped like an E.164 number (`+` and 11 to 15 digits), whoever it belongs to.

Short keyword replies ("STOP", "1", "ACK 4821") are not looked for: they are not PHI and appear
in log lines as intents. A hit fails the session; the summary says how many and where, with the
value masked.
"""

from __future__ import annotations

import ast
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from shared.logging import JsonFormatter
from shared.testing import factories

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [ROOT / "tests", ROOT / "shared" / "testing"]

# Loggers of the tests themselves and of the fakes (a fake Twilio logs what Twilio would see),
# and the fake Twilio's own log file when a test runs it as a process.
EXEMPT_LOGGERS = ("tests.", "mtm.test.")
EXEMPT_FILES = ("fake-twilio",)
KAFKA_SEGMENT = re.compile(r"^\d+\.log$")
"""A private Kafka's data files (00000000000000000000.log): records, not log output."""
SCANNED_MARKERS = ("integration", "e2e", "hostile")
PHONE_ARGUMENTS = frozenset({"phone", "from_phone", "to_phone", "sender", "From", "To"})
DRUG_ARGUMENTS = frozenset({"drug"})
NAME_ARGUMENTS = frozenset({"display_name", "patient_name"})
BODY_ARGUMENTS = frozenset({"body", "Body", "text", "free_text"})
PHI_ARGUMENTS = PHONE_ARGUMENTS | DRUG_ARGUMENTS | NAME_ARGUMENTS | BODY_ARGUMENTS
BODY_CALLS = frozenset({"text", "reply", "inbound_text"})
E164_LITERAL = re.compile(r"^\+\d{10,15}$")
E164_SHAPE = re.compile(r"(?<![\w+])\+\d{11,15}(?!\d)")
# Keyword replies are not PHI and log lines name them as intents ("ACK 4821", "STOP please").
KEYWORD_LIKE = re.compile(
    r"^(?:(?:stop|start|help|ack|resolve|res|cancel|yes|no|please|info)\b[\s#\d]*)+$", re.I
)


def worth_looking_for(kind: str, value: str) -> bool:
    """Whether a literal of this kind is specific enough to search log output for."""
    value = value.strip()
    if kind == "phone":
        return bool(E164_LITERAL.match(value))
    if kind == "drug":
        return len(value) >= 4 and value.isalpha()
    if kind == "name":
        return len(value) >= 5
    # A message body: several words, not a keyword reply.
    return len(value) >= 8 and " " in value and not KEYWORD_LIKE.match(value)


def _kind(argument: str) -> str:
    if argument in PHONE_ARGUMENTS:
        return "phone"
    if argument in DRUG_ARGUMENTS:
        return "drug"
    return "name" if argument in NAME_ARGUMENTS else "body"


def _phone_forms(value: str) -> set[str]:
    """An E.164 number and its national digits (+15125550143 and 5125550143)."""
    forms = {value}
    if value.startswith("+1") and len(value) == 12:
        forms.add(value[2:])
    return forms


def values_in_sources(paths: Iterable[Path] = SOURCES) -> set[str]:
    """Phone numbers, names, drugs and bodies written in the test sources."""
    found: set[str] = set()
    for path in (p for root in paths for p in sorted(root.rglob("*.py"))):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        for node in ast.walk(tree):
            candidates: list[tuple[str, ast.expr]] = []
            if isinstance(node, ast.Call):
                candidates += [
                    (_kind(k.arg), k.value) for k in node.keywords if k.arg in PHI_ARGUMENTS
                ]
                name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                if name in BODY_CALLS:
                    candidates += [("body", a) for a in node.args]
            elif isinstance(node, ast.Dict):
                candidates += [
                    (_kind(k.value), v)
                    for k, v in zip(node.keys, node.values, strict=True)
                    if isinstance(k, ast.Constant) and k.value in PHI_ARGUMENTS
                ]
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and E164_LITERAL.match(node.value)
            ):
                found |= _phone_forms(node.value)
            for kind, value in candidates:
                literal = value.value if isinstance(value, ast.Constant) else None
                if isinstance(literal, str) and worth_looking_for(kind, literal):
                    found.add(literal.strip())
    return found


def factory_values() -> set[str]:
    """The PHI in shared/testing/factories.py's samples (every field marked x-phi)."""
    found: set[str] = set()
    for event in factories.every_event():
        for name, info in type(event).model_fields.items():
            extra = info.json_schema_extra
            value = getattr(event, name)
            if isinstance(extra, dict) and extra.get("x-phi") and isinstance(value, str):
                if value.startswith("+"):
                    found |= _phone_forms(value)
                elif len(value) >= 5:
                    found.add(value)
    return found


@dataclass
class Hit:
    where: str
    kind: str
    excerpt: str


@dataclass
class Scanner:
    """The values looked for, the hits found, and how much was looked at."""

    values: set[str] = field(default_factory=set)
    hits: list[Hit] = field(default_factory=list)
    tests: int = 0
    lines: int = 0
    files: int = 0
    _pattern: re.Pattern[str] | None = None

    def register(self, *values: str) -> None:
        new = {v for value in values for v in _phone_forms(value.strip()) if len(v) >= 4}
        if new - self.values:
            self.values |= new
            self._pattern = None

    def pattern(self) -> re.Pattern[str]:
        if self._pattern is None:
            longest_first = sorted(self.values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in longest_first) or "(?!)")
        return self._pattern

    def scan(self, text: str, where: str) -> None:
        self.lines += 1
        for match in self.pattern().finditer(text):
            self.hits.append(Hit(where, "registered value", _mask(text, match)))
        for match in E164_SHAPE.finditer(text):
            self.hits.append(Hit(where, "phone-shaped number", _mask(text, match)))

    def scan_file(self, path: Path) -> None:
        if path.name.startswith(EXEMPT_FILES) or KAFKA_SEGMENT.match(path.name):
            return
        self.files += 1
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if _exempt_line(line):
                continue
            self.scan(line, str(path.name))


def _mask(text: str, match: re.Match[str]) -> str:
    start, end = max(0, match.start() - 40), min(len(text), match.end() + 40)
    return (text[start : match.start()] + "<HIT>" + text[match.end() : end]).replace("\n", " ")


def _exempt_line(line: str) -> bool:
    if not line.startswith("{"):
        return False
    try:
        logger = json.loads(line).get("logger", "")
    except (ValueError, AttributeError):
        return False
    return isinstance(logger, str) and logger.startswith(EXEMPT_LOGGERS)


class CaptureHandler(logging.Handler):
    """Formats every record as the services would and hands the line to the scanner."""

    def __init__(self, scanner: Scanner) -> None:
        super().__init__(level=logging.NOTSET)
        self.scanner = scanner
        self.formatter_ = JsonFormatter(redact=True)
        self.where = ""

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(EXEMPT_LOGGERS):
            return
        try:
            line = self.formatter_.format(record)
        except Exception:  # a record that cannot be formatted is not output either
            return
        self.scanner.scan(line, self.where)


SCANNER = Scanner()


def register(*values: str) -> None:
    """Add values (generated phone numbers, names, bodies) the log output must never contain."""
    SCANNER.register(*values)


def prime() -> Scanner:
    """The scanner with every value from the sources (once per session)."""
    if not SCANNER.values:
        SCANNER.register(*values_in_sources(), *factory_values())
    return SCANNER


def summary(scanner: Scanner) -> list[str]:
    """The lines printed at the end of the session."""
    lines = [
        f"PHI scan: {scanner.tests} tests, {scanner.lines} log lines and {scanner.files} service "
        "log files searched "
        f"for {len(scanner.values)} phone numbers, names, drugs and message bodies used in the "
        f"tests, and for phone-shaped numbers: {len(scanner.hits)} found"
        + (" (the run fails)" if scanner.hits else "")
    ]
    for hit in scanner.hits[:20]:
        lines.append(f"  PHI in log output ({hit.kind}) in {hit.where}: {hit.excerpt}")
    return lines
