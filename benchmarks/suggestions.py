"""Benchmark (not a test): "did you mean" suggestions for unknown collectivity names in an import.

Before issue 21's review, each unknown name folded every collectivity name again and ran difflib on all of
them (``near`` on ~35,000 French names: ~0.65 s per row). Now the Engine folds them once (``NearIndex``, per
governorate/département), compares only names of the same first or last letter and of a length that can reach the
cutoff, and stops suggesting
after ``SUGGESTION_CAP`` errors per file.

Prints, on a made-up directory of 35,000 commune-like names and 200 misspelt look-ups (same seed each run):
the old way (fold all + difflib per look-up, the code as it was, kept below as ``old_near``), the index
(build once + look-ups), and their ratio; and checks both give the same suggestions. No database.

    .venv/bin/python benchmarks/suggestions.py [--names 35000] [--lookups 200]
"""

import argparse
import difflib
import random
import string
import sys
import time
from collections.abc import Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backend"))

from jisr.core.text import fold  # noqa: E402
from jisr.imports.messages import NearIndex  # noqa: E402


def old_near(value: str, candidates: Iterable[str], *, limit: int = 2) -> list[str]:
    """``jisr.imports.messages.near`` as it was before the review (the baseline)."""
    by_fold: dict[str, str] = {}
    for c in candidates:
        if c:
            by_fold.setdefault(fold(c), c)
    target = fold(value)
    if not target:
        return []
    close = difflib.get_close_matches(target, list(by_fold), n=limit, cutoff=0.8)
    if len(close) < limit and len(target) >= 3:
        starts = sorted(f for f in by_fold if f.startswith(target + " ") and f not in close)
        close += starts[: limit - len(close)]
    return [by_fold[f] for f in close]


def names(n: int, rng: random.Random) -> list[str]:
    syllables = [
        "ba",
        "bel",
        "cha",
        "mont",
        "sur",
        "ville",
        "neuf",
        "sainte",
        "saint",
        "la",
        "le",
        "roc",
        "mar",
        "é",
        "ay",
        "ques",
        "ron",
        "court",
        "fon",
        "taine",
        "lès",
        "bois",
        "vi",
        "gny",
        "ac",
        "ieu",
    ]
    out = set()
    while len(out) < n:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))).capitalize()
        if rng.random() < 0.3:
            word += "-" + "".join(rng.choice(syllables) for _ in range(rng.randint(1, 3)))
        out.add(word)
    return sorted(out)


def misspell(name: str, rng: random.Random) -> str:
    i = rng.randrange(len(name))
    return name[:i] + rng.choice(string.ascii_lowercase) + name[i + 1 :]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--names", type=int, default=35_000)
    ap.add_argument("--lookups", type=int, default=200)
    args = ap.parse_args()
    rng = random.Random(21)
    directory = names(args.names, rng)
    lookups = [misspell(rng.choice(directory), rng) for _ in range(args.lookups)]

    n_old = min(args.lookups, 20)  # the old way is slow: time a sample, report per look-up
    t = time.perf_counter()
    before = [old_near(v, directory) for v in lookups[:n_old]]
    old_each = (time.perf_counter() - t) / n_old

    t = time.perf_counter()
    index = NearIndex(directory)
    build = time.perf_counter() - t
    t = time.perf_counter()
    after = [index.near(v) for v in lookups]
    new_each = (time.perf_counter() - t) / len(lookups)

    same = sum(b == a for b, a in zip(before, after, strict=False))
    print(f"{len(directory)} names, {len(lookups)} look-ups ({n_old} timed the old way)")
    print(f"old near(), per look-up        {old_each * 1000:9.1f} ms")
    print(f"NearIndex build (once per file) {build * 1000:9.1f} ms")
    print(f"NearIndex.near, per look-up     {new_each * 1000:9.1f} ms   ratio old/new {old_each / new_each:6.1f}x")
    print(
        f"2,000 unknown names: old {old_each * 2000:7.1f} s, new (capped at 50 suggestions) "
        f"{build + new_each * 50:5.2f} s; uncapped {build + new_each * 2000:5.2f} s"
    )
    print(f"same suggestions as the old way: {same} of {n_old} (differences: see benchmarks/README.md)")


if __name__ == "__main__":
    main()
