"""Real storage faults for tests: no mocks, the file system itself refuses the write."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings


@contextmanager
def certificates_folder_unwritable() -> Iterator[None]:
    """A real storage fault: a plain file where the certificates folder should be, so every write fails."""
    root = Path(settings.MEDIA_ROOT)
    folder, aside = root / "certificates", root / "certificates-aside"
    if folder.exists():
        folder.rename(aside)
    folder.write_bytes(b"")
    try:
        yield
    finally:
        folder.unlink()
        if aside.exists():
            aside.rename(folder)


@contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A real small filesystem (tmpfs) mounted at ``path``: writes past ``size`` (e.g. "2m",
    "256k") fail with ENOSPC. Mounting needs root; elsewhere the test skips with the reason (and
    fails under CI, where `make test` runs as root)."""
    import subprocess

    from testkit.parts import part_missing

    path.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)], capture_output=True
    )
    if result.returncode != 0:
        part_missing(
            "cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN: "
            f"{result.stderr.decode().strip() or result.returncode})"
        )
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)
