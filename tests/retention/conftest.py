"""Process fixtures for the retention tests (see tests/process_helpers.py)."""

from process_helpers import _install_template, install

__all__ = ["_install_template", "install"]
