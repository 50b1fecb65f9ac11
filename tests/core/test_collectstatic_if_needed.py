"""`hotline run` collects static files only when their sources changed since the last start."""

from __future__ import annotations

from pathlib import Path

from django.core.management import call_command


def _manifest_storage(settings: object, root: Path, source: Path) -> None:
    settings.STATIC_ROOT = root  # type: ignore[attr-defined]
    settings.STATICFILES_DIRS = [source]  # type: ignore[attr-defined]
    settings.INSTALLED_APPS = [  # type: ignore[attr-defined]
        app
        for app in settings.INSTALLED_APPS
        if app != "django.contrib.admin"  # type: ignore[attr-defined]
    ]
    settings.STORAGES = {  # type: ignore[attr-defined]
        **settings.STORAGES,  # type: ignore[attr-defined]
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }


def test_static_files_are_collected_once_then_again_only_after_a_source_changes(
    settings: object, tmp_path: Path
) -> None:
    source, root = tmp_path / "source", tmp_path / "collected"
    source.mkdir()
    (source / "a.css").write_text("body { color: #111 }")
    _manifest_storage(settings, root, source)

    call_command("collectstatic_if_needed")
    manifest = root / "staticfiles.json"
    first = manifest.stat().st_mtime_ns
    call_command("collectstatic_if_needed")
    assert manifest.stat().st_mtime_ns == first  # nothing changed: nothing collected

    (source / "a.css").write_text("body { color: #222 }")
    call_command("collectstatic_if_needed")
    assert manifest.stat().st_mtime_ns != first
    hashed = [p.name for p in root.glob("a.*.css")]
    assert len(hashed) == 2  # the old and the new hashed copy


def test_a_missing_manifest_is_collected_again(settings: object, tmp_path: Path) -> None:
    source, root = tmp_path / "source", tmp_path / "collected"
    source.mkdir()
    (source / "a.css").write_text("body { color: #111 }")
    _manifest_storage(settings, root, source)
    call_command("collectstatic_if_needed")
    (root / "staticfiles.json").unlink()
    call_command("collectstatic_if_needed")
    assert (root / "staticfiles.json").exists()
