"""Remux an MP4/QuickTime video without its metadata, with FFmpeg in a limited child process.

The streams are copied as they are (`-c copy`: no re-encoding, the same frames, seconds of work
at most). Removed: every global, stream and chapter tag (`-map_metadata -1`): QuickTime/MP4 user
data and `mdta` keys such as the GPS position (©xyz, com.apple.quicktime.location.ISO6709),
device make, model and software, titles, creation dates (the movie and track headers are
rewritten with a zero creation time); chapters; and every stream that is not video or sound
(timed metadata tracks, which carry location on some phones, subtitles, data, timecode).
`bitexact` keeps FFmpeg from writing its own name and version.

The MP4 demuxer needs to seek (phones write the index at the end), and so does the muxer for
`+faststart` (index first, so browsers can play it before the end arrives). On Linux the input
and output are anonymous memory files (memfd) that FFmpeg opens as /proc/self/fd/N: nothing is
written to disk, and both vanish when closed. Elsewhere they are files in a private 0700
directory, removed as soon as FFmpeg exits.

FFmpeg is an optional system program (Debian: `ffmpeg`). Without it `video_scrub` raises
`VideoScrubError` with reason `unavailable`, and intake refuses videos.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from hotline.intake.scrub import ScrubError

# Copying a 10 MB clip takes 0.1-0.3 s here, mostly FFmpeg starting.
CPU_SECONDS: Final = 15
TIMEOUT_SECONDS: Final = 30
# FFmpeg's address space with all its libraries mapped is about 200 MB; copying needs little
# more. A sample table that declares millions of entries costs memory: it stops here.
MEMORY_LIMIT_BYTES: Final = 1024 * 1024 * 1024
OUTPUT_SLACK_BYTES: Final = 16 * 1024 * 1024
_FORMATS: Final = {"video/mp4": "mp4", "video/quicktime": "mov"}
_BRAND_FORMATS: Final = {b"3gp": "3gp", b"3g2": "3g2"}
_MEDIA_HANDLERS: Final = frozenset({b"vide", b"soun"})


class VideoScrubError(ScrubError):
    """A video that cannot be remuxed: damaged, too complex, or FFmpeg unavailable."""


def ffmpeg_path() -> str | None:
    """Return the path of the ffmpeg program, or None when it is not installed."""
    return shutil.which("ffmpeg")


def video_scrub(data: bytes, *, content_type: str, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """Return the video remuxed without metadata; raise VideoScrubError when it cannot be."""
    ffmpeg = ffmpeg_path()
    if ffmpeg is None:
        raise VideoScrubError(VideoScrubError.UNAVAILABLE)
    output_format = _BRAND_FORMATS.get(data[8:11], _FORMATS.get(content_type, "mp4"))
    with _private_files(data) as files:
        command = [
            sys.executable,
            "-m",
            "hotline.intake.scrub.limited",
            str(CPU_SECONDS),
            str(MEMORY_LIMIT_BYTES),
            str(2 * len(data) + OUTPUT_SLACK_BYTES),
            "--",
            ffmpeg,
            "-nostdin",
            "-hide_banner",
            "-loglevel",
            "error",
            "-threads",
            "1",
            # Only the local input, read as MP4/QuickTime (never probed as a playlist or any
            # format that could fetch other files or URLs).
            "-protocol_whitelist",
            "file",
            "-f",
            "mov",
            "-i",
            f"file:{files.source}",
            "-map",
            "0:v?",
            "-map",
            "0:a?",
            "-map_metadata",
            "-1",
            "-map_metadata:s",
            "-1",
            "-map_chapters",
            "-1",
            "-c",
            "copy",
            "-fflags",
            "+bitexact",
            "-flags:v",
            "+bitexact",
            "-flags:a",
            "+bitexact",
            "-movflags",
            "+faststart",
            "-f",
            output_format,
            "-y",
            f"file:{files.target}",
        ]
        try:
            # Fixed argv (our interpreter and module, FFmpeg found on PATH, our own paths).
            completed = subprocess.run(  # noqa: S603
                command,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout,
                check=False,
                pass_fds=files.pass_fds,
            )
        except subprocess.TimeoutExpired as exc:
            raise VideoScrubError(VideoScrubError.TOO_COMPLEX) from exc
        if completed.returncode < 0:
            # Killed by a signal: over the CPU, memory or output limit, or FFmpeg crashed.
            raise VideoScrubError(VideoScrubError.TOO_COMPLEX)
        if completed.returncode != 0:
            # FFmpeg's messages (stderr) can quote the file's metadata: they are not kept.
            raise VideoScrubError(VideoScrubError.DAMAGED)
        result = files.read_target()
    # FFmpeg exits 0 even when it copied nothing of a track it could not make sense of (frames
    # it cannot split, a missing sample table): a copy that lost a picture or sound track is
    # refused, never kept as if it were the whole video.
    wanted = sorted(kind for kind, _ in _tracks(data) if kind in _MEDIA_HANDLERS)
    copied = sorted(kind for kind, samples in _tracks(result) if samples > 0)
    if result[4:8] != b"ftyp" or not wanted or copied != wanted:
        raise VideoScrubError(VideoScrubError.DAMAGED)
    return result


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """Yield (kind, body start, end) of the ISO media boxes between start and end."""
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1 and pos + 16 <= end:
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            return
        yield kind, pos + header, pos + size
        pos += size


def _tracks(data: bytes) -> list[tuple[bytes, int]]:
    """Return (handler type, sample count) of each track in the movie box: b"vide", b"soun"..."""
    tracks = []
    for kind, body, end in _boxes(data, 0, len(data)):
        if kind != b"moov":
            continue
        for trak, trak_body, trak_end in _boxes(data, body, end):
            if trak != b"trak":
                continue
            handler, samples = b"", 0
            for mdia, mdia_body, mdia_end in _boxes(data, trak_body, trak_end):
                if mdia != b"mdia":
                    continue
                for child, child_body, child_end in _boxes(data, mdia_body, mdia_end):
                    if child == b"hdlr" and child_end - child_body >= 12:
                        handler = data[child_body + 8 : child_body + 12]
                    elif child == b"minf":
                        samples = _sample_count(data, child_body, child_end)
            tracks.append((handler, samples))
    return tracks


def _sample_count(data: bytes, start: int, end: int) -> int:
    for stbl, body, stbl_end in _boxes(data, start, end):
        if stbl != b"stbl":
            continue
        for kind, size_body, size_end in _boxes(data, body, stbl_end):
            # stsz and stz2 both hold the count after 8 bytes (version, flags, size fields).
            if kind in {b"stsz", b"stz2"} and size_end - size_body >= 12:
                return int.from_bytes(data[size_body + 8 : size_body + 12], "big")
    return 0


@dataclass(frozen=True, slots=True)
class _Files:
    source: str
    target: str
    pass_fds: tuple[int, ...]
    target_fd: int | None

    def read_target(self) -> bytes:
        # A duplicate descriptor: closing the reader leaves the memory file to its owner.
        source = os.dup(self.target_fd) if self.target_fd is not None else self.target
        with open(source, "rb") as handle:
            handle.seek(0)
            return handle.read()


@contextlib.contextmanager
def _private_files(data: bytes) -> Iterator[_Files]:
    """Yield a readable, seekable copy of data and an empty output, both private and temporary."""
    if hasattr(os, "memfd_create"):
        source = os.memfd_create("hotline-video-in", os.MFD_CLOEXEC)
        target = os.memfd_create("hotline-video-out", os.MFD_CLOEXEC)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(source, view) :]
            # The child sees the same descriptor numbers (pass_fds), so its /proc/self/fd.
            yield _Files(
                source=f"/proc/self/fd/{source}",
                target=f"/proc/self/fd/{target}",
                pass_fds=(source, target),
                target_fd=target,
            )
        finally:
            os.close(source)
            os.close(target)
        return
    # TemporaryDirectory is created 0700; the input is 0600 and exclusive.
    with tempfile.TemporaryDirectory(prefix="hotline-video-") as directory:
        source_path = os.path.join(directory, "in")
        fd = os.open(source_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        yield _Files(
            source=source_path,
            target=os.path.join(directory, "out"),
            pass_fds=(),
            target_fd=None,
        )
