"""Unpacking: every container shape reports arrive in, and hostile inputs.

Pure tests: no database. Inputs are built here with gzip, zipfile and
email.mime, plus the real samples in the shared corpus.
"""

import gzip
import io
import random
import struct
import time
import tracemalloc
import zipfile
import zlib
from email.charset import QP, Charset
from email.mime.application import MIMEApplication
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from lxml import etree

from reports.harness.corpus import corpus_dir
from reports.ingest.errors import LimitExceeded, ReportError
from reports.ingest.unpack import Document, Failure, Limits, MiB, sniff, unpack


def samples() -> Path:
    return corpus_dir() / "parsedmarc"


GiB = 1024 * MiB


# --- builders ---------------------------------------------------------------------------------------------


def report_xml(report_id="r-1", org="example.net", *, declaration='<?xml version="1.0" encoding="UTF-8"?>'):
    return (
        f"{declaration}\n<feedback><report_metadata><org_name>{org}</org_name>"
        f"<report_id>{report_id}</report_id><date_range><begin>1700000000</begin>"
        "<end>1700086399</end></date_range></report_metadata>"
        "<policy_published><domain>example.com</domain><p>none</p></policy_published>"
        "<record><row><source_ip>192.0.2.1</source_ip><count>3</count></row>"
        "<identifiers><header_from>example.com</header_from></identifiers></record></feedback>\n"
    ).encode()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def zipped(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            if name.endswith("/"):
                archive.mkdir(name.rstrip("/"))
            else:
                archive.writestr(name, data)
    return out.getvalue()


def raw_zip(name: str, deflated: bytes, crc: int, declared_size: int) -> bytes:
    """A one-member zip with whatever sizes we like in its headers."""
    encoded = name.encode()
    local = struct.pack(
        "<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(deflated), declared_size, len(encoded), 0
    )
    central = struct.pack(
        "<4sHHHHHHIIIHHHHHII",
        b"PK\x01\x02",
        20,
        20,
        0,
        8,
        0,
        0,
        crc,
        len(deflated),
        declared_size,
        len(encoded),
        0,
        0,
        0,
        0,
        0,
        0,
    )
    offset = len(local) + len(encoded) + len(deflated)
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(central) + len(encoded), offset, 0)
    return local + encoded + deflated + central + encoded + end


@cache
def deflated_bomb(size: int = GiB, prefix: bytes = b"<feedback>") -> tuple[bytes, int, int]:
    """Raw deflate of prefix + size zero bytes, its CRC-32 and length, built in well under a second.

    After a full flush, compressing another MiB of zeros gives the same bytes, so one
    block is repeated instead of compressing 1 GiB.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = bytes(MiB)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    body = head + block * (size // MiB) + compressor.flush()
    crc = zlib.crc32(prefix)
    for _ in range(size // MiB):
        crc = zlib.crc32(zeros, crc)
    return body, crc, len(prefix) + size


def gzip_bomb(size: int = GiB) -> bytes:
    body, crc, length = deflated_bomb(size)
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + body + struct.pack("<II", crc, length & 0xFFFFFFFF)


def message(*parts, subject="Report domain: example.com Submitter: example.net Report-ID: r-1"):
    outer = MIMEMultipart()
    outer["From"] = "noreply-dmarc@example.net"
    outer["To"] = "dmarc@example.com"
    outer["Subject"] = subject
    outer.attach(MIMEText("This is a DMARC aggregate report.", "plain"))
    for part in parts:
        outer.attach(part)
    return outer


def attachment(data: bytes, subtype: str, filename: str) -> MIMEApplication:
    part = MIMEApplication(data, subtype)
    part.add_header("Content-Disposition", "attachment", filename=filename)
    return part


def documents(items) -> list[Document]:
    return [item for item in items if isinstance(item, Document)]


def failures(items) -> list[Failure]:
    return [item for item in items if isinstance(item, Failure)]


def parse_root(doc: Document) -> etree._Element:
    """Parse a document the way the parser does: lxml iterparse over open()."""
    with doc.open() as stream:
        for _, element in etree.iterparse(stream, events=("end",), resolve_entities=False, no_network=True):
            root = element
    return root


def report_id(doc: Document) -> str:
    return parse_root(doc).findtext("report_metadata/report_id")


# --- sniffing ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"<?xml version='1.0'?><feedback/>", "xml"),
        (b"\xef\xbb\xbf\r\n  <feedback/>", "xml"),
        ("<feedback/>".encode("utf-16"), "xml"),
        (b"\x1f\x8b\x08\x00", "gzip"),
        (b"PK\x03\x04\x14\x00", "zip"),
        (b"From MAILER-DAEMON Mon Jan  1 00:00:00 2024\n", "mbox"),
        (b"Return-Path: <a@example.net>\r\nFrom: a@example.net\r\n\r\nhi", "email"),
        (b"Note: this is not mail\n", "unknown"),
        (b"\x00\x01\x02garbage", "unknown"),
        (b"", "unknown"),
    ],
)
def test_it_sniffs_the_kind_from_the_first_bytes(data, kind):
    assert sniff(data) == kind


# --- plain XML --------------------------------------------------------------------------------------------


def test_it_passes_plain_xml_through_without_copying():
    data = report_xml()
    (doc,) = unpack(data)
    assert doc.member is None and not doc.gzipped
    assert doc.data is data
    assert doc.xml_bytes() is data
    assert report_id(doc) == "r-1"


def test_it_keeps_a_utf8_bom_which_lxml_reads():
    data = b"\xef\xbb\xbf" + report_xml("bom")
    (doc,) = unpack(data)
    assert doc.data is data
    assert report_id(doc) == "bom"


def test_it_drops_whitespace_before_the_xml_declaration():
    (doc,) = unpack(b"\r\n\n   " + report_xml("spaced"))
    assert doc.data.startswith(b"<?xml")
    assert report_id(doc) == "spaced"


def test_it_drops_whitespace_between_the_bom_and_the_declaration():
    (doc,) = unpack(b"\xef\xbb\xbf \n" + report_xml("bom-spaced"))
    assert doc.data.startswith(b"\xef\xbb\xbf<?xml")
    assert report_id(doc) == "bom-spaced"


def test_it_keeps_a_declared_windows_1252_encoding_working():
    data = report_xml("caf\xe9", declaration='<?xml version="1.0" encoding="windows-1252"?>')
    data = data.decode().encode("cp1252")
    (doc,) = unpack(b"\n" + data)
    assert report_id(doc) == "caf\xe9"


def test_it_reads_utf16_xml_with_a_bom_and_leading_whitespace():
    text = report_xml("sixteen", declaration='<?xml version="1.0" encoding="UTF-16"?>').decode()
    (doc,) = unpack(("\n  " + text).encode("utf-16"))
    assert report_id(doc) == "sixteen"


def test_it_rejects_an_empty_input_clearly():
    (failure,) = unpack((samples() / "empty.xml").read_bytes())
    assert failure.status == "rejected"
    assert failure.error == "the input is empty"


def test_it_calls_random_bytes_not_dmarc():
    data = random.Random(7).randbytes(5000)
    (failure,) = unpack(data)
    assert failure.status == "not-dmarc"
    assert "neither XML, JSON, gzip, zip nor an email" in failure.error
    assert failure.data is data


# --- gzip -------------------------------------------------------------------------------------------------


def test_it_keeps_a_gzipped_report_compressed():
    data = gz(report_xml("gz"))
    (doc,) = unpack(data)
    assert doc.gzipped and doc.data is data and doc.member is None
    assert doc.xml_bytes() == report_xml("gz")
    assert report_id(doc) == "gz"


def test_it_unwraps_gzip_inside_gzip_to_the_innermost_stream():
    inner = gz(report_xml("twice"))
    (doc,) = unpack(gz(inner))
    assert doc.gzipped and doc.data == inner
    assert report_id(doc) == "twice"


def test_a_gzipped_document_can_be_opened_again_for_a_second_parse():
    (doc,) = unpack(gz(b" " + report_xml("again")))
    with doc.open() as first:
        assert first.read(10) == b"<?xml vers"
    assert doc.xml_bytes() == doc.xml_bytes() == report_xml("again")


def test_it_ignores_stray_bytes_after_the_gzip_stream():
    data = gz(report_xml("stray")) + b"\r\n\x00garbage"
    with pytest.raises(gzip.BadGzipFile):
        gzip.decompress(data)
    (doc,) = unpack(data)
    assert report_id(doc) == "stray"


def test_it_reads_on_through_concatenated_gzip_members():
    xml = report_xml("members")
    (doc,) = unpack(gz(xml[:100]) + gz(xml[100:]))
    assert doc.xml_bytes() == xml


def test_it_drops_whitespace_before_the_declaration_inside_a_gzip():
    (doc,) = unpack(gz(b"\n\n" + report_xml("gz-spaced")))
    assert report_id(doc) == "gz-spaced"


def test_it_rejects_a_truncated_small_gzip_up_front():
    data = gz(report_xml())[:-20]
    (failure,) = unpack(data)
    assert failure.status == "rejected"
    assert "truncated" in failure.error
    assert failure.data is data


def test_it_reports_truncation_of_a_large_gzip_while_reading():
    xml = b"<feedback>" + random.Random(1).randbytes(300_000).hex().encode() + b"</feedback>"
    (doc,) = unpack(gz(xml)[:-5000])
    with pytest.raises(ReportError, match="truncated"), doc.open() as stream:
        while stream.read(65536):
            pass


def test_it_rejects_a_damaged_gzip():
    data = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + b"\xff" * 50
    (failure,) = unpack(data)
    assert "gzip data is damaged" in failure.error


def test_it_calls_a_gzip_holding_the_word_unused_not_dmarc():
    (failure,) = unpack(gz(b"unused"))
    assert failure.status == "not-dmarc"
    assert "its content is 'unused'" in failure.error


def test_it_rejects_an_empty_gzip():
    (failure,) = unpack(gz(b""))
    assert failure.error == "the gzip is empty: it decompresses to nothing"


def test_it_reads_the_parsedmarc_gzip_sample():
    (doc,) = unpack((samples() / "nice-input.xml.gz").read_bytes())
    assert doc.gzipped
    assert doc.xml_bytes() == (samples() / "nice-input.xml").read_bytes()


# --- zip --------------------------------------------------------------------------------------------------


def test_it_finds_a_report_in_a_folder_of_a_zip_and_skips_the_rest():
    data = zipped(
        {
            "reports/": b"",
            "reports/a.xml": report_xml("in-folder"),
            "README.txt": b"These are DMARC reports.\n",
            "__MACOSX/reports/._a.xml": b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X",
            "b.xml.gz": gz(report_xml("gz-in-zip")),
        }
    )
    items = list(unpack(data))
    assert [(doc.member, report_id(doc)) for doc in items] == [
        ("reports/a.xml", "in-folder"),
        ("b.xml.gz", "gz-in-zip"),
    ]


def test_it_reads_the_parsedmarc_zip_samples():
    (doc,) = unpack((samples() / "nice-input.xml.zip").read_bytes())
    assert doc.member == "nice-input.xml"
    assert doc.data == (samples() / "nice-input.xml").read_bytes()
    path = next(samples().glob("estadocuenta1*.xml.zip"))
    (doc,) = unpack(path.read_bytes())
    assert doc.member == path.name.removesuffix(".zip")
    assert parse_root(doc).tag == "feedback"


def test_it_calls_a_zip_without_reports_not_dmarc():
    office = {"[Content_Types].xml": b'<?xml version="1.0"?><Types/>', "notes.txt": b"hello"}
    (failure,) = unpack(zipped(office))
    assert failure.status == "not-dmarc"
    assert failure.error == "no DMARC report found in this zip (it holds: [Content_Types].xml, notes.txt)"


def test_it_accepts_twenty_zip_members_and_rejects_twenty_one():
    twenty = {f"r{i}.xml": report_xml(f"r{i}") for i in range(20)}
    assert len(documents(unpack(zipped(twenty)))) == 20
    items = list(unpack(zipped({**twenty, "r20.xml": report_xml("r20")})))
    assert len(items) == 1 and isinstance(items[0], Failure)
    assert items[0].error == "the zip holds 21 files, more than the limit of 20"


def test_it_rejects_a_damaged_zip():
    (failure,) = unpack(b"PK\x03\x04" + b"\x00" * 100)
    assert failure.status == "rejected"
    assert failure.error.startswith("the zip is damaged")


def test_it_rejects_an_encrypted_zip_member():
    data = bytearray(zipped({"secret.xml": report_xml()}))
    data[6] |= 1  # general purpose flags: encrypted, in the local header...
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 1  # ...and in the central directory
    (failure,) = unpack(bytes(data))
    assert failure.error == "'secret.xml' in the zip is encrypted"


def test_one_damaged_zip_member_does_not_stop_the_others():
    data = bytearray(zipped({"bad.xml": report_xml("bad"), "good.xml": report_xml("good")}))
    central = data.find(b"PK\x01\x02")
    data[central + 16] ^= 0xFF  # the first member's CRC-32
    items = list(unpack(bytes(data)))
    assert [type(item) for item in items] == [Failure, Document]
    assert items[0].member == "bad.xml" and "cannot be read" in items[0].error
    assert report_id(items[1]) == "good"


# --- email ------------------------------------------------------------------------------------------------


def test_it_finds_a_gzip_attachment_and_ignores_the_text_and_html_bodies():
    msg = message(
        MIMEText("<html><body><p>Your report</p></body></html>", "html"),
        attachment(gz(report_xml("mail-gz")), "gzip", "example.net!example.com!1!2.xml.gz"),
    )
    (doc,) = unpack(msg.as_bytes())
    assert doc.member == "attachment 'example.net!example.com!1!2.xml.gz'"
    assert report_id(doc) == "mail-gz"


def test_it_decides_by_content_when_a_zip_is_labelled_gzip():
    msg = message(attachment(zipped({"r.xml": report_xml("mislabelled")}), "gzip", "r.xml.gz"))
    (doc,) = unpack(msg.as_bytes())
    assert doc.member == "attachment 'r.xml.gz' > r.xml"
    assert report_id(doc) == "mislabelled"


def test_it_reads_a_single_part_message_whose_body_is_the_zip():
    msg = MIMEApplication(zipped({"r.xml": report_xml("single-part")}), "zip")
    msg["From"] = "noreply@example.net"
    msg["Subject"] = "Report domain: example.com"
    (doc,) = unpack(msg.as_bytes())
    assert doc.member == "body (application/zip) > r.xml"
    assert report_id(doc) == "single-part"


def test_it_finds_a_report_in_a_forwarded_message():
    forwarded = message(
        MIMEText("fyi", "plain"), MIMEMessage(message(attachment(gz(report_xml("fw")), "gzip", "r.gz")))
    )
    (doc,) = unpack(forwarded.as_bytes())
    assert doc.member == "attached message 1 > attachment 'r.gz'"
    assert report_id(doc) == "fw"


def test_it_finds_a_report_in_a_forwarded_message_sent_base64():
    inner = message(attachment(gz(report_xml("fw64")), "gzip", "r.gz")).as_bytes()
    part = MIMEApplication(inner, "octet-stream")
    part.replace_header("Content-Type", "message/rfc822")
    (doc,) = unpack(message(part).as_bytes())
    assert report_id(doc) == "fw64"


def test_it_reads_a_quoted_printable_xml_part():
    charset = Charset("utf-8")
    charset.body_encoding = QP
    part = MIMEText(report_xml("qp-\xe9t\xe9").decode(), "xml", charset)
    raw = message(part).as_bytes()
    assert b"quoted-printable" in raw and b"=C3=A9" in raw
    (doc,) = unpack(raw)
    assert report_id(doc) == "qp-\xe9t\xe9"


def test_it_reads_a_7bit_xml_part():
    part = MIMEText(report_xml("seven").decode(), "xml", "us-ascii")
    raw = message(part).as_bytes()
    assert b"Content-Transfer-Encoding: 7bit" in raw
    (doc,) = unpack(raw)
    assert doc.member == "part 2 (text/xml)"
    assert report_id(doc) == "seven"


def test_it_reads_an_xml_part_with_no_transfer_encoding():
    raw = (
        b"From: reports@example.net\r\nSubject: report\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="XX"\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nhi\r\n'
        b"--XX\r\nContent-Type: text/xml\r\n\r\n" + report_xml("bare") + b"\r\n--XX--\r\n"
    )
    (doc,) = unpack(raw)
    assert report_id(doc) == "bare"


def test_it_says_when_an_email_holds_no_report():
    msg = message(
        MIMEText("<html><p>hello</p></html>", "html"), attachment(b"%PDF-1.4", "pdf", "invoice.pdf")
    )
    raw = msg.as_bytes()
    (failure,) = unpack(raw)
    assert failure.status == "not-dmarc"
    assert failure.error == (
        "no DMARC report found in this email (its parts: part 1 (text/plain), part 2 (text/html), "
        "attachment 'invoice.pdf' (application/pdf))"
    )
    assert failure.data is raw


def test_it_passes_on_a_gzip_attachment_holding_unused_as_not_dmarc():
    (failure,) = unpack(message(attachment(gz(b"unused"), "gzip", "r.xml.gz")).as_bytes())
    assert failure.member == "attachment 'r.xml.gz'"
    assert failure.status == "not-dmarc" and "'unused'" in failure.error


@pytest.mark.parametrize(
    ("name", "member"),
    [
        ("twilight.eml", "attachment 'google.com!twlnet.com!1549756800!1549843199.zip'"),
        (
            "Report domain- borschow.com Submitter- google.com Report-ID- 949348866075514174.eml",
            "attachment 'google.com!borschow.com!1549929600!1550015999.zip'",
        ),
        ("mimecast-weird-gzip.eml", "attachment 'mimecast.org!ab.id.au!1693353600!1693439999!"),
    ],
)
def test_it_finds_the_report_in_the_corpus_emails(name, member):
    (doc,) = unpack((samples() / name).read_bytes())
    assert doc.member.startswith(member)
    assert parse_root(doc).tag == "feedback"


def test_it_reads_the_mimecast_gzip_that_gzipfile_rejects():
    (doc,) = unpack((samples() / "mimecast-weird-gzip.eml").read_bytes())
    assert doc.gzipped
    with pytest.raises(gzip.BadGzipFile):
        gzip.decompress(doc.data)
    assert parse_root(doc).findtext("report_metadata/org_name") == "Mimecast"


# --- mbox -------------------------------------------------------------------------------------------------


def test_it_splits_an_mbox_into_messages():
    first = message(attachment(gz(report_xml("m1")), "gzip", "1.xml.gz")).as_bytes()
    second = message(MIMEText("no report here", "plain")).as_bytes()
    third = message(attachment(zipped({"3.xml": report_xml("m3")}), "zip", "3.zip")).as_bytes()
    separator = b"From noreply@example.net Mon Jan  1 00:00:00 2024\n"
    mbox = b"".join(separator + msg + b"\n\n" for msg in (first, second, third))
    items = list(unpack(mbox))
    assert [item.member for item in items] == [
        "message 1 > attachment '1.xml.gz'",
        "message 2",
        "message 3 > attachment '3.zip' > 3.xml",
    ]
    assert report_id(items[0]) == "m1" and report_id(items[2]) == "m3"
    assert items[1].status == "not-dmarc" and items[1].data.startswith(b"Content-Type: multipart/mixed")


# --- limits -----------------------------------------------------------------------------------------------


def test_it_reads_the_limits_from_settings(settings):
    settings.DMARC_MAX_INPUT_BYTES = 1000
    settings.DMARC_MAX_DECOMPRESSED_BYTES = 2000
    settings.DMARC_MAX_ZIP_MEMBERS = 3
    settings.DMARC_MAX_NESTING = 2
    assert Limits.from_settings() == Limits(1000, 2000, 3, 2)


def test_it_rejects_an_input_over_the_size_limit_without_reading_it():
    (failure,) = unpack(report_xml().ljust(2048), Limits(max_input=1000))
    assert failure.error == "the input is 2 KiB, more than the 1000 bytes limit"
    assert failure.data is None


def test_it_accepts_four_levels_of_nesting_and_rejects_five():
    xml = report_xml("deep")
    four = gz(gz(gz(gz(xml))))
    (doc,) = unpack(four)
    assert doc.data == gz(xml) and report_id(doc) == "deep"
    (failure,) = unpack(gz(four))
    assert "nested more than 4 deep" in failure.error
    assert not documents(unpack(gz(four)))


def test_forwarded_messages_count_as_levels_of_nesting():
    def forward(msg):
        return message(MIMEMessage(msg))

    report = message(attachment(zipped({"r.xml": report_xml("nest")}), "zip", "r.zip"))  # email > zip
    assert report_id(documents(unpack(forward(forward(report)).as_bytes()))[0]) == "nest"  # 4 levels
    items = list(unpack(forward(forward(forward(report))).as_bytes()))  # 5 levels
    assert not documents(items)
    assert "nested more than 4 deep" in items[0].error


def test_it_rejects_a_plain_xml_member_over_the_decompressed_limit():
    big = b"<feedback>" + b" " * 3000 + b"</feedback>"
    (failure,) = unpack(zipped({"big.xml": big}), Limits(max_decompressed=2000))
    assert failure.member == "big.xml"
    assert failure.error == "'big.xml' in the zip decompresses to more than 2000 bytes, the limit per report"


def test_a_plain_document_over_its_limit_raises_limit_exceeded_on_open():
    with pytest.raises(LimitExceeded, match="more than 10 bytes"):
        Document(None, report_xml(), False, 10).open()


def test_it_rejects_a_1_gib_gzip_bomb_quickly_and_in_little_memory():
    bomb = gzip_bomb()
    started = time.monotonic()
    (doc,) = unpack(bomb)
    tracemalloc.start()
    try:
        with pytest.raises(LimitExceeded, match="decompresses to more than 100 MiB"), doc.open() as stream:
            while stream.read(65536):
                pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 10
    assert peak < 8 * MiB


def test_it_rejects_a_1_gib_zip_bomb_from_its_declared_size():
    body, crc, size = deflated_bomb()
    started = time.monotonic()
    (failure,) = unpack(raw_zip("report.xml", body, crc, size))
    assert failure.error == "'report.xml' in the zip decompresses to more than 100 MiB, the limit per report"
    assert time.monotonic() - started < 2


def test_it_rejects_a_1_gib_zip_bomb_that_lies_about_its_size():
    body, crc, _ = deflated_bomb()
    started = time.monotonic()
    items = list(unpack(raw_zip("report.xml", body, crc, 5000)))
    assert not documents(items)
    assert "'report.xml' in the zip cannot be read" in items[0].error
    assert time.monotonic() - started < 10


def test_it_caps_decompression_over_all_reports_of_one_input():
    # Nested containers multiply (42.zip): cap the total, not only each report.
    limits = Limits(max_decompressed=20 * 1024, max_zip_members=3)  # 400 KiB in all
    leaf = gz(b"<feedback>" + b" " * 18_000 + b"</feedback>")
    inner = zipped({"a.xml.gz": leaf, "b.xml.gz": leaf, "c.xml.gz": leaf})
    middle = zipped({"1.zip": inner, "2.zip": inner, "3.zip": inner})
    items = list(unpack(zipped({"x.zip": middle, "y.zip": middle, "z.zip": middle}), limits))
    assert documents(items)
    errors = [failure.error for failure in failures(items)]
    read = 0
    for doc in documents(items):
        try:
            read += len(doc.xml_bytes())
        except LimitExceeded as e:
            errors.append(str(e))
    assert "this input decompresses to more than 400 KiB in total" in errors
    assert read < 400 * 1024


def test_open_raises_limit_exceeded_through_lxml():
    xml = b"<feedback>" + b"<record><count>1</count></record>" * 10_000 + b"</feedback>"
    (doc,) = unpack(gz(xml), Limits(max_decompressed=100_000))
    with pytest.raises(LimitExceeded):
        parse_root(doc)


# --- properties -------------------------------------------------------------------------------------------


def consume(items) -> None:
    """unpack() may only yield; reading a Document may only raise ReportError."""
    for item in items:
        assert isinstance(item, Document | Failure)
        if isinstance(item, Failure):
            assert item.error and item.status in ("rejected", "not-dmarc")
            continue
        try:
            with item.open() as stream:
                while stream.read(65536):
                    pass
        except ReportError:
            pass


SEEDS = [
    gz(report_xml("seed")),
    zipped({"d/": b"", "d/a.xml": report_xml("seed"), "b.xml.gz": gz(report_xml("seed2"))}),
    message(
        attachment(gz(report_xml("seed")), "gzip", "a.xml.gz"),
        attachment(zipped({"r.xml": report_xml()}), "zip", "r.zip"),
    ).as_bytes(),
    b"From x@example.net Mon Jan  1 00:00:00 2024\n"
    + message(MIMEMessage(message(attachment(gz(report_xml()), "gzip", "r.gz")))).as_bytes(),
]
FAST = hypothesis_settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.binary(max_size=4096))
def test_random_bytes_never_raise(data):
    consume(unpack(data, Limits(max_decompressed=MiB)))


@pytest.mark.slow
@FAST
@given(
    seed=st.sampled_from(SEEDS),
    edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=8),
    cut=st.one_of(st.none(), st.floats(0, 1)),
)
def test_damaged_containers_never_raise(seed, edits, cut):
    data = bytearray(seed)
    for where, value in edits:
        data[int(where * len(data))] = value
    if cut is not None:
        data = data[: int(cut * len(data))]
    consume(unpack(bytes(data), Limits(max_decompressed=MiB)))


@FAST
@given(seed=st.sampled_from(SEEDS), junk=st.binary(min_size=1, max_size=64), where=st.floats(0, 1))
def test_containers_with_bytes_inserted_never_raise(seed, junk, where):
    at = int(where * len(seed))
    consume(unpack(seed[:at] + junk + seed[at:], Limits(max_decompressed=MiB)))


def test_every_corpus_file_unpacks_without_raising():
    for path in sorted(samples().iterdir()):
        items = list(unpack(path.read_bytes()))
        consume(items)
        expected = 0 if path.name == "empty.xml" else 1
        assert len(documents(items)) == expected, path.name
