"""Stage 4, queries: the SPARQL catalogue of ``queries/*.rq`` and how to run it.

In: ``.rq`` files with ``#+`` headers, parameters, a pyoxigraph store. Out: plain tables
(``tables``) in text, CSV, JSON or JSON Lines. Below the store package because the build keeps
answers per release (``kg.store.kept_answers``) and remote stores run the same catalogue.
"""
