"""Stage 1, text: release files in, positioned text out.

In: ``.txt`` release files and a folder's ``releases.yaml``. Out: :class:`~kg.text.corpus.Release`
records (the exact text, its metadata and its SHA-256), paragraphs and sentences with code-point
offsets (``segment``), numerals read with their garbling kept (``numerals``: "9,26" and "<>"
become malformed, never a value) and date and period expressions relative to the issue date
(``periods``). Nothing here knows what a figure counts: that is ``kg.extract``.
"""
