"""Stage 6, checks: a store in, findings out.

SHACL with pySHACL (``shacl``, the reference) and its compiled SPARQL fast path
(``fastshacl``), the RDF Data Cube integrity constraints IC-1..21 (``datacube``), both per
release graph in worker processes (``releases``), cross-release consistency
(``crossrelease``) and OWL consistency with owlready2 and HermiT (``reason``). Reads only.
"""
