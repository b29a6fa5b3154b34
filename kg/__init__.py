"""narcotics-kg: China's anti-narcotics press releases as provenance-linked RDF.

One subpackage per stage, data flowing down (DESIGN, README "What is where")::

    kg.text -> kg.extract -> kg.rdf -> kg.queries -> kg.store -> kg.checks -> kg.publish

``kg.build`` runs the stages for the ``build`` command and ``kg.cli`` is the command line.
``kg.errors``, ``kg.resources`` and ``kg.namespaces`` are the foundation every stage may use.
A stage imports only the stages before it (``[tool.importlinter]`` in pyproject.toml).
"""
