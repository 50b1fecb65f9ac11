"""Uploaded PDFs: staff see a copy without metadata; hostile or unreadable PDFs are refused."""

from __future__ import annotations

import hashlib
import io
import re
import zlib
from collections.abc import Callable

import numpy as np
import pikepdf
import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pikepdf import Array, Dictionary, Name, String
from PIL import ExifTags, Image
from reporter_support import (
    REFUSED,
    assert_khmer_error,
    assert_nothing_saved,
    browser_post,
    good_report,
    outcome,
    receipt_code,
    submit_evidence,
    upload,
    upload_dir_files,
    working_copy,
)

from hotline.intake.models import EvidenceFile, Report
from hotline.intake.scrub.pdf_child import jpeg_without_metadata
from hotline.vault import services as vault

pytestmark = pytest.mark.django_db

AUTHOR = "SokhaDistinctiveAuthor"
CREATOR_TOOL = "SecretPhoneScanner"
OLD_REVISION = "EarlierRevisionSecret"
COMMENT_AUTHOR = "CommentWriterName"
ATTACHED = b"AttachedFileSecret"
TRACKER = "https://tracker.invalid/opened"
PAGE_TEXT = [b"He asked for 200 dollars on Telegram", b"Page two of the chat"]
CAMERA = "DistinctiveCameraMaker"
PHOTO_COMMENT = "PhotoCommentSecret"
PHONE_TRAILER = b"SEFTPhoneTrailerSecret"
# Everything that must leave the working copy, as it appears in the original's bytes.
SECRETS = [
    AUTHOR,
    CREATOR_TOOL,
    OLD_REVISION,
    COMMENT_AUTHOR,
    "app.alert",
    ATTACHED.decode(),
    TRACKER,
    CAMERA,
    PHOTO_COMMENT,
    PHONE_TRAILER.decode(),
    "Exif",
]


def photo_with_exif() -> bytes:
    """Generate a JPEG photo with its camera, GPS position and a comment, plus trailing data."""
    rng = np.random.default_rng(5)
    pixels = rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = CAMERA
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (11.0, 33.0, 15.5)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="JPEG", exif=exif, comment=PHOTO_COMMENT)
    return out.getvalue() + PHONE_TRAILER  # some phones append their own data after the end


def xmp_packet(creator: str) -> bytes:
    return (
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:creator><rdf:Seq><rdf:li>{creator}</rdf:li></rdf:Seq></dc:creator>"
        '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


def pdf_with_metadata() -> bytes:
    """Generate a two-page PDF carrying its author and tools in every place we know of."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)
    )
    for text in PAGE_TEXT:
        page = pdf.add_blank_page(page_size=(300, 200))
        page.obj.Resources = Dictionary(Font=Dictionary(F1=font))
        page.obj.Contents = pdf.make_stream(b"BT /F1 10 Tf 10 100 Td (" + text + b") Tj ET")
        page.obj.Metadata = pdf.make_stream(xmp_packet(AUTHOR))  # page-level XMP
        page.obj.PieceInfo = Dictionary(Editor=Dictionary(Private=String(CREATOR_TOOL)))
    # A photo on the second page, as "print to PDF" of a phone's photos makes.
    photo = pikepdf.Stream(pdf, photo_with_exif())
    photo.Type, photo.Subtype, photo.Filter = Name.XObject, Name.Image, Name.DCTDecode
    photo.Width, photo.Height, photo.BitsPerComponent = 64, 48, 8
    photo.ColorSpace = Name.DeviceRGB
    second = pdf.pages[1].obj
    second.Resources.XObject = Dictionary(Photo=photo)
    second.Contents = pdf.make_stream(
        second.Contents.read_bytes() + b" q 64 0 0 48 100 20 cm /Photo Do Q"
    )
    first = pdf.pages[0].obj
    first.Annots = Array(
        [
            # A comment: its /T is its author's name.
            Dictionary(
                Type=Name.Annot,
                Subtype=Name.Text,
                Rect=Array([10, 10, 30, 30]),
                Contents=String("see the chat"),
                T=String(COMMENT_AUTHOR),
                M=String("D:20250102030405+07'00'"),
            ),
            # A link: a click in staff's viewer would tell that server the hotline looked.
            Dictionary(
                Type=Name.Annot,
                Subtype=Name.Link,
                Rect=Array([10, 90, 200, 110]),
                A=Dictionary(S=Name.URI, URI=String(TRACKER)),
            ),
        ]
    )
    pdf.Root.OpenAction = Dictionary(S=Name.JavaScript, JS=String("app.alert('hello')"))
    pdf.attachments["notes.txt"] = pikepdf.AttachedFileSpec(pdf, ATTACHED)
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["dc:creator"] = [AUTHOR]
        meta["xmp:CreatorTool"] = CREATOR_TOOL
    # After the XMP, which would otherwise be copied over it.
    pdf.docinfo["/Author"] = AUTHOR
    pdf.docinfo["/Creator"] = CREATOR_TOOL
    pdf.docinfo["/Producer"] = CREATOR_TOOL + " PDF engine"
    pdf.docinfo["/Subject"] = OLD_REVISION
    pdf.docinfo["/CreationDate"] = "D:20250102030405+07'00'"
    out = io.BytesIO()
    # Uncompressed, in a classic cross-reference table: the strings are visible in the bytes
    # and an incremental update can be appended by hand below.
    pdf.save(
        out,
        compress_streams=False,
        object_stream_mode=pikepdf.ObjectStreamMode.disable,
    )
    data = out.getvalue()
    with pikepdf.open(io.BytesIO(data)) as written:  # qpdf numbers objects anew when saving
        info_number = written.trailer.Info.objgen[0]
    return with_incremental_update(data, info_number)


def with_incremental_update(base: bytes, info_number: int) -> bytes:
    """Append a revision that replaces the information dictionary, as editors save changes.

    The earlier dictionary (with OLD_REVISION) stays in the file's bytes, unreferenced.
    """
    previous = int(re.findall(rb"startxref\s+(\d+)", base)[-1])
    size = int(re.findall(rb"/Size (\d+)", base)[-1])
    root = re.findall(rb"/Root (\d+ \d+ R)", base)[-1]
    identifier = re.findall(rb"/ID \[[^\]]*\]", base)[-1]
    body = b"\n%d 0 obj\n<< /Author (%s) /Producer (%s) >>\nendobj\n" % (
        info_number,
        AUTHOR.encode(),
        CREATOR_TOOL.encode(),
    )
    offset = len(base) + 1
    xref = len(base) + len(body)
    return (
        base
        + body
        + b"xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \n" % (info_number, offset)
        + b"trailer\n<< /Size %d /Root %s /Info %d 0 R %s /Prev %d >>\n"
        % (size, root, info_number, identifier, previous)
        + b"startxref\n%d\n%%%%EOF\n" % xref
    )


@pytest.fixture(scope="module")
def original() -> bytes:
    data = pdf_with_metadata()
    # The generated file really carries what we want to see removed, and opens.
    for secret in SECRETS:
        assert secret.encode() in data, secret
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert str(pdf.docinfo["/Author"]) == AUTHOR  # the latest revision is read
        assert "/Subject" not in pdf.docinfo  # the earlier one is only in the bytes
        assert len(pdf.pages) == 2
    return data


def submit(data: bytes, *, keep_original: bool, name: str = "chat.pdf") -> EvidenceFile:
    return submit_evidence(
        data, name=name, content_type="application/pdf", keep_original=keep_original
    )


@pytest.mark.parametrize("keep_original", [False, True])
def test_working_copy_has_no_metadata_and_still_opens(original: bytes, keep_original: bool) -> None:
    record = submit(original, keep_original=keep_original)
    assert record.content_type == "application/pdf"
    working = working_copy(record)
    for secret in SECRETS:
        assert secret.encode() not in working, secret
    with pikepdf.open(io.BytesIO(working)) as pdf:
        assert "/Info" not in pdf.trailer
        assert pdf.docinfo.keys() == set()
        for obj in pdf.objects:
            if isinstance(obj, Dictionary | pikepdf.Stream):
                assert "/Metadata" not in obj
                assert "/PieceInfo" not in obj
        with pdf.open_metadata() as meta:
            assert len(meta) == 0
        assert "/OpenAction" not in pdf.Root
        assert len(pdf.attachments) == 0
        # Same pages, same content: only what surrounds them is gone.
        assert len(pdf.pages) == 2
        for page, text in zip(pdf.pages, PAGE_TEXT, strict=True):
            assert text in page.obj.Contents.read_bytes()
            assert page.mediabox == [0, 0, 300, 200]
        comment = pdf.pages[0].obj.Annots[0]
        assert str(comment.Contents) == "see the chat"
        assert "/T" not in comment
        assert "/M" not in comment
        # The photo: the same picture, without what the camera wrote into it.
        photo = pdf.pages[1].obj.Resources.XObject.Photo.read_raw_bytes()
        with pikepdf.open(io.BytesIO(original)) as source:
            before = source.pages[1].obj.Resources.XObject.Photo.read_raw_bytes()
        with Image.open(io.BytesIO(photo)) as clean, Image.open(io.BytesIO(before)) as sent:
            assert clean.tobytes() == sent.tobytes()
            assert dict(clean.getexif()) == {}
            assert "comment" not in clean.info
        assert photo.endswith(b"\xff\xd9")
        link = pdf.pages[0].obj.Annots[1]
        assert link.Subtype == Name.Link  # still there (and its text on the page), inert
        assert "/A" not in link
        # A new identifier, not the one the reporter's device gave the file.
        with pikepdf.open(io.BytesIO(original)) as source:
            assert bytes(pdf.trailer.ID[0]) != bytes(source.trailer.ID[0])
        assert pdf.check_pdf_syntax() == []  # what `qpdf --check` checks: well-formed


def test_original_is_not_kept_unless_the_reporter_asks(original: bytes) -> None:
    record = submit(original, keep_original=False)
    assert record.original_name is None
    assert len(upload_dir_files()) == 1


def test_original_is_kept_exactly_and_encrypted_when_the_reporter_asks(original: bytes) -> None:
    record = submit(original, keep_original=True)
    assert record.original_name
    kept = vault.file_read(name=record.original_name, context=record.context + ":original")
    assert kept == original
    files = upload_dir_files()
    assert len(files) == 2
    for path in files:
        raw = path.read_bytes()
        assert AUTHOR.encode() not in raw
        assert b"%PDF-" not in raw[:64]


@pytest.mark.parametrize("keep_original", [False, True])
def test_hashes_are_of_the_original_bytes(original: bytes, keep_original: bool) -> None:
    record = submit(original, keep_original=keep_original)
    assert record.md5 == hashlib.md5(original).hexdigest()
    assert record.sha256 == hashlib.sha256(original).hexdigest()
    assert record.sha256 != hashlib.sha256(working_copy(record)).hexdigest()
    assert record.size == len(original)
    assert record.pdq == ""


# --- refused files -------------------------------------------------------------------------


def damaged_km(name: str) -> str:
    return (
        f"ឯកសារ PDF “{name}” ខូច ឬស្មុគស្មាញពេក ដូច្នេះយើងមិនអាចប្រើវាបានទេ។ "
        "អ្នកអាចផ្ញើរូបថតអេក្រង់នៃទំព័ររបស់វាជំនួសវិញ។"
    )


def locked_km(name: str) -> str:
    return (
        f"ឯកសារ PDF “{name}” ត្រូវបានចាក់សោដោយពាក្យសម្ងាត់។ "
        "សូមផ្ញើវាម្តងទៀតដោយគ្មានពាក្យសម្ងាត់ ឬផ្ញើរូបថតអេក្រង់នៃទំព័ររបស់វា។"
    )


def post_pdf(name: str, data: bytes) -> tuple[int | str, str]:
    client = Client()
    response = browser_post(
        client,
        "/report/",
        good_report(client, evidence_files=[upload(name, data, "application/pdf")]),
    )
    return outcome(response), response.content.decode()


def saved(pdf: pikepdf.Pdf, **options: object) -> bytes:
    out = io.BytesIO()
    pdf.save(out, **options)  # type: ignore[arg-type]
    return out.getvalue()


def flate_zeros(mebibytes: int) -> bytes:
    """Return a zlib stream of `mebibytes` MiB of zeros, built without compressing them all.

    After a full flush the compressor starts afresh, so every further MiB of zeros compresses
    to the same bytes; an empty final block and the Adler-32 of n zeros ((n mod 65521) << 16
    | 1) close the stream.
    """
    block = bytes(1 << 20)
    compressor = zlib.compressobj(9)
    first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    length = mebibytes << 20
    adler = ((length % 65521) << 16) | 1
    return first + again * (mebibytes - 1) + b"\x03\x00" + adler.to_bytes(4, "big")


def test_flate_zeros_is_a_valid_zlib_stream() -> None:
    assert zlib.decompress(flate_zeros(3)) == bytes(3 << 20)


def pdf_with_stream(raw: bytes, **keys: object) -> bytes:
    pdf = pikepdf.new()
    page = pdf.add_blank_page()
    image = pikepdf.Stream(pdf, raw)
    for key, value in keys.items():
        image[Name("/" + key)] = value
    page.obj.Resources = Dictionary(XObject=Dictionary(Im0=image))
    page.obj.Contents = pdf.make_stream(b"q 100 0 0 100 0 0 cm /Im0 Do Q")
    return saved(pdf)


def image_keys(width: int, height: int, filter_name: Name) -> dict[str, object]:
    return {
        "Type": Name.XObject,
        "Subtype": Name.Image,
        "Width": width,
        "Height": height,
        "ColorSpace": Name.DeviceGray,
        "BitsPerComponent": 8,
        "Filter": filter_name,
    }


def many_objects(count: int) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.Root.Junk = Array([pdf.make_indirect(Dictionary(N=i)) for i in range(count)])
    return saved(pdf, object_stream_mode=pikepdf.ObjectStreamMode.generate)


def deeply_nested(depth: int) -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /Deep "
        + b"[" * depth
        + b"]" * depth
        + b" >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
        b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>\nendobj\n"
        b"trailer\n<< /Root 1 0 R /Size 4 >>\n%%EOF\n"
    )


HOSTILE: dict[str, Callable[[], bytes]] = {
    "garbage.pdf": lambda: b"%PDF-1.7\n" + bytes(range(256)) * 40,
    "header-only.pdf": lambda: b"%PDF-1.4\n",
    "cut.pdf": lambda: pdf_with_metadata()[:2000],
    "nested.pdf": lambda: deeply_nested(50_000),
    "objects.pdf": lambda: many_objects(101_000),
    # 300 MiB once decompressed (over the limit per stream), and 4 GiB (over the memory limit).
    "bomb.pdf": lambda: pdf_with_stream(flate_zeros(300), Filter=Name.FlateDecode),
    "bigbomb.pdf": lambda: pdf_with_stream(flate_zeros(4096), Filter=Name.FlateDecode),
    # A picture of 10 billion pixels, for staff's viewer to decode.
    "pixels.pdf": lambda: pdf_with_stream(
        b"\xff\xd8\xff\xd9", **image_keys(100_000, 100_000, Name.DCTDecode)
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_unreadable_or_hostile_pdf_is_refused_and_nothing_saved(name: str) -> None:
    status, html = post_pdf(name, HOSTILE[name]())
    assert status == REFUSED
    assert_khmer_error(html, damaged_km(name))
    assert_nothing_saved()


def test_a_pdf_locked_with_a_password_is_refused_with_its_own_message() -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    locked = saved(pdf, encryption=pikepdf.Encryption(owner="owner", user="open sesame"))
    status, html = post_pdf("locked.pdf", locked)
    assert status == REFUSED
    assert_khmer_error(html, locked_km("locked.pdf"))
    assert_nothing_saved()


def test_a_pdf_with_only_an_owner_password_is_kept_without_its_encryption() -> None:
    # Opens without a password (it only restricts printing or copying): staff can read it.
    pdf = pikepdf.new()
    pdf.add_blank_page()
    restricted = saved(pdf, encryption=pikepdf.Encryption(owner="owner", user=""))
    record = submit(restricted, keep_original=False)
    with pikepdf.open(io.BytesIO(working_copy(record))) as clean:
        assert not clean.is_encrypted
        assert len(clean.pages) == 1


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=st.one_of(
        st.binary(max_size=3000),
        # Pieces of a real PDF, cut and shuffled: gets further into the parser than noise.
        st.lists(st.sampled_from(re.split(rb"(?<=\n)", pdf_with_metadata())), max_size=60).map(
            b"".join
        ),
    )
)
def test_garbage_labelled_as_pdf_never_fails_the_form(body: bytes) -> None:
    reports, files = Report.objects.count(), len(upload_dir_files())
    status, html = post_pdf("x.pdf", b"%PDF-1.7\n" + body)
    assert status in {200, 400, REFUSED}
    if status == REFUSED:
        assert damaged_km("x.pdf") in html
        assert (Report.objects.count(), len(upload_dir_files())) == (reports, files)
    else:  # qpdf recovered a document from the pieces: its copy is clean
        record = EvidenceFile.objects.latest("pk")
        with pikepdf.open(io.BytesIO(working_copy(record))) as pdf:
            assert "/Info" not in pdf.trailer


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=200), segments=st.lists(st.integers(0xC0, 0xFF), max_size=5))
def test_jpeg_metadata_removal_never_fails_on_odd_data(body: bytes, segments: list[int]) -> None:
    data = b"\xff\xd8" + b"".join(bytes([0xFF, m, 0, 4, 1, 2]) for m in segments) + body
    clean = jpeg_without_metadata(data)
    assert clean.startswith(b"\xff\xd8")
    assert len(clean) <= len(data)


def test_a_pdf_added_later_on_the_status_page_is_cleaned_too(original: bytes) -> None:
    client = Client()
    code = receipt_code(browser_post(client, "/report/", good_report(client)).content.decode())
    response = browser_post(
        client,
        "/status/reply/",
        {"code": code, "evidence_files": [upload("later.pdf", original, "application/pdf")]},
    )
    assert response.status_code == 200
    working = working_copy(EvidenceFile.objects.get())
    for secret in SECRETS:
        assert secret.encode() not in working, secret
    with pikepdf.open(io.BytesIO(working)) as pdf:
        assert len(pdf.pages) == 2
