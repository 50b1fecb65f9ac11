"""Remux an MP4/QuickTime video without its metadata, with FFmpeg in a limited child process.

The streams are copied as they are (`-c copy`: no re-encoding, the same frames, seconds of work
at most). Removed: every global, stream and chapter tag (`-map_metadata -1`): QuickTime/MP4 user
data and `mdta` keys such as the GPS position (©xyz, com.apple.quicktime.location.ISO6709),
device make, model and software, titles, creation dates (the movie and track headers are
rewritten with a zero creation time); chapters; and every stream that is not video or sound
(timed metadata tracks, which carry location on some phones, subtitles, data, timecode).
`bitexact` keeps FFmpeg from writing its own name and version.

The MP4 demuxer needs to seek (phones write the index at the end), and so does the muxer for
`+faststart` (index first, so browsers can play it before the end arrives). The bytes go on a
pipe to a confined child (`hotline.sandbox`, job `ffmpeg_child`), which puts them in anonymous
memory files (memfd) that FFmpeg opens as /proc/self/fd/N: nothing is written to disk, and both
vanish with the child (Linux only, like the sandbox).

FFmpeg is an optional system program (Debian: `ffmpeg`). Without it `video_scrub` raises
`VideoScrubError` with reason `unavailable`, and intake refuses videos.
"""

from __future__ import annotations

import shutil
import struct
from collections.abc import Iterator
from typing import Final

from hotline.intake.scrub import ScrubError, ffmpeg_child
from hotline.sandbox import ChildTimeoutError, Limits, sandbox_run

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
    command = [
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
        "file:{input}",
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
        "file:{output}",
    ]
    limits = Limits(
        cpu_seconds=CPU_SECONDS,
        memory_bytes=MEMORY_LIMIT_BYTES,
        # The input's memory file and the output's both count against it.
        file_bytes=2 * len(data) + OUTPUT_SLACK_BYTES,
        wall_seconds=timeout,
        output_bytes=2 * len(data) + OUTPUT_SLACK_BYTES,
    )
    try:
        completed = sandbox_run(job="ffmpeg", data=data, limits=limits, args=command)
    except ChildTimeoutError as exc:
        raise VideoScrubError(VideoScrubError.TOO_COMPLEX) from exc
    if completed.killed or completed.returncode == ffmpeg_child.EXIT_KILLED:
        # Killed by a signal: over the CPU, memory or output limit, or FFmpeg crashed.
        raise VideoScrubError(VideoScrubError.TOO_COMPLEX)
    if completed.returncode != 0:
        # FFmpeg's messages (stderr) can quote the file's metadata: they are not kept.
        raise VideoScrubError(VideoScrubError.DAMAGED)
    result = completed.stdout
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
