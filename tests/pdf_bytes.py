"""A one-page PDF written byte by byte, for tests that need exact control of the content stream."""

from __future__ import annotations


def one_page_pdf(stream: bytes, font: bytes, filter_name: str = "") -> bytes:
    """Catalog, page tree, one A4 page with ``stream`` as its content and ``font`` as /F1."""
    compression = f" /Filter /{filter_name}".encode() if filter_name else b""
    length = b"<< /Length %d%s >>" % (len(stream), compression)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        length + b"\nstream\n" + stream + b"\nendstream",
        font,
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
