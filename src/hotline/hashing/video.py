"""Compute vPDQ (PDQ of one frame per second), MD5 and SHA-256 of video bytes.

Pure library code like `hashers`: no Django, no database, no network. vPDQ comes from Meta's
`vpdq` binding (optional extra `video`, which compiles against FFmpeg's libraries); without it
`hash_video_bytes` raises `VideoHashingUnavailableError` and everything else still works.

FFmpeg parses untrusted input, so the binding runs in a confined child process
(`hotline.sandbox`, job `video_child`) with CPU, memory and wall-clock limits: a crash or a file
that decodes for ever costs one child, not a web or worker process. vpdq opens files by name:
the bytes go to the child on a pipe, and the child hands vpdq an anonymous memory file
(/proc/self/fd/N). Nothing decrypted is written to disk.

Each frame hash is an ordinary PDQ hash in the same hex form as `hash_image_bytes` (vpdq uses
the same C++ core), so a frame matches image PDQ banks and image evidence directly.
"""

from __future__ import annotations

import importlib.util
import json
import struct
from dataclasses import dataclass
from typing import Final

from hotline.hashing.hashers import HashingError, file_digests
from hotline.hashing.video_child import EXIT_UNAVAILABLE
from hotline.sandbox import ChildTimeoutError, Limits, sandbox_run

# Intake takes files of at most HOTLINE_MAX_FILE_BYTES (10 MB by default); the CLI allows more.
MAX_VIDEO_BYTES: Final = 1024 * 1024 * 1024
# 30 minutes at one hash per second is at most 1800 frame hashes.
MAX_VIDEO_SECONDS: Final = 30 * 60
SECONDS_PER_HASH: Final = 1.0
# Decoding runs at roughly 150 frames/s of 720p on one core here: 30 min of 1080p30 fits.
TIMEOUT_SECONDS: Final = 15 * 60
MEMORY_LIMIT_BYTES: Final = 4 * 1024 * 1024 * 1024
# Declared duration vs frames decoded: more than this short of the end means the file was cut.
_TRUNCATION_SLACK_SECONDS: Final = 2.0
_CONTAINER_BOXES: Final = frozenset({b"moov", b"trak", b"mdia"})
ISO_BMFF_BRAND_OFFSET: Final = 4


class VideoHashingError(HashingError):
    """A video that cannot be hashed with vPDQ."""

    code = "video_error"


class VideoHashingUnavailableError(VideoHashingError):
    """The `vpdq` binding is not installed (install the `video` extra and FFmpeg's libraries)."""

    code = "video_unavailable"


class EmptyVideoError(VideoHashingError):
    """The input has no bytes."""

    code = "empty"


class CorruptVideoError(VideoHashingError):
    """The bytes are not a video FFmpeg can decode."""

    code = "corrupt"


class TruncatedVideoError(VideoHashingError):
    """The video ends before the length its header declares."""

    code = "truncated"


class VideoTooLargeError(VideoHashingError):
    """The file is bigger than the limit."""

    code = "too_large"


class VideoTooLongError(VideoHashingError):
    """The video lasts longer than the limit, or takes too long to decode."""

    code = "too_long"


@dataclass(frozen=True, slots=True)
class VideoFrameHash:
    """PDQ of one sampled frame: 64 lowercase hex digits, quality 0-100, position in the video."""

    pdq_hex: str
    quality: int
    frame_number: int
    timestamp: float


@dataclass(frozen=True, slots=True)
class VideoHashes:
    """Exact hashes of the file and the vPDQ frame hashes in order of time."""

    md5: str
    sha256: str
    frames: tuple[VideoFrameHash, ...]

    def distinct_pdq(self) -> dict[str, int]:
        """Return each distinct frame PDQ with its best quality (static scenes repeat hashes)."""
        best: dict[str, int] = {}
        for frame in self.frames:
            best[frame.pdq_hex] = max(frame.quality, best.get(frame.pdq_hex, 0))
        return best


def video_hashing_available() -> bool:
    """Return whether the vpdq binding is installed in this Python."""
    return importlib.util.find_spec("vpdq") is not None


def looks_like_video(data: bytes) -> bool:
    """Return whether the bytes start like an MP4/QuickTime/3GP file (ISO base media format)."""
    return data[ISO_BMFF_BRAND_OFFSET : ISO_BMFF_BRAND_OFFSET + 4] == b"ftyp"


def hash_video_bytes(
    data: bytes,
    *,
    max_bytes: int = MAX_VIDEO_BYTES,
    max_seconds: float = MAX_VIDEO_SECONDS,
    seconds_per_hash: float = SECONDS_PER_HASH,
    timeout: float = TIMEOUT_SECONDS,
) -> VideoHashes:
    """Return MD5, SHA-256 and vPDQ frame hashes of an MP4/QuickTime video.

    Raises a `VideoHashingError` subclass with a plain message for anything that cannot be hashed
    (including `VideoHashingUnavailableError` when vpdq is not installed).
    """
    if not data:
        raise EmptyVideoError("The file is empty.")
    if len(data) > max_bytes:
        raise VideoTooLargeError(
            f"The video is {len(data):,} bytes; the limit is {max_bytes:,} bytes."
        )
    if not looks_like_video(data):
        raise CorruptVideoError(
            "The file is not a video in a supported format (MP4, MOV, 3GP), or it is damaged."
        )
    declared = declared_duration(data)
    if declared is not None and declared > max_seconds:
        raise VideoTooLongError(
            f"The video lasts {declared:.0f} s; the limit is {max_seconds:.0f} s."
        )
    if not video_hashing_available():
        raise VideoHashingUnavailableError(
            "Video hashing is not available here: install OpenHotline's `video` extra"
            " (pip install 'openhotline[video]', which needs FFmpeg's development libraries)."
        )
    digests = file_digests(data)
    frames = _run_child(data, seconds_per_hash=seconds_per_hash, timeout=timeout)
    if not frames:
        raise CorruptVideoError("The video has no frames that can be decoded.")
    if frames[-1].timestamp > max_seconds:
        raise VideoTooLongError(f"The video lasts longer than the limit of {max_seconds:.0f} s.")
    if declared is not None and frames[-1].timestamp + seconds_per_hash < (
        declared - _TRUNCATION_SLACK_SECONDS
    ):
        raise TruncatedVideoError(
            "The video file is incomplete (it may have been cut off while copying)."
        )
    return VideoHashes(md5=digests.md5, sha256=digests.sha256, frames=frames)


def declared_duration(data: bytes) -> float | None:
    """Return the longest duration in seconds the movie and track headers declare, if any.

    Raises `TruncatedVideoError` when a top-level box runs past the end of the data and
    `CorruptVideoError` when there is no movie header at all.
    """
    durations: list[float] = []
    found_moov = _walk_boxes(data, 0, len(data), durations, top_level=True)
    if not found_moov:
        raise CorruptVideoError("The video has no movie header; it is damaged or incomplete.")
    positive = [d for d in durations if d > 0]
    return max(positive) if positive else None


def _walk_boxes(
    data: bytes, start: int, end: int, durations: list[float], *, top_level: bool
) -> bool:
    found_moov = False
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if pos + 16 > end:
                raise TruncatedVideoError("The video file is incomplete.")
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        if size < header:
            raise CorruptVideoError("The video's structure is damaged.")
        if pos + size > end:
            if top_level:
                raise TruncatedVideoError(
                    "The video file is incomplete (it may have been cut off while copying)."
                )
            raise CorruptVideoError("The video's structure is damaged.")
        body = pos + header
        if kind in _CONTAINER_BOXES:
            found_moov = found_moov or kind == b"moov"
            _walk_boxes(data, body, pos + size, durations, top_level=False)
        elif kind in {b"mvhd", b"mdhd"} and body + 4 <= pos + size:
            duration = _header_duration(data, body, pos + size)
            if duration is not None:
                durations.append(duration)
        pos += size
    return found_moov


def _header_duration(data: bytes, body: int, end: int) -> float | None:
    version = data[body]
    if version == 1 and body + 36 <= end:
        timescale, duration = struct.unpack_from(">IQ", data, body + 20)
    elif version == 0 and body + 24 <= end:
        timescale, duration = struct.unpack_from(">II", data, body + 12)
        if duration == 0xFFFFFFFF:  # "unknown" in version 0 headers
            return None
    else:
        return None
    return duration / timescale if timescale else None


def _run_child(
    data: bytes, *, seconds_per_hash: float, timeout: float
) -> tuple[VideoFrameHash, ...]:
    limits = Limits(
        cpu_seconds=int(timeout) + 1,
        memory_bytes=MEMORY_LIMIT_BYTES,
        # The memory file holding the video counts against it; nothing else is written.
        file_bytes=len(data),
        wall_seconds=timeout,
        # At most 1,800 frame hashes of some 100 bytes of JSON each.
        output_bytes=4 * 1024 * 1024,
    )
    try:
        completed = sandbox_run(job="vpdq", data=data, limits=limits, args=[str(seconds_per_hash)])
    except ChildTimeoutError as exc:
        raise VideoTooLongError(
            "The video takes too long to decode; it may be too long or damaged."
        ) from exc
    if completed.returncode == EXIT_UNAVAILABLE:
        raise VideoHashingUnavailableError("Video hashing is not available here (vpdq missing).")
    if completed.returncode != 0:
        # FFmpeg's own messages (stderr) can quote the file's metadata: they are not kept.
        raise CorruptVideoError("The video is damaged or in a format that cannot be decoded.")
    try:
        rows = json.loads(completed.stdout)
        return tuple(
            VideoFrameHash(
                pdq_hex=str(row[0]),
                quality=int(row[1]),
                frame_number=int(row[2]),
                timestamp=float(row[3]),
            )
            for row in rows
        )
    except (ValueError, TypeError, IndexError) as exc:
        raise CorruptVideoError("The video could not be hashed.") from exc
