"""Uploaded videos: staff see a remuxed copy without location, device or dates; bad ones refused."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from reporter_support import (
    REFUSED,
    assert_khmer_error,
    assert_nothing_saved,
    browser_post,
    good_report,
    outcome,
    submit_evidence,
    upload,
    upload_dir_files,
    working_copy,
)

from hotline.hashing.video import hash_video_bytes, video_hashing_available
from hotline.intake.models import EvidenceFile
from hotline.vault import services as vault

pytestmark = pytest.mark.django_db

LOCATION = "+11.5625+104.9160/"  # somewhere in Phnom Penh: a victim's home, in a real case
MAKER = "DistinctiveMaker"
MODEL = "ModelX9Secret"
TITLE = "SokhaScreenRecording"
SUBTITLE = "SubtitleSecretText"
SECRETS = [LOCATION, MAKER, MODEL, TITLE, SUBTITLE, "2025-01-02"]
# Where the position is kept: QuickTime's text forms (©xyz, Apple's mdta key) and MP4's binary
# 3GPP location box (longitude 104.916 as 16.16 fixed point).
LOCATION_MARKERS = [
    LOCATION.encode(),
    b"\xa9xyz",
    b"com.apple.quicktime.location",
    b"loci",
    round(104.9160 * 65536).to_bytes(4, "big"),
]
# What a remuxed MP4/QuickTime file still names: its brand and each track's handler (FFmpeg's
# generic names, e.g. "VideoHandler"), vendor and language. Nothing about the reporter.
HARMLESS_FORMAT_TAGS = {"major_brand", "minor_version", "compatible_brands"}
HARMLESS_STREAM_TAGS = {"handler_name", "vendor_id", "language"}


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args], check=True)


def ffprobe(path: Path) -> dict[str, Any]:
    completed = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_format",
            "-show_streams",
            "-show_chapters",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def apple_keys() -> tuple[str, ...]:
    """Return FFmpeg options that write QuickTime `mdta` keys named as an iPhone names them."""
    keys = {"location.ISO6709": LOCATION, "make": MAKER, "model": MODEL, "software": "18.1"}
    options: list[str] = []
    for key, value in keys.items():
        options += ["-metadata", f"com.apple.quicktime.{key}={value}"]
    return (*options, "-movflags", "use_metadata_tags", "-f", "mov")


def make_clip(path: Path, *, quicktime: bool) -> bytes:
    """Generate a 2 s test pattern with sound, subtitles, a chapter and phone-like metadata.

    QuickTime gets Apple's `mdta` keys (com.apple.quicktime.location.ISO6709, make, model), as
    iPhones write them; MP4 gets the user-data location atom (©xyz).
    """
    chapters = path.with_suffix(".txt")
    chapters.write_text(f";FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1\nSTART=0\nEND=1\ntitle={TITLE}\n")
    subtitles = path.with_suffix(".srt")
    subtitles.write_text(f"1\n00:00:00,000 --> 00:00:01,500\n{SUBTITLE}\n")
    ffmpeg(
        *("-f", "lavfi", "-i", "testsrc=size=320x240:rate=25"),
        *("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=22050"),
        *("-i", str(subtitles), "-i", str(chapters)),
        *("-map", "0:v", "-map", "1:a", "-map", "2:s", "-map_chapters", "3"),
        *("-t", "2", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-c:a", "aac"),
        *("-c:s", "mov_text"),
        *("-metadata", f"title={TITLE}", "-metadata", "creation_time=2025-01-02T03:04:05Z"),
        *("-metadata:s:v", f"handler_name={MAKER} camera"),
        *(apple_keys() if quicktime else ("-metadata", f"location={LOCATION}", "-f", "mp4")),
        str(path),
    )
    data = path.read_bytes()
    # The generated file really carries what we want to see removed.
    probe = ffprobe(path)
    tags = probe["format"]["tags"]
    assert LOCATION in {tags.get("location"), tags.get("com.apple.quicktime.location.ISO6709")}
    assert any(s["codec_type"] == "subtitle" for s in probe["streams"])
    assert probe["chapters"]
    for secret in [MAKER, TITLE, SUBTITLE]:
        assert secret.encode() in data, secret
    if quicktime:
        assert b"com.apple.quicktime.location.ISO6709" in data
        assert b"com.apple.quicktime.model" in data
    else:
        assert b"loci" in data
    assert any(marker in data for marker in LOCATION_MARKERS)
    return data


@pytest.fixture(scope="module", params=["mov", "mp4"])
def clip(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    folder = tmp_path_factory.mktemp("metadata-video")
    return make_clip(folder / f"clip.{request.param}", quicktime=request.param == "mov")


def submit(data: bytes, *, keep_original: bool, name: str = "clip.mov") -> EvidenceFile:
    return submit_evidence(
        data, name=name, content_type="video/quicktime", keep_original=keep_original
    )


@pytest.mark.parametrize("keep_original", [False, True])
def test_working_copy_has_no_location_device_or_dates_and_still_plays(
    clip: bytes, keep_original: bool, tmp_path: Path
) -> None:
    record = submit(clip, keep_original=keep_original)
    working = working_copy(record)
    for secret in SECRETS:
        assert secret.encode() not in working, secret
    for marker in LOCATION_MARKERS:
        assert marker not in working, marker
    assert b"Lavf" not in working  # not even FFmpeg's own name
    path = tmp_path / "working"
    path.write_bytes(working)
    probe = ffprobe(path)
    assert set(probe["format"].get("tags", {})) <= HARMLESS_FORMAT_TAGS
    assert probe["chapters"] == []
    # Video and sound only, copied as they were: same codecs, size and length.
    source = tmp_path / "source"
    source.write_bytes(clip)
    before = {s["codec_type"]: s for s in ffprobe(source)["streams"]}
    after = {s["codec_type"]: s for s in probe["streams"]}
    assert set(after) == {"video", "audio"}
    for kind, stream in after.items():
        assert set(stream.get("tags", {})) <= HARMLESS_STREAM_TAGS, stream["tags"]
        assert "creation_time" not in stream.get("tags", {})
        assert stream["codec_name"] == before[kind]["codec_name"]
        assert stream["nb_frames"] == before[kind]["nb_frames"]
    assert (after["video"]["width"], after["video"]["height"]) == (320, 240)
    assert float(probe["format"]["duration"]) == pytest.approx(2.0, abs=0.1)
    # Every frame decodes.
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-xerror", "-i", str(path), "-f", "null", "-"],
        check=True,
    )


@pytest.mark.skipif(not video_hashing_available(), reason="vpdq (the video extra) not installed")
def test_the_working_copy_has_the_same_frames_for_hashing(clip: bytes) -> None:
    # Background hashing reads the working copy: remuxing must not change a frame.
    record = submit(clip, keep_original=False)
    assert hash_video_bytes(working_copy(record)).frames == hash_video_bytes(clip).frames


def test_original_is_not_kept_unless_the_reporter_asks(clip: bytes) -> None:
    record = submit(clip, keep_original=False)
    assert record.original_name is None
    assert len(upload_dir_files()) == 1


def test_original_is_kept_exactly_and_encrypted_when_the_reporter_asks(clip: bytes) -> None:
    record = submit(clip, keep_original=True)
    kept = vault.file_read(name=record.original_name or "", context=record.context + ":original")
    assert kept == clip
    files = upload_dir_files()
    assert len(files) == 2
    for path in files:
        raw = path.read_bytes()
        assert LOCATION.encode() not in raw
        assert b"ftyp" not in raw[:64]


@pytest.mark.parametrize("keep_original", [False, True])
def test_hashes_are_of_the_original_bytes(clip: bytes, keep_original: bool) -> None:
    record = submit(clip, keep_original=keep_original)
    assert record.md5 == hashlib.md5(clip).hexdigest()
    assert record.sha256 == hashlib.sha256(clip).hexdigest()
    assert record.sha256 != hashlib.sha256(working_copy(record)).hexdigest()
    assert record.size == len(clip)


# --- refused files -------------------------------------------------------------------------


def damaged_km(name: str) -> str:
    return f"វីដេអូ “{name}” ខូច ឬមានទម្រង់ដែលយើងមិនអាចប្រើបាន។ អ្នកអាចផ្ញើរូបថតអេក្រង់ពីវីដេអូនោះជំនួសវិញ។"


def post_video(name: str, data: bytes) -> tuple[int | str, str]:
    client = Client()
    response = browser_post(
        client, "/report/", good_report(client, evidence_files=[upload(name, data, "video/mp4")])
    )
    return outcome(response), response.content.decode()


def boxes(data: bytes) -> dict[bytes, tuple[int, int]]:
    """Return the top-level boxes of an MP4 file: kind -> (offset, size)."""
    found, pos = {}, 0
    while pos < len(data):
        size = int.from_bytes(data[pos : pos + 4], "big")
        found[data[pos + 4 : pos + 8]] = (pos, size)
        pos += size
    return found


def damaged_videos(clip: bytes) -> dict[str, bytes]:
    layout = boxes(clip)
    ftyp_end = sum(layout[b"ftyp"])
    mdat_at, mdat_size = layout[b"mdat"]
    return {
        "garbage.mp4": clip[:ftyp_end] + bytes(range(256)) * 64,
        # Header only: cut off before the index (moov) that phones write at the end.
        "cut.mp4": clip[: mdat_at + mdat_size // 2],
        # The index is there, the frames are zeros: FFmpeg copies nothing.
        "zeros.mp4": clip[: mdat_at + 8] + bytes(mdat_size - 8) + clip[mdat_at + mdat_size :],
        # An index whose sample table claims far more than the file holds.
        "lies.mp4": clip.replace(b"stsz", b"stsq", 1),
    }


@pytest.mark.parametrize("name", ["garbage.mp4", "cut.mp4", "zeros.mp4", "lies.mp4"])
def test_a_damaged_video_is_refused_and_nothing_saved(clip: bytes, name: str) -> None:
    status, html = post_video(name, damaged_videos(clip)[name])
    assert status == REFUSED
    assert_khmer_error(html, damaged_km(name))
    assert_nothing_saved()


def test_without_ffmpeg_videos_are_refused_with_a_clear_message(
    clip: bytes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # As on a server where the ffmpeg package is not installed: nothing on PATH.
    monkeypatch.setenv("PATH", str(tmp_path))
    status, html = post_video("clip.mp4", clip)
    assert status == REFUSED
    assert_khmer_error(
        html,
        "ពេលនេះ យើងមិនអាចទទួលឯកសារ “clip.mp4” បានទេ។ អ្នកអាចផ្ញើរូបថតអេក្រង់ជំនួសវិញ។",
    )
    assert_nothing_saved()
