"""Templates are never written over a returned report.

Units send their workbook back under the template's own name (`bao-cao-<năm>-<đơn vị>.xlsx`), so
`templates --out` pointed at a folder of returned files (or a template folder where an officer saved
a filled copy) would replace a filled report with a blank form, silently. A fresh template has every
input cell empty; an existing file at a template's name with anything typed into one of those cells
is a report and is left as it is.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
from openpyxl.utils.cell import column_index_from_string as col_index
from openpyxl.utils.cell import coordinate_from_string, get_column_letter

from xltoolkit.errors import XltoolkitError
from xltoolkit.workbook.layout import Input


def kept_reports_error(kept: list[Path], written: int) -> XltoolkitError:
    """`template-over-report` naming the files left in place (the other templates were written)."""
    shown = ", ".join(p.name for p in kept[:5]) + (f" và {len(kept) - 5} tệp khác" if len(kept) > 5 else "")
    return XltoolkitError(
        "template-over-report",
        f"Không ghi biểu mẫu lên {len(kept)} tệp trong {kept[0].parent} vì tệp đã có số liệu nhập vào "
        f"({shown}), có thể là báo cáo đơn vị gửi về: ghi biểu mẫu trống lên sẽ làm mất số liệu đó "
        f"(đã tạo {written} biểu mẫu khác). Hãy tạo biểu mẫu vào thư mục khác với --out (ví dụ …/templates), "
        "hoặc chuyển các tệp đó đi nếu chắc chắn không cần.",
    )


def holds_typed_data(path: Path, inputs: list[Input]) -> bool:
    """Whether any input cell of the file at `path` holds a value (a file that cannot be read as a
    workbook counts as holding data: it is not a template of ours, so it is not replaced unseen)."""
    wanted: dict[str, set[str]] = {}
    for i in inputs:
        wanted.setdefault(i.sheet, set()).add(i.ref)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # any unreadable file: keep it (see above)
        return True
    try:
        for sheet, refs in wanted.items():
            if sheet not in wb.sheetnames:
                continue
            cells = [coordinate_from_string(r) for r in refs]
            top, right = max(r for _, r in cells), max(col_index(c) for c, _ in cells)
            rows = wb[sheet].iter_rows(min_row=1, max_row=top, max_col=right, values_only=True)
            for r, row in enumerate(rows, start=1):
                for c, v in enumerate(row, start=1):
                    if v not in (None, "") and f"{get_column_letter(c)}{r}" in refs:
                        return True
        return False
    finally:
        wb.close()
