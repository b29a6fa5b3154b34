"""Stage 7, publish: a store in, files and pages for people and machines out.

Dumps (``dumps``: TriG, N-Quads, JSON-LD, Turtle per graph), the VoID/DCAT description
(``describe``), the linked-data web application (``web``, Starlette on uvicorn, pages from
Jinja2 templates in ``templates/``), the offline HTML report with its charts (``report``,
``charts``) and the ontology's HTML documentation (``ontology_docs``, pyLODE).
"""
