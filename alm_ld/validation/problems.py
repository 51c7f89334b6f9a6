"""``Problem`` and ``Report``: the one currency of validation.

The CLI, ``POST /validate`` and ingest all show the same objects, so a provider sees the same
path, rule id and advice wherever a feed is checked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def jsonpath(parts: Iterable[str | int]) -> str:
    """``["items", 3, "value"]`` → ``$.items[3].value``; odd keys as ``$['@context']``."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            out += "." + part
        else:
            quoted = _escape_unsafe(json.dumps(part, ensure_ascii=False))
            out += "[" + quoted.replace('"', "'") + "]"
    return out


# Characters JSON leaves raw with ensure_ascii=False that would break a one-line-per-problem
# report or a UTF-8 terminal: C1 controls (U+0085 is a line break to some tools), line and
# paragraph separators, unpaired surrogates (not encodable at all).
_UNSAFE_IN_MESSAGES = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_UNSAFE_IN_LINES = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def _escape_unsafe(text: str) -> str:
    return _UNSAFE_IN_MESSAGES.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def excerpt(value: Any, limit: int = 60) -> str:
    """A short JSON rendering of a value for messages (always one printable line)."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    text = _escape_unsafe(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a feed: where (JSONPath), which rule, what to do, how bad.

    A feed sent as RDF has no JSON paths: its problems carry the SHACL focus node and result
    path instead (``path`` then reads ``<focus node> <result path>`` for one-line reports)."""

    path: str
    rule: str
    message: str
    severity: Severity = "error"
    focus_node: str | None = None
    result_path: str | None = None

    def __post_init__(self) -> None:
        # Messages and paths quote feed text (keys, values): keep each problem one printable,
        # encodable line (the CLI prints one line per problem; a lone surrogate cannot be
        # written as UTF-8 at all).
        for name in ("path", "message", "focus_node", "result_path"):
            text = getattr(self, name)
            if text is not None and _UNSAFE_IN_LINES.search(text):
                object.__setattr__(self, name, _UNSAFE_IN_LINES.sub(
                    lambda m: f"\\u{ord(m.group()):04x}", text))

    def to_dict(self) -> dict[str, str]:
        out = {"path": self.path, "rule": self.rule, "message": self.message,
               "severity": self.severity}
        if self.focus_node is not None:
            out["focusNode"] = self.focus_node
        if self.result_path is not None:
            out["resultPath"] = self.result_path
        return out


@dataclass
class Report:
    """The outcome of validating one feed against one profile."""

    profile: str
    problems: list[Problem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """Valid means no errors; warnings never make a feed invalid."""
        return not any(p.severity == "error" for p in self.problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def to_dict(self) -> dict[str, Any]:
        return {"valid": self.valid, "profile": self.profile,
                "problems": [p.to_dict() for p in self.problems]}


def unique(problems: Iterable[Problem]) -> list[Problem]:
    """Drop exact repeats (several schema branches can report the same fault), keep order."""
    seen: set[Problem] = set()
    out = []
    for problem in problems:
        if problem not in seen:
            seen.add(problem)
            out.append(problem)
    return out
