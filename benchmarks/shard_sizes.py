"""How evenly ``--shard K/N`` splits a class: the smallest, mean and largest shard.

    python benchmarks/shard_sizes.py [--students 10000] [--shards 256] [--seed 1]

Student ids are random GitHub-like user names (letters, digits and hyphens, 4-14 characters,
seeded); the split is the kit's own :func:`autograder.batch.in_shard`. The largest shard decides
when a sharded class grade ends (docs/instructors.md).
"""

from __future__ import annotations

import argparse
import random
import string
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.batch import in_shard  # noqa: E402

ALPHABET = string.ascii_lowercase + string.digits + "-"


def names(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(ALPHABET, k=rng.randint(4, 14))) for _ in range(count)]


def sizes(students: list[str], shards: int) -> list[int]:
    """Students per shard, shard 1 first."""
    return [sum(in_shard(s, (k, shards)) for s in students) for k in range(1, shards + 1)]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=10_000)
    p.add_argument("--shards", type=int, default=256)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    if args.students < 1 or not 1 <= args.shards <= 256:
        p.error("--students must be positive and --shards from 1 to 256")
    got = sizes(names(args.students, args.seed), args.shards)
    print(f"{args.students} students in {args.shards} shards: smallest {min(got)}, "
          f"mean {args.students / args.shards:.1f}, largest {max(got)}")


if __name__ == "__main__":
    main()
