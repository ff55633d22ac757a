"""A real part a test needs (a program, a mount) that this machine lacks: skipped on a developer's
machine with the reason, but a failure under CI, where `make test` installs every part as root, so a
missing install step can never pass as a skipped test."""

import os

import pytest


def part_missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (under CI every part must be present: see scripts/ensure-system-packages.sh)")
    pytest.skip(reason)
