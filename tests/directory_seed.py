"""The seeded platform directory, put back for the test folders that rely on it.

Their conftest files import `shipped_directory` (an autouse fixture applies to the folder whose
conftest names it).
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def shipped_directory(request: pytest.FixtureRequest) -> None:
    """Give database tests the platforms a fresh install has (its data migration seeds them).

    A transactional test elsewhere in the session empties every table when it ends, the
    seeded directory included; put it back the way the migration does.
    """
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    transactional = bool(marker.kwargs.get("transaction"))
    request.getfixturevalue("transactional_db" if transactional else "db")
    from hotline.directory.models import Platform
    from hotline.directory.services import platforms_seed

    platforms_seed(Platform)
