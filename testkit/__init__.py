"""What the tests and the bench share: factories, real media, fakes of outside services on loopback.

Support code, not tests: pytest collects nothing here, and the application never imports it (it is
not installed either). ``tests/`` and ``bench/`` import from ``testkit``; ``testkit`` imports
neither of them, and no module imports ``tests`` (ruff's TID251 refuses it): a test module's helpers
that another module needs move here, and fixtures that several folders use live in
``tests/conftest.py``.
"""
