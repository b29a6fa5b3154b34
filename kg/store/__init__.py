"""Stage 5, store: RDF in, stored and served graphs out.

The embedded pyoxigraph store (``embedded``), the parallel extract-and-map workers
(``parallel``), the answers kept per release beside the store (``kept_answers``), the
corrections graph written (``corrections``), remote SPARQL 1.1 stores through the Graph Store
Protocol and SPARQLWrapper (``remote``), and the Oxigraph server (``serve``, which runs it as a
supervised child, ``child``, behind a guarding reverse proxy, ``proxy``). The only stage besides
``publish`` that writes or talks to a network.
"""
