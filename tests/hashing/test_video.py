"""vPDQ video hashing: frame hashes, robustness to re-encoding, per-file errors, no vpdq."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from hotline.hashing.hashers import hash_image_bytes
from hotline.hashing.video import (
    CorruptVideoError,
    EmptyVideoError,
    TruncatedVideoError,
    VideoHashes,
    VideoTooLargeError,
    VideoTooLongError,
    declared_duration,
    hash_video_bytes,
)

PDQ_THRESHOLD = 31


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *args], check=True)


def distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def child_processes() -> list[int]:
    """Return the ids of this process's children, running or not yet reaped (Linux)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # ended meanwhile
        if parent == os.getpid():
            found.append(int(stat.parent.name))
    return sorted(found)


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Synthetic clips only (FFmpeg's test patterns), 6 s, 25 frames/s."""
    d = tmp_path_factory.mktemp("videos")
    out = {
        "mandelbrot": d / "mandelbrot.mp4",
        "testsrc2": d / "testsrc2.mp4",
        "mandelbrot_small": d / "mandelbrot_small.mp4",
        "testsrc2_small": d / "testsrc2_small.mp4",
        "faststart": d / "faststart.mp4",
    }
    for name in ("mandelbrot", "testsrc2"):
        source = (
            "mandelbrot=size=320x240:rate=25"
            if name == "mandelbrot"
            else ("testsrc2=size=320x240:rate=25")
        )
        ffmpeg("-f", "lavfi", "-i", source, "-t", "6", "-pix_fmt", "yuv420p", str(out[name]))
        # A re-encoded copy: 3/4 scale, low bitrate, another codec profile.
        ffmpeg(
            "-i",
            str(out[name]),
            "-vf",
            "scale=240:180",
            "-b:v",
            "120k",
            "-pix_fmt",
            "yuv420p",
            str(out[f"{name}_small"]),
        )
    ffmpeg(
        "-i", str(out["testsrc2"]), "-c", "copy", "-movflags", "+faststart", str(out["faststart"])
    )
    return out


def test_frames_are_one_per_second_and_deterministic(videos: dict[str, Path]) -> None:
    data = videos["mandelbrot"].read_bytes()
    first = hash_video_bytes(data)
    second = hash_video_bytes(data)
    assert first == second
    assert first.md5 == hashlib.md5(data).hexdigest()
    assert first.sha256 == hashlib.sha256(data).hexdigest()
    assert [f.timestamp for f in first.frames] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert [f.frame_number for f in first.frames] == [0, 25, 50, 75, 100, 125]
    assert all(len(f.pdq_hex) == 64 and int(f.pdq_hex, 16) >= 0 for f in first.frames)
    assert all(0 <= f.quality <= 100 for f in first.frames)
    # The zoom moves: the frames differ from one another.
    assert len(first.distinct_pdq()) == len(first.frames)


def test_frame_hash_equals_image_pdq_of_the_same_frame(
    videos: dict[str, Path], tmp_path: Path
) -> None:
    """vPDQ frames are plain PDQ: they match image banks and image evidence directly."""
    frame = tmp_path / "frame.png"
    ffmpeg("-i", str(videos["testsrc2"]), "-vf", r"select=eq(n\,50)", "-vframes", "1", str(frame))
    image = hash_image_bytes(frame.read_bytes())
    video = hash_video_bytes(videos["testsrc2"].read_bytes())
    at_two_seconds = next(f for f in video.frames if f.frame_number == 50)
    assert distance(at_two_seconds.pdq_hex, image.pdq_hex) == 0
    assert at_two_seconds.quality == image.quality


@pytest.mark.parametrize("name", ["mandelbrot", "testsrc2"])
def test_reencoded_copy_matches_frame_by_frame(videos: dict[str, Path], name: str) -> None:
    original = hash_video_bytes(videos[name].read_bytes())
    copy = hash_video_bytes(videos[f"{name}_small"].read_bytes())
    assert original.sha256 != copy.sha256
    assert [f.timestamp for f in copy.frames] == [f.timestamp for f in original.frames]
    # Frame by frame: each frame of the copy matches the original's frame of the same second,
    # and no other (so a copy hashed at other moments, or out of order, would fail here).
    matches = [
        [distance(a.pdq_hex, b.pdq_hex) <= PDQ_THRESHOLD for b in copy.frames]
        for a in original.frames
    ]
    identity = [[i == j for j in range(len(copy.frames))] for i in range(len(original.frames))]
    assert matches == identity, [
        [distance(a.pdq_hex, b.pdq_hex) for b in copy.frames] for a in original.frames
    ]


def test_different_videos_do_not_match(videos: dict[str, Path]) -> None:
    a = hash_video_bytes(videos["mandelbrot"].read_bytes())
    b = hash_video_bytes(videos["testsrc2"].read_bytes())
    closest = [min(distance(x.pdq_hex, y.pdq_hex) for y in b.frames) for x in a.frames]
    assert min(closest) > PDQ_THRESHOLD, closest


def test_errors(videos: dict[str, Path]) -> None:
    data = videos["testsrc2"].read_bytes()
    with pytest.raises(EmptyVideoError):
        hash_video_bytes(b"")
    with pytest.raises(CorruptVideoError):
        hash_video_bytes(b"not a video at all" * 10)
    # An MP4 file type box and a padding box: well formed, but no movie header.
    ftyp = data[: int.from_bytes(data[:4], "big")]
    with pytest.raises(CorruptVideoError, match="no movie header"):
        hash_video_bytes(ftyp + (4096 + 8).to_bytes(4, "big") + b"free" + bytes(4096))
    with pytest.raises(TruncatedVideoError):
        hash_video_bytes(data[: len(data) // 2])
    with pytest.raises(VideoTooLargeError):
        hash_video_bytes(data, max_bytes=len(data) - 1)
    with pytest.raises(VideoTooLongError, match="lasts 6 s"):
        hash_video_bytes(data, max_seconds=3)
    # The child that decodes is killed at the deadline (and reaped: no process is left).
    before = child_processes()
    with pytest.raises(VideoTooLongError, match="too long to decode"):
        hash_video_bytes(data, timeout=0.05)
    assert child_processes() == before


def test_truncated_faststart_video_is_an_error(
    videos: dict[str, Path],
) -> None:
    data = videos["faststart"].read_bytes()
    assert declared_duration(data) == pytest.approx(6.0, abs=0.1)
    assert len(hash_video_bytes(data).frames) == 6
    cut = data[: int(len(data) * 0.4)]
    with pytest.raises(TruncatedVideoError):
        hash_video_bytes(cut)
    # The same cut with the media box marked "runs to the end of the file" passes the box walk;
    # FFmpeg then fails on the missing samples.
    mdat = data.index(b"mdat") - 4
    relabelled = cut[:mdat] + bytes(4) + cut[mdat + 4 :]
    assert declared_duration(relabelled) == pytest.approx(6.0, abs=0.1)
    with pytest.raises(CorruptVideoError):
        hash_video_bytes(relabelled)


def test_video_shorter_than_its_header_declares_is_truncated(videos: dict[str, Path]) -> None:
    data = bytearray(videos["faststart"].read_bytes())
    body = data.index(b"mvhd") + 4
    assert data[body] == 0  # version 0: 32-bit timescale and duration
    timescale = int.from_bytes(data[body + 12 : body + 16], "big")
    data[body + 16 : body + 20] = (18 * timescale).to_bytes(4, "big")
    assert declared_duration(bytes(data)) == pytest.approx(18.0)
    with pytest.raises(TruncatedVideoError):
        hash_video_bytes(bytes(data))


def run_hash(*paths: Path | str) -> tuple[list[dict[str, object]], CommandError | None]:
    out = io.StringIO()
    error: CommandError | None = None
    try:
        call_command("hash", *map(str, paths), stdout=out)
    except CommandError as exc:
        error = exc
    return [json.loads(line) for line in out.getvalue().splitlines()], error


def test_hash_command_handles_videos_and_goes_on(videos: dict[str, Path], tmp_path: Path) -> None:
    truncated = tmp_path / "cut.mp4"
    truncated.write_bytes(videos["mandelbrot"].read_bytes()[:3000])
    frame = tmp_path / "frame.png"
    ffmpeg("-i", str(videos["mandelbrot"]), "-vframes", "1", str(frame))

    results, error = run_hash(truncated, videos["mandelbrot"], frame)

    assert error is not None
    assert "1 of 3" in str(error)
    assert results[0]["error"] == "truncated"
    assert results[0]["sha256"] == hashlib.sha256(truncated.read_bytes()).hexdigest()
    expected: VideoHashes = hash_video_bytes(videos["mandelbrot"].read_bytes())
    assert results[1] == {
        "path": str(videos["mandelbrot"]),
        "md5": expected.md5,
        "sha256": expected.sha256,
        "vpdq": [
            {
                "pdq": f.pdq_hex,
                "quality": f.quality,
                "frame": f.frame_number,
                "timestamp": f.timestamp,
            }
            for f in expected.frames
        ],
    }
    # Images keep their flat form.
    assert set(results[2]) == {"path", "md5", "sha256", "pdq", "quality"}
    assert results[2]["pdq"] == expected.frames[0].pdq_hex


def test_without_vpdq_the_app_runs_and_says_video_hashing_is_unavailable(
    videos: dict[str, Path], tmp_path: Path
) -> None:
    """A plain install (no vpdq): imports work, images hash, videos say why not."""
    frame = tmp_path / "frame.png"
    ffmpeg("-i", str(videos["mandelbrot"]), "-vframes", "1", str(frame))
    script = f"""
import sys
sys.modules["vpdq"] = None  # what an install without the `video` extra looks like
import django
django.setup()
from django.core.management import call_command
import hotline.intake.evidence, hotline.hashing.reports, hotline.hashing.tasks, hotline.urls
try:
    call_command("hash", {str(videos["mandelbrot"])!r}, {str(frame)!r})
except Exception as exc:
    print("ERROR", type(exc).__name__, exc)
"""
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, env=os.environ
    )
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    result = json.loads(lines[0])
    assert result["error"] == "video_unavailable"
    assert "not available" in result["message"]
    assert result["sha256"] == hashlib.sha256(videos["mandelbrot"].read_bytes()).hexdigest()
    image = json.loads(lines[1])
    assert "error" not in image
    assert image["pdq"] == hash_image_bytes(frame.read_bytes()).pdq_hex
    # Only the video failed.
    assert lines[2] == "ERROR CommandError 1 of 2 file(s) could not be hashed."
