"""Fixed vocabularies of the demo portals: names, places, procedures, agencies, documents.

Everything here is immutable data plus small pure builders. Procedure codes follow
the national catalogue's "x.xxxxxx" form; birth registration (1.001193) and
household business registration (2.000720) are the codes portals use, the other
codes are illustrative.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from migrate.demo._units import LegacyCommune, LegacyDistrict, ProvinceUnits, lower_kind

FAMILY_NAMES = (
    ("Nguyễn", 30), ("Trần", 12), ("Lê", 9), ("Phạm", 8), ("Hoàng", 5), ("Vũ", 6), ("Đỗ", 4),
    ("Bùi", 4), ("Đặng", 3), ("Ngô", 2), ("Dương", 2), ("Đinh", 2), ("Trịnh", 2), ("Phan", 2),
    ("Mai", 1), ("Đoàn", 1), ("Lương", 1), ("Tạ", 1), ("Hà", 1), ("Cao", 1), ("Lại", 1),
    ("Tống", 1), ("Đào", 1), ("Lưu", 1),
)
MIDDLE_MALE = ("Văn", "Văn", "Văn", "Đức", "Minh", "Quang", "Hữu", "Công", "Thành", "Xuân", "Ngọc",
               "Mạnh", "Tiến", "Trung", "Duy", "Hồng")
MIDDLE_FEMALE = ("Thị", "Thị", "Thị", "Thu", "Thanh", "Ngọc", "Minh", "Phương", "Hồng", "Kim",
                 "Mai", "Hải", "Thùy", "Bích")
GIVEN_MALE = ("An", "Bình", "Cường", "Dũng", "Đạt", "Hùng", "Huy", "Hải", "Hiếu", "Khánh", "Long",
              "Minh", "Nam", "Phong", "Quân", "Sơn", "Thắng", "Tuấn", "Tùng", "Việt", "Vinh", "Đức",
              "Hoàng", "Kiên", "Lâm", "Nghĩa", "Quyết", "Thịnh", "Toàn", "Trường", "Hưng", "Lộc")
GIVEN_FEMALE = ("Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hoa", "Hương", "Huyền",
                "Lan", "Liên", "Linh", "Loan", "Mai", "Nga", "Ngọc", "Nhung", "Oanh", "Phương",
                "Quỳnh", "Thảo", "Thủy", "Trang", "Uyên", "Vân", "Yến", "Xuân", "Duyên", "Huệ")

HAMLET_NAMES = ("Đông", "Tây", "Nam", "Bắc", "Trung", "Thượng", "Hạ", "Nội", "Ngoại", "An Lạc",
                "Phú Thứ", "Đồng Tâm", "Tân Thành", "Yên Thịnh", "Quyết Tiến", "Đoài", "Chùa",
                "Văn Xá", "Hòa Bình", "Thanh Khê", "Cổ Động", "Phú Cốc")
STREETS = ("Trần Hưng Đạo", "Lê Lợi", "Quang Trung", "Nguyễn Du", "Lý Thường Kiệt", "Hoàng Hoa Thám",
           "Trần Phú", "Lê Hồng Phong", "Điện Biên", "Hai Bà Trưng", "Nguyễn Văn Trỗi", "Trường Chinh",
           "Lê Duẩn", "Phan Đình Phùng", "Đinh Tiên Hoàng", "Lương Văn Thăng", "Biên Hòa", "Minh Khai")

BUSINESS_FORMS = ("Công ty TNHH", "Công ty TNHH", "Công ty Cổ phần", "Hợp tác xã", "Doanh nghiệp tư nhân")
BUSINESS_TRADES = ("Thương mại", "Xây dựng", "Dệt may", "Thực phẩm", "Vận tải", "Cơ khí",
                   "Nông nghiệp", "Dịch vụ", "Thương mại và Dịch vụ", "Đầu tư Xây dựng", "Gỗ mỹ nghệ")
BUSINESS_BRANDS = ("Minh Phát", "Hoàng Long", "Thành Công", "An Phú", "Đại Việt", "Hưng Thịnh",
                   "Phúc Lộc", "Tân Tiến", "Sông Đáy", "Tràng An", "Thiên Trường", "Vân Long",
                   "Hồng Hà", "Bình Minh", "Kim Ngân", "Trường Sơn", "Quang Minh", "Nam Việt")

DEPARTMENTS = (
    ("tuphap", "Sở Tư pháp"),
    ("khdt", "Sở Kế hoạch và Đầu tư"),
    ("tnmt", "Sở Tài nguyên và Môi trường"),
    ("xaydung", "Sở Xây dựng"),
    ("gtvt", "Sở Giao thông vận tải"),
    ("yte", "Sở Y tế"),
    ("ldtbxh", "Sở Lao động - Thương binh và Xã hội"),
    ("gddt", "Sở Giáo dục và Đào tạo"),
)

# Per portal: the first digits of tax codes and of legacy 9-digit identity cards.
TAX_PREFIX = MappingProxyType({"35": "07", "36": "06", "37": "27"})
CMND_PREFIX = MappingProxyType({"35": "168", "36": "162", "37": "164"})


@dataclass(frozen=True)
class Procedure:
    code: str
    name: str
    level: str                      # "xa", "huyen" or "tinh"
    department: str                 # DEPARTMENTS key when level == "tinh"
    days: int                       # legal processing time, working days
    weight: int                     # relative frequency
    for_business: bool
    files: tuple[str, ...]          # attachment file names the applicant uploads
    result: str                     # title of the result document kept in the data store


PROCEDURES = (
    Procedure("1.001193", "Đăng ký khai sinh", "xa", "", 1, 30, False,
              ("To_khai_dang_ky_khai_sinh.pdf", "Giay_chung_sinh.pdf", "CCCD_cha_me.jpg"), "Giấy khai sinh"),
    Procedure("1.000656", "Đăng ký khai tử", "xa", "", 1, 6, False,
              ("To_khai_dang_ky_khai_tu.pdf", "Giay_bao_tu.pdf"), "Trích lục khai tử"),
    Procedure("1.000894", "Đăng ký kết hôn", "xa", "", 3, 10, False,
              ("To_khai_dang_ky_ket_hon.pdf", "CCCD_hai_ben.jpg"), "Giấy chứng nhận kết hôn"),
    Procedure("1.004873", "Cấp giấy xác nhận tình trạng hôn nhân", "xa", "", 3, 10, False,
              ("To_khai_xac_nhan_TTHN.pdf", "CCCD.jpg"), "Giấy xác nhận tình trạng hôn nhân"),
    Procedure("2.000908", "Chứng thực bản sao từ bản chính giấy tờ, văn bản", "xa", "", 1, 18, False,
              ("Ban_chinh_can_chung_thuc.pdf",), "Bản sao chứng thực"),
    Procedure("2.000720", "Đăng ký thành lập hộ kinh doanh", "huyen", "", 3, 8, True,
              ("Giay_de_nghi_dang_ky_HKD.pdf", "CCCD_chu_ho.jpg", "Hop_dong_thue_mat_bang.pdf"),
              "Giấy chứng nhận đăng ký hộ kinh doanh"),
    Procedure("1.001612", "Đăng ký thay đổi nội dung đăng ký hộ kinh doanh", "huyen", "", 3, 4, True,
              ("Thong_bao_thay_doi_HKD.pdf", "Giay_chung_nhan_HKD.pdf"), "Giấy chứng nhận đăng ký hộ kinh doanh"),
    Procedure("1.004227", "Đăng ký, cấp Giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở lần đầu", "huyen",
              "", 30, 7, False, ("Don_dang_ky_dat_dai.pdf", "Trich_do_ban_do_dia_chinh.pdf", "CCCD.jpg"),
              "Giấy chứng nhận quyền sử dụng đất"),
    Procedure("1.009994", "Cấp giấy phép xây dựng nhà ở riêng lẻ", "huyen", "", 15, 5, False,
              ("Don_de_nghi_cap_GPXD.pdf", "Ban_ve_thiet_ke.pdf", "Giay_to_dat.pdf"), "Giấy phép xây dựng"),
    Procedure("2.000488", "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam", "tinh", "tuphap", 10, 6, False,
              ("To_khai_LLTP.pdf", "CCCD.jpg"), "Phiếu lý lịch tư pháp"),
    Procedure("2.001610", "Đăng ký thành lập công ty TNHH một thành viên", "tinh", "khdt", 3, 3, True,
              ("Giay_de_nghi_dang_ky_DN.pdf", "Dieu_le_cong_ty.pdf", "CCCD_chu_so_huu.jpg"),
              "Giấy chứng nhận đăng ký doanh nghiệp"),
    Procedure("1.002809", "Đổi giấy phép lái xe do ngành Giao thông vận tải cấp", "tinh", "gtvt", 5, 6, False,
              ("Don_de_nghi_doi_GPLX.pdf", "Giay_kham_suc_khoe.pdf", "Anh_chan_dung.jpg"), "Giấy phép lái xe"),
    Procedure("1.001776", "Cấp chứng chỉ hành nghề khám bệnh, chữa bệnh", "tinh", "yte", 20, 2, False,
              ("Don_de_nghi_cap_CCHN.pdf", "Van_bang_chuyen_mon.pdf"), "Chứng chỉ hành nghề"),
)

STEPS = MappingProxyType({
    "NOP": "Nộp hồ sơ trực tuyến",
    "CHO_TIEP_NHAN": "Chờ tiếp nhận",
    "TIEP_NHAN": "Tiếp nhận hồ sơ",
    "CHUYEN_XU_LY": "Chuyển xử lý",
    "YEU_CAU_BO_SUNG": "Yêu cầu bổ sung hồ sơ",
    "THAM_DINH": "Thẩm định hồ sơ",
    "PHE_DUYET": "Phê duyệt kết quả",
    "TRA_KET_QUA": "Trả kết quả",
    "TU_CHOI": "Từ chối giải quyết",
})
STEP_NOTES = MappingProxyType({
    "NOP": ("Công dân nộp hồ sơ qua Cổng dịch vụ công", "Nộp trực tuyến mức độ 4"),
    "CHO_TIEP_NHAN": ("Hồ sơ chờ cán bộ một cửa tiếp nhận",),
    "TIEP_NHAN": ("Hồ sơ hợp lệ, tiếp nhận", "Đã kiểm tra thành phần hồ sơ", ""),
    "CHUYEN_XU_LY": ("Chuyển phòng chuyên môn xử lý", "Chuyển lãnh đạo phân công"),
    "YEU_CAU_BO_SUNG": ("Đề nghị bổ sung bản sao giấy tờ tùy thân", "Thiếu chữ ký trên tờ khai"),
    "THAM_DINH": ("Đủ điều kiện giải quyết", "Đã thẩm định, trình lãnh đạo ký", ""),
    "PHE_DUYET": ("Lãnh đạo đã ký duyệt", "Đồng ý"),
    "TRA_KET_QUA": ("Đã trả kết quả tại bộ phận một cửa", "Trả kết quả qua bưu chính công ích",
                    "Trả kết quả bản điện tử"),
    "TU_CHOI": ("Không đủ điều kiện theo quy định", "Hồ sơ không hợp lệ, người nộp không bổ sung"),
})

DOCUMENT_TYPES_PERSON = (
    ("CCCD", "Căn cước công dân"),
    ("GKS", "Giấy khai sinh"),
    ("GCNKH", "Giấy chứng nhận kết hôn"),
    ("GCNQSDD", "Giấy chứng nhận quyền sử dụng đất"),
    ("GPLX", "Giấy phép lái xe"),
    ("BANGTN", "Bằng tốt nghiệp"),
)
DOCUMENT_TYPES_BUSINESS = (
    ("GCNDKDN", "Giấy chứng nhận đăng ký doanh nghiệp"),
    ("GCNHKD", "Giấy chứng nhận đăng ký hộ kinh doanh"),
    ("GPXD", "Giấy phép xây dựng"),
)


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    level: str            # "tinh", "huyen" or "xa"
    key: str              # department key, district code or commune code


@dataclass(frozen=True)
class AgencyCatalog:
    """The agencies of one former province, with codes in the national "000.00.00.H35" form."""

    province: Agency
    departments: Mapping[str, Agency]
    districts: Mapping[str, Agency]       # by legacy district code
    communes: Mapping[str, Agency]        # by legacy commune code

    def all(self) -> tuple[Agency, ...]:
        return (self.province, *self.departments.values(), *self.districts.values(), *self.communes.values())

    def for_procedure(self, procedure: Procedure, commune: LegacyCommune) -> Agency:
        if procedure.level == "tinh":
            return self.departments[procedure.department]
        if procedure.level == "huyen":
            return self.districts[commune.district_code]
        return self.communes[commune.code]


def build_agencies(units: ProvinceUnits) -> AgencyCatalog:
    """Agencies of the province: the UBND, its departments, district and commune UBNDs."""
    suffix = f"H{units.province_code}"
    short = _province_short(units.province_name)
    province = Agency(f"000.00.00.{suffix}", f"UBND tỉnh {short}", "tinh", "")
    departments = {
        key: Agency(f"000.00.{n:02d}.{suffix}", f"{name} tỉnh {short}", "tinh", key)
        for n, (key, name) in enumerate(DEPARTMENTS, start=1)
    }
    districts: dict[str, Agency] = {}
    communes: dict[str, Agency] = {}
    for n, district in enumerate(units.districts, start=21):
        districts[district.code] = Agency(f"000.00.{n:02d}.{suffix}", f"UBND {lower_kind(district.name)}",
                                          "huyen", district.code)
        for m, commune in enumerate(units.communes_of(district.code), start=1):
            communes[commune.code] = Agency(f"000.{m:02d}.{n:02d}.{suffix}", f"UBND {lower_kind(commune.name)}",
                                            "xa", commune.code)
    return AgencyCatalog(province, MappingProxyType(departments), MappingProxyType(districts),
                         MappingProxyType(communes))


def _province_short(province_name: str) -> str:
    return province_name.removeprefix("Tỉnh ").removeprefix("Thành phố ")


def district_of(units: ProvinceUnits, code: str) -> LegacyDistrict:
    for district in units.districts:
        if district.code == code:
            return district
    raise KeyError(code)


def unaccent(text: str) -> str:
    """Vietnamese text without diacritics: 'Nguyễn Đức' -> 'Nguyen Duc'."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
