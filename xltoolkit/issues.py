"""The one issue model: every finding, from a file fault to a broken rule, is an `Issue`.

A stable English code for machines, a severity, the sheet and cell, and a Vietnamese message the officer
can act on. Every code lives in the catalogue below with its severity and message, so the CLI, the
feedback copy, the add-in and the ledger all speak the same codes; tests key on codes, never on wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]

#: How each severity is named to the officer and the colour its cells are highlighted with (RGB hex,
#: no '#'), the same in the feedback copy, the add-in and the templates' legend.
SEVERITY_LABELS: dict[str, str] = {"error": "LỖI", "warning": "CẢNH BÁO"}
SEVERITY_FILLS: dict[str, str] = {"error": "F8CBAD", "warning": "FFE699"}


@dataclass(frozen=True)
class Issue:
    """One finding. `error` blocks use of the value (or the file); `warning` is shown only."""

    code: str
    severity: Severity
    message: str
    sheet: str | None = None
    cell: str | None = None
    measure: str | None = None

    def __post_init__(self) -> None:
        if self.code not in MESSAGES:
            raise ValueError(f"issue code {self.code!r} is not in the catalogue (xltoolkit/issues.py)")
        if self.severity not in SEVERITY_LABELS:
            raise ValueError(f"unknown severity {self.severity!r}")

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def to_dict(self) -> dict[str, str | None]:
        return {
            "code": self.code,
            "severity": self.severity,
            "sheet": self.sheet,
            "cell": self.cell,
            "measure": self.measure,
            "message": self.message,
        }


SEVERITY: dict[str, Severity] = {
    "lock-file": "warning",
    "macro-enabled": "warning",
    "duplicate-file": "warning",
    "sheet-unprotected": "warning",
    "plan-version-differs": "warning",
    "fingerprint-unverifiable": "warning",
    "implausible-value": "warning",
    "yoy-jump": "warning",
    "missing-task-result": "warning",
    "unsafe-hyperlink": "warning",
    "no-feedback-copy": "warning",
    "no-data-without-reason": "warning",
    "other-year": "warning",
    "received-in-future": "warning",
    "file-named-for-other-unit": "warning",
    "feedback-sheet-missing": "warning",
}

RETURN_TEMPLATE = "Hãy dùng lại biểu mẫu gốc đã được gửi, điền số liệu và gửi lại."

MESSAGES: dict[str, str] = {
    # ---- file level
    "lock-file": "Đây là tệp khóa tạm của Excel («~$…», tạo ra khi tệp đang mở), không phải báo cáo; "
    "đã bỏ qua. Không cần gửi tệp này.",
    "file-unreadable": "Không đọc được tệp ({reason}). Kiểm tra lại tệp rồi gửi lại.",
    "empty-file": "Tệp rỗng (0 byte), có thể bị lỗi khi đính kèm thư. Hãy gửi lại tệp báo cáo .xlsx.",
    "file-too-large": "Tệp quá lớn ({size_mb} MB; giới hạn {limit_mb} MB), không phải biểu mẫu báo cáo. "
    + RETURN_TEMPLATE,
    "not-a-zip": "Tệp không phải là sổ làm việc Excel (.xlsx) (có thể là tệp khác bị đổi tên đuôi). "
    "Hãy mở biểu mẫu bằng Excel, điền số liệu, lưu dạng .xlsx rồi gửi lại.",
    "legacy-xls": "Tệp ở định dạng Excel cũ (.xls). Hãy mở tệp bằng Excel, chọn Tệp > Lưu thành > "
    "«Sổ làm việc Excel (*.xlsx)» rồi gửi lại; tốt nhất là điền vào biểu mẫu .xlsx gốc.",
    "encrypted-workbook": "Tệp đã được đặt mật khẩu mở tệp nên không đọc được. Trong Excel chọn Tệp > "
    "Thông tin > Bảo vệ sổ làm việc > Mã hóa bằng mật khẩu, xóa mật khẩu, lưu rồi gửi lại.",
    "corrupt-zip": "Tệp .xlsx bị hỏng (không giải nén được; có thể tệp bị lỗi khi sao chép hoặc gửi qua "
    "thư). Hãy mở tệp gốc bằng Excel, lưu lại dạng .xlsx (Tệp > Lưu thành) rồi gửi lại.",
    "corrupt-xml": "Nội dung tệp .xlsx bị hỏng. Hãy mở tệp bằng Excel, lưu lại rồi gửi lại.",
    "corrupt-workbook": "Nội dung bảng tính bị hỏng (có thể tệp bị lỗi khi sao chép hoặc gửi qua thư). "
    "Hãy mở tệp gốc bằng Excel, lưu lại dạng .xlsx (Tệp > Lưu thành) rồi gửi lại.",
    "sheet-out-of-range": "Trang «{sheet}» có dữ liệu ở ô {cell}, cách rất xa vùng biểu mẫu, nên tệp không "
    "được đọc (đọc tới ô đó cần tới {cells} ô bảng tính, làm treo máy). Hãy mở tệp, xóa nội dung ô {cell} "
    "(trong Excel: gõ {cell} vào ô Tên ở góc trái trên rồi nhấn Delete), lưu rồi gửi lại; hoặc dùng lại "
    "biểu mẫu gốc.",
    "zip-bomb": "Tệp có nội dung nén bất thường (kích thước giải nén quá lớn) nên bị từ chối vì lý do "
    "an toàn. " + RETURN_TEMPLATE,
    "unsafe-xml": "Tệp chứa cấu trúc XML không an toàn (khai báo thực thể) nên bị từ chối. "
    + RETURN_TEMPLATE,
    "unsupported-format": "Tệp ở định dạng {kind} không được hỗ trợ. Hãy mở bằng Excel, chọn Tệp > "
    "Lưu thành > «Sổ làm việc Excel (*.xlsx)» rồi gửi lại.",
    "other-year": "Tệp là báo cáo năm {file_year}, không thuộc kỳ tổng hợp năm {year}; đã lưu vào sổ theo "
    "dõi năm {file_year} và được dùng khi tổng hợp năm đó.",
    "file-named-for-other-unit": "Tên tệp «{name}» là tên biểu mẫu của {named}, nhưng nội dung là báo cáo "
    "của {found}: số liệu được tính cho {found}. Nếu đây thực ra là báo cáo của {named} (điền nhầm vào biểu "
    "mẫu của đơn vị khác), hãy đề nghị {named} điền lại vào đúng biểu mẫu của mình và gửi lại.",
    "received-in-future": "Thời điểm sửa tệp ({stamp}) ở tương lai, không tin được: tệp được tính là nhận "
    "vào lúc được tiếp nhận lần đầu. Nếu biết ngày nhận thực tế, hãy nhập bằng --received-at.",
    "recorded-issue": "{text}",
    "validator-crashed": "Không kiểm tra được tệp {name} ({reason}). Tệp đã được lưu lại; hãy báo cho "
    "người quản trị công cụ.",
    "read-failed": "Không đọc được nội dung tệp (tệp bị hỏng hoặc có cấu trúc lạ). Hãy mở tệp bằng Excel, "
    "lưu lại dạng .xlsx (Tệp > Lưu thành) rồi gửi lại; nếu vẫn lỗi, hãy dùng lại biểu mẫu gốc.",
    "not-a-workbook": "Tệp không phải là sổ làm việc Excel (.xlsx). " + RETURN_TEMPLATE,
    "macro-enabled": "Tệp có chứa macro (.xlsm). Số liệu vẫn được đọc, macro không được chạy. "
    "Lần sau hãy lưu dạng .xlsx (Sổ làm việc Excel).",
    "external-link": "Tệp có {count} liên kết ra ngoài ({kind}). Biểu mẫu không được chứa liên kết tới "
    "tệp hay chương trình khác: hãy xóa các liên kết (Dữ liệu > Sửa liên kết > Ngắt liên kết) hoặc dùng lại "
    "biểu mẫu gốc, rồi gửi lại.",
    "unsafe-hyperlink": "Ô {cell} chứa liên kết không an toàn («{target}»); liên kết đã bị bỏ khỏi bản "
    "kiểm tra gửi lại. Không chèn liên kết vào biểu mẫu.",
    "no-feedback-copy": "Không tạo bản sao có đánh dấu lỗi cho tệp này: tệp không mở được an toàn (xem lỗi "
    "của tệp). Hãy sửa theo lỗi đó rồi gửi lại.",
    "blank-report": "Tệp không có số liệu nào (biểu mẫu trống) nên không thay cho báo cáo năm {year} của đơn "
    "vị đã nhận lúc {received}; báo cáo đó vẫn được dùng. Nếu muốn gửi lại, hãy điền số liệu vào biểu mẫu "
    "rồi gửi.",
    "duplicate-file": "Tệp này trùng nội dung với tệp «{other}» trong cùng lần kiểm tra; "
    "chỉ cần gửi một tệp.",
    # ---- metadata and integrity
    "not-a-template": "Tệp không phải là biểu mẫu báo cáo của kế hoạch (không có phần thông tin biểu "
    "mẫu). " + RETURN_TEMPLATE,
    "meta-invalid": "Thông tin biểu mẫu (trang ẩn «_meta») bị thiếu hoặc sai: {detail}. " + RETURN_TEMPLATE,
    "unsupported-template-version": "Biểu mẫu phiên bản «{found}» không còn được hỗ trợ (hỗ trợ: "
    "{supported}). Hãy điền vào biểu mẫu mới nhất rồi gửi lại.",
    "wrong-plan": "Biểu mẫu thuộc kế hoạch «{found}», không phải kế hoạch «{expected}». " + RETURN_TEMPLATE,
    "plan-version-differs": "Biểu mẫu được tạo từ kế hoạch phiên bản {found} (hiện hành: {expected}). "
    "Số liệu vẫn được đọc; lần sau hãy dùng biểu mẫu mới.",
    "unknown-agency": "Biểu mẫu ghi cơ quan «{found}» không có trong kế hoạch. " + RETURN_TEMPLATE,
    "agency-not-in-force": "Biểu mẫu của {found}, nhưng đơn vị này không còn (hoặc chưa) báo cáo vào năm "
    "{year}: từ 1/7/2025 các xã, phường báo cáo thay cho cấp huyện. Hãy dùng biểu mẫu năm {year} của "
    "đơn vị đang báo cáo.",
    "wrong-agency": "Đây là biểu mẫu của {found_name}, không phải của {expected_name}. Hãy điền vào biểu "
    "mẫu đúng của đơn vị mình rồi gửi lại.",
    "wrong-year": "Đây là biểu mẫu năm {found}, không phải năm {expected}. Hãy điền vào biểu mẫu năm "
    "{expected} rồi gửi lại.",
    "sheet-missing": "Thiếu trang «{sheet}» của biểu mẫu (bị xóa hoặc đổi tên). " + RETURN_TEMPLATE,
    "sheet-renamed": "Trang «{sheet}» của biểu mẫu đã bị đổi tên thành «{found}» (tên có thể trông giống "
    "hệt nhưng khác cách gõ dấu), nên không đọc được số liệu trên trang này. " + RETURN_TEMPLATE,
    "sheet-unprotected": "Trang «{sheet}» đã bị bỏ khóa bảo vệ. Số liệu vẫn được kiểm tra; lần sau "
    "không mở khóa bảo vệ trang.",
    "locked-cell-changed": "Ô {cell} là nội dung cố định của biểu mẫu nhưng đã bị sửa: cần là «{expected}», "
    "hiện là «{found}». Hãy dùng lại biểu mẫu gốc (không sửa ô này) rồi gửi lại.",
    "formula-changed": "Công thức ở ô {cell} đã bị sửa: cần là «{expected}», hiện là «{found}». "
    + RETURN_TEMPLATE,
    "merge-changed": "Việc gộp ô {cell} trên trang «{sheet}» đã bị thay đổi. " + RETURN_TEMPLATE,
    "rows-shifted": "Các dòng trên trang «{sheet}» đã bị chèn hoặc xóa: {detail}. Không chèn, xóa dòng "
    "trong biểu mẫu. " + RETURN_TEMPLATE,
    "name-missing": "Ô nhập liệu «{name}» ({label}) không còn trong tệp (tên vùng bị xóa). "
    + RETURN_TEMPLATE,
    "name-redirected": "Tên vùng «{name}» của ô nhập liệu {cell} đã bị sửa để trỏ tới ô {found}: các tên "
    "vùng (Name Manager) của sổ làm việc đã bị thay đổi nên không thể tin số liệu đọc được. "
    + RETURN_TEMPLATE,
    "fingerprint-mismatch": "Dấu kiểm tra của biểu mẫu không khớp với nội dung: biểu mẫu đã bị sửa ngoài "
    "các ô nhập liệu hoặc không phải biểu mẫu gốc. " + RETURN_TEMPLATE,
    "fingerprint-unverifiable": "Không xác minh được dấu kiểm tra của biểu mẫu (chưa cấu hình khóa bí mật "
    "XLTOOLKIT_SECRET); nội dung vẫn được so với biểu mẫu chuẩn.",
    "too-many-changes": "Còn {count} thay đổi khác trên trang «{sheet}» không liệt kê hết. "
    + RETURN_TEMPLATE,
    # ---- values
    "missing-value": "Chưa nhập {what} ở ô {cell}. Hãy gõ {hint} vào ô {cell} (nếu số liệu thực sự bằng 0 "
    "thì gõ 0).",
    "no-data-without-reason": "«{what}» được đánh dấu «Không có số liệu» ở ô {status_cell} nhưng chưa ghi "
    "lý do. Hãy ghi lý do vào ô {cell} (ví dụ: chưa có hệ thống thu thập số liệu này).",
    "rule-violated": "{rule_message} ({left_label} = {left}; {right_label} = {right}). Hãy kiểm tra lại "
    "các ô {cells}.",
    "number-as-text": "Ô {cell} ({what}) đang chứa chữ «{raw}», không phải số. Có lẽ ý là {meant}: hãy "
    "xóa ô {cell} rồi gõ lại {meant} chỉ bằng chữ số{tail}.",
    "not-a-number": "Ô {cell} ({what}) phải là số nhưng đang chứa «{raw}». Hãy xóa ô {cell} và gõ {hint}.",
    "negative-value": "Ô {cell} ({what}) là số âm ({found}). Hãy gõ số không âm vào ô {cell}.",
    "not-whole-number": "Ô {cell} ({what}) phải là số nguyên (số lượng) nhưng đang là {found}. Hãy gõ số "
    "nguyên, ví dụ {example}, vào ô {cell}.",
    "formula-in-input": "Ô {cell} là ô nhập liệu nhưng đang chứa công thức «{formula}». Ô nhập liệu chỉ "
    "được chứa số hoặc chữ gõ trực tiếp: hãy xóa công thức và gõ giá trị vào ô {cell}.",
    "value-out-of-range": "Ô {cell} ({what}) là {found}, lớn bất thường (không thể vượt quá {limit}). Hãy "
    "kiểm tra lại số đã gõ vào ô {cell} (có thể gõ thừa chữ số).",
    "numerator-exceeds-denominator": "Chỉ tiêu {measure}: Tử số ({numerator}, ô {cell}) lớn hơn Mẫu số "
    "({denominator}, ô {partner_cell}). Tử số không thể lớn hơn Mẫu số: hãy kiểm tra và sửa một trong hai ô.",
    "zero-denominator": "Chỉ tiêu {measure}: Mẫu số ở ô {cell} bằng 0 nhưng Tử số (ô {partner_cell}) là "
    "{numerator}. Hãy nhập đúng Mẫu số vào ô {cell}, hoặc Tử số bằng 0 nếu không có trường hợp nào.",
    "implausible-value": "Chỉ tiêu {measure}: kết quả tính lại là {value} {unit}, cao bất thường (thường "
    "không quá {limit}). Hãy kiểm tra lại Tử số (ô {num_cell}) và Mẫu số (ô {den_cell}).",
    "yoy-jump": "Chỉ tiêu {measure}: kết quả {value} {unit} thay đổi nhiều so với năm {prev_year} "
    "({prev}). Hãy kiểm tra lại Tử số (ô {num_cell}) và Mẫu số (ô {den_cell}); nếu đúng, ghi lý do vào "
    "cột «Ghi chú».",
    "missing-task-result": "Chưa nhập kết quả thực hiện nhiệm vụ {no} ở ô {cell}. Hãy ghi ngắn gọn kết quả "
    "đã làm trong năm (hoặc «Không phát sinh»).",
    "feedback-sheet-missing": "Thiếu trang «{sheet}» (bị xóa hoặc đổi tên). Trang này chỉ dùng để hiện kết "
    "quả kiểm tra, không chứa số liệu: báo cáo vẫn được đọc bình thường. Lần sau không xóa trang này.",
    # ---- release testing, session 6
    # An officer-given received time that cannot be true (a usage error of `consolidate`, exit 2; the
    # wording of each side is a variant below).
    "received-at-out-of-range": "Ngày nhận {value}{whom} không hợp lệ: phải từ ngày {earliest} đến nay. Hãy "
    "kiểm tra lại ngày đã nhập (--received-at). Chưa có tệp nào được tiếp nhận.",
    # add-in payloads
    # A request to the add-in server refused before any script runs (xltoolkit/addin/payload.py and the
    # guard in server.py), answered with an HTTP 4xx as JSON {"code", "detail"}; the Office.js client
    # shows `detail` in its alert. `internal-error` is the server's last resort (HTTP 500).
    "addin-payload-unreadable": "Máy chủ add-in không đọc được dữ liệu sổ tính gửi lên ({reason}), nên chưa "
    "thực hiện được. Hãy đóng rồi mở lại sổ tính trong Excel và bấm lại nút trên thẻ «Trẻ em»; nếu vẫn lỗi, "
    "báo cho bộ phận tổng hợp của Sở.",
    "addin-payload-shape": "Dữ liệu sổ tính gửi lên không đúng cấu trúc mà add-in «Trẻ em» trong Excel gửi "
    "(chỗ sai: {where}), nên máy chủ không xử lý. Hãy đóng rồi mở lại ngăn «Trẻ em» (hoặc khởi động lại "
    "Excel) và bấm lại; nếu vẫn lỗi, báo cho bộ phận tổng hợp của Sở kèm nguyên văn thông báo này.",
    "addin-payload-cell": "Ô {cell} trên trang «{sheet}» chứa {what}, nên máy chủ không xử lý sổ tính. Hãy "
    "xóa ô {cell}, gõ lại giá trị, lưu tệp rồi bấm lại; nếu vẫn lỗi, báo cho bộ phận tổng hợp của Sở.",
    "addin-payload-args": "Lệnh gửi lên kèm tham số không hợp lệ ({detail}), nên máy chủ không thực hiện. "
    "Hãy bấm lại nút trên thẻ «Trẻ em» (các nút không cần nhập tham số nào).",
    "addin-payload-version": "Yêu cầu gửi từ «{client}» dùng xlwings phiên bản {found}, khác phiên bản của "
    "máy chủ ({expected}), nên máy chủ không xử lý. Hãy bấm nút trên thẻ «Trẻ em» của add-in trong Excel, "
    "không dùng macro hay công cụ khác để gửi sổ tính.",
    "addin-payload-content-type": "Yêu cầu gửi lên không phải dữ liệu JSON của add-in (kiểu nội dung "
    "«{found}»), nên máy chủ không xử lý. Hãy bấm nút trên thẻ «Trẻ em» trong Excel; nếu vẫn lỗi, báo cho "
    "bộ phận tổng hợp của Sở.",
    "addin-body-too-large": "Sổ tính quá lớn để gửi lên máy chủ (giới hạn {limit_mb} MB). Hãy xóa các dòng, "
    "cột thừa ở xa bảng số liệu, lưu tệp rồi bấm lại; nếu sổ tính thực sự lớn như vậy, báo cho bộ phận tổng "
    "hợp của Sở để nâng giới hạn của máy chủ.",
    "addin-token-wrong": "Mã truy cập không đúng. Mở «Cài đặt» trên thẻ «Trẻ em» và nhập lại mã do Sở cung "
    "cấp.",
    "addin-not-genuine": "Yêu cầu không đến từ add-in «Trẻ em» của máy chủ này nên bị từ chối. Hãy bấm nút "
    "trên thẻ «Trẻ em» trong Excel (sau khi nạp manifest của máy chủ).",
    "addin-not-found": "Máy chủ add-in không có chức năng được yêu cầu. Nếu thông báo này hiện khi bấm nút "
    "trên thẻ «Trẻ em», hãy cài lại add-in bằng manifest mới nhất của máy chủ rồi bấm lại.",
    "internal-error": "Máy chủ add-in gặp lỗi ngoài dự kiến nên chưa thực hiện được; sổ tính chưa bị thay "
    "đổi. Hãy lưu tệp và bấm lại; nếu vẫn lỗi, báo cho bộ phận tổng hợp của Sở kèm thời điểm bấm nút.",
}


#: Message variants of a code (same code, same severity, wording fitted to the cell): `issue(variant=…)`.
VARIANTS: dict[str, str] = {
    "sheet-out-of-range:spread": "Trang «{sheet}» có dữ liệu trải ra rất xa vùng biểu mẫu, nên tệp không "
    "được đọc (cần tới {cells} ô bảng tính, làm treo máy). Hãy chép phần số liệu sang biểu mẫu gốc, lưu "
    "rồi gửi lại.",
    "unsupported-template-version:older": "Biểu mẫu phiên bản «{found}» là mẫu cũ (mẫu số nhập ở từng chỉ "
    "tiêu), không còn được nhận (phiên bản hiện hành: {supported}). Hãy tải biểu mẫu mới, nhập số liệu chung "
    "một lần ở mục I rồi gửi lại; số liệu các năm trước đã lưu trong sổ theo dõi vẫn được dùng.",
    "missing-value:element": "Chưa nhập «{what}» ở ô {cell}. Hãy gõ {hint} vào ô {cell} (nếu số liệu thực "
    "sự bằng 0 thì gõ 0). Nếu đơn vị không có số liệu này, đừng gõ 0: chọn «Không có số liệu» ở ô "
    "{status_cell} và ghi lý do ở ô {reason_cell}.",
    "yoy-jump:element": "«{what}» là {value} (ô {cell}), thay đổi nhiều so với năm {prev_year} ({prev}). "
    "Hãy kiểm tra lại số đã gõ; nếu đúng, ghi lý do vào ô ghi chú của số liệu này.",
    "number-as-text:whole": "Ô {cell} ({what}) phải là số nguyên (số lượng) nhưng đang chứa chữ «{raw}». "
    "Hãy xóa ô {cell} rồi gõ số lượng nguyên không âm chỉ bằng chữ số (ví dụ 1250), không gõ phần thập "
    "phân hay ký hiệu.",
    # ---- release testing, session 6
    "received-at-out-of-range:future": "Ngày nhận {value}{whom} muộn hơn thời điểm hiện tại ({now}) quá "
    "{days} ngày: không thể đã nhận tệp vào ngày đó. Có lẽ gõ nhầm năm (ví dụ 2062 thay cho 2026) hoặc đảo "
    "ngày với tháng. Hãy nhập lại --received-at theo dạng NNNN-TT-NN (ví dụ 2026-12-20) hoặc NN/TT/NNNN; "
    "nếu đồng hồ của máy tính này bị sai, hãy chỉnh lại đồng hồ trước. Chưa có tệp nào được tiếp nhận.",
    "received-at-out-of-range:past": "Ngày nhận {value}{whom} sớm hơn ngày {earliest}: báo cáo năm {year} "
    "không thể được nhận sớm như vậy. Có lẽ gõ nhầm năm; hãy nhập lại --received-at theo dạng NNNN-TT-NN "
    "(ví dụ 2026-12-20) hoặc NN/TT/NNNN. Nếu đây là ngày nhận của một báo cáo năm trước nằm lẫn trong thư "
    "mục, hãy tổng hợp năm của báo cáo đó (--year) với ngày nhận này. Chưa có tệp nào được tiếp nhận.",
    # A defined name of an input leading to no cell: `#REF!` (the cell it named was deleted with its row
    # or column, or the name was edited), or a range or a constant instead of the cell.
    "name-missing:broken": "Tên vùng «{name}» của ô nhập liệu {cell} ({label}) trên trang «{sheet}» nay "
    "trỏ tới «{found}»: ô mà tên vùng chỉ tới đã bị xóa (thường do xóa dòng hoặc cột của biểu mẫu, hoặc "
    "do sửa tên vùng trong Name Manager), nên không đọc được số liệu của ô này. Không xóa dòng, cột hay "
    "sửa tên vùng trong biểu mẫu. " + RETURN_TEMPLATE,
    "name-redirected:other": "Tên vùng «{name}» của ô nhập liệu {cell} ({label}) trên trang «{sheet}» đã "
    "bị sửa thành «{found}», không còn trỏ tới ô nhập liệu: các tên vùng (Name Manager) của sổ làm việc "
    "đã bị thay đổi nên không thể tin số liệu đọc được. " + RETURN_TEMPLATE,
}


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "…"


def severity_of(code: str) -> Severity:
    if code not in MESSAGES:
        raise ValueError(f"issue code {code!r} is not in the catalogue (xltoolkit/issues.py)")
    return SEVERITY.get(code, "error")


#: Placeholders that quote what a returned file holds, and how much of it a message quotes.
QUOTED = ("raw", "found", "expected")
MAX_QUOTED = 200


def _clip(text: str) -> str:
    """A file's text as a message quotes it: a 40,000-character cell must not become the message."""
    if len(text) <= MAX_QUOTED:
        return text
    count = f"{len(text):,}".replace(",", ".")
    return f"{text[:MAX_QUOTED]}… ({count} ký tự)"


def message(code: str, variant: str | None = None, **kw: Any) -> str:
    template = VARIANTS[f"{code}:{variant}"] if variant else MESSAGES[code]
    for key in QUOTED:
        if isinstance(kw.get(key), str):
            kw[key] = _clip(kw[key])
    return template.format_map(_Blank(kw))


def issue(
    code: str,
    sheet: str | None = None,
    cell: str | None = None,
    measure: str | None = None,
    *,
    variant: str | None = None,
    severity: Severity | None = None,
    **kw: Any,
) -> Issue:
    """Build an Issue with its catalogue severity and Vietnamese message; `kw` fills the placeholders.

    `severity` overrides the catalogue's only where the plan states it (a validation rule's own).
    """
    kw.setdefault("cell", cell or "")
    kw.setdefault("sheet", sheet or "")
    kw.setdefault("measure", measure or "")
    sev = severity_of(code) if severity is None else severity
    return Issue(code, sev, message(code, variant, **kw), sheet, cell, measure)
