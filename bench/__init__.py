"""Benchmarks for `make bench`: each bench_*.py module measures figures against a baseline."""

from dataclasses import dataclass


@dataclass
class Row:
    """One line of the table: the figure, what it is compared with, and the goal it must meet."""

    name: str
    value: float
    baseline: float | None
    unit: str
    goal: str  # e.g. "ratio <= 2.0", "<= 6 queries"
    ok: bool

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline
