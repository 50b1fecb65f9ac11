"""Uploaded videos are hashed with vPDQ in the background and their frames matched like images."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hotline.hashing.hashers import hash_image_bytes
from hotline.hashing.models import BankCategory, HashType, ReportMatch, VideoHashing
from hotline.hashing.reports import report_hashes_match, report_videos_hash
from hotline.hashing.services import bank_create, entry_add
from hotline.hashing.video import hash_video_bytes
from hotline.intake.evidence import evidence_prepare
from hotline.intake.models import EvidenceHash
from hotline.intake.services import ReportInput, report_submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _index_dir(tmp_path: Path, settings: object) -> None:
    settings.HASHING_INDEX_DIR = tmp_path / "pdq-index"  # type: ignore[attr-defined]


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic 5 s clip (FFmpeg's mandelbrot pattern) in MP4."""
    path = tmp_path_factory.mktemp("intake-video") / "clip.mp4"
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "mandelbrot=size=320x240:rate=25",
        "-t",
        "5",
        "-pix_fmt",
        "yuv420p",
        str(path),
    )
    return path


def submit_video(data: bytes, name: str = "clip.mp4") -> int:
    prepared = evidence_prepare(filename=name, data=data)
    assert prepared.content_type == "video/mp4"
    report = report_submit(
        data=ReportInput(reporter_role="myself", categories=["sextortion"]), evidence=[prepared]
    ).report
    return report.pk


def test_video_frames_are_filed_and_match_a_known_frame(clip: Path, tmp_path: Path) -> None:
    # A bank holds the PDQ of one still taken from a smaller re-encoded copy, at 3 s.
    still = tmp_path / "still.png"
    ffmpeg("-i", str(clip), "-vf", r"scale=240:180,select=eq(n\,75)", "-vframes", "1", str(still))
    known = hash_image_bytes(still.read_bytes())
    bank = bank_create(name="known videos", category=BankCategory.CSAM)
    entry_add(bank=bank, hash_type=HashType.PDQ, value=known.pdq_hex, label="known clip")

    data = clip.read_bytes()
    report_id = submit_video(data)
    outcome = report_hashes_match(report_id)

    expected = hash_video_bytes(data).distinct_pdq()
    filed = dict(
        EvidenceHash.objects.filter(report_id=report_id, kind="pdq").values_list("value", "quality")
    )
    assert filed == expected
    assert len(filed) == 5
    marker = VideoHashing.objects.get(evidence__report_id=report_id)
    assert (marker.outcome, marker.frames, marker.distinct_pdq) == ("hashed", 5, 5)
    assert outcome.bank_matches == 1
    match = ReportMatch.objects.get(report_id=report_id)
    assert match.hash_type == HashType.PDQ
    assert match.distance <= 31

    # Hashed once: a rematch (after a bank import, a redelivery) does not decode it again.
    assert report_videos_hash(report_id) == 0
    assert report_hashes_match(report_id).new_matches == 0
    assert VideoHashing.objects.filter(evidence__report_id=report_id).count() == 1


def test_the_same_video_links_two_reports(clip: Path) -> None:
    first = submit_video(clip.read_bytes())
    report_hashes_match(first)
    second = submit_video(clip.read_bytes(), name="again.mp4")
    assert report_hashes_match(second).linked_reports == (first,)


def test_a_video_without_frames_keeps_its_exact_hashes(tmp_path: Path) -> None:
    # Intake refuses a damaged container (it cannot be remuxed without its metadata); a sound
    # recording in MP4 is accepted as a video and has no frame to hash.
    sound = tmp_path / "voice.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "sine=frequency=440", "-t", "2", "-c:a", "aac", "-f", "mp4", str(sound)
    )
    report_id = submit_video(sound.read_bytes(), name="voice.mp4")
    report_hashes_match(report_id)
    marker = VideoHashing.objects.get(evidence__report_id=report_id)
    assert marker.outcome == "corrupt"
    assert not EvidenceHash.objects.filter(report_id=report_id).exists()
    assert report_videos_hash(report_id) == 0
