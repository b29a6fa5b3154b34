"""The ``narcokg`` command: parses arguments, calls the library, maps errors to exit codes.

Exit codes: 0 ok / conforms, 1 data does not conform, 2 bad input or usage, 3 ontology
inconsistent. Data goes to stdout, progress and errors to stderr. Heavy libraries are imported
inside the commands so that ``narcokg --help`` stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from kg.errors import KgError

STORE_OPTION = click.option(
    "--store",
    "store_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("narcokg-data/store"),
    show_default=True,
    help="Folder of the embedded store.",
)
FORMAT_CHOICES = click.Choice(["table", "csv", "json", "jsonl"])


def _progress(message: str) -> None:
    click.echo(message, err=True)


class _Group(click.Group):
    """Turns library errors into one line on stderr and the documented exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KgError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="narcotics-kg")
def main() -> None:
    """narcotics-kg: figures of China's anti-narcotics press releases as provenance-linked RDF."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@STORE_OPTION
@click.option(
    "--dump-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write narcotics-kg.trig and .nq (default: the store's parent folder).",
)
@click.option("--no-dump", is_flag=True, help="Do not write the TriG / N-Quads dumps.")
def build(paths: tuple[Path, ...], store_dir: Path, dump_dir: Path | None, no_dump: bool) -> None:
    """Build the graph of PATHS (release files or folders; default: the bundled corpus)."""
    from kg.build import build as run_build

    target = None if no_dump else (dump_dir or store_dir.parent)
    result = run_build(
        list(paths) or None, store_dir=store_dir, dump_dir=target, progress=_progress
    )
    for r in result.releases:
        _progress(
            f"{r.id}: {r.figures} figures ({r.malformed} malformed, {r.implausible} implausible), "
            f"{r.mentions} mentions ({r.unlinked} unlinked), {r.triples} triples"
        )
    _progress(f"done: {len(result.releases)} release graphs in {store_dir}")


@main.command()
@STORE_OPTION
def validate(store_dir: Path) -> None:
    """Validate every release graph against shapes/; exit 1 when it does not conform."""
    from kg.store import store_at, to_dataset
    from kg.validate import validate as run_validate

    with store_at(store_dir, create=False) as store:
        dataset = to_dataset(store)
    report = run_validate(dataset)
    click.echo(report.text())
    sys.exit(0 if report.conforms else 1)


@main.command()
def reason() -> None:
    """Check the ontology and vocabularies for consistency with HermiT; exit 3 if inconsistent."""
    from kg.reason import check_consistency

    report = check_consistency()
    click.echo(report.message)
    sys.exit(0 if report.consistent else 3)


def _run_named_query(
    store_dir: Path, name: str, params: dict[str, str], fmt: str, echo: Callable[[str], None]
) -> None:
    from kg.queries import format_table, run_query
    from kg.store import store_at

    with store_at(store_dir, create=False) as store:
        table = run_query(store, name, params)
    echo(format_table(table, fmt))


@main.command()
@click.option("--release", "release_id", default=None, help="Only this release (its id).")
@click.option("--format", "fmt", type=FORMAT_CHOICES, default="csv", show_default=True)
@STORE_OPTION
def figures(release_id: str | None, fmt: str, store_dir: Path) -> None:
    """Every figure as one row (queries/figures.rq over the stored graph)."""
    params = {"release": release_id} if release_id else {}
    _run_named_query(store_dir, "figures", params, fmt, lambda s: click.echo(s, nl=False))


@main.command()
@click.option("--release", "release_id", default=None, help="Only this release (its id).")
@click.option("--format", "fmt", type=FORMAT_CHOICES, default="csv", show_default=True)
@STORE_OPTION
def mentions(release_id: str | None, fmt: str, store_dir: Path) -> None:
    """Every entity mention with offsets and linked IRI (queries/mentions.rq)."""
    params = {"release": release_id} if release_id else {}
    _run_named_query(store_dir, "mentions", params, fmt, lambda s: click.echo(s, nl=False))


@main.command()
@click.argument("name", required=False)
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE", help="Bind a parameter.")
@click.option("--format", "fmt", type=FORMAT_CHOICES, default="table", show_default=True)
@click.option("--list", "list_only", is_flag=True, help="List the available queries.")
@STORE_OPTION
def query(
    name: str | None, params: tuple[str, ...], fmt: str, list_only: bool, store_dir: Path
) -> None:
    """Run the question NAME from queries/ (without NAME or with --list: list them)."""
    from kg.errors import InputError
    from kg.queries import load_queries

    if list_only or not name:
        for q in load_queries().values():
            click.echo(f"{q.name:40} {q.summary}")
        return
    bound: dict[str, str] = {}
    for p in params:
        key, sep, value = p.partition("=")
        if not sep or not key:
            raise InputError(None, f"--param {p!r}: expected KEY=VALUE")
        bound[key] = value
    _run_named_query(store_dir, name, bound, fmt, lambda s: click.echo(s, nl=False))


if __name__ == "__main__":  # pragma: no cover
    main()
