"""JSON-Schema checking of feeds, with messages a provider can act on.

Two engines, one answer: ``jsonschema_rs`` decides quickly whether a feed is schema-valid (the
common case for harvester output and large pushes); only when it is not does ``jsonschema``
(with its ``FormatChecker``) walk the feed to report every error. So the problems reported are
always jsonschema's, whichever path was taken. Validators are compiled once per profile.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from alm_ld.resources import load_json, schema_path
from alm_ld.validation.problems import Problem, excerpt, jsonpath
from alm_ld.vocab import CORE_METRICS, CORE_RELATIONS, DISCLOSURE_KEYS

if TYPE_CHECKING:  # imported lazily: see _detailed
    import jsonschema

PROFILES = ("base", "strict")
SCHEMA_FILES = {"base": "feed-base.schema.json", "strict": "feed-strict.schema.json"}

_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
               int: "an integer", float: "a number", type(None): "null"}


def schema_document(profile: str) -> dict[str, Any]:
    return load_json(schema_path(SCHEMA_FILES[profile]))


class _Pair:
    """The fast validator, and the detailed one built on first need.

    ``import jsonschema`` costs ~2.3 s (its IRI format checker builds a Lark grammar at
    import), which every ``alm-ld`` command and worker start paid; valid feeds never need it.
    """

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self.fast = jsonschema_rs.Draft202012Validator(schema, validate_formats=True)
        self._detailed: jsonschema.Draft202012Validator | None = None

    @property
    def detailed(self) -> jsonschema.Draft202012Validator:
        if self._detailed is None:
            import jsonschema

            self._detailed = jsonschema.Draft202012Validator(
                self.schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
        return self._detailed

    def __iter__(self) -> Iterator[Any]:
        """``fast, detailed = pair`` (as the validators were handed out before)."""
        return iter((self.fast, self.detailed))


@cache
def _validators(profile: str) -> _Pair:
    return _Pair(schema_document(profile))


@cache
def _item_validators(profile: str) -> _Pair:
    """Validators for one item: the profile's own ``$defs`` entered at ``#/$defs/item``."""
    schema = schema_document(profile)
    return _Pair({"$schema": schema["$schema"], "$defs": schema["$defs"],
                  "$ref": "#/$defs/item"})


def warm_up() -> None:
    """Compile both profiles now (servers call this at start-up)."""
    for profile in PROFILES:
        _validators(profile).detailed  # noqa: B018 - builds it
        _item_validators(profile).detailed  # noqa: B018


def _quickly_valid(fast: Any, doc: object) -> bool:
    try:
        return bool(fast.is_valid(doc))
    except (ValueError, TypeError, OverflowError):
        return False  # something jsonschema_rs cannot take (huge int, …): use the slow path


def schema_errors(doc: object, profile: str) -> list[jsonschema.ValidationError]:
    """jsonschema's errors for ``doc``, each with its ``absolute_path`` from the document root.

    An invalid feed is usually a large valid one with a few bad items, so the detailed engine
    walks only the feed without its items plus the items the fast engine rejects; the errors
    are the same as a whole-document walk (the test suite checks that)."""
    whole = _validators(profile)
    if _quickly_valid(whole.fast, doc):
        return []
    items = doc.get("items") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        return list(whole.detailed.iter_errors(doc))
    errors = list(whole.detailed.iter_errors(dict(doc, items=[])))
    item = _item_validators(profile)
    for index, entry in enumerate(items):
        if _quickly_valid(item.fast, entry):
            continue
        for error in item.detailed.iter_errors(entry):
            error.path.extendleft([index, "items"])  # extendleft reverses: items, index
            errors.append(error)
    return errors


def schema_problems(doc: object, profile: str) -> list[Problem]:
    """Every JSON-Schema problem of ``doc`` under ``profile``, in document order."""
    errors = sorted(schema_errors(doc, profile),
                    key=lambda e: _order_key(list(e.absolute_path)))
    problems: list[Problem] = []
    for error in errors:
        problems.extend(_translate(error, profile))
    return problems


def _all_required(options: Any) -> bool:
    """``anyOf`` of bare ``required`` lists: 'one of these properties must be there'."""
    return isinstance(options, list) and bool(options) and all(
        isinstance(o, dict) and list(o) == ["required"] for o in options)


def _order_key(path: list[Any]) -> list[tuple[int, Any]]:
    return [(0, p) if isinstance(p, int) else (1, str(p)) for p in path]


def _describe(schema: Any) -> str:
    if isinstance(schema, dict) and schema.get("description"):
        return " Expected: " + schema["description"]
    return ""


def _kind(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _translate(error: jsonschema.ValidationError, profile: str) -> Iterator[Problem]:
    parts = list(error.absolute_path)
    path = jsonpath(parts)
    keyword = str(error.validator)
    value = error.instance
    schema = error.schema if isinstance(error.schema, dict) else {}
    if keyword == "required":
        yield from _missing(parts, value, error.validator_value, schema, profile)
    elif keyword == "additionalProperties" and parts == ["disclosure"]:
        return  # the semantic rule disclosure-unknown-key reports these, with NISO hints
    elif keyword == "additionalProperties" and isinstance(value, dict):
        allowed = sorted(schema.get("properties", {}))
        for key in value:
            if key in allowed:
                continue
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            yield Problem(jsonpath([*parts, key]), "schema.additionalProperties",
                          f"Unknown property '{key}': it is not part of the alm-ld feed format "
                          f"here and JSON-LD processors would silently drop it.{hint} Remove "
                          f"it or use one of: {', '.join(allowed)}.")
    elif keyword == "enum" and parts and parts[-1] in ("metric", "relation"):
        kind = str(parts[-1])
        core = CORE_METRICS if kind == "metric" else CORE_RELATIONS
        yield Problem(path, "unknown-concept",
                      f"{excerpt(value)} is not a {kind} of the alm-ld vocabulary, which the "
                      f"strict profile requires. Use a concept id such as "
                      f"{', '.join(core)} (all ids: GET /vocab), or validate with the base "
                      "profile to use an extension concept IRI.")
    elif keyword == "enum" and parts and parts[-1] == "workType":
        yield Problem(path, "work-type",
                      f"{excerpt(value)} is not a Crossref type id or DataCite "
                      "resourceTypeGeneral, which the strict profile requires. Use e.g. "
                      "journal-article, posted-content, dataset (Crossref) or JournalArticle, "
                      "Dataset, Software (DataCite); see docs/feed-format.md, Work.")
    elif keyword == "anyOf" and _all_required(error.validator_value):
        names = " or ".join(f"'{sub['required'][0]}'" for sub in error.validator_value)
        yield Problem(jsonpath([*parts, error.validator_value[0]["required"][0]]),
                      "schema.required", f"Missing required property: a Work item names its "
                      f"work with {names}. Add 'work' (feed format v1.1).{_describe(schema)}")
    elif keyword == "not" and isinstance(value, dict) and "work" in value and "id" in value:
        yield Problem(jsonpath([*parts, "id"]), "schema.not",
                      "A Work item names its work once: give 'work' (feed format v1.1) or 'id' "
                      "(v1), not both. Remove 'id'.")
    elif keyword == "minProperties":
        yield Problem(path, "schema.minProperties",
                      f"{excerpt(value)} is empty; give at least one property or leave the "
                      f"object out.{_describe(schema)}")
    elif keyword == "type":
        yield Problem(path, "schema.type",
                      f"{excerpt(value)} is {_kind(value)}, but {error.validator_value} is "
                      f"needed here.{_describe(schema)}")
    elif keyword in ("enum", "const"):
        options = error.validator_value if keyword == "enum" else [error.validator_value]
        yield Problem(path, f"schema.{keyword}",
                      f"{excerpt(value)} is not allowed here; use "
                      f"{' or '.join(excerpt(o) for o in options[:8])}.{_describe(schema)}")
    elif keyword == "minimum":
        yield Problem(path, "schema.minimum",
                      f"{excerpt(value)} is below the minimum {error.validator_value}."
                      f"{_describe(schema)}")
    elif keyword in ("format", "anyOf"):
        what = error.validator_value if keyword == "format" else "date or date-time"
        yield Problem(path, "schema.format",
                      f"{excerpt(value)} is not a valid {what}.{_describe(schema)}")
    elif keyword in ("pattern", "minLength"):
        yield Problem(path, f"schema.{keyword}",
                      f"{excerpt(value)} does not have the required form.{_describe(schema)}")
    else:
        yield Problem(path, f"schema.{keyword}", f"{error.message}.{_describe(schema)}")


def _missing(parts: list[Any], value: Any, required: Any, schema: dict[str, Any],
             profile: str) -> Iterator[Problem]:
    if not isinstance(value, dict):
        return
    props = schema.get("properties", {})
    for name in required:
        if name in value:
            continue
        target = jsonpath([*parts, name])
        if profile == "strict" and (name == "disclosure" or (
                parts == ["disclosure"] and name in DISCLOSURE_KEYS)):
            yield Problem(target, "disclosure-missing",
                          f"The strict profile needs the NISO RP-25-2016 disclosure item "
                          f"'{name}'. Add it with a non-empty text or URL (see "
                          "docs/feed-format.md, Disclosure).")
        elif name == "periodStart":
            yield Problem(target, "schema.required",
                          "An interval count needs 'periodStart' (the start of the counted "
                          "period). Add it, or use \"aggregation\": \"cumulative\".")
        else:
            yield Problem(target, "schema.required",
                          f"Missing required property '{name}'. Add it."
                          f"{_describe(props.get(name))}")
