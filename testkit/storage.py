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
