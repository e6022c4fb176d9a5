"""What a PDF made with fpdf2 puts on its pages, read back with pypdf: every run of
text with its box (measured with the core fonts' own widths), every point a drawn
path passes through, and any word spacing (the mark of justified text). Tests check
the layout against the margins with it, not just that the bytes start with %PDF."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from fpdf.fonts import CORE_FONTS, CORE_FONTS_CHARWIDTHS
from pypdf import PdfReader
from pypdf.generic import ContentStream

MM = 72 / 25.4  # points per millimetre
# PDF base font name -> fpdf's key for its character widths.
WIDTHS = {name: CORE_FONTS_CHARWIDTHS[key] for key, name in CORE_FONTS.items()}
Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _times(m: Matrix, n: Matrix) -> Matrix:
    """m then n (PDF row-vector convention)."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (
        a * p + b * r,
        a * q + b * s,
        c * p + d * r,
        c * q + d * s,
        e * p + f * r + t,
        e * q + f * s + u,
    )


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])


@dataclass(frozen=True)
class Ink:
    page: int
    kind: str  # "text" or "path"
    x0: float
    y0: float
    x1: float
    y1: float
    text: str = ""


@dataclass
class Layout:
    """Every page's size (points), the ink on them and the word spacings set."""

    sizes: list[tuple[float, float]] = field(default_factory=list)
    inks: list[Ink] = field(default_factory=list)
    word_spacing: list[float] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(i.text for i in self.inks if i.kind == "text")

    def outside(self, left_mm: float, top_mm: float, bottom_mm: float) -> list[Ink]:
        """Ink beyond the margins (the right margin is the left one, as fpdf2 sets it)."""
        out = []
        for ink in self.inks:
            width, height = self.sizes[ink.page]
            if (
                ink.x0 < left_mm * MM - 0.05
                or ink.x1 > width - left_mm * MM + 0.05
                or ink.y1 > height - top_mm * MM + 0.05
                or ink.y0 < bottom_mm * MM - 0.05
            ):
                out.append(ink)
        return out


@dataclass
class _State:
    ctm: Matrix = IDENTITY
    stack: list[Matrix] = field(default_factory=list)
    text_matrix: Matrix = IDENTITY
    line_matrix: Matrix = IDENTITY
    font: str = ""
    size: float = 0.0
    char_spacing: float = 0.0
    word_spacing: float = 0.0
    leading: float = 0.0


def _text_ink(page: int, s: _State, text: str) -> Ink:
    widths = WIDTHS.get(s.font, WIDTHS["Helvetica"])
    advance = sum(widths.get(ch, 500) * s.size / 1000 + s.char_spacing for ch in text)
    advance += s.word_spacing * text.count(" ")
    m = _times(s.text_matrix, s.ctm)
    x0, y0 = _apply(m, 0, -0.22 * s.size)  # descenders
    x1, y1 = _apply(m, advance, 0.75 * s.size)  # cap height
    s.text_matrix = _times((1, 0, 0, 1, advance, 0), s.text_matrix)
    return Ink(page, "text", min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1), text)


def _path_points(op: bytes, args: list[float]) -> list[tuple[float, float]]:
    if op == b"re":
        x, y, w, h = args
        return [(x, y), (x + w, y + h)]
    if op in (b"m", b"l", b"c", b"v", b"y"):
        return [(args[i], args[i + 1]) for i in range(0, len(args), 2)]
    return []


def read_layout(data: bytes) -> Layout:
    reader = PdfReader(io.BytesIO(data))
    layout = Layout()
    for number, page in enumerate(reader.pages):
        box = page.mediabox
        layout.sizes.append((float(box.width), float(box.height)))
        fonts = page["/Resources"].get_object().get("/Font", {})
        s = _State()
        for operands, op in ContentStream(page.get_contents(), reader).operations:
            args = [float(a) for a in operands if isinstance(a, (int, float))]
            if op == b"q":
                s.stack.append(s.ctm)
            elif op == b"Q":
                s.ctm = s.stack.pop()
            elif op == b"cm":
                s.ctm = _times(tuple(args), s.ctm)  # type: ignore[arg-type]
            elif op == b"BT":
                s.text_matrix = s.line_matrix = IDENTITY
            elif op == b"Tf":
                s.font = str(fonts[operands[0]].get_object()["/BaseFont"]).lstrip("/")
                s.size = args[0]
            elif op == b"Tc":
                s.char_spacing = args[0]
            elif op == b"Tw":
                s.word_spacing = args[0]
                layout.word_spacing.append(args[0])
            elif op == b"TL":
                s.leading = args[0]
            elif op in (b"Td", b"TD"):
                s.line_matrix = _times((1, 0, 0, 1, args[0], args[1]), s.line_matrix)
                s.text_matrix = s.line_matrix
                s.leading = -args[1] if op == b"TD" else s.leading
            elif op == b"Tm":
                s.text_matrix = s.line_matrix = tuple(args)  # type: ignore[assignment]
            elif op == b"T*":
                s.line_matrix = _times((1, 0, 0, 1, 0, -s.leading), s.line_matrix)
                s.text_matrix = s.line_matrix
            elif op == b"Tj":
                layout.inks.append(_text_ink(number, s, str(operands[0])))
            elif op == b"TJ":
                for part in operands[0]:
                    if isinstance(part, (int, float)):
                        shift = -float(part) / 1000 * s.size
                        s.text_matrix = _times((1, 0, 0, 1, shift, 0), s.text_matrix)
                    else:
                        layout.inks.append(_text_ink(number, s, str(part)))
            else:
                for x, y in _path_points(op, args):
                    px, py = _apply(s.ctm, x, y)
                    layout.inks.append(Ink(number, "path", px, py, px, py))
    return layout
