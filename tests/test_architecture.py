"""The package's shape: stages as subpackages, imports only downstream, no cycles, data shipped.

Why: the layout is how a newcomer finds their way (README "What is where"); a stage that starts
importing a later one, or two modules that import each other, quietly undo it. The layer order
is declared once, in ``[tool.importlinter]`` of pyproject.toml, and checked here by
import-linter; cycles inside a stage are checked with grimp (import-linter's graph library),
counting imports inside functions too, since a lazy import is still a dependency.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import zipfile
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("text", "extract", "rdf", "queries", "store", "checks", "publish")


def test_stages_import_only_downstream() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Every module that can reach itself, with one shortest way round (depth-first search)."""
    found = []
    for module in sorted(graph.modules):
        for nxt in sorted(graph.find_modules_directly_imported_by(module)):
            chain = graph.find_shortest_chain(importer=nxt, imported=module)
            if chain:
                found.append([module, *chain])
                break
    return found


def test_no_import_cycles() -> None:
    graph = grimp.build_graph("kg")
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    # the check above must be able to fail: a graph with a made-up cycle
    graph = grimp.build_graph("kg")
    assert graph.direct_import_exists(importer="kg.rdf.mapping", imported="kg.text.numerals")
    graph.add_import(importer="kg.text.numerals", imported="kg.rdf.mapping")
    cycles = _cycles(graph)
    assert cycles
    for cycle in cycles:  # each is a closed way round that uses the made-up edge
        assert cycle[0] == cycle[-1]
        assert any(
            cycle[i : i + 2] == ["kg.text.numerals", "kg.rdf.mapping"] for i in range(len(cycle))
        )


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_says_what_goes_in_and_comes_out(stage: str) -> None:
    package = importlib.import_module(f"kg.{stage}")
    doc = package.__doc__ or ""
    assert doc.startswith("Stage "), f"kg.{stage} has no stage docstring"
    assert "in" in doc.lower() and "out" in doc.lower()


def test_kg_top_level_holds_only_foundation_build_and_cli() -> None:
    modules = sorted(p.stem for p in (ROOT / "kg").glob("*.py") if p.stem != "__init__")
    assert modules == ["build", "cli", "errors", "namespaces", "resources"]
    packages = sorted(p.name for p in (ROOT / "kg").iterdir() if (p / "__init__.py").is_file())
    assert packages == sorted(STAGES)


@pytest.mark.slow
def test_wheel_ships_the_data_folders(tmp_path: Path) -> None:
    """The wheel carries every data folder under kg/data, and installed code finds them there."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("narcotics_kg-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "kg/data/ontology/narcotics.ttl",
        "kg/data/ontology/vocab/substances.ttl",
        "kg/data/mappings/measures.yaml",
        "kg/data/mappings/lexicon/jurisdictions.yaml",
        "kg/data/mappings/links/links.sssom.tsv",
        "kg/data/mappings/reference/corrections.csv",
        "kg/data/shapes/figure.ttl",
        "kg/data/queries/figures.rq",
        "kg/data/corpus/releases.yaml",
        "kg/data/corpus/000_a69edf0332bcabe2.txt",
        "kg/resources.py",
        "kg/publish/templates/base.html",
    ):
        assert needed in names, needed
    # nothing of the repository root leaks into the wheel besides the package
    tops = {n.split("/")[0] for n in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"kg"}
    # and the installed package resolves its data inside itself
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    code = (
        "import kg.resources as r; print(r.ontology_dir()); "
        "print((r.queries_dir() / 'figures.rq').is_file())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(unpacked), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    assert out[0] == str(unpacked / "kg" / "data" / "ontology")
    assert out[1] == "True"
