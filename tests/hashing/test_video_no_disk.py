"""Nothing decrypted touches the disk while a video is hashed (vPDQ) or remuxed (FFmpeg).

TMPDIR (and Python's cached temporary folder) point at a fresh folder watched with inotify: any
file or folder created there while the video is processed is seen, even if removed at once.
Afterwards no file there or in /dev/shm holds a distinctive run of the video's bytes.
"""

from __future__ import annotations

import ctypes
import os
import struct
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.hashing.video import hash_video_bytes, video_hashing_available
from hotline.intake.scrub.video import video_scrub

_IN_CREATE = 0x100
_IN_MOVED_TO = 0x80
_IN_NONBLOCK = os.O_NONBLOCK


class Watch:
    """Record every name created in one folder (inotify), including ones removed at once."""

    def __init__(self, folder: Path) -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        self.fd = libc.inotify_init1(_IN_NONBLOCK)
        assert self.fd >= 0
        assert libc.inotify_add_watch(self.fd, bytes(folder), _IN_CREATE | _IN_MOVED_TO) >= 0

    def created(self) -> list[str]:
        try:
            raw = os.read(self.fd, 65536)
        except BlockingIOError:
            return []
        names, pos = [], 0
        while pos < len(raw):
            _wd, _mask, _cookie, length = struct.unpack_from("iIII", raw, pos)
            names.append(raw[pos + 16 : pos + 16 + length].rstrip(b"\0").decode())
            pos += 16 + length
        return names

    def close(self) -> None:
        os.close(self.fd)


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Watch]]:
    folder = tmp_path / "tmpdir"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    watch = Watch(folder)
    # The watch works: a file made here is seen.
    (folder / "canary").write_bytes(b"x")
    (folder / "canary").unlink()
    assert watch.created() == ["canary"]
    yield folder, watch
    watch.close()


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    subprocess.run(
        [
            "ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
            "-i", "testsrc2=size=320x240:rate=25", "-t", "3", "-pix_fmt", "yuv420p",
            "-metadata", "title=NoDiskMarkerTitle", str(path),
        ],
        check=True,
    )  # fmt: skip
    return path.read_bytes()


def distinctive_run(data: bytes) -> bytes:
    """A 64-byte run from the middle of the coded frames (not a common header)."""
    middle = len(data) // 2
    return data[middle : middle + 64]


def files_holding(needle: bytes, *folders: Path) -> list[Path]:
    found = []
    for folder in folders:
        for path in folder.rglob("*") if folder.exists() else []:
            try:
                if path.is_file() and needle in path.read_bytes():
                    found.append(path)
            except OSError:
                continue  # another process's private file: not ours
    return found


@pytest.mark.skipif(not video_hashing_available(), reason="the `video` extra is not installed")
def test_hashing_a_video_writes_nothing_to_disk(
    private_tmp: tuple[Path, Watch], clip: bytes
) -> None:
    folder, watch = private_tmp
    hashes = hash_video_bytes(clip)
    assert len(hashes.frames) >= 3  # really hashed
    assert watch.created() == []
    assert list(folder.iterdir()) == []
    needle = distinctive_run(clip)
    assert files_holding(needle, folder, Path("/dev/shm")) == []


def test_remuxing_a_video_writes_nothing_to_disk(
    private_tmp: tuple[Path, Watch], clip: bytes
) -> None:
    folder, watch = private_tmp
    cleaned = video_scrub(clip, content_type="video/mp4")
    assert b"NoDiskMarkerTitle" in clip
    assert b"NoDiskMarkerTitle" not in cleaned
    assert watch.created() == []
    assert files_holding(distinctive_run(clip), folder, Path("/dev/shm")) == []
