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

from kg.errors import KgError, printable
from kg.resources import data_root

STORE_OPTION = click.option(
    "--store",
    "store_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("narcokg-data/store"),
    show_default=True,
    help="Folder of the embedded store.",
)
FORMAT_CHOICES = click.Choice(["table", "csv", "json", "jsonl"])
# the commands that change the store write the dumps beside it again
DUMP_DIR_OPTION = click.option(
    "--dump-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the dumps and their description are written (default: the store's parent folder).",
)
NO_DUMP_OPTION = click.option("--no-dump", is_flag=True, help="Do not write the dumps.")


def _progress(message: str) -> None:
    # file names are printed as escapes, never raw: a newline or ESC in a name must not split
    # or recolour the terminal's lines
    click.echo(printable(message), err=True)


class _Group(click.Group):
    """Turns library errors into one line on stderr and the documented exit code.

    An ``OSError`` that reaches here (a full disk, a folder that became read-only) is one line
    too: it names the file the system names and exit 2, since the cause is outside the program.
    """

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Click's standalone mode prints usage errors on three lines; here they are one, like
        every other error: ``error: <problem> (see 'narcokg CMD --help')``, exit 2."""
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except click.UsageError as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # bare `narcokg`: the help
                click.echo(exc.format_message())
                sys.exit(0)
            command = exc.ctx.command_path if exc.ctx else "narcokg"
            message = " ".join(exc.format_message().split())
            click.echo(printable(f"error: {message} (see '{command} --help')"), err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(printable(f"error: {' '.join(exc.format_message().split())}"), err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("aborted", err=True)
            sys.exit(1)
        # outside standalone mode click returns ctx.exit()'s code (--help, --version) instead
        # of exiting with it
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KgError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(printable(f"error: {where}{exc.strerror or exc}"), err=True)
            sys.exit(2)


class _Seconds(click.ParamType):
    """A finite number of seconds above a minimum: ``inf`` and ``nan`` are refused here, since
    timers, servers and HTTP clients fail on them later with a traceback or never fire."""

    name = "seconds"

    def __init__(self, minimum: float, *, zero_means_none: bool = False) -> None:
        self.minimum = minimum
        self.zero_means_none = zero_means_none

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        import math

        if isinstance(value, float):
            seconds = value
        else:
            try:
                seconds = float(value)
            except (TypeError, ValueError):
                self.fail(f"{value!r} is not a number of seconds", param, ctx)
        if self.zero_means_none and seconds == 0:
            return 0.0
        if not math.isfinite(seconds) or seconds < self.minimum:
            least = "0 (no limit) or at least " if self.zero_means_none else "at least "
            self.fail(f"{value!r}: expected {least}{self.minimum:g} seconds", param, ctx)
        return seconds


def _text(value: str, option: str) -> str:
    """Refuse a value that is not text (bytes that are not UTF-8 reach Python as lone
    surrogates, which no query, store or database accepts)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        from kg.errors import InputError

        raise InputError(None, f"{option} {printable(value)}: not valid UTF-8 text") from None
    return value


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    package_name="narcotics-kg",
    # which ontology, lexicon and queries the command reads: a copy installed with the
    # package (pip install .) or the checkout's own folders (pip install -e .)
    prog_name="narcokg",
    message=f"%(prog)s %(version)s (data: {data_root()})",
)
def main() -> None:
    """narcotics-kg: figures of China's anti-narcotics press releases as provenance-linked RDF."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@STORE_OPTION
@DUMP_DIR_OPTION
@NO_DUMP_OPTION
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Processes that extract and map releases (default: one per core; 1: no workers).",
)
def build(
    paths: tuple[Path, ...], store_dir: Path, dump_dir: Path | None, no_dump: bool, jobs: int | None
) -> None:
    """Build the graphs of the releases in PATHS (text files or folders of them).

    Without PATHS the bundled corpus is built. Each release becomes one named graph; a release
    built before is replaced. The dumps are brought up to date beside the store (only the
    graphs that changed are written again) unless --no-dump is given; their description
    names the SPARQL endpoint of $NARCOKG_BASE_URL (default: the w3id one).
    """
    from kg.build import build as run_build

    target = None if no_dump else (dump_dir or store_dir.parent)
    result = run_build(
        list(paths) or None, store_dir=store_dir, dump_dir=target, progress=_progress, jobs=jobs
    )
    for r in result.releases:
        _progress(
            f"{r.id}: {r.figures} figures ({r.malformed} malformed, {r.implausible} implausible), "
            f"{r.mentions} mentions ({r.unlinked} unlinked), {r.triples} triples"
        )
    _progress(
        f"done: {len(result.releases)} release graphs built; {store_dir} holds "
        f"{result.held} release graphs"
    )


@main.command()
@STORE_OPTION
@DUMP_DIR_OPTION
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["nq", "trig", "jsonld"], case_sensitive=False),
    default=None,
    help="N-Quads, TriG or JSON-LD (default: from --out's suffix; nq without one).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write, complete or not at all (default: standard output).",
)
def dump(store_dir: Path, dump_dir: Path | None, fmt: str | None, out: Path | None) -> None:
    """Write the whole dataset, every named graph, as one N-Quads, TriG or JSON-LD file.

    Assembled from the per-graph pieces the build keeps beside the store (graphs changed
    since are serialised first), so it costs the time of copying the dataset's bytes; the
    build itself no longer writes whole-dataset files. `narcokg web` serves the same bytes
    at /download/narcotics-kg.nq (.trig, .jsonld).
    """
    from kg.publish.export import export, format_of

    key = format_of(out, fmt)
    target = dump_dir or store_dir.parent
    export(store_dir, target, key=key, out=out, progress=_progress)


@main.command()
@click.argument("ids", nargs=-1, required=True)
@STORE_OPTION
@DUMP_DIR_OPTION
@NO_DUMP_OPTION
def remove(ids: tuple[str, ...], store_dir: Path, dump_dir: Path | None, no_dump: bool) -> None:
    """Remove the releases IDS from the store, with their kept answers and corrections.

    The dumps and their description are written again without them.
    """
    from kg.build import remove as run_remove

    target = None if no_dump else (dump_dir or store_dir.parent)
    ids = tuple(_text(i, "release id") for i in ids)
    left = run_remove(ids, store_dir=store_dir, dump_dir=target, progress=_progress)
    _progress(f"done: {len(ids)} release graphs removed; {store_dir} holds {left}")


@main.command()
@STORE_OPTION
@click.option(
    "--reference",
    is_flag=True,
    help="Validate with pySHACL alone (slow); by default release graphs are checked by the "
    "SPARQL compilation of the same shapes, tested to agree with it.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Processes that check release graphs (default: one per core; 1: no workers).",
)
@click.option(
    "--all",
    "recheck",
    is_flag=True,
    help="Check every release graph again; by default a graph whose content, shapes and "
    "vocabulary have not changed since it was last checked reuses that check's findings.",
)
def validate(store_dir: Path, reference: bool, jobs: int | None, recheck: bool) -> None:
    """Validate every release graph against the project's SHACL shapes and the RDF Data Cube
    integrity constraints IC-1 to IC-21; exit 1 when the data does not conform.

    The findings of each release graph are kept beside the store; an unchanged graph is not
    checked again (the report says how many were reused; --all checks them all).
    """
    from kg.checks.releases import validate_all
    from kg.publish.describe import graph_ntriples_source
    from kg.store.embedded import store_at

    with store_at(store_dir, create=False) as store:
        result = validate_all(
            store,
            reference=reference,
            jobs=jobs,
            progress=_progress,
            store_dir=store_dir,
            recheck=recheck,
            # the build's dumps beside the store hold each graph's N-Quads: cheaper to read
            source=graph_ntriples_source(store_dir.parent, store_dir),
        )
    report, cube = result.shacl, result.cube
    assert cube is not None
    conforms = result.conforms
    shacl = report.text().rsplit("\n", 1)[0]  # its last line is SHACL's own "conforms: ..."
    checked = (
        f"release graphs: {result.checked} checked, {result.reused} reused "
        "(unchanged since checked; --all checks them again)"
    )
    click.echo(f"{shacl}\n{cube.text()}\n{checked}\nconforms: {'yes' if conforms else 'no'}")
    sys.exit(0 if conforms else 1)


@main.command()
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@STORE_OPTION
def check(fmt: str, store_dir: Path) -> None:
    """Report where releases contradict each other or themselves; exit 1 on any error.

    Each finding names the figures it compares, their measure and area, and why.
    """
    from kg.checks.crossrelease import check as run_check
    from kg.store.embedded import store_at

    with store_at(store_dir, create=False) as store:
        report = run_check(store)
    click.echo(report.json() if fmt == "json" else report.text(), nl=False)
    sys.exit(1 if report.has_errors else 0)


@main.command()
@click.option(
    "--store",
    "store_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Check the ontology and vocabularies as this store holds them (its vocabulary graph) "
    "instead of the project's files (with --data: the store to check; default "
    "narcokg-data/store).",
)
@click.option(
    "--data",
    is_flag=True,
    help="Check the ontology, vocabularies and every graph of the store together, and whether "
    "they are in OWL 2 DL (the OWL API profile checker); exit 1 when they are not.",
)
def reason(store_dir: Path | None, data: bool) -> None:
    """Check the ontology and its vocabularies for consistency with the HermiT reasoner; exit 3
    when they are inconsistent."""
    from kg.checks.reason import check_consistency, check_store

    if data:
        result = check_store(store_dir or Path("narcokg-data/store"))
        click.echo(result.consistency_line())
        click.echo(result.profile_line())
        note = result.unsupported_line()
        if note:
            click.echo(note, err=True)
        sys.exit(3 if not result.consistent else 0 if result.in_owl2_dl else 1)
    ontology = None
    if store_dir is not None:
        import pyoxigraph as ox
        from rdflib import Graph

        from kg.namespaces import VOCABULARY_GRAPH
        from kg.store.embedded import store_at

        with store_at(store_dir, create=False) as store:
            graph = ox.NamedNode(str(VOCABULARY_GRAPH))
            nt = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph) or b""
        ontology = Graph().parse(data=nt.decode("utf-8"), format="nt")
        if not len(ontology):
            raise KgError(store_dir, "the store holds no vocabulary graph; run `narcokg build`")
    report = check_consistency(ontology=ontology)
    click.echo(report.message)
    sys.exit(0 if report.consistent else 3)


ENDPOINT_OPTION = click.option(
    "--endpoint",
    default=None,
    metavar="URL",
    help="Ask this remote SPARQL endpoint instead of the embedded store.",
)
USER_OPTION = click.option(
    "--user", default=None, help="User name for the remote store (password: $NARCOKG_PASSWORD)."
)
PASSWORD_VARIABLE = "NARCOKG_PASSWORD"


def _password(user: str | None) -> str | None:
    """The remote store's password, from the environment only (never an option: ps shows those)."""
    import os

    from kg.errors import InputError

    if user is None:
        return None
    password = os.environ.get(PASSWORD_VARIABLE)
    if password is None:
        raise InputError(None, f"--user {user}: set the password in ${PASSWORD_VARIABLE}")
    return password


def _run_named_query(
    store_dir: Path,
    name: str,
    params: dict[str, str],
    fmt: str,
    echo: Callable[[str], None],
    *,
    endpoint: str | None = None,
    user: str | None = None,
    timeout: float | None = None,
) -> None:
    from kg.queries.catalogue import load_queries
    from kg.queries.domains import check_params
    from kg.queries.tables import format_table
    from kg.queries.watchdog import deadline
    from kg.store.embedded import store_at
    from kg.store.kept_answers import answer, answers_path

    if endpoint is not None:
        from kg.store.remote import Endpoint, run_remote_query

        remote = Endpoint.from_options(endpoint, user=user, password=_password(user))
        numbers = load_queries()[name].numbers if name in load_queries() else ()
        echo(format_table(run_remote_query(remote, name, params), fmt, numbers=numbers))
        return
    limit = f"query {name}: no answer within {timeout:g} s (--timeout)" if timeout else ""
    with deadline(timeout, limit), store_at(store_dir, create=False) as store:
        check_params(store, params)  # an unknown release or measure is an error, not []
        table = answer(store, name, params, kept=answers_path(store_dir), note=_progress)
    query = load_queries()[name]
    echo(format_table(table, fmt, numbers=query.numbers))
    if query.joins and not table.rows:  # an empty join says why, not just nothing
        _progress(
            f"note: {name} joins our figures with {query.joins}; the store holds none that "
            "meets them: load that data into the store first (docs/model.md, "
            '"Joining with other datasets")'
        )


@main.command()
@click.option("--release", "release_id", default=None, help="Only this release (its id).")
@click.option(
    "--measure",
    default=None,
    help="Only this measure: its slug (drugs-seized), label or IRI.",
)
@click.option(
    "--area", default=None, help="Only figures for this area: its code (CN-YN), name or IRI."
)
@click.option(
    "--period",
    default=None,
    metavar="YYYY[-MM[-DD]][/...]",
    help="Only figures whose period lies within these days (2023, 2023-01/2023-08).",
)
@click.option(
    "--status",
    type=click.Choice(["stated", "malformed", "implausible"]),
    default=None,
    help="Only figures of this status.",
)
@click.option("--format", "fmt", type=FORMAT_CHOICES, default="csv", show_default=True)
@STORE_OPTION
@ENDPOINT_OPTION
@USER_OPTION
def figures(
    release_id: str | None,
    measure: str | None,
    area: str | None,
    period: str | None,
    status: str | None,
    fmt: str,
    store_dir: Path,
    endpoint: str | None,
    user: str | None,
) -> None:
    """Print every figure as one row, with its labels, its sentence and its verified value.

    The rows are those of the catalogue question `figures`, with the value a verified source
    gives beside the stated one. The table format shows the columns a person reads; csv, json
    and jsonl give every column with full IRIs (json with numbers as numbers).
    """
    from kg.queries.catalogue import load_queries
    from kg.queries.domains import check_params, resolve
    from kg.queries.figures_table import Filters, figures_table, parse_period, short_form
    from kg.queries.tables import format_table
    from kg.store.embedded import store_at
    from kg.store.kept_answers import answer, answers_path

    params = {"release": _text(release_id, "--release")} if release_id else {}
    when = parse_period(period) if period else None
    if endpoint is not None:
        from kg.store.remote import Endpoint, run_remote_query

        if measure or area:
            raise KgError(None, "--measure and --area filter a local store only")
        remote = Endpoint.from_options(endpoint, user=user, password=_password(user))
        rows = run_remote_query(remote, "figures", params)
        verified = run_remote_query(remote, "stated_vs_verified", params)
        filters = Filters(period=when, status=status)
    else:
        with store_at(store_dir, create=False) as store:
            check_params(store, params)
            kept = answers_path(store_dir)
            rows = answer(store, "figures", params, kept=kept, note=_progress)
            verified = answer(store, "stated_vs_verified", params, kept=kept, note=_progress)
            area_iri = resolve(store, "area", area) if area else None
            filters = Filters(
                measure=resolve(store, "measure", measure) if measure else None,
                area_code=area_iri.rsplit("/", 1)[-1] if area_iri else None,
                period=when,
                status=status,
            )
    table = figures_table(rows, verified, filters)
    if fmt == "table":
        table = short_form(table)
    numbers = (*load_queries()["figures"].numbers, "verified_value")
    click.echo(format_table(table, fmt, numbers=numbers), nl=False)


@main.command()
@click.option("--release", "release_id", default=None, help="Only this release (its id).")
@click.option("--format", "fmt", type=FORMAT_CHOICES, default="csv", show_default=True)
@STORE_OPTION
@ENDPOINT_OPTION
@USER_OPTION
def mentions(
    release_id: str | None, fmt: str, store_dir: Path, endpoint: str | None, user: str | None
) -> None:
    """Print every mention of an agency, place, operation, substance or offence as one row,
    with its offsets in the release text and the vocabulary entity it is linked to."""
    params = {"release": _text(release_id, "--release")} if release_id else {}
    echo = lambda s: click.echo(s, nl=False)  # noqa: E731
    _run_named_query(store_dir, "mentions", params, fmt, echo, endpoint=endpoint, user=user)


@main.command()
@click.argument("name", required=False)
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE", help="Bind a parameter.")
@click.option("--format", "fmt", type=FORMAT_CHOICES, default="table", show_default=True)
@click.option("--list", "list_only", is_flag=True, help="List the available queries.")
@click.option(
    "--timeout",
    type=_Seconds(0.1, zero_means_none=True),
    default=60.0,
    show_default=True,
    help="Seconds a local query may run before exit 2 (0: no limit).",
)
@STORE_OPTION
@ENDPOINT_OPTION
@USER_OPTION
def query(
    name: str | None,
    params: tuple[str, ...],
    fmt: str,
    list_only: bool,
    timeout: float,
    store_dir: Path,
    endpoint: str | None,
    user: str | None,
) -> None:
    """Answer the catalogue question NAME (without NAME, or with --list, list the questions).

    Parameters are bound as data, never pasted into the query text.
    """
    from kg.errors import InputError
    from kg.queries.catalogue import load_queries

    name = _text(name, "query") if name else name
    if list_only or not name:
        for q in load_queries().values():
            click.echo(f"{q.name:40} {q.summary}")
        return
    bound: dict[str, str] = {}
    for p in params:
        key, sep, value = p.partition("=")
        if not sep or not key:
            raise InputError(None, f"--param {p!r}: expected KEY=VALUE")
        _text(p, "--param")
        bound[key] = value
    echo = lambda s: click.echo(s, nl=False)  # noqa: E731
    _run_named_query(
        store_dir, name, bound, fmt, echo, endpoint=endpoint, user=user, timeout=timeout
    )


@main.command()
@click.option("--port", default=7878, show_default=True, help="Port on 127.0.0.1.")
@click.option("--writable", is_flag=True, help="Accept SPARQL updates (into the store itself).")
@click.option(
    "--timeout",
    type=float,
    default=60.0,
    show_default=True,
    help="Seconds a SPARQL query may run; one still running a few seconds later is stopped "
    "(503) and the server restarted.",
)
@click.option(
    "--memory-limit",
    default="2048MB",
    show_default=True,
    metavar="SIZE",
    help="Memory the Oxigraph server may use (MB, or e.g. 2GB; 0: no cap). A query that needs "
    "more gets 503 and the server is restarted.",
)
@click.option(
    "--max-queries",
    type=int,
    default=4,
    show_default=True,
    help="SPARQL requests answered at once; more get 503 with Retry-After.",
)
@click.option(
    "--allow-service",
    "allow_service",
    multiple=True,
    metavar="URL",
    help="An endpoint that federated queries may call with SERVICE <URL> (exact IRI; "
    "repeatable). Without it every SERVICE is refused (403).",
)
@STORE_OPTION
def serve(
    port: int,
    writable: bool,
    timeout: float,
    memory_limit: str,
    max_queries: int,
    allow_service: tuple[str, ...],
    store_dir: Path,
) -> None:
    """Serve the store with the Oxigraph server on 127.0.0.1 until Ctrl-C.

    Read-only by default, over a snapshot of the store (the store stays usable meanwhile);
    with --writable over the store itself, which no other command can then open. Requests
    pass through a guard: federated queries are refused unless --allow-service, and
    --max-queries, --timeout and --memory-limit bound what one query can take.
    """
    from kg.store.serve import parse_megabytes
    from kg.store.serve import serve as run_serve

    sys.exit(
        run_serve(
            store_dir,
            port=port,
            writable=writable,
            timeout=timeout,
            memory_limit_mb=parse_megabytes(memory_limit),
            max_queries=max_queries,
            allow_service=allow_service,
            echo=click.echo,
            progress=_progress,
        )
    )


@main.command()
@click.option("--endpoint", required=True, metavar="URL", help="SPARQL query endpoint.")
@click.option(
    "--graph-store", default=None, metavar="URL", help="Graph Store (default: --endpoint)."
)
@click.option(
    "--update",
    "update_url",
    default=None,
    metavar="URL",
    help="SPARQL update (default: --endpoint).",
)
@USER_OPTION
@click.option("--chunk-size", default=20_000, show_default=True, help="Triples per request.")
@click.option(
    "--timeout",
    default=60.0,
    show_default=True,
    help="Deadline in seconds for each HTTP request: connect, send and the whole answer.",
)
@STORE_OPTION
def load(
    endpoint: str,
    graph_store: str | None,
    update_url: str | None,
    user: str | None,
    chunk_size: int,
    timeout: float,
    store_dir: Path,
) -> None:
    """Load every graph of the store into a SPARQL 1.1 store (Graph Store Protocol), then verify.

    Each graph is staged in chunks and swapped in with one MOVE, so an interrupted load leaves
    it as it was; re-run to finish. Exit 1 if the server's triple counts differ afterwards, 2 if
    it cannot be reached, refuses, or does not finish a request within --timeout seconds (a
    deadline, so a server trickling its answer cannot hold the load). Credentials the server
    echoes are printed as [redacted].
    """
    from kg.store.embedded import store_at
    from kg.store.remote import Endpoint
    from kg.store.remote import load as run_load

    remote = Endpoint.from_options(
        endpoint,
        update=update_url,
        graph_store=graph_store,
        user=user,
        password=_password(user),
        timeout=timeout,
    )
    with store_at(store_dir, create=False) as store:
        loaded = run_load(store, remote, chunk_triples=chunk_size, progress=_progress)
    total = sum(g.triples for g in loaded)
    _progress(f"done: {len(loaded)} graphs, {total} triples, counts verified")


@main.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8080,
    show_default=True,
    help="Port on 127.0.0.1 (0: any free port).",
)
@click.option(
    "--dump-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of the dumps and void.ttl (default: the store's parent folder).",
)
@click.option(
    "--timeout",
    type=_Seconds(0.1),
    default=10.0,
    show_default=True,
    help="Seconds a SPARQL query may run.",
)
@click.option(
    "--max-queries",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="SPARQL queries that may run at once; more get 503 with Retry-After.",
)
@click.option(
    "--memory-limit",
    default="1024MB",
    show_default=True,
    help="Memory each SPARQL query may allocate (300MB, 2GB; 0: no cap); past it the query "
    "gets 503 and the server goes on.",
)
@click.option(
    "--allow-service",
    "allowed_services",
    multiple=True,
    metavar="IRI",
    help="An endpoint that SERVICE clauses may call (repeat for more); all others are refused.",
)
@click.option(
    "--allow-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME",
    help="A Host name to answer besides 127.0.0.1 and localhost (behind a reverse proxy).",
)
@STORE_OPTION
def web(
    port: int,
    dump_dir: Path | None,
    timeout: float,
    max_queries: int,
    memory_limit: str,
    allowed_services: tuple[str, ...],
    allowed_hosts: tuple[str, ...],
    store_dir: Path,
) -> None:
    """Serve the graph's IRIs as web pages and RDF on 127.0.0.1, read-only.

    Pages, queries and downloads come from one snapshot of the store and of the dumps its
    description lists, renewed within seconds after a build finishes.
    """
    from kg.publish.web import serve as run_web
    from kg.store.serve import parse_megabytes

    query_memory = parse_megabytes(memory_limit)

    def ready(url: str) -> None:
        _progress(f"serving {url}/ (store {store_dir}, read-only); Ctrl-C stops")

    run_web(
        store_dir,
        port=port,
        dump_dir=dump_dir,
        timeout=timeout,
        ready=ready,
        max_queries=max_queries,
        query_memory_mb=query_memory,
        allowed_services=allowed_services,
        allowed_hosts=allowed_hosts,
    )


@main.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("report.html"),
    show_default=True,
    help="The HTML file to write.",
)
@STORE_OPTION
def report(out: Path, store_dir: Path) -> None:
    """Write a report of charts as one self-contained HTML file that works offline."""
    from kg.publish.report import write_report

    _progress(f"wrote {write_report(store_dir, out)}")


if __name__ == "__main__":  # pragma: no cover
    main()
