"""Property: whatever the cells hold and however the zip is damaged, `validate_paths` returns a report
for every file, raises nothing, and leaves the originals' bytes unchanged."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils.exceptions import IllegalCharacterError

from xltoolkit.plan.model import Plan
from xltoolkit.template.render import template_filename
from xltoolkit.validation.validate import validate_paths
from xltoolkit.workbook.layout import build_layout

from .conftest import TEMPLATE_YEAR
from .corpus import clean_values, fill_workbook

AGENCY = "h-ben-luc"
NAMES = ["TU_1", "MAU_1", "TU_3a", "MAU_3a", "KP_NSNN", "KP_HUYDONG", "NV_1", "NGUON_1"]

cell_value = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**62), max_value=2**62),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["=1/0", "=cmd|' /C calc'!A0", "=[x.xlsx]S!A1", "9,5", "1.234.567", "-0", "1e308", "%"]),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)),
)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory, templates_dir: Path, plan: Plan) -> Path:
    tpl = templates_dir / template_filename(plan.agency(AGENCY), TEMPLATE_YEAR)
    out = tmp_path_factory.mktemp("prop") / "clean.xlsx"
    return fill_workbook(tpl, out, clean_values(plan, AGENCY, TEMPLATE_YEAR))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check(paths: list[Path], plan: Plan) -> None:
    before = [_sha(p) for p in paths]
    report = validate_paths(paths, plan)  # no exception may escape
    assert len(report.files) == len(paths)
    for f in report.files:
        f.to_dict()  # renderable
        assert all(i.message and i.code for i in f.issues)
    assert [_sha(p) for p in paths] == before


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(NAMES), cell_value, min_size=1, max_size=5))
def test_any_cell_values(clean: Path, plan: Plan, tmp_path: Path, values: dict[str, Any]) -> None:
    lay = build_layout(plan, plan.agency(AGENCY), TEMPLATE_YEAR)
    wb = openpyxl.load_workbook(clean)
    for name, value in values.items():
        inp = lay.input_by_name[name]
        try:
            wb[inp.sheet][inp.ref] = value
        except (ValueError, TypeError, IllegalCharacterError):  # openpyxl refuses some values
            wb[inp.sheet][inp.ref] = repr(value)
    out = tmp_path / "values.xlsx"
    wb.save(out)
    _check([out], plan)


damage = st.one_of(
    st.tuples(st.just("flip"), st.integers(min_value=0), st.integers(min_value=1, max_value=255)),
    st.tuples(st.just("truncate"), st.integers(min_value=0), st.just(0)),
    st.tuples(st.just("drop"), st.integers(min_value=0), st.just(0)),
    st.tuples(st.just("duplicate"), st.integers(min_value=0), st.just(0)),
    st.tuples(st.just("garble"), st.integers(min_value=0), st.integers(min_value=0, max_value=255)),
)


def _damaged(src: bytes, kind: str, at: int, arg: int) -> bytes:
    if kind == "flip":
        data = bytearray(src)
        data[at % len(data)] ^= arg
        return bytes(data)
    if kind == "truncate":
        return src[: at % len(src)]
    with zipfile.ZipFile(io.BytesIO(src)) as zin:
        infos = zin.infolist()
        victim = infos[at % len(infos)].filename
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in infos:
                data = zin.read(info.filename)
                if info.filename == victim and kind == "drop":
                    continue
                if info.filename == victim and kind == "garble":
                    data = data[: len(data) // 2] + bytes([arg]) * 16
                zout.writestr(info.filename, data)
                if info.filename == victim and kind == "duplicate":
                    zout.writestr(info.filename, data[: len(data) // 2])
    return buf.getvalue()


@pytest.mark.filterwarnings("ignore:Duplicate name")
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(damage, min_size=1, max_size=2))
def test_damaged_zip_structures(
    clean: Path, plan: Plan, tmp_path: Path, damages: list[tuple[str, int, int]]
) -> None:
    data = clean.read_bytes()
    for kind, at, arg in damages:
        if not data:
            break
        try:
            data = _damaged(data, kind, at, arg)
        except Exception:
            data = data[: len(data) // 2]  # already unreadable as a zip: damage the bytes instead
    out = tmp_path / "damaged.xlsx"
    out.write_bytes(data)
    _check([out, clean], plan)
