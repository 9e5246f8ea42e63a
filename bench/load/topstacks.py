"""Summarise py-spy raw (collapsed) stacks: the functions with the most samples, by own time
and by inclusive time. Usage: python bench/load/topstacks.py FILE... [--n 25]"""

from __future__ import annotations

import sys
from collections import Counter


def main(paths: list[str], n: int = 25) -> None:
    own, incl, total = Counter(), Counter(), 0
    for path in paths:
        with open(path, encoding="utf-8") as f:
            lines = f.readlines()
        for line in lines:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not count.isdigit():
                continue
            c = int(count)
            total += c
            frames = stack.split(";")
            own[frames[-1]] += c
            for f in set(frames):
                incl[f] += c
    print(f"{total} samples")
    print("-- own time")
    for f, c in own.most_common(n):
        print(f"{c / total:6.1%}  {f}")
    print("-- inclusive")
    for f, c in incl.most_common(n):
        print(f"{c / total:6.1%}  {f}")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(args)
