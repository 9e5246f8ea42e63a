"""Every bomb shape of an uploaded workbook or image is refused with a message naming the
limit, and the process's memory stays small while it is refused (measured with tracemalloc)."""

import io
import tracemalloc
import zipfile

import pytest
from openpyxl import Workbook
from PIL import Image

from quizapp.banks.parsers.xlsx import parse_xlsx
from quizapp.images import ImageRefused, open_bounded
from quizapp.orgs.roster import parse_roster
from quizapp.spreadsheets import SpreadsheetRefused, XlsxLimits, read_rows

MB = 1024 * 1024
Image.init()  # Pillow's plugins are imported once, not counted in a test's peak
SHEET = "xl/worksheets/sheet1.xml"
HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def workbook_with_sheet(write_sheet) -> bytes:
    """A real workbook whose first sheet's XML is streamed by `write_sheet(fh)` (so a
    100 MB sheet is never held in the test's memory either)."""
    wb = Workbook()
    wb.active["A1"] = "x"
    base = io.BytesIO()
    wb.save(base)
    out = io.BytesIO()
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename == SHEET:
                with dst.open(SHEET, "w", force_zip64=True) as fh:
                    write_sheet(fh)
            else:
                dst.writestr(info, src.read(info))
    return out.getvalue()


def rows_sheet(rows: int, cols: int = 1, dimension: str | None = None):
    def write(fh):
        fh.write(HEAD)
        if dimension:
            fh.write(f'<dimension ref="{dimension}"/>'.encode())
        fh.write(b"<sheetData>")
        for r in range(1, rows + 1):
            cells = "".join(
                f'<c r="{chr(65 + c % 26)}{r}" t="inlineStr"><is><t>Đoàn viên {r}</t></is></c>'
                for c in range(cols)
            )
            fh.write(f'<row r="{r}">{cells}</row>'.encode())
        fh.write(b"</sheetData></worksheet>")

    return write


def compressed_bomb(fh):
    """About 120 MB of identical rows: deflate packs it into a few hundred kilobytes."""
    fh.write(HEAD + b"<sheetData>")
    row = b'<row><c t="inlineStr"><is><t>' + b"A" * 1000 + b"</t></is></c></row>"
    chunk = row * 1000
    for _ in range(120 * MB // len(chunk)):
        fh.write(chunk)
    fh.write(b"</sheetData></worksheet>")


def refused(call, *args):
    """Run `call`, expecting SpreadsheetRefused; its message and the peak of new memory."""
    tracemalloc.start()
    try:
        with pytest.raises(SpreadsheetRefused) as err:
            call(*args)
        _, peak = tracemalloc.get_traced_memory()
        print(f"peak {peak / MB:.2f} MB")
    finally:
        tracemalloc.stop()
    return err.value, peak


def test_highly_compressed_huge_sheet_is_refused_before_reading():
    data = workbook_with_sheet(compressed_bomb)
    assert len(data) < 2 * MB
    err, peak = refused(read_rows, data)
    assert "MB" in str(err) and err.params["max"] == 50
    assert peak < 1 * MB + len(data), peak


def test_compression_ratio_is_refused_even_under_the_size_limit():
    data = workbook_with_sheet(compressed_bomb)
    err, peak = refused(read_rows, data, XlsxLimits(max_uncompressed=500 * MB))
    assert "compressed" in str(err) and err.params["max"] == 100
    assert peak < 1 * MB + len(data), peak


def test_huge_declared_dimension_is_refused_before_openpyxl_allocates():
    data = workbook_with_sheet(rows_sheet(2, dimension="A1:XFD1048576"))
    assert len(data) < 10_000
    err, peak = refused(read_rows, data)
    assert err.params["rows"] == 1048576 and err.params["max_rows"] == 50_000
    assert peak < 1 * MB, peak


def test_too_many_rows_stop_the_stream_at_the_limit():
    data = workbook_with_sheet(rows_sheet(5_000))  # no dimension declared: streamed
    err, peak = refused(read_rows, data, XlsxLimits(max_rows=1_000))
    assert "more than 1000 rows" in str(err)
    assert peak < 4 * MB, peak


def test_too_many_cells_stop_the_stream_at_the_limit():
    data = workbook_with_sheet(rows_sheet(500, cols=26))
    err, peak = refused(read_rows, data, XlsxLimits(max_cells=2_000))
    assert "more than 2000 cells" in str(err)
    assert peak < 4 * MB, peak


def test_the_default_row_limit_on_a_real_size_file():
    """60,000 rows (the issue's 600,000-row file took 48 s): refused at 50,000."""
    data = workbook_with_sheet(rows_sheet(60_000))
    err, peak = refused(read_rows, data)
    assert err.params["max"] == 50_000
    assert peak < 40 * MB, peak


def test_both_imports_report_the_refusal_as_a_problem():
    data = workbook_with_sheet(rows_sheet(2, dimension="A1:XFD1048576"))
    roster = parse_roster("members", "danh-sach.xlsx", data)
    assert not roster.rows and "declares" in roster.problems[0].message
    bank = parse_xlsx(data)
    assert not bank.questions and "declares" in bank.problems[0].message


def png_bomb(width: int, height: int) -> bytes:
    """A valid PNG header declaring width × height pixels, with a tiny compressed body."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)
    body = b"".join(compressor.compress(row) for _ in range(min(height, 64)))
    body += compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("size", [(20_000, 20_000), (60_000, 60_000)])
def test_pixel_bomb_png_is_refused_before_decoding(size):
    data = png_bomb(*size)
    assert len(data) < 100_000
    tracemalloc.start()
    try:
        with pytest.raises(ImageRefused) as err:
            open_bounded(io.BytesIO(data))
        _, peak = tracemalloc.get_traced_memory()
        print(f"peak {peak / MB:.2f} MB")
    finally:
        tracemalloc.stop()
    assert err.value.params["max"] == 25_000_000
    assert str(size[0] * size[1]) in str(err.value) or f"{size[0]} × {size[1]}" in str(err.value)
    assert peak < 1 * MB, peak


def test_a_normal_png_still_opens():
    buf = io.BytesIO()
    Image.new("RGB", (2400, 600), "red").save(buf, format="PNG")
    buf.seek(0)
    assert open_bounded(buf).size == (1200, 300)
