"""The report document as data: what a writer lays out, what `report --json` prints.

Kept apart from python-docx so the content (drafted from the consolidation) can be tested and
printed without a Word file, and a different writer could lay out the same document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

BlockStyle = Literal["heading1", "heading2", "heading3", "body", "bullet", "placeholder"]


@dataclass(frozen=True)
class Block:
    """One paragraph of the body."""

    style: BlockStyle
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"style": self.style, "text": self.text}


@dataclass(frozen=True)
class Table:
    """An appendix: its label («Phụ lục I»), title, columns (header, width in cm) and rows of text."""

    label: str
    title: str
    columns: tuple[tuple[str, float], ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""
    landscape: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "title": self.title,
            "columns": [c for c, _ in self.columns],
            "rows": [list(r) for r in self.rows],
            "note": self.note,
        }


@dataclass(frozen=True)
class Signature:
    authority: str  # quyền hạn («KT. GIÁM ĐỐC»), may be empty
    title: str  # chức vụ
    name: str

    def to_dict(self) -> dict[str, Any]:
        return {"authority": self.authority, "title": self.title, "name": self.name}


@dataclass(frozen=True)
class ReportDocument:
    """A report in the form of Nghị định 30/2020/NĐ-CP, Phụ lục I."""

    year: int
    kind: str  # "annual" | "mid_term" | "final"
    parent_body: str  # cơ quan chủ quản (upper case), may be empty
    issuing_body: str  # cơ quan ban hành (upper case)
    number: str  # «Số: …/BC-…»
    place_date: str
    title: str
    subject: str
    recipients: tuple[str, ...]
    period: str  # the reporting period sentence (Nghị định 09/2019/NĐ-CP, Điều 12)
    body: tuple[Block, ...]
    distribution: tuple[str, ...]
    signature: Signature
    appendices: tuple[Table, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "kind": self.kind,
            "parent_body": self.parent_body,
            "issuing_body": self.issuing_body,
            "number": self.number,
            "place_date": self.place_date,
            "title": self.title,
            "subject": self.subject,
            "recipients": list(self.recipients),
            "period": self.period,
            "body": [b.to_dict() for b in self.body],
            "distribution": list(self.distribution),
            "signature": self.signature.to_dict(),
            "appendices": [t.to_dict() for t in self.appendices],
        }


@dataclass(frozen=True)
class ReportResult:
    """What `xltoolkit report` produced: the file written and the document it holds."""

    path: Path | None
    document: ReportDocument

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path) if self.path else None,
            "year": self.document.year,
            "kind": self.document.kind,
            "document": self.document.to_dict(),
        }
