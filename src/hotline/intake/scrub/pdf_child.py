"""Child job `pdf` (run by `hotline.sandbox.child`): remove a PDF's metadata.

Reads the PDF on stdin and writes the cleaned PDF on stdout; the exit status says why a file was
refused. Nothing is written to disk (RLIMIT_FSIZE is 0, and Landlock allows no writing). qpdf
(through pikepdf) parses untrusted input here, never in a web or worker process: a crash, a hang
or a decompression bomb costs this child only.
"""

from __future__ import annotations

import io
import sys
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import pikepdf

EXIT_DAMAGED: Final = 2
EXIT_ENCRYPTED: Final = 3
EXIT_TOO_COMPLEX: Final = 4
EXIT_UNAVAILABLE: Final = 5

# Generous for real documents (a 500-page text PDF has some 10,000 objects); a 10 MB file of
# empty objects could hold a million, each costing time (a 10 MB file of 100,000 objects takes
# about 3 s to clean here).
MAX_OBJECTS: Final = 100_000
# Streams are decoded one at a time to see what they hold once decompressed: staff's viewer
# would have to do the same. Past these sizes a file is a decompression bomb, not evidence.
MAX_STREAM_DECODED_BYTES: Final = 256 * 1024 * 1024
MAX_TOTAL_DECODED_BYTES: Final = 512 * 1024 * 1024
# Same limit as images (hashing.hashers.MAX_PIXELS): a larger picture is a pixel bomb.
MAX_IMAGE_PIXELS: Final = 64_000_000
# Keys that carry who made a document, with what and when, wherever they appear.
_METADATA_KEYS: Final = frozenset({"/Metadata", "/PieceInfo", "/LastModified"})
# On annotations other than form widgets, /T is the author's name and /M, /CreationDate dates.
_ANNOTATION_AUTHOR_KEYS: Final = frozenset({"/T", "/M", "/CreationDate"})
# JPEG segments: 0xFF, then the marker. APP1 (EXIF, XMP) to APP13 (Photoshop), APP15 and COM.
_MARKER: Final = 0xFF
_START_OF_SCAN: Final = 0xDA
_JPEG_METADATA_MARKERS: Final = frozenset({*range(0xE1, 0xEE), 0xEF, 0xFE})


class TooComplexError(Exception):
    """The document is over one of the limits above."""


def scrub(data: bytes) -> bytes:
    """Return the PDF rewritten without metadata, scripts, attachments or external actions."""
    import pikepdf
    from pikepdf import Array, Dictionary, Stream
    from pikepdf.sanitize import Sanitizer

    with pikepdf.open(io.BytesIO(data)) as pdf:
        objects = pdf.objects
        if len(objects) > MAX_OBJECTS:
            raise TooComplexError
        total = 0
        for obj in objects:
            if isinstance(obj, Dictionary | Stream | Array):
                _strip_keys(obj)
            if isinstance(obj, Stream):
                total += _check_stream(obj)
                if total > MAX_TOTAL_DECODED_BYTES:
                    raise TooComplexError
                if obj.get("/Filter") == "/DCTDecode":
                    _strip_jpeg(obj)
        (
            Sanitizer()
            .remove_javascript()
            .remove_attachments()
            .remove_external_access()
            .remove_multimedia()
            .remove_thumbnails()
            .remove_search_index()
            .remove_web_capture()
            .remove_private_app_data()
            .remove_collection()
            .apply(pdf)
        )
        # The document information dictionary (author, creator tool, producer, dates) and the
        # file identifier (often a digest of the path and time on the reporter's device): qpdf
        # writes a new identifier computed from the cleaned content.
        for key in ("/Info", "/ID"):
            if key in pdf.trailer:
                del pdf.trailer[key]
        out = io.BytesIO()
        # Only objects reachable from the new trailer are written: earlier revisions of the
        # file (incremental updates, which keep old metadata) are dropped. No encryption.
        pdf.save(out, deterministic_id=True, encryption=False)
    return out.getvalue()


def _strip_keys(top: pikepdf.Object) -> None:
    """Delete metadata keys from an indirect object and the direct objects inside it."""
    from pikepdf import Array, Dictionary, Stream

    # Indirect objects are all visited by the caller; direct ones (an annotation written inside
    # a page's /Annots array, say) only through the object that holds them. Each call into
    # pikepdf costs a microsecond or two: the keys are read once per dictionary.
    pending = [top]
    while pending:
        obj = pending.pop()
        if isinstance(obj, Dictionary | Stream):
            keys = set(obj.keys())
            unwanted = keys & _METADATA_KEYS
            if "/Rect" in keys and _is_markup_annotation(obj):
                unwanted |= keys & _ANNOTATION_AUTHOR_KEYS
            for key in unwanted:
                del obj[key]
            children = [obj[key] for key in keys - unwanted]
        elif isinstance(obj, Array):
            children = list(obj)
        else:
            continue
        pending.extend(
            child
            for child in children
            if isinstance(child, Dictionary | Array) and not child.is_indirect
        )


def _is_markup_annotation(obj: pikepdf.Dictionary | pikepdf.Stream) -> bool:
    # An annotation has /Rect (and /Subtype; /Type is optional). Form widgets are left alone:
    # their /T is the field's name, which the form needs.
    subtype = obj.get("/Subtype")
    return subtype is not None and subtype != "/Widget"


def _check_stream(stream: pikepdf.Stream) -> int:
    """Return the stream's decoded size; raise TooComplexError for a bomb."""
    import pikepdf

    if stream.get("/Subtype") == "/Image":
        width, height = stream.get("/Width", 0), stream.get("/Height", 0)
        if isinstance(width, int) and isinstance(height, int) and width * height > MAX_IMAGE_PIXELS:
            raise TooComplexError
    try:
        decoded = stream.read_bytes()
    except pikepdf.DataDecodingError as exc:
        if "bad_alloc" in str(exc):
            raise TooComplexError from exc
        raise
    except pikepdf.PdfError as exc:
        if "unfilterable" in str(exc):
            # An image codec (JPEG, JPEG 2000, JBIG2, fax) that qpdf does not decode: bounded
            # by its pixel size above.
            return len(stream.read_raw_bytes())
        raise
    if len(decoded) > MAX_STREAM_DECODED_BYTES:
        raise TooComplexError
    return len(decoded)


def _strip_jpeg(stream: pikepdf.Stream) -> None:
    """Replace a JPEG image's data with the same picture without its EXIF, XMP or comments."""
    from pikepdf import Dictionary, Name

    raw = stream.read_raw_bytes()
    clean = jpeg_without_metadata(raw)
    if clean != raw:
        parms = stream.get("/DecodeParms")
        stream.write(
            clean,
            filter=Name.DCTDecode,
            decode_parms=parms if isinstance(parms, Dictionary) else None,
        )


def jpeg_without_metadata(data: bytes) -> bytes:
    """Return a JPEG without APP1-APP13, APP15 and comment segments, nor data after its end.

    Photos put into a PDF keep their camera's EXIF (make, model, GPS, date) inside the image
    data. APP0 (JFIF) and APP14 (Adobe: how to read the colours) are kept, and the coded picture
    is copied as it is. Data that is not a JPEG's structure is returned unchanged.
    """
    if data[:2] != b"\xff\xd8":
        return data
    kept = [data[:2]]
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != _MARKER:
            return data
        marker = data[pos + 1]
        if marker == _MARKER:  # fill byte before a marker
            pos += 1
            continue
        if marker == _START_OF_SCAN:
            # The coded picture up to the end-of-image marker (0xFF never occurs unescaped in
            # it); anything a phone appended after the end goes.
            end = data.find(b"\xff\xd9", pos)
            kept.append(data[pos : end + 2] if end >= 0 else data[pos:])
            return b"".join(kept)
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if length < 2 or pos + 2 + length > len(data):
            return data
        if marker not in _JPEG_METADATA_MARKERS:
            kept.append(data[pos : pos + 2 + length])
        pos += 2 + length
    return data


def main(args: list[str]) -> int:
    """Clean the PDF on stdin (no arguments); return the exit status."""
    if args:
        return EXIT_DAMAGED
    try:
        import pikepdf
    except ImportError:
        return EXIT_UNAVAILABLE
    data = sys.stdin.buffer.read()
    try:
        cleaned = scrub(data)
    except pikepdf.PasswordError:
        return EXIT_ENCRYPTED
    except (TooComplexError, MemoryError, RecursionError):
        return EXIT_TOO_COMPLEX
    except Exception as exc:  # noqa: BLE001
        # qpdf raises PdfError and its subclasses, and Python errors for objects of a wrong
        # type; any of them means a file we cannot rewrite. The message may quote the file's
        # content, so only the type is reported.
        sys.stderr.write(f"pdf_child failed: {type(exc).__name__}\n")
        return EXIT_DAMAGED
    sys.stdout.buffer.write(cleaned)
    return 0
