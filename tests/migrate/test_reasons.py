"""Quarantine reasons: kept in English as written, said in Vietnamese where they are shown."""

from __future__ import annotations

import pytest

from migrate import reasons
from migrate.core.i18n import language
from migrate.core.messages import Message

VI, EN = language("vi"), language("en")


@pytest.mark.parametrize("recorded, vietnamese", [
    pytest.param("file not found: 2022/08/35/1_Giay_de_nghi_dang_ky_HKD.pdf",
                 "không tìm thấy tệp: 2022/08/35/1_Giay_de_nghi_dang_ky_HKD.pdf", id="attachment"),
    pytest.param("no new commune: Phường Hòa Mạc, Thị xã Duy Tiên, Tỉnh Hà Nam was split between Phường Duy Tiên, "
                 "Phường Duy Tân; no rule names the part. (rule review:split-ambiguous)",
                 "không xác định được xã mới: Phường Hòa Mạc, Thị xã Duy Tiên, Tỉnh Hà Nam được chia cho Phường Duy "
                 "Tiên, Phường Duy Tân; không có quy tắc nào chỉ ra thuộc phần nào. (quy tắc review:split-ambiguous)",
                 id="remap"),
    pytest.param("NgayNop='31/02/2021': not a date", "NgayNop='31/02/2021': không phải ngày tháng", id="date"),
    pytest.param("NgaySinh=datetime.date(1850, 1, 1): before 1900-01-01, not a plausible date (rule date:implausible)",
                 "NgaySinh=datetime.date(1850, 1, 1): trước ngày 1900-01-01, không phải ngày hợp lý (quy tắc "
                 "date:implausible)", id="implausible"),
    pytest.param("TenTep='a\\x00b': contains a NUL character at position 1 (rule text:nul)",
                 "TenTep='a\\x00b': chứa ký tự NUL ở vị trí 1 (quy tắc text:nul)", id="nul"),
    pytest.param("SoCMND='12': CMND must have 9 digits (or a 12-digit CCCD)",
                 "SoCMND='12': số CMND phải có 9 chữ số (hoặc số CCCD 12 chữ số)", id="cmnd"),
    pytest.param("ChuHoSoId is empty; applicant_account_key is required",
                 "ChuHoSoId để trống; trường applicant_account_key là bắt buộc", id="required"),
    pytest.param("owner account 17 is not in the store (quarantined or missing in the source)",
                 "tài khoản chủ sở hữu 17 không có trong kho (bị cách ly hoặc không có trong nguồn)", id="parent"),
    pytest.param("key Id=5 is shared by 2 rows of HoSo (this one 5~ab12; the others 5~cd34); a key must name one "
                 "row: fix the source, then rerun the batch",
                 "khóa Id=5 bị dùng chung cho 2 dòng của bảng HoSo (dòng này 5~ab12; các dòng khác 5~cd34); mỗi khóa "
                 "chỉ được ứng với một dòng: sửa nguồn, rồi chạy lại lô", id="shared-key"),
    pytest.param("the store refused the record: value too long for type character varying(20)",
                 "kho từ chối bản ghi: value too long for type character varying(20)", id="store-message"),
    pytest.param("exclude:soft-deleted", "exclude:soft-deleted", id="not-a-sentence"),
])
def test_reasons_said_in_vietnamese(recorded, vietnamese):
    """Reasons as the store holds them are said in Vietnamese; what the store or a driver said stays as it was,
    and a text no sentence reads is shown as it is. In English every reason is the recorded text."""
    assert reasons.say(recorded, VI) == vietnamese
    assert reasons.say(recorded, EN) == recorded
    read = reasons.PHRASEBOOK.read(recorded)
    assert str(read) == recorded and (isinstance(read, Message) or read == vietnamese)


def test_reasons_written_by_the_loader_read_back(tmp_path):
    """The reasons the code writes (from its sentences, with awkward values) read back into those sentences."""
    from migrate import attachments, load, prepare
    from migrate.core import canonical
    from migrate.store import limits

    written = [
        prepare.NO_COMMUNE.format(detail="The record names no place at all.", rule="review:empty"),
        prepare.KEY_SET_APART.format(key="'x' * 500", problem=limits.TOO_LONG.format(n=500, column="lineage.source_key",
                                                                                    length=400), stand_in="~key~ab"),
        canonical.FIELD_PROBLEM.format(column="KichThuoc", value="'1,5 GB; x'", problem=canonical.NOT_SIZE.format(
            unit="KB")),
        canonical.FIELD_PROBLEM.format(column="MaXa", value="'9;9'", problem=canonical.CANNOT_CONVERT.format(
            kind="ValueError", error="invalid literal: '9;9'")),
        load.PARENT_MISSING.format(named="dossier", key="42", why=load.PARENT_NOT_EXTRACTED),
        load.NO_OWNER.format(entity="document", named="owner account", number="owner id number"),
        attachments.CANNOT_READ.format(path="a/b.pdf", error="Permission denied"),
    ]
    for text in written:
        read = reasons.PHRASEBOOK.read(text)
        assert isinstance(read, Message) and str(read) == text, text
        said = reasons.say(text, VI)
        assert said != text and "is not in the store" not in said and "names no" not in said, said
