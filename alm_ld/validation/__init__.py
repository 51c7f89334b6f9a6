"""The parts of :mod:`alm_ld.validate`: problems and reports, JSON-Schema checking with
readable messages, and the semantic rules JSON Schema cannot express."""
