"""Jena SHACL (Debian's ``libapache-jena-java``): a second, independent SHACL engine for tests.

Why: pySHACL is our reference and kg/checks/fastshacl.py is checked against it, so both could
share a misreading of the shapes. Jena SHACL is a separate implementation (Java, SHACL Core and
SPARQL-based constraints), installed from Debian by .ci/run and run offline.

Debian ships the jars without the ``shacl`` launcher script, so the command is
``java -cp <jena jars + dependencies> shacl.shacl validate --shapes S --data D``. Debian's
``jena-core.jar`` 4.5.0 also carries an unshaded copy of Xerces (package ``xerces``) without the
``xerces/impl/xpath/regex/message.properties`` bundle its regex parser loads when XSD datatypes
initialise ("internal error" at start-up); :func:`classpath` adds that bundle, copied from the
shaded copy in the same jar, in a folder of its own.
"""

from __future__ import annotations

import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF, Graph, Literal, URIRef
from rdflib.term import Node

from kg.checks.shacl import SH

JAVA_DIR = Path("/usr/share/java")
JENA_SHACL_JAR = JAVA_DIR / "jena-shacl.jar"
_JARS = (
    *(f"jena-{m}" for m in ("arq", "base", "cmds", "core", "iri", "rdfconnection", "shacl")),
    *(f"jena-{m}" for m in ("shex", "tdb", "tdb2")),
    *(f"jena-dboe-{m}" for m in ("base", "index", "storage", "trans-data", "transaction")),
    *(f"commons-{m}" for m in ("cli", "codec", "compress", "csv", "io", "lang3")),
    "dexx.collection",
    "gson",
    "guava",
    "httpclient",
    "httpcore",
    "jackson-annotations",
    "jackson-core",
    "jackson-databind",
    "jakarta.json-api",
    "jsonld-java",
    "protobuf",
    "slf4j-api",
    "slf4j-nop",
    "thrift",
    "titanium-json-ld",
)
_BUNDLE = "xpath/regex/message.properties"


def available() -> bool:
    """True when Debian's Jena (with jena-shacl) is installed."""
    return JENA_SHACL_JAR.is_file()


def classpath(work: Path) -> str:
    """The Java class path for ``shacl.shacl``, with the missing Xerces bundle put in ``work``."""
    bundle = work / "jena-bundle" / "xerces" / "impl" / _BUNDLE
    if not bundle.is_file():
        bundle.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(JAVA_DIR / "jena-core.jar") as jar:
            bundle.write_bytes(jar.read(f"org/apache/jena/ext/xerces/impl/{_BUNDLE}"))
    jars = [str(JAVA_DIR / f"{name}.jar") for name in _JARS]
    return ":".join([*jars, str(work / "jena-bundle")])


@dataclass(frozen=True)
class JenaReport:
    """Jena's verdict and results as (source shape, focus node, severity) IRIs."""

    conforms: bool
    results: frozenset[tuple[str, str, str]]


def validate(data: Graph, shapes: Graph, work: Path) -> JenaReport:
    """Run Jena SHACL on ``data`` (written as N-Triples) against ``shapes`` (one Turtle file)."""
    work.mkdir(parents=True, exist_ok=True)
    data_file, shapes_file = work / "data.nt", work / "shapes.ttl"
    data.serialize(destination=data_file, format="nt", encoding="utf-8")
    shapes.serialize(destination=shapes_file, format="turtle", encoding="utf-8")
    done = subprocess.run(
        [
            *("java", "-cp", classpath(work), "shacl.shacl", "validate"),
            *("--shapes", str(shapes_file), "--data", str(data_file)),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = Graph().parse(data=done.stdout, format="turtle")
    (node,) = report.subjects(RDF.type, SH.ValidationReport)
    conforms = report.value(node, SH.conforms)
    assert isinstance(conforms, Literal)

    def iri(n: Node | None) -> str:
        return str(n) if isinstance(n, URIRef) else f"_:{n}"

    results = frozenset(
        (
            iri(report.value(r, SH.sourceShape)),
            iri(report.value(r, SH.focusNode)),
            iri(report.value(r, SH.resultSeverity)),
        )
        for r in report.objects(node, SH.result)
    )
    return JenaReport(bool(conforms.toPython()), results)
