"""`xltoolkit report`: the Word report drafted from a consolidated sample workspace, read back as
data, through the CLI, and as the PDF LibreOffice prints (the parts Nghị định 30/2020 requires,
sizes, page numbers)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from xltoolkit.cli.main import main
from xltoolkit.consolidation.intake import consolidate
from xltoolkit.demo import libreoffice
from xltoolkit.demo.sample import generate_sample
from xltoolkit.errors import XltoolkitError
from xltoolkit.plan.model import Plan
from xltoolkit.plan.review import VERDICT_LABELS, format_value
from xltoolkit.plan.status import STATUS_LABELS
from xltoolkit.report import load_result, make_report, review_of
from xltoolkit.report.build import build_report
from xltoolkit.report.docx_writer import wrap_words

YEARS = (2021, 2024, 2025)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, plan: Plan) -> Path:
    """The demo's sample (files as openpyxl writes them) consolidated year by year into a ledger."""
    ws = tmp_path_factory.mktemp("report") / "ws"
    sample = generate_sample(plan, ws, years=YEARS, seed=7, use_libreoffice=False)
    for year in sample.years:
        consolidate(sample.folder(year), year, plan=plan, workspace=ws, received_at=sample.received_at(year))
    return ws


@pytest.fixture(scope="module")
def review_doc(workspace: Path, plan: Plan):  # type: ignore[no-untyped-def]
    result = load_result(plan, 2025, workspace, None)
    review = review_of(result, plan)
    return result, review, build_report(result, plan, review)


def test_review_year_document_content(review_doc, plan: Plan) -> None:  # type: ignore[no-untyped-def]
    plan = plan.for_year(2025)  # the edition of the review year: Tây Ninh, its communes
    result, review, doc = review_doc
    assert doc.kind == "mid_term" and doc.subject.startswith("Sơ kết giai đoạn 2021-2025")
    assert "15/12/2024" in doc.period and "14/12/2025" in doc.period
    assert doc.recipients == plan.report.recipients
    text = "\n".join(b.text for b in doc.body)
    s = review.review
    assert s is not None and f"{s.indicators_met}/{s.indicators_with_target} chỉ tiêu" in text
    headings = {int(m.group(1)): b.text for b in doc.body if (m := re.match(r"Chỉ tiêu (\d+):", b.text))}
    assert set(headings) == {i.number for i in plan.indicators}
    for ind in review.indicators:
        if ind.verdict is not None:
            assert headings[ind.number].endswith(f"— {VERDICT_LABELS[ind.verdict]}")
    for mr in result.measures:
        m = plan.measure_by_code[mr.code]
        line = next(b.text for b in doc.body if b.style == "bullet" and b.text.startswith(f"{m.name}:"))
        if mr.value is not None:
            assert format_value(m, mr.value) in line
        v = review.measures[mr.code].verdict.verdict
        assert (VERDICT_LABELS[v] if v else STATUS_LABELS[mr.status.status]) in line
    for heading in ("V. KIẾN NGHỊ, ĐỀ XUẤT", "IV. KHÓ KHĂN, VƯỚNG MẮC", "III. KINH PHÍ THỰC HIỆN"):
        assert heading in text


def test_agencies_by_name_in_plan_order(review_doc, plan: Plan) -> None:  # type: ignore[no-untyped-def]
    plan = plan.for_year(2025)  # the edition of the review year: Tây Ninh, its communes
    _, _, doc = review_doc
    text = json.dumps(doc.to_dict(), ensure_ascii=False)
    for a in plan.agencies:  # ids never printed («h-ben-luc»)
        assert f'"{a.id}' not in text and f" {a.id} " not in text
    heads = [b.text.split(". ", 1)[1] for b in doc.body if b.style == "heading2" and b.text[:1].isdigit()]
    task_heads = heads[heads.index(plan.agency_by_id[plan.consolidator].name) :]
    names = [a.name for a in plan.agencies]
    ranks = [names.index(h) for h in task_heads if h in names]
    assert ranks == sorted(ranks) and len(ranks) >= 2


def test_appendices(review_doc, plan: Plan) -> None:  # type: ignore[no-untyped-def]
    plan = plan.for_year(2025)  # the edition of the review year: Tây Ninh, its communes
    result, review, doc = review_doc
    measures, units, files = doc.appendices
    assert [r[0] for r in measures.rows] == [m.code for m in plan.measures]
    for row in measures.rows:
        v = review.measures[row[0]].verdict.verdict
        if v is not None:
            assert row[6] == VERDICT_LABELS[v]
    assert [r[1] for r in units.rows] == [plan.body_name(a) for a in plan.agencies]
    late = {plan.body_name(plan.agency_by_id[a]) for a in result.late}
    assert {r[1] for r in units.rows if r[3] == "Gửi muộn"} == late
    assert len(files.rows) == len(result.submissions)
    hashes = [s.sha256 for s in result.submissions]
    flat = " ".join(" ".join(r) for r in files.rows)
    assert not any(h[:12] in flat for h in hashes)


def test_annual_report_and_empty_workspace(workspace: Path, plan: Plan, tmp_path: Path) -> None:
    res = make_report(plan, 2024, workspace=workspace, output=tmp_path / "bc.docx")
    assert res.document.kind == "annual" and res.document.subject.endswith("năm 2024")
    assert res.path is not None and res.path.stat().st_size > 10_000
    assert [p.name for p in tmp_path.iterdir()] == ["bc.docx"]  # no temporary file left
    text = " ".join(b.text for b in res.document.body)
    assert "Sơ kết" not in res.document.subject and "chỉ tiêu có mục tiêu năm 2024" not in text
    with pytest.raises(XltoolkitError) as e:
        make_report(plan, 2025, workspace=tmp_path / "empty")
    assert e.value.code == "ledger-not-found"
    with pytest.raises(XltoolkitError) as e:
        make_report(plan, 2023, workspace=workspace, write=False)
    assert e.value.code == "nothing-received"


def test_cli_json_is_to_dict(workspace: Path, plan: Plan, tmp_path: Path) -> None:
    out = tmp_path / "bao-cao.docx"
    args = ["report", "--year", "2025", "--workspace", str(workspace), "-o", str(out), "--json"]
    run = CliRunner().invoke(main, args)
    assert run.exit_code == 0, run.output
    assert json.loads(run.output) == make_report(plan, 2025, workspace=workspace, output=out).to_dict()
    run = CliRunner().invoke(main, ["report", "--year", "2025", "--workspace", str(tmp_path / "x"), "--json"])
    assert run.exit_code == 2 and json.loads(run.output)["error"]["code"] == "ledger-not-found"


@given(st.lists(st.text(alphabet="ABCĐỘ -", min_size=1, max_size=12), min_size=1, max_size=8))
def test_wrap_words(words: list[str]) -> None:
    text = " ".join(words)
    lines = wrap_words(text, 25)
    assert " ".join(lines) == " ".join(text.split())
    assert all(len(line) <= 25 or " " not in line for line in lines)


# ------------------------------------------------------------------------------------- the printed page


def _to_pdf(docx: Path, out_dir: Path) -> Path:
    soffice = libreoffice.find_soffice()
    assert soffice is not None
    with tempfile.TemporaryDirectory(prefix="xltk-lo-") as profile:
        cmd = [soffice, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--norestore"]
        subprocess.run(
            [*cmd, "--convert-to", "pdf", "--outdir", str(out_dir), str(docx)],
            capture_output=True,
            timeout=300,
            check=False,
        )
    pdf = out_dir / (docx.stem + ".pdf")
    assert pdf.exists(), "LibreOffice Writer could not convert the report (is libreoffice-writer installed?)"
    return pdf


@pytest.fixture(scope="module")
def pdf(workspace: Path, plan: Plan, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pdf")
    res = make_report(plan, 2025, workspace=workspace, output=out / "bao-cao-2025.docx")
    assert res.path is not None
    return _to_pdf(res.path, out)


@pytest.mark.libreoffice
def test_pdf_has_the_required_parts(require_libreoffice: None, pdf: Path) -> None:
    pdfplumber = pytest.importorskip("pdfplumber")
    with pdfplumber.open(pdf) as doc:
        pages = [p.extract_text() or "" for p in doc.pages]
        lines = doc.pages[0].extract_text_lines()
    text = "\n".join(pages)
    flat = re.sub(r"\s+", " ", text)
    for part in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "/BC-",
        "BÁO CÁO",
        "Kính gửi",
        "Nơi nhận",
        "(Ký, ghi rõ họ tên, đóng dấu)",
        "từ ngày 15/12/2024 đến ngày 14/12/2025",
        "Phụ lục I",
        "Phụ lục II",
        "Phụ lục III",
        "KIẾN NGHỊ, ĐỀ XUẤT",
    ):
        assert part in flat, part
    assert re.search(r"Số:\s+/BC-", pages[0])
    # by characters: a machine without full Vietnamese Times substitutes a font for some letters
    for phrase, lo, hi in (
        ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 12, 13),
        ("Độc lập - Tự do - Hạnh phúc", 13, 14),
    ):
        line = next(ln for ln in lines if phrase in ln["text"])  # on one line: the column fits it
        start = line["text"].index(phrase)
        chars = [c for c in line["chars"] if c["text"].strip()]
        ink = [c for c in chars if c["x0"] >= chars[start - line["text"][:start].count(" ")]["x0"]]
        assert all("Bold" in c["fontname"] and lo - 0.5 <= c["size"] <= hi + 0.5 for c in ink), phrase


@pytest.mark.libreoffice
def test_pdf_sizes_margins_and_page_numbers(require_libreoffice: None, pdf: Path) -> None:
    pdfplumber = pytest.importorskip("pdfplumber")
    with pdfplumber.open(pdf) as doc:
        assert len(doc.pages) >= 3
        sizes: Counter[float] = Counter()
        for i, page in enumerate(doc.pages, 1):
            chars = [c for c in page.chars if c["text"].strip()]
            assert chars
            sizes.update(round(c["size"]) for c in chars)
            assert min(c["size"] for c in chars) >= 9, f"page {i}: text under 9 pt"
            top = [w["text"] for w in page.extract_words() if w["bottom"] < 50]
            if i == 1:
                assert top == []  # no number on the first page
            else:
                assert str(i) in top, f"page {i} is not numbered in its header"
            if page.width < page.height:  # portrait: the decree's left margin (30 mm = 85 pt)
                assert min(c["x0"] for c in chars) >= 80
        assert sizes.most_common(1)[0][0] in (13, 14)  # body text Times 13-14


@pytest.mark.libreoffice
def test_pdf_pages_render(require_libreoffice: None, pdf: Path, tmp_path: Path) -> None:
    """The pages rasterise (what an officer would look at); page 1 and an appendix page are kept."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) not installed")
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(tmp_path / "p")], check=True, timeout=300)
    pngs = sorted(tmp_path.glob("p-*.png"))
    assert len(pngs) >= 3 and all(p.stat().st_size > 1000 for p in pngs)
