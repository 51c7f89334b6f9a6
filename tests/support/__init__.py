"""Code the tests (and benchmarks) need that must not ship in the wheel: the replay server for
recorded provider responses, the threaded test server, and the reference RDF mappings
(rdflib Graph and JSON-LD routes) that the fast N-Triples mapping is checked against."""
