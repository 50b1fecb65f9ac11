"""Process fixtures for the reporter notice worker test (see tests/process_helpers.py)."""

from process_helpers import _install_template, install

__all__ = ["_install_template", "install"]
