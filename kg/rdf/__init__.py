"""Stage 3, rdf: records in, RDF out.

In: :class:`~kg.extract.records.Extraction` records, the ontology files, the reference
corrections. Out: the quads of a release's named graph with deterministic IRIs (``mapping``),
the revised figures of verified corrections (``corrections``), the ontology graph
(``ontology``), and the generated SKOS vocabularies and SSSOM links (``vocab``, ``links``:
``python -m kg.rdf.vocab``). Pure apart from ``vocab``, which writes ``ontology/vocab/``.
"""
