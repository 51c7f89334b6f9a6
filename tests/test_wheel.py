"""The built wheel carries schemas, contexts, vocabulary and examples but no test-only code,
and validation works from the wheel alone (no checkout on the path)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

CHECK = """
import json, sys
import alm_ld, alm_ld.jsonld
from alm_ld.resources import examples_dir, schemas_dir, contexts_dir, shapes_dir
from alm_ld.validate import validate_feed
from alm_ld.vocab import metric_concepts
assert alm_ld.__file__.startswith(sys.argv[1]), alm_ld.__file__
assert str(schemas_dir()).startswith(sys.argv[1]) and str(contexts_dir()).startswith(sys.argv[1])
assert str(shapes_dir()).startswith(sys.argv[1])
from alm_ld.validation.feed_input import validate_input
rdf = validate_input((examples_dir() / "invalid-period-order.json").read_bytes(), "jsonld")
strict = validate_feed((examples_dir() / "valid-strict.json").read_bytes(), "strict")
bad = validate_feed((examples_dir() / "invalid-period-order.json").read_bytes())
nquads = alm_ld.jsonld.to_rdf_nquads(json.loads((examples_dir() / "valid-base.json").read_text()))
alert = {"@context": ["http://h.example/contexts/v1.jsonld",
                      "http://h.example/contexts/analytics-v1.jsonld"],
         "id": "urn:x:1", "type": "Alert", "value": 3}
analytics = alm_ld.jsonld.to_rdf_nquads(alert)
print(json.dumps({"strict": strict.valid, "bad": [p.rule for p in bad.problems],
                  "rdf": [p.rule for p in rdf.problems],
                  "metrics": len(metric_concepts()), "triples": len(nquads.splitlines()),
                  "analytics": analytics.splitlines()}))
"""


@pytest.mark.slow
def test_wheel_contains_data_and_validates_on_its_own(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir",
                    str(dist), str(ROOT)], check=True, capture_output=True, timeout=300)
    wheel = next(dist.glob("alm_ld-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("alm_ld/_data/schemas/feed-base.schema.json",
                     "alm_ld/_data/schemas/feed-strict.schema.json",
                     "alm_ld/_data/contexts/v1.jsonld", "alm_ld/_data/contexts/analytics-v1.jsonld",
                     "alm_ld/_data/shapes/feed-base.shapes.ttl",
                     "alm_ld/_data/shapes/feed-strict.shapes.ttl",
                     "alm_ld/data/vocab.ttl",
                     "alm_ld/data/examples/index.json", "alm_ld/data/examples/valid-base.json"):
        assert required in names, required
    # test-only code lives in tests/support (and the demo builder in tools/), not in the wheel
    for test_only in ("alm_ld/mapping_jsonld.py", "alm_ld/harvest/replay.py",
                      "alm_ld/harvest/demo.py"):
        assert test_only not in names, test_only
    assert not any(name.startswith(("tests/", "tools/", "benchmarks/")) for name in names)
    wheel_zip = zipfile.ZipFile(wheel)
    assert b"class ThreadedServer" not in wheel_zip.read("alm_ld/web/server.py")
    assert b"def map_feed(" not in wheel_zip.read("alm_ld/mapping.py")
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALM_LD_", "PYTHON"))}
    env["PYTHONPATH"] = str(site)
    result = subprocess.run([sys.executable, "-c", CHECK, str(site)], cwd=elsewhere, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["strict"] is True
    assert outcome["bad"] == ["period-order"]
    assert outcome["rdf"] == ["period-order"]  # the SHACL shapes, from the wheel
    assert outcome["metrics"] > 50 and outcome["triples"] > 10
    assert sorted(outcome["analytics"]) == [
        '<urn:x:1> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> '
        '<https://w3id.org/alm-ld/vocab#Alert> .',
        '<urn:x:1> <https://w3id.org/alm-ld/vocab#value> '
        '"3"^^<http://www.w3.org/2001/XMLSchema#integer> .']
