"""The NISO RP-25-2016 reporting items behind the feed's ``disclosure`` keys, for the generators.

``build_vocab.py`` (the ``alm:`` disclosure properties) and ``build_schemas.py`` (the schemas'
``disclosure`` properties) both describe each key by its item; one table keeps the two texts the
same. The key list itself is ``alm_ld.vocab.DISCLOSURE_KEYS``, and
``tests/foundation/test_vocabulary.py`` checks that both outputs describe exactly those keys.
"""

from __future__ import annotations

# key -> (NISO RP-25-2016 item number, what the item asks for)
NISO_ITEMS = {
    "dataSources": (1, "All data and metrics available; for aggregators, the providers the "
                    "data come from."),
    "metricDefinitions": (2, "A clear definition of each metric."),
    "collectionMethod": (3, "How data are generated or collected, and maintained over time."),
    "limitations": (4, "All known limitations of the data."),
    "changeLog": (5, "Audit trail of changes to generation/collection methods and their "
                  "effects."),
    "aggregationMethod": (6, "How data are aggregated."),
    "updateFrequency": (7, "How often data are updated (text or ISO 8601 duration)."),
    "accessMethod": (8, "How the data can be accessed."),
    "consistencyAcrossClients": (9, "Whether different users at the same time get identical "
                                 "data."),
    "consistencyAcrossMethods": (10, "Whether all retrieval methods lead to the same data."),
    "qualityMonitoring": (11, "The data-quality monitoring process."),
    "independentVerification": (12, "How data can be independently verified (aggregators "
                                "only)."),
    "correctionProcess": (13, "How suspected errors are reported and corrected."),
}
