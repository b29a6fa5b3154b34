"""Generate N synthetic releases in the style of the real ones, deterministically by seed.

Why: the benchmarks need thousands of releases and the bundled corpus has two. The generated
texts imitate what the extractor meets in real releases (machine-translated prose and numbered
lists; national and provincial figures; operations; counts, tonnes, kilograms and mu;
percentages and year-on-year changes; garbled numbers such as "9,26", "<>" and "8.<>%") so
that extraction, mapping, storage, validation and queries do realistic work. Names come from
``mappings/lexicon`` (labels and aliases), so the texts exercise the vocabulary as data.

They are NOT test data for extraction quality: nothing checks what the extractor finds in them
(the sentences are templates, not annotated releases). Run::

    python benchmarks/corpus.py OUT_DIR --releases 1000 [--seed 7]

which writes ``OUT_DIR/<id>.txt`` and ``OUT_DIR/releases.yaml``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

import yaml

from kg.resources import mappings_dir

ORDINALS = ("First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
PUBLISHERS = (
    "Office of the National Narcotics Control Commission (press conference)",
    "China News Service, citing the Ministry of Public Security website",
    "Provincial Public Security Department",
)
FILLER = (
    "Tighten checks along the border, assess how drugs enter from abroad, and close the gaps "
    "in interception.",
    "Deepen the investigation of key links and strengthen the supervision of key varieties.",
    "Strengthen youth drug prevention education and popularize drug control education in schools.",
    "Normalize and promote the management of drug addicts and strengthen hierarchical and "
    "categorical control.",
    "Work with the drug police of neighbouring countries on joint cases.",
    "More and more people now turn drugs down of their own accord.",
)


@dataclass(frozen=True)
class Names:
    """Surface forms taken from the lexicon: provinces, operations, substances."""

    provinces: tuple[str, ...]
    operations: tuple[str, ...]
    substances: tuple[str, ...]


def load_names(folder: Path | None = None) -> Names:
    """Labels (and first aliases) of jurisdictions, operations and substances."""
    lexicon = (folder or mappings_dir()) / "lexicon"

    def labels(name: str, *, skip: str | None = None) -> tuple[str, ...]:
        data = yaml.safe_load((lexicon / name).read_text(encoding="utf-8"))
        out = []
        for entry in data["entries"]:
            if skip and entry["id"].endswith(skip):
                continue
            out.append(str(entry["label"]))
            out.extend(str(a) for a in (entry.get("aliases") or [])[:1])
        return tuple(out)

    return Names(
        provinces=tuple(p for p in labels("jurisdictions.yaml", skip="/CN") if "Republic" not in p),
        operations=labels("operations.yaml"),
        substances=labels("substances.yaml"),
    )


def _count(rng: random.Random) -> str:
    """A count as printed: plain, with thousands separators, or garbled."""
    roll = rng.random()
    if roll < 0.12:  # comma groups that are not thousands ("9,26")
        return f"{rng.randint(1, 99)},{rng.randint(1, 99)}"
    if roll < 0.16:  # placeholder for a lost digit group ("1443,<>")
        return f"{rng.randint(10, 9999)},<>"
    n = rng.randint(2, 99_999)
    return f"{n:,}" if rng.random() < 0.7 else str(n)


def _mass(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.5:
        return f"{rng.randint(1, 99)}.{rng.randint(1, 9)} tons"
    if roll < 0.9:
        return f"{rng.randint(1, 9999):,}.{rng.randint(1, 9)} kilograms"
    return f"{rng.randint(2, 900)} kg"


def _percent(rng: random.Random) -> str:
    if rng.random() < 0.06:
        return f"{rng.randint(1, 40)}.<>%"
    return f"{rng.randint(0, 60)}.{rng.randint(1, 99)}%"


def _change(rng: random.Random) -> str:
    return f"{rng.choice(('up', 'down'))} {_percent(rng)} year-on-year"


def _period(rng: random.Random) -> str:
    end = rng.randint(2, 12)
    roll = rng.random()
    if roll < 0.5:
        return f"From January to {MONTHS[end - 1]}"
    if roll < 0.8:
        return f"As of {MONTHS[end - 1]} {rng.randint(1, 28)}"
    return "Since the beginning of this year"


def _national(rng: random.Random, names: Names) -> str:
    op = rng.choice(names.operations)
    return (
        f'{_period(rng)}, the national anti-narcotics departments promoted the "{op}" operation; '
        f"a total of {_count(rng)} drug-related crime cases were solved, {_count(rng)} "
        f"drug-related suspects were arrested, and {_mass(rng)} of various drugs were seized, "
        f"{_change(rng)}."
    )


def _province(rng: random.Random, names: Names) -> str:
    place = rng.choice(names.provinces)
    substance = rng.choice(names.substances)
    roll = rng.random()
    if roll < 0.4:
        return (
            f"{place} cracked {_count(rng)} drug cases and seized {_mass(rng)} of {substance}, "
            f"{_change(rng)}."
        )
    if roll < 0.7:
        return (
            f"{place} eradicated {rng.randint(1, 999)} mu of illegally planted {substance} "
            f"and arrested {_count(rng)} criminal suspects."
        )
    return (
        f"In {place}, {_count(rng)} drug addicts were investigated and dealt with, "
        f"{_change(rng)}, and {_count(rng)} people were ordered to detoxify in the community."
    )


def _numbered(rng: random.Random, names: Names, k: int) -> str:
    items = []
    for i in range(k):
        place = rng.choice(names.provinces)
        items.append(f"{i + 1}. {place}: {_count(rng)} cases solved, {_mass(rng)} of drugs seized.")
    return "\n".join(items)


def release_text(rng: random.Random, names: Names) -> str:
    """One release: a lead paragraph, themed paragraphs, sometimes a numbered list."""
    paragraphs = [_national(rng, names)]
    for i in range(rng.randint(2, 5)):
        body = [_province(rng, names) for _ in range(rng.randint(1, 3))]
        body.insert(rng.randint(0, len(body)), rng.choice(FILLER))
        paragraphs.append(f"{ORDINALS[i]}, " + " ".join(body))
        if rng.random() < 0.3:
            paragraphs.append(_numbered(rng, names, rng.randint(2, 5)))
    if rng.random() < 0.5:
        paragraphs.append(
            f"  {rng.choice(FILLER)} A total of {_count(rng)} people were ordered to undergo "
            f"compulsory isolation and detoxification, {_change(rng)}."
        )
    return "\n\n".join(paragraphs) + "\n"


def generate(out_dir: Path, n: int, *, seed: int = 7) -> list[Path]:
    """Write ``n`` releases and their ``releases.yaml`` to ``out_dir``; return the text files.

    The same ``(n, seed)`` always gives byte-identical files, and the first ``k`` releases of
    a bigger run equal those of a run of ``k`` (each release has its own random stream).
    """
    names = load_names()
    out_dir.mkdir(parents=True, exist_ok=True)
    meta = []
    paths = []
    for i in range(n):
        rng = random.Random(f"{seed}:{i}")
        rid = f"syn{seed}_{i:07d}"
        path = out_dir / f"{rid}.txt"
        path.write_text(release_text(rng, names), encoding="utf-8")
        issued = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randint(0, 3650))
        meta.append(
            {
                "id": rid,
                "file": path.name,
                "title": f"Synthetic release {i} (benchmark, seed {seed})",
                "publisher": rng.choice(PUBLISHERS),
                "issued": issued.isoformat(),
                "language": "en",
            }
        )
        paths.append(path)
    header = "# Synthetic releases for benchmarks/ (not real press releases; not test data).\n"
    (out_dir / "releases.yaml").write_text(
        header + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--releases", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    paths = generate(args.out_dir, args.releases, seed=args.seed)
    print(f"wrote {len(paths)} releases to {args.out_dir}")


if __name__ == "__main__":
    main()
