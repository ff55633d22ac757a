"""Run every bench/bench_*.py module (or those named on the command line) and print one table.

Usage: make bench            (all, against a throwaway PostgreSQL)
       python -m bench feed  (only bench/bench_feed.py)
"""

import importlib
import os
import pkgutil
import sys
import traceback
from pathlib import Path


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podcastcme.settings.test")
    import django

    django.setup()
    wanted = set(argv)
    here = Path(__file__).parent
    modules = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    rows = []
    broken: list[str] = []
    for name in modules:
        if wanted and name.removeprefix("bench_") not in wanted:
            continue
        print(f"running {name} ...", flush=True)
        try:
            module = importlib.import_module(f"bench.{name}")
            rows.extend(module.run())
        except Exception:  # one broken bench must not hide the others' figures
            traceback.print_exc()
            broken.append(name)
    print()
    # Every goal is a ratio to a floor measured in the same run (issue 14 item 10), or a count; rows
    # whose goal starts with "none" or "(" are informational (e.g. the claims p95 under load).
    header = f"{'figure':<58} {'value':>12} {'floor':>12} {'ratio':>7}  {'goal':<22} ok"
    print(header)
    print("-" * len(header))
    failed = informational = 0
    for row in rows:
        info = row.goal.startswith(("none", "("))
        informational += info
        base = "" if row.baseline is None else f"{row.baseline:,.2f}"
        ratio = "" if row.ratio is None else f"{row.ratio:.2f}"
        print(f"{row.name:<58} {row.value:>10,.2f}{row.unit:>2} {base:>12} {ratio:>7}  {row.goal:<22} "
              f"{'-' if info else 'yes' if row.ok else 'NO'}")  # fmt: skip
        failed += not info and not row.ok
    goals = len(rows) - informational
    print(f"\n{goals - failed} of {goals} figures meet their goal ({informational} informational).")
    if broken:
        print(f"These benches did not run to the end: {', '.join(broken)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
