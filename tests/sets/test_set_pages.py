"""``/institutions``, ``/journals``, ``/funders``, ``/authors``: HTML and linked data over real
HTTP, every id form, bad ids (400 naming the check) and unknown sets (404)."""

from __future__ import annotations

import json
import re

import pytest
import requests
from rdflib import Graph, Literal, URIRef

from tests.sets.conftest import BROWN, CARBERRY, HARVARD, NSF, doi

SCHEMA = "http://schema.org/"
ALM = "https://w3id.org/alm-ld/vocab#"


def _sums(graph: Graph, node: str) -> dict[str, int]:
    out = {}
    for counter in graph.objects(URIRef(node), URIRef(SCHEMA + "interactionStatistic")):
        metric = graph.value(counter, URIRef(ALM + "metric"))
        total = graph.value(counter, URIRef(SCHEMA + "userInteractionCount"))
        out[str(metric).rsplit("/", 1)[-1]] = int(total)
    return out


def test_institution_page_totals_years_top_works_and_sources(served) -> None:
    response = requests.get(served.url + "/institutions/03vek6s52",
                            headers={"Accept": "text/html"}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    html = response.text
    assert "Harvard University" in html
    assert re.search(r'id="set-count">2<', html)
    assert re.search(r'data-metric="citations"><th scope="row">citations</th>'
                     r'<td class="num">20<', html)
    assert re.search(r'data-metric="views"><th scope="row">views</th><td class="num">100<', html)
    # top works by citations: w1 (14, the higher of crossref 10 / openalex 14), then w2 (6)
    top = re.findall(r'<li data-work="([^"]+)"', html)
    assert top == [doi(1), doi(2)]
    # the by-year chart of citations: 2019 → 14, 2020 → 6
    chart = html[html.index('id="chart-citations"'):]
    assert re.findall(r"<td>(\d{4})</td><td class=\"num\">(\d+)</td>",
                      chart[:chart.index("</figure>")]) == [("2019", "14"), ("2020", "6")]
    # sources: crossref reports both works (10 + 6), openalex one (14), plos one (views 100)
    rows = {source: (works, sums) for source, works, sums in re.findall(
        r'<tr data-source="([^"]+)"><th scope="row">[^<]+</th>'
        r'<td class="num">(\d+)</td><td>([^<]*)</td>', html)}
    assert rows == {"crossref": ("2", "citations 16"), "openalex": ("1", "citations 14"),
                    "plos": ("1", "views 100")}


@pytest.mark.parametrize("form", ["03vek6s52", "https://ror.org/03vek6s52", "ror:03vek6s52",
                                  "ror.org/03vek6s52", "HTTPS://ROR.ORG/03VEK6S52"])
def test_institution_in_every_accepted_id_form_as_json_ld(served, form) -> None:
    response = requests.get(f"{served.url}/institutions/{form}",
                            headers={"Accept": "application/ld+json"}, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/ld+json")
    graph = Graph().parse(data=response.text, format="json-ld",
                          publicID=served.url + "/")
    assert _sums(graph, HARVARD) == {"citations": 20, "views": 100}
    assert (URIRef(HARVARD), URIRef(SCHEMA + "name"), Literal("Harvard University")) in graph
    works = set(graph.subjects(URIRef(SCHEMA + "sourceOrganization"), URIRef(HARVARD)))
    assert works == {URIRef(doi(1)), URIRef(doi(2))}
    assert f'<{served.url}/institutions/03vek6s52>; rel="canonical"' in response.headers["Link"]


def test_journal_funder_and_author_sets_as_turtle(served) -> None:
    cases = [("/journals/urn:issn:1932-6203", "https://portal.issn.org/resource/ISSN/1932-6203",
              "isPartOf", {"citations": 20, "views": 100}, {doi(1), doi(2)}),
             ("/funders/10.13039/100000001", NSF, "funder", {"citations": 14, "views": 100},
              {doi(1)}),
             ("/authors/0000000218250097", CARBERRY, "author", {"citations": 14, "views": 100},
              {doi(1)}),
             ("/institutions/05gq02987", BROWN, "sourceOrganization", {"citations": 50},
              {doi(3)})]
    for path, node, relation, sums, works in cases:
        response = requests.get(served.url + path, headers={"Accept": "text/turtle"},
                                timeout=10)
        assert response.status_code == 200, (path, response.text)
        graph = Graph().parse(data=response.text, format="turtle")
        assert _sums(graph, node) == sums, path
        assert {str(w) for w in graph.subjects(URIRef(SCHEMA + relation), URIRef(node))} \
            == works, path
        counters = list(graph.objects(URIRef(node), URIRef(SCHEMA + "interactionStatistic")))
        assert all(graph.value(c, URIRef(SCHEMA + "userInteractionCount")).datatype
                   == URIRef("http://www.w3.org/2001/XMLSchema#integer") for c in counters)


@pytest.mark.parametrize(("path", "names"), [
    ("/institutions/03vek6s53", "checksum"),
    ("/authors/0000-0002-1825-0098", "check digit"),
    ("/journals/1932-6204", "check digit"),
    ("/funders/10.9999/100000001", "funder id"),
    ("/institutions/harvard", "is not a ROR id"),
])
def test_bad_ids_are_400_problems_naming_the_check(served, path, names) -> None:
    response = requests.get(served.url + path, headers={"Accept": "text/html"}, timeout=10)
    assert response.status_code == 400
    problem = response.json() if "json" in response.headers["Content-Type"] else None
    text = problem["detail"] if problem else response.text
    assert names in text


@pytest.mark.parametrize("path", ["/institutions/01abcde97", "/journals/0028-0836",
                                  "/authors/0000-0001-5109-3700",
                                  "/funders/10.13039/501100000780"])
def test_unknown_sets_are_404_problems(served, path) -> None:
    response = requests.get(served.url + path, headers={"Accept": "application/ld+json"},
                            timeout=10)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    assert json.loads(response.text)["status"] == 404


def test_the_work_page_links_its_sets_and_the_links_answer(served) -> None:
    html = requests.get(served.url + "/works/10.5555/w1", headers={"Accept": "text/html"},
                        timeout=10).text
    links = set(re.findall(r'<a href="([^"]+)" class="set-link">', html))
    assert links == {"/institutions/03vek6s52", "/authors/0000-0002-1825-0097",
                     "/journals/1932-6203", "/funders/10.13039/100000001"}
    for link in links:
        answer = requests.get(served.url + link, headers={"Accept": "text/html"}, timeout=10)
        assert answer.status_code == 200, link
