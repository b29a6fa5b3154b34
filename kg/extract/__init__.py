"""Stage 2, extract: positioned text in, Figure and Mention records out.

In: a :class:`~kg.text.corpus.Release`, the lexicon (``mappings/lexicon/*.yaml``) and the
measure book (``mappings/measures.yaml``). Out: an :class:`~kg.extract.records.Extraction`,
plain frozen records of every figure (value, unit, measure, areas, period, change) and every
entity mention, each with its character offsets. Pure: no RDF, no store, no writes.

``extractor.Extractor`` runs the stages in order; each is its own module and reads and fills in
the records of ``records`` only: ``mentions`` (names), then per number ``numbers`` (value,
unit, qualifier, status) → ``nonfigures`` (dates, names, list numbers dropped) → ``periods`` →
``areas`` → ``subjects`` (operation, offence, substance) → ``changes`` (year-on-year changes,
parts of totals, "respectively" lists) → ``indicators`` (what a figure counts).
"""
