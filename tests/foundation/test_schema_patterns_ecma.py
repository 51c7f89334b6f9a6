"""Every ``pattern`` of the packaged JSON Schemas is a valid ECMA-262 regex in Unicode mode.

JSON Schema 2020-12 says patterns are ECMA-262 regular expressions; Ajv compiles them with the
``u`` flag, where an identity escape such as ``\\"`` inside a class is a syntax error that Python's
``re`` accepts silently. Node's own RegExp engine is the judge here (node is on the machine).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"

NODE_CHECK = """
const patterns = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const bad = [];
for (const p of patterns) { try { new RegExp(p, 'u'); } catch (e) { bad.push([p, String(e)]); } }
process.stdout.write(JSON.stringify(bad));
"""


def _patterns(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield value
            else:
                yield from _patterns(value)
    elif isinstance(node, list):
        for value in node:
            yield from _patterns(value)


@pytest.mark.parametrize("name", ["feed-base.schema.json", "feed-strict.schema.json"])
def test_every_pattern_compiles_as_unicode_ecma262(name):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed; the ECMA-262 check needs a JavaScript engine")
    patterns = sorted(set(_patterns(json.loads((SCHEMAS / name).read_text(encoding="utf-8")))))
    assert patterns, "the schema has no patterns: the test would check nothing"
    result = subprocess.run([node, "-e", NODE_CHECK], input=json.dumps(patterns), text=True,
                            capture_output=True, timeout=60, check=True)
    assert json.loads(result.stdout) == []


def test_every_schema_passes_check_jsonschema_metaschema():
    """``check-jsonschema --check-metaschema`` (regexes checked as ECMA-262 by its ``regress``
    engine, formats, the 2020-12 meta-schema) accepts every packaged schema."""
    tool = Path(sys.executable).parent / "check-jsonschema"
    assert tool.exists(), "check-jsonschema is not installed (pip install -r requirements.lock)"
    schemas = sorted(SCHEMAS.glob("*.json"))
    assert len(schemas) >= 2
    result = subprocess.run([str(tool), "--check-metaschema", *map(str, schemas)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
