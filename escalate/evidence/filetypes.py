"""What a file really is, read from its first bytes and structure, never from its name."""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass
from typing import IO


@dataclass(frozen=True)
class FileType:
    label: str
    extension: str
    content_type: str


PDF = FileType("PDF", "pdf", "application/pdf")
PNG = FileType("PNG image", "png", "image/png")
JPEG = FileType("JPEG image", "jpg", "image/jpeg")
DOCX = FileType(
    "Word document",
    "docx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
)
XLSX = FileType(
    "Excel spreadsheet", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)
TEXT = FileType("plain text file", "txt", "text/plain; charset=utf-8")
ALLOWED = (PDF, PNG, JPEG, DOCX, XLSX, TEXT)

# What an Office file may expand to, in total (a zip bomb stops here), and how many parts it has.
MAX_EXPANDED_BYTES = 100 * 1024 * 1024
MAX_PARTS = 5000
# Markup that would run if a browser or viewer were ever talked into rendering a text file.
_MARKUP = re.compile(
    rb"<\s*[/!?]?\s*(script|html|body|head|img|svg|iframe|frame|object|embed|link|meta|style"
    rb"|form|input|base|a|math|video|audio|details|!doctype|\?xml)[\s/>]"
    rb"|<[a-z][^>]*\son[a-z]+\s*=|javascript\s*:|vbscript\s*:",
    re.IGNORECASE,
)
# PDF features that run code, open other programs or carry other files.
_PDF_ACTIVE = re.compile(
    rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA|AA|SubmitForm|ImportData|GoToE)"
    rb"(?![A-Za-z0-9])|<\s*script",
    re.IGNORECASE,
)
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_PDF_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.DOTALL)
BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


class Refused(Exception):
    """The content is an allowed type but holds something not allowed; the message says what."""


def _office_type(stream: IO[bytes]) -> FileType | None:
    try:
        with zipfile.ZipFile(stream) as archive:
            parts = archive.infolist()
            names = {part.filename for part in parts}
            if "[Content_Types].xml" not in names:
                return None
            found = DOCX if "word/document.xml" in names else None
            if found is None and "xl/workbook.xml" in names:
                found = XLSX
            if found is None:
                return None
            if len(parts) > MAX_PARTS:
                raise Refused(f"The selected file has more than {MAX_PARTS} parts")
            if any(name.lower().endswith("vbaproject.bin") for name in names):
                raise Refused("The selected file contains macros; save it without them")
            _check_expansion(archive, parts)
            return found
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, zlib.error):
        return None


def _check_expansion(archive: zipfile.ZipFile, parts: list[zipfile.ZipInfo]) -> None:
    # The sizes a zip declares can lie: count what really comes out, and stop at the cap.
    too_big = Refused(
        f"The selected file expands to more than {MAX_EXPANDED_BYTES // 2**20}MB when opened"
    )
    if sum(part.file_size for part in parts) > MAX_EXPANDED_BYTES:
        raise too_big
    total = 0
    for part in parts:
        with archive.open(part) as member:
            while chunk := member.read(1024 * 1024):
                total += len(chunk)
                if total > MAX_EXPANDED_BYTES:
                    raise too_big


def _pdf_check(stream: IO[bytes]) -> None:
    stream.seek(0)
    data = stream.read()
    stream.seek(0)
    texts = [data]
    expanded = 0
    for raw in _PDF_STREAM.findall(data):
        try:
            inflater = zlib.decompressobj()
            text = inflater.decompress(raw, MAX_EXPANDED_BYTES - expanded)
        except zlib.error:
            continue  # not Flate: images and the like, scanned raw above
        expanded += len(text)
        texts.append(text)
        if expanded >= MAX_EXPANDED_BYTES:
            raise Refused(f"The selected file expands to more than {MAX_EXPANDED_BYTES // 2**20}MB")
    for text in texts:
        # PDF names may spell letters as #xx (/J#61vaScript is /JavaScript).
        plain = _PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), text)
        if _PDF_ACTIVE.search(plain):
            raise Refused(
                "The selected PDF contains scripts, actions or embedded files; "
                "print it to a new PDF and upload that"
            )


def _strip_bom(head: bytes) -> bytes:
    for bom in BOMS:
        if head.startswith(bom):
            return head[len(bom) :]
    return head


def _is_text(head: bytes) -> bool:
    if head.startswith(BOMS[1:]):
        return False  # UTF-16: not the plain UTF-8 text we accept
    head = _strip_bom(head)
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is still text.
        if error.start < len(head) - 3:
            return False
    lowered = head.lstrip().lower()
    # Markup would be harmless as a download, but it is not evidence: keep it out.
    return not lowered.startswith((b"<!doctype", b"<html", b"<svg", b"<?xml", b"<script"))


def _text_check(stream: IO[bytes]) -> None:
    stream.seek(0)
    data = _strip_bom(stream.read())
    stream.seek(0)
    if _MARKUP.search(data):
        raise Refused("The selected text file contains web page markup; remove it or save as PDF")


def detect(stream: IO[bytes]) -> FileType | None:
    """The allowed type the content is, or None. Leaves the stream at its start.

    Raises Refused for a file of an allowed type holding what is not allowed: markup in text,
    scripts or actions in a PDF, macros or more than MAX_EXPANDED_BYTES inside a Word or Excel
    file.
    """
    stream.seek(0)
    head = stream.read(8192)
    stream.seek(0)
    found: FileType | None = None
    if head.startswith(b"%PDF-"):
        found = PDF
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        found = PNG
    elif head.startswith(b"\xff\xd8\xff"):
        found = JPEG
    elif head.startswith(b"PK\x03\x04"):
        found = _office_type(stream)
    elif head and _is_text(head):
        found = TEXT
    if found is PDF:
        _pdf_check(stream)
    elif found is TEXT:
        _text_check(stream)
    stream.seek(0)
    return found
