"""The works index (analytics.works_index) answers ``GET /works`` as the feeds say: on generated
feeds with revisions, re-described works and new works arriving, every page, count and group
is compared with an oracle computed here from the feeds themselves (the rule of "current":
latest ``periodEnd``, ties by the newest feed; the newest feed describing a work wins whole) —
after every feed, while paging with cursors as feeds arrive, and after a rebuild from the
store."""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

import pytest

from alm_ld.analytics import works_index as wi
from alm_ld.analytics import works_list as wl
from alm_ld.analytics.works_list import list_works, parse_works_query
from alm_ld.config import Settings
from alm_ld.pipeline import ingest_feed
from alm_ld.store import open_store
from tests.sets.conftest import BROWN, HARVARD, count, doi, feed, work

WORKS = 24
SOURCES = ("crossref", "openalex", "plos")
METRICS = ("citations", "views")
ENDS = ("2026-09-30", "2026-10-31", "2026-11-20")
RORS = (HARVARD, BROWN)


def _feeds(seed: int) -> list[list[dict[str, Any]]]:
    """Eight feeds: counts (some revising an earlier feed's count of the same period, some a
    later period, some an earlier one) and descriptions (some replacing an earlier one)."""
    rng = random.Random(seed)
    out = []
    for n in range(8):
        items, keys = [], set()
        for _ in range(rng.randint(6, 14)):
            key = (rng.randrange(WORKS), rng.choice(METRICS), rng.choice(SOURCES),
                   rng.choice(ENDS))
            if key in keys:
                continue
            keys.add(key)
            w, metric, source, end = key
            items.append(count(w, rng.choice((0, 3, 5, 8, 13, 40)), source, metric, end))
        for w in rng.sample(range(WORKS), rng.randint(0, 5)):
            fields: dict[str, Any] = {"authors": [{"name": "A", "affiliations": [
                {"ror": rng.choice(RORS)}]}]} if rng.random() < 0.7 else {}
            if rng.random() < 0.8:
                fields["issued"] = rng.choice(("2019", "2020-03", "2021-05-02", "2020"))
            items.append(work(w, **fields))
        out.append(items)
        del n
    return out


class Oracle:
    """The answers computed from the feeds ingested so far (no store, no index)."""

    def __init__(self) -> None:
        self.counts: dict[tuple[int, str, str], tuple[tuple[str, int], int]] = {}
        self.described: dict[int, dict[str, Any]] = {}
        self.works: set[int] = set()
        self.sequence = 0

    def add(self, items: list[dict[str, Any]]) -> None:
        self.sequence += 1
        for item in items:
            w = int(item["work"].rsplit("w", 1)[1])
            self.works.add(w)
            if item["type"] == "Work":
                self.described[w] = item
                continue
            key = (w, item["metric"], item["source"])
            rank = (item["periodEnd"], self.sequence)
            if key not in self.counts or rank >= self.counts[key][0]:
                self.counts[key] = (rank, item["value"])

    def value(self, w: int, metric: str, sources: tuple[str, ...] | None) -> int | None:
        found = [v for (x, m, s), (_, v) in self.counts.items()
                 if x == w and m == metric and (sources is None or s in sources)]
        return max(found) if found else None

    def selected(self, sources: tuple[str, ...] | None, ror: str | None) -> list[int]:
        chosen = []
        for w in self.works:
            if sources and not any(x == w and s in sources for (x, _, s) in self.counts):
                continue
            if ror:
                authors = self.described.get(w, {}).get("authors", [])
                if not any(a.get("ror") == ror for au in authors
                           for a in au.get("affiliations", [])):
                    continue
            chosen.append(w)
        return chosen

    def order(self, sort: str | None, sources: tuple[str, ...] | None,
              ror: str | None) -> list[str]:
        chosen = self.selected(sources, ror)
        if sort is None:
            return sorted(doi(w) for w in chosen)
        name, _, direction = sort.partition(":")
        keyed, missing = [], []
        for w in chosen:
            if name == "issued":
                issued = self.described.get(w, {}).get("issued")
                key = wi.issued_key(issued) if issued else None
            else:
                key = self.value(w, name, sources)
            (missing if key is None else keyed).append((key, doi(w)))
        if direction == "desc":
            keyed.sort(key=lambda kv: kv[1])
            keyed.sort(key=lambda kv: kv[0], reverse=True)  # stable: ties stay by IRI
        else:
            keyed.sort()
        return [d for _, d in keyed] + sorted(d for _, d in missing)


QUERIES = [(None, None, None), ("citations:desc", None, None), ("views:asc", None, None),
           ("citations:desc", ("crossref", "openalex"), None), ("citations:asc", ("plos",), None),
           ("issued:desc", None, None), ("issued:asc", None, HARVARD),
           ("citations:desc", None, BROWN)]


def _filter(sources: tuple[str, ...] | None, ror: str | None) -> str | None:
    parts = ([f"source:{'|'.join(sources)}"] if sources else []) + (
        [f"ror:{ror}"] if ror else [])
    return ",".join(parts) or None


def _page_all(store, sort, sources, ror, between=None) -> tuple[list[str], int]:
    """Every page of one query, following the cursor; ``between()`` runs between pages."""
    params = {"filter": _filter(sources, ror), "sort": sort, "per_page": "4"}
    answer = list_works(store, parse_works_query(**params, cursor="*"))
    seen, count_ = [r["id"] for r in answer["results"]], answer["meta"]["count"]
    while answer["meta"]["next_cursor"]:
        if between:
            between()
        answer = list_works(store, parse_works_query(**params,
                                                     cursor=answer["meta"]["next_cursor"]))
        assert answer["meta"]["count"] == count_
        seen += [r["id"] for r in answer["results"]]
    return seen, count_


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_page_matches_the_feeds_after_every_feed(seed: int) -> None:
    store, config, oracle = open_store("oxigraph:"), Settings(store="oxigraph:"), Oracle()
    for items in _feeds(seed):
        ingest_feed(store, feed(items), settings=config)
        oracle.add(items)
        for sort, sources, ror in QUERIES:
            seen, total = _page_all(store, sort, sources, ror)
            assert seen == oracle.order(sort, sources, ror), (sort, sources, ror)
            assert total == len(seen)


@pytest.mark.parametrize("seed", [4, 5])
def test_cursor_pages_keep_their_ranking_while_feeds_arrive(seed: int) -> None:
    store, config, oracle = open_store("oxigraph:"), Settings(store="oxigraph:"), Oracle()
    feeds = _feeds(seed)
    for items in feeds[:3]:
        ingest_feed(store, feed(items), settings=config)
        oracle.add(items)
    later = iter(feeds[3:] * 4)

    def ingest() -> None:
        items = next(later, None)
        if items is not None:
            ingest_feed(store, feed(items), settings=config)
            oracle.add(items)

    for sort, sources, ror in QUERIES:
        expected = oracle.order(sort, sources, ror)  # the state paging begins with
        seen, total = _page_all(store, sort, sources, ror, between=ingest)
        assert seen == expected, (sort, sources, ror)
        assert total == len(expected)


def test_a_rebuilt_index_answers_like_the_one_caught_up_feed_by_feed(tmp_path) -> None:
    """An index deleted (or of another store) is rebuilt from the store, history included:
    a cursor made before the rebuild still reads its own ranking."""
    spec = f"oxigraph:{tmp_path / 'store'}"
    config, oracle, feeds = Settings(store=spec), Oracle(), _feeds(6)
    with open_store(spec) as store:
        for items in feeds[:4]:
            ingest_feed(store, feed(items), settings=config)
            oracle.add(items)
            list_works(store, parse_works_query())  # caught up feed by feed
        path = wi.index_path(store)
        assert path and path.endswith(".works-index.sqlite3")
        query = {"sort": "citations:desc", "per_page": "3"}
        first = list_works(store, parse_works_query(**query, cursor="*"))
        expected = oracle.order("citations:desc", None, None)
        for items in feeds[4:]:
            ingest_feed(store, feed(items), settings=config)
            oracle.add(items)
        before = {q: _page_all(store, *q) for q in QUERIES}
        index, _ = wi.works_index(store)
        index.close()
        del wi._BY_PATH[path]
        for suffix in ("", "-wal", "-shm"):
            (tmp_path / (path.rsplit("/", 1)[1] + suffix)).unlink(missing_ok=True)
        assert {q: _page_all(store, *q) for q in QUERIES} == before
        assert before[QUERIES[1]][0] == oracle.order("citations:desc", None, None)
        seen = [r["id"] for r in first["results"]]
        cursor = first["meta"]["next_cursor"]
        while cursor:
            page = list_works(store, parse_works_query(**query, cursor=cursor))
            seen += [r["id"] for r in page["results"]]
            cursor = page["meta"]["next_cursor"]
        assert seen == expected
        # an index of another store (its first feed differs) is rebuilt, not trusted, by
        # the next process opening it
        index, _ = wi.works_index(store)
        with index.lock:
            index._db.execute("UPDATE info SET value = 'urn:uuid:other' "
                              "WHERE name = 'first_feed'")
            index._db.execute("DELETE FROM val")
        index.close()
        del wi._BY_PATH[path]
        assert {q: _page_all(store, *q) for q in QUERIES} == before


@pytest.mark.parametrize("seed", [7, 8])
def test_groups_match_the_feeds_after_every_feed(seed: int) -> None:
    """Unfiltered groups, from the columns caught up feed by feed, equal the oracle's, a
    filtered group's over the same works, and those of an index rebuilt from the store."""
    store, config, oracle = open_store("oxigraph:"), Settings(store="oxigraph:"), Oracle()
    for items in _feeds(seed):
        ingest_feed(store, feed(items), settings=config)
        oracle.add(items)
        _check_groups(store, oracle)
    kept, _ = wi.works_index(store)
    rebuilt = wi.WorksIndex(None)
    rebuilt.catch_up(store)
    for group_by in ("source", "ror", "issued_year", "type"):
        query = parse_works_query(group_by=group_by)
        assert wl._groups(kept, query) == wl._groups(rebuilt, query), group_by


def _check_groups(store, oracle: Oracle) -> None:
    every = list_works(store, parse_works_query(group_by="source"))
    # the filtered path (a GROUP BY over the selected works) over the same works
    filtered = list_works(store, parse_works_query(group_by="source",
                                                   filter="source:crossref|openalex|plos"))
    assert filtered["group_by"] == every["group_by"]
    years = list_works(store, parse_works_query(group_by="issued_year"))
    by_year: dict[str | None, int] = defaultdict(int)
    for w in oracle.works:
        issued = oracle.described.get(w, {}).get("issued")
        by_year[issued[:4] if issued else None] += 1
    assert {g["key"]: g["count"] for g in years["group_by"]} == by_year
    # a filtered metadata group (a GROUP BY over the selected works, the null group included)
    chosen = set(oracle.selected(("crossref", "plos"), None))
    some = list_works(store, parse_works_query(group_by="issued_year",
                                               filter="source:crossref|plos"))
    expected: dict[str | None, tuple[int, dict[str, int]]] = {}
    for w in chosen:
        issued = oracle.described.get(w, {}).get("issued")
        key = issued[:4] if issued else None
        n, sums = expected.get(key, (0, {}))
        for metric in METRICS:
            value = oracle.value(w, metric, ("crossref", "plos"))
            if value is not None:
                sums = {**sums, metric: sums.get(metric, 0) + value}
        expected[key] = (n + 1, sums)
    assert {g["key"]: (g["count"], g["sum"]) for g in some["group_by"]} == expected
    by_ror = list_works(store, parse_works_query(group_by="ror"))
    members: dict[str | None, set[int]] = defaultdict(set)
    for w in oracle.works:
        rors = {a["ror"] for au in oracle.described.get(w, {}).get("authors", [])
                for a in au.get("affiliations", [])}
        for key in rors or {None}:
            members[key].add(w)
    assert {g["key"]: g["count"] for g in by_ror["group_by"]} == {
        k: len(v) for k, v in members.items()}
    for group in by_ror["group_by"]:
        for metric in METRICS:
            values = [oracle.value(w, metric, None) for w in members[group["key"]]]
            total = sum(v for v in values if v is not None)
            if any(v is not None for v in values):
                assert group["sum"][metric] == total
    by_source = list_works(store, parse_works_query(group_by="source"))
    for group in by_source["group_by"]:
        mine = {(w, m): v for (w, m, s), (_, v) in oracle.counts.items() if s == group["key"]}
        assert group["count"] == len({w for w, _ in mine})
        assert group["sum"] == {m: sum(v for (_, mm), v in mine.items() if mm == m)
                                for m in sorted({m for _, m in mine})}
    assert by_ror["meta"]["count"] == by_source["meta"]["count"] == len(oracle.works)


@pytest.mark.parametrize("after", [[0, ["a"], doi(1)], [0, [-0xD800], doi(1)], [0, [5], doi(1)],
                                   [0, "2020-00-00", "\ud800"]])
def test_a_forged_cursor_the_index_cannot_read_is_a_400(after: list[Any]) -> None:
    import base64
    import json

    from alm_ld.errors import UsageError

    forged = base64.urlsafe_b64encode(json.dumps(
        {"v": 1, "seq": 1, "sort": "issued:desc", "after": after}).encode()).decode().rstrip("=")
    with pytest.raises(UsageError):
        parse_works_query(sort="issued:desc", cursor=forged)


def test_a_filter_that_is_not_text_is_a_400() -> None:
    from alm_ld.errors import UsageError

    with pytest.raises(UsageError):
        parse_works_query(filter="publisher:\ud800")


def test_an_unusable_index_file_is_a_503_not_a_500(tmp_path) -> None:
    from alm_ld.errors import StoreUnavailable

    spec = f"oxigraph:{tmp_path / 'store'}"
    with open_store(spec) as store:
        ingest_feed(store, feed([count(1, 5, "crossref")]), settings=Settings(store=spec))
        path = wi.index_path(store)
        assert path is not None
        (tmp_path / path.rsplit("/", 1)[1]).mkdir()  # a folder where the file should be
        with pytest.raises(StoreUnavailable) as raised:
            list_works(store, parse_works_query())
        assert raised.value.status == 503 and "works index" in str(raised.value.detail)


def test_two_processes_sharing_the_file_fold_each_feed_once(tmp_path) -> None:
    """Two indexes over one file (two serving processes) catching up at once: every feed is
    folded once — the current values equal a rebuild's, so nothing was applied twice."""
    import threading

    spec = f"oxigraph:{tmp_path / 'store'}"
    config = Settings(store=spec)
    with open_store(spec) as store:
        path = wi.index_path(store)
        first, second = wi.WorksIndex(path), wi.WorksIndex(path)
        for items in _feeds(9):
            ingest_feed(store, feed(items), settings=config)
            threads = [threading.Thread(target=index.catch_up, args=(store,))
                       for index in (first, second)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        rebuilt = wi.WorksIndex(None)
        rebuilt.catch_up(store)
        for table in ("val", "top"):
            rows = f"SELECT * FROM {table} ORDER BY 1, 2, 3, 4, 5"
            assert first.rows(rows) == second.rows(rows) == rebuilt.rows(rows), table
        every = parse_works_query(group_by="source")
        assert wl._groups(first, every) == wl._groups(second, every) == wl._groups(rebuilt,
                                                                                    every)
        assert first.sequence == second.sequence == rebuilt.sequence == len(_feeds(9))
        first.close()
        second.close()


def test_a_rebuild_in_progress_says_so_in_its_503() -> None:
    """A rebuild reads every feed in one pass: the 503 says it is rebuilding and for how long,
    instead of "0 of N feeds folded in" until it ends."""
    import time

    index = wi.WorksIndex(None)
    index.progress, index.rebuilding = (0, 7), True
    index._rebuild_started = time.monotonic() - 42
    error = index.building_error(7)
    assert error.status == 503
    assert "rebuilding it whole from the store's 7 feeds, 42 s so far" in str(error.detail)
    index.rebuilding, index.progress = False, (2, 7)
    assert "2 of 7 feeds folded in" in str(index.building_error(7).detail)
    index.close()


def _far_behind(monkeypatch) -> tuple[wi.WorksIndex, wi.WorksIndex, str, int]:
    """An index folded feed by feed and one left behind after the store's second feed,
    caught up once the store holds all of :func:`_feeds` (21): (folded, behind, behind's
    generation before, how many feeds)."""
    monkeypatch.setattr(wi, "REBUILD_BEHIND", 1)
    store, config = open_store("oxigraph:"), Settings(store="oxigraph:")
    feeds = _feeds(21)
    folded = wi.WorksIndex(None)
    for items in feeds[:2]:
        ingest_feed(store, feed(items), settings=config)
        folded.catch_up(store)
    behind = wi.WorksIndex(None)
    behind.catch_up(store)
    generation = behind.info("generation")
    for items in feeds[2:]:
        ingest_feed(store, feed(items), settings=config)
        folded.catch_up(store)  # one feed behind each time: folded
    kept = folded.info("generation")
    behind.catch_up(store)  # len(feeds) - 2 feeds behind
    assert folded.info("generation") == kept
    assert behind.sequence == folded.sequence == len(feeds)
    every = parse_works_query(group_by="source")
    assert wl._groups(behind, every) == wl._groups(folded, every)
    return folded, behind, generation or "", len(feeds)


def test_an_index_far_behind_is_folded_from_the_view_at_once(monkeypatch) -> None:
    """With the current-value view at the store's last feed, an index many feeds behind takes
    every series they touched from the view in one fold (no rebuild: the same generation):
    the same current rows as an index folded feed by feed, written as of the last feed."""
    folded, behind, generation, n = _far_behind(monkeypatch)
    assert behind.info("generation") == generation
    for table, columns in (("val", "work, metric, source, value"), ("top", "work, metric, value"),
                           ("mkey", "kind, key, work, label"), ("descr", "work, title, issued")):
        current = f"SELECT {columns} FROM {table} WHERE vto = {wi.OPEN} ORDER BY {columns}"
        assert behind.rows(current) == folded.rows(current), table
    assert {seq for (seq,) in behind.rows("SELECT DISTINCT vfrom FROM val")} >= {n}
    folded.close()
    behind.close()


def test_an_index_far_behind_without_the_view_is_rebuilt_whole(monkeypatch) -> None:
    """When the view does not stand at the store's last feed (a shared store's writer between
    publishing and folding, a store from before the view), past a quarter of the store's feeds
    behind the index is rebuilt whole (one pass over every observation, cheaper than one fold
    per feed); the answers and every row are those of an index folded feed by feed."""
    monkeypatch.setattr(wi, "_view_at", lambda store, top: False)
    monkeypatch.setattr(wi, "held_values", lambda store, series: None)
    folded, behind, generation, _ = _far_behind(monkeypatch)
    assert behind.info("generation") != generation
    rows = "SELECT * FROM val ORDER BY 1, 2, 3, 4, 5"
    assert behind.rows(rows) == folded.rows(rows)
    folded.close()
    behind.close()


def test_a_rebuild_done_meanwhile_by_another_process_is_kept_not_rewritten(
        tmp_path, monkeypatch) -> None:
    """Two processes sharing one index file (``serve --workers N``) both find it missing: the
    second to finish reading the store sees the first's rebuild and writes nothing."""
    spec = f"oxigraph:{tmp_path / 'store'}"
    config = Settings(store=spec)
    with open_store(spec) as store:
        for items in _feeds(22):
            ingest_feed(store, feed(items), settings=config)
        path = wi.index_path(store)
        late, early = wi.WorksIndex(path), wi.WorksIndex(path)
        real, raced = wi.feed_sequences, []

        def racing(s):  # while ``late`` reads the store, ``early`` rebuilds the file
            if not raced:
                raced.append(True)
                early.catch_up(s)
                raced.append(early.info("generation"))
            return real(s)

        monkeypatch.setattr(wi, "feed_sequences", racing)
        assert late.catch_up(store) == len(_feeds(22))
        assert raced[1] and late.info("generation") == raced[1]  # the first rebuild's
        every = parse_works_query(group_by="source")
        assert wl._groups(late, every) == wl._groups(early, every)
        late.close()
        early.close()


def test_alm_ld_works_index_names_the_index_file_of_a_store(tmp_path) -> None:
    """``ALM_LD_WORKS_INDEX`` (what ``serve --workers N`` sets for its workers' ``sparql:``
    store) puts the index in that file instead of in memory; without it, as before."""
    path = str(tmp_path / "shared.works-index.sqlite3")
    settings = Settings.from_env({"ALM_LD_WORKS_INDEX": path, "ALM_LD_STORE": "memory:"})
    assert settings.works_index == path
    with open_store("memory:", settings=settings) as store:
        ingest_feed(store, feed(_feeds(23)[0]), settings=settings)
        assert wi.index_path(store) == path
        index, _ = wi.works_index(store)
        assert index.path == path and (tmp_path / "shared.works-index.sqlite3").exists()
    with open_store("memory:", settings=Settings(store="memory:")) as store:
        assert wi.index_path(store) is None


@pytest.mark.parametrize("seed", [31, 32, 33])
def test_a_fold_from_the_view_writes_the_rows_a_fold_from_the_observations_writes(
        monkeypatch, seed) -> None:
    """Feed by feed, an index folded from the current-value view (a lookup per series the
    feed counts) and one folded from every stored observation of the feed's pairs hold the
    same rows, validity ranges included, through revisions of the same period, later and
    earlier periods, new sources and re-described works."""
    store, config = open_store("oxigraph:"), Settings(store="oxigraph:")
    from_view, from_history = wi.WorksIndex(None), wi.WorksIndex(None)
    real = wi.held_values
    for items in _feeds(seed):
        ingest_feed(store, feed(items), settings=config)
        monkeypatch.setattr(wi, "held_values", real)
        from_view.catch_up(store)
        monkeypatch.setattr(wi, "held_values", lambda store, series: None)  # view unusable
        from_history.catch_up(store)
    for table in ("work", "val", "top", "descr", "mkey", "changed"):
        every = f"SELECT * FROM {table}"
        assert sorted(from_view.rows(every), key=repr) == \
            sorted(from_history.rows(every), key=repr), table
    assert from_view.rows("SELECT COUNT(*) FROM val")[0][0] > 10
    from_view.close()
    from_history.close()


def test_a_feed_stored_without_its_view_lines_is_folded_from_its_observations() -> None:
    """A feed whose view lines are not written yet (the view's mark behind it: a shared
    store's writer between publishing and folding) is folded from the observations: the
    view's older values are never taken for the feed's."""
    from rdflib import URIRef

    from alm_ld.mapping import content_hash, feed_iri
    from alm_ld.pipeline import _mapped, checked_feed

    store, config = open_store("oxigraph:"), Settings(store="oxigraph:")
    ingest_feed(store, feed([count(1, 5, "crossref")]), settings=config)
    index = wi.WorksIndex(None)
    index.catch_up(store)
    doc = checked_feed(feed([count(1, 9, "crossref", end="2026-11-20")]), settings=config)
    data, _, _ = _mapped(store, doc, feed_iri(doc), content_hash(doc), 2)
    store.add_graph(URIRef(feed_iri(doc)), data)  # the feed alone: no view lines, no mark
    assert index.catch_up(store) == 2
    assert index.rows(f"SELECT value FROM val WHERE vto = {wi.OPEN}") == [(9,)]
    index.close()


def test_a_read_of_a_current_index_asks_the_embedded_store_nothing(monkeypatch) -> None:
    """The store's highest feed sequence is kept per write generation of an embedded store
    (no other process writes it), so a GET /works of a current index is SQLite only; the
    next write is seen at once."""
    store, config = open_store("oxigraph:"), Settings(store="oxigraph:")
    ingest_feed(store, feed([count(1, 5, "crossref")]), settings=config)
    query = parse_works_query(sort="citations:desc")
    list_works(store, query, timeout=5)
    asked: list[str] = []
    real = store.query
    monkeypatch.setattr(store, "query", lambda text, **kw: asked.append(text) or real(text, **kw))
    assert list_works(store, query, timeout=5)["results"][0]["metrics"] == {"citations": 5}
    assert asked == []
    ingest_feed(store, feed([count(1, 9, "crossref", end="2026-11-20")]), settings=config)
    assert list_works(store, query, timeout=5)["results"][0]["metrics"] == {"citations": 9}
    assert asked  # the write made a new generation: the store was asked again
