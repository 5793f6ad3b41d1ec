"""An OpenCPS v2 legacy database built from its published DDL, with a few awkward rows.

``create_opencps(url, files_root)`` runs the CREATE TABLE statements of
``fixtures/opencps_v2_tables.sql`` (types translated per engine, as Liferay
does) and seeds applicants, employees, dossiers, actions, logs, dossier files
pointing into a Liferay FileSystemStore folder, and deliverables.

The cases of real OpenCPS portals: ``applicantIdType`` in mixed case
(``Citizen``, ``BUSINESS``), an online dossier not numbered yet (``dossierNo``
empty until it is received), a dossier a clerk entered for a walk-in applicant
(no portal user), an e-form part (``eForm``, ``formData``, ``fileEntryId = 0``), a
dossier file removed from its dossier (``removed``), and a result issued to a
walk-in applicant whose id number no account holds. ``TRUTH`` is what the
built-in profile must make of every record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

from sqlalchemy import MetaData, create_engine, insert, text
from sqlalchemy.engine import make_url

DDL = Path(__file__).parent / "fixtures" / "opencps_v2_tables.sql"

_TYPES = {  # Liferay portable type -> per-engine type
    "sqlite": {"LONG": "BIGINT", "DATE": "TIMESTAMP", "DOUBLE": "REAL", "STRING": "TEXT", "BOOLEAN": "BOOLEAN",
               "TEXT": "TEXT"},
    "postgresql": {"LONG": "BIGINT", "DATE": "TIMESTAMP", "DOUBLE": "DOUBLE PRECISION", "STRING": "TEXT",
                   "BOOLEAN": "BOOLEAN", "TEXT": "TEXT"},
    "mssql": {"LONG": "BIGINT", "DATE": "DATETIME2", "DOUBLE": "FLOAT", "STRING": "NVARCHAR(4000)",
              "BOOLEAN": "BIT", "TEXT": "NVARCHAR(MAX)", "VARCHAR": "NVARCHAR"},
}


def statements(engine: str) -> list[str]:
    """The CREATE TABLE statements for one engine (sqlite, postgresql, mssql)."""
    body = "\n".join(line for line in DDL.read_text(encoding="utf-8").splitlines() if not line.startswith("--"))
    types = _TYPES[engine]
    pattern = re.compile(r"\b(" + "|".join(types) + r")\b")
    out = []
    for stmt in body.split(";"):
        if stmt.strip():
            out.append(pattern.sub(lambda m: types[m.group(1)], stmt.strip()))
    return out


T0 = dt.datetime(2024, 3, 1, 8, 0, 0)
WALK_IN = "035177000777"  # a walk-in applicant's CCCD: no account holds it
WARDS = [("35", "347", "13291"), ("35", "349", "13327")]


def create_opencps(url: str, files_root: Path) -> dict[str, int]:
    """Create and seed the OpenCPS tables at ``url``; returns row counts per table."""
    engine = create_engine(url)
    backend = make_url(url).get_backend_name()
    with engine.begin() as conn:
        for stmt in statements(backend):
            conn.execute(text(stmt))
    meta = MetaData()
    meta.reflect(engine)
    t = {name.lower(): table for name, table in meta.tables.items()}
    rows = _rows(files_root)
    with engine.begin() as conn:
        for name, values in rows.items():
            names = {k for row in values for k in row}
            conn.execute(insert(t[name.lower()]), [{k: row.get(k) for k in names} for row in values])
    engine.dispose()
    return {name: len(values) for name, values in rows.items()}


def _rows(files_root: Path) -> dict[str, list[dict]]:
    def when(hours: int) -> dt.datetime:
        return T0 + dt.timedelta(hours=hours)

    applicants = [
        dict(applicantId=1, mappingUserId=101, applicantIdType="Citizen", applicantIdNo="035099000001",
             applicantName="NguyÔn V¨n An",  # TCVN3, as an old portal stored it
             address="Sè 1 Lª Lîi", cityCode="35", districtCode="347", wardCode="13291",
             contactTelNo="0912000001", contactEmail="an@example.vn", createDate=when(0), modifiedDate=when(0)),
        dict(applicantId=2, mappingUserId=102, applicantIdType="BUSINESS", applicantIdNo="0700123456",
             applicantName="Công ty TNHH Hà Nam Xanh", address="KCN Đồng Văn", cityCode="35", districtCode="349",
             wardCode="13327", createDate=when(1), modifiedDate=when(1)),
        dict(applicantId=3, mappingUserId=103, applicantIdType="citizen", applicantIdNo="035188000003",
             applicantName="Trần Thị Bình", cityCode="35", districtCode="347", wardCode="13291",
             createDate=when(2), modifiedDate=when(30)),
    ]
    employees = [
        dict(employeeId=1, employeeNo="CB01", fullName="Lê Văn Cường", gender=1, birthdate=dt.datetime(1980, 5, 4),
             mobile="0913000001", email="cuong@hanam.gov.vn", createDate=when(0), modifiedDate=when(0)),
        dict(employeeId=2, employeeNo="CB02", fullName="Phạm Thị Dung", gender=0, mobile="0913000002",
             createDate=when(0), modifiedDate=when(0)),
    ]
    statuses = ["new", "processing", "done", "releasing", "archived-by-hand"]  # the last has no lookup
    dossiers, actions, logs = [], [], []
    for i, status in enumerate(statuses, start=1):
        city, district, ward = WARDS[i % 2]
        dossiers.append(dict(
            dossierId=i, userId=100 + (i % 3) + 1, dossierNo=f"000.00.35.H35-24030{i}-000{i}",
            serviceCode="1.001234", serviceName="Cấp giấy phép xây dựng", govAgencyCode="H35.01",
            govAgencyName="UBND tỉnh Hà Nam", applicantName="Nguyễn Văn An", applicantIdNo="035099000001",
            address="Phủ Lý", cityCode=city, districtCode=district, wardCode=ward,
            submitDate=when(i), receiveDate=when(i + 1), dueDate=when(i + 240),
            finishDate=when(i + 48) if status == "done" else None, dossierStatus=status,
            createDate=when(i), modifiedDate=when(10 * i)))
        for j in range(2):
            actions.append(dict(dossierActionId=10 * i + j, dossierId=i, actionCode=f"100{j}",
                                actionName="Tiếp nhận hồ sơ" if j == 0 else "Chuyển xử lý",
                                actionUser="Lê Văn Cường", actionNote=None, createDate=when(i + j),
                                modifiedDate=when(i + j)))
        logs.append(dict(dossierLogId=i, dossierId=i, author="Hệ thống", content="Đã gửi thông báo",
                         notificationType="APLC-01", createDate=when(i), modifiedDate=when(i)))
    dossiers.append(dict(  # submitted online, not received yet: OpenCPS numbers a dossier when it receives it
        dossierId=6, userId=101, dossierNo="", serviceCode="1.001234", serviceName="Cấp giấy phép xây dựng",
        govAgencyCode="H35.01", govAgencyName="UBND tỉnh Hà Nam", applicantName="Nguyễn Văn An",
        applicantIdType="citizen", applicantIdNo="035099000001", cityCode="35", districtCode="347",
        wardCode="13291", submitDate=when(3), dossierStatus="new", createDate=when(3), modifiedDate=when(5)))
    dossiers.append(dict(  # entered at the counter for a walk-in applicant: no portal user
        dossierId=7, userId=None, dossierNo="000.00.35.H35-240307-0007", serviceCode="1.001234",
        serviceName="Cấp giấy phép xây dựng", govAgencyCode="H35.01", govAgencyName="UBND tỉnh Hà Nam",
        applicantName="Đỗ Thị Hằng", applicantIdType="citizen", applicantIdNo=WALK_IN, cityCode="35",
        districtCode="349", wardCode="13327", submitDate=when(4), receiveDate=when(4), dossierStatus="done",
        finishDate=when(50), createDate=when(4), modifiedDate=when(6)))
    entries, files = [], []
    for n, (name, content) in enumerate([("hopdong.pdf", b"%PDF-1.4 hop dong"), ("banve.pdf", b"%PDF-1.4 ban ve"),
                                         ("mat.pdf", None)], start=1):
        entry = dict(fileEntryId=500 + n, companyId=20116, repositoryId=20143, groupId=20143, folderId=0,
                     name=str(90000 + n), fileName=name, title=name.split(".")[0], mimeType="application/pdf",
                     version="1.0", size_=len(content) if content else 1234, createDate=when(n),
                     modifiedDate=when(n))
        entries.append(entry)
        if content is not None:  # the third is missing on disk
            path = files_root / "20116" / "20143" / entry["name"] / "1.0"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
    for n in range(1, 5):  # the fourth is an e-form part: its data in formData, no document library entry
        files.append(dict(dossierFileId=n, dossierId=1 + (n % 2), fileEntryId=500 + n if n < 4 else 0,
                          displayName=f"Tệp {n}", eForm=n == 4, formData='{"hoTen": "Nguyễn Văn An"}' if n == 4
                          else None, removed=False, createDate=when(n), modifiedDate=when(n)))
    files.append(dict(dossierFileId=5, dossierId=1, fileEntryId=501, displayName="Tệp nộp nhầm", eForm=False,
                      removed=True, createDate=when(5), modifiedDate=when(5)))  # removed from its dossier
    deliverables = [
        dict(deliverableId=1, deliverableCode="GP-001", deliverableName="Giấy phép xây dựng",
             deliverableType="GPXD", govAgencyName="UBND tỉnh Hà Nam", applicantIdNo="035099000001",
             issueDate=when(60), fileEntryId=501, dossierId=3, createDate=when(60), modifiedDate=when(60)),
        dict(deliverableId=2, deliverableCode="GP-007", deliverableName="Giấy phép xây dựng",
             deliverableType="GPXD", govAgencyName="UBND tỉnh Hà Nam", applicantIdNo=WALK_IN,
             issueDate=when(50), fileEntryId=502, dossierId=7, createDate=when(50), modifiedDate=when(50)),
    ]
    return {"opencps_applicant": applicants, "opencps_employee": employees, "opencps_dossier": dossiers,
            "opencps_dossieraction": actions, "opencps_dossierlog": logs, "DLFileEntry": entries,
            "opencps_dossierfile": files, "opencps_deliverable": deliverables}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# (part, source key) -> (outcome, field or rule, values the store holds) under the built-in profile
TRUTH = {
    ("account", "1"): ("loaded", None, {"kind": "citizen", "id_number": "035099000001",
                                        "full_name": "Nguyễn Văn An"}),   # "Citizen", TCVN3 name
    ("account", "2"): ("loaded", None, {"kind": "business", "tax_code": "0700123456", "id_number": None}),
    ("account", "3"): ("loaded", None, {"kind": "citizen", "id_number": "035188000003"}),
    ("account.staff", "1"): ("loaded", None, {"kind": "staff", "birth_date": dt.date(1980, 5, 4).isoformat()}),
    ("account.staff", "2"): ("loaded", None, {"kind": "staff", "birth_date": None}),
    ("dossier", "1"): ("loaded", None, {"owner": ("business", "Công ty TNHH Hà Nam Xanh"), "status": "submitted"}),
    ("dossier", "2"): ("loaded", None, {"owner": ("citizen", "Trần Thị Bình"), "status": "processing"}),
    ("dossier", "3"): ("loaded", None, {"owner": ("citizen", "Nguyễn Văn An"), "status": "returned"}),
    ("dossier", "4"): ("loaded", None, {"owner": ("business", "Công ty TNHH Hà Nam Xanh"),
                                        "status": "result-ready"}),
    ("dossier", "5"): ("quarantined", "status", {}),   # archived-by-hand: no lookup
    ("dossier", "6"): ("loaded", None, {"owner": ("citizen", "Nguyễn Văn An"), "dossier_no": None,
                                        "status": "submitted", "received_at": None}),
    ("dossier", "7"): ("loaded", None, {"owner": None, "applicant_id_number": WALK_IN, "status": "returned",
                                        "new_commune_code": "13330"}),
    ("dossier_file", "1"): ("loaded", None, {"file_name": "hopdong.pdf", "file_state": "stored"}),
    ("dossier_file", "2"): ("loaded", None, {"file_name": "banve.pdf", "file_state": "stored"}),
    ("dossier_file", "3"): ("quarantined", "path", {}),   # mat.pdf is not in the document library folder
    ("dossier_file", "4"): ("loaded", None, {"file_name": "Tệp 4", "source_path": None, "file_state": "no-path"}),
    ("dossier_file", "5"): ("excluded", "exclude:removed from its dossier in OpenCPS", {}),
    ("document", "1"): ("loaded", None, {"owner": ("citizen", "Nguyễn Văn An"), "doc_no": "GP-001",
                                         "file_state": "stored"}),
    ("document", "2"): ("loaded", "owner:id-number", {"owner": None, "owner_id_number": WALK_IN,
                                                      "doc_no": "GP-007", "file_state": "stored"}),
    **{("dossier_event", str(10 * i + j)): ("loaded", None, {}) if i != 5 else ("quarantined", "dossier_key", {})
       for i in range(1, 6) for j in range(2)},
    **{("dossier_event.log", str(i)): ("loaded", None, {}) if i != 5 else ("quarantined", "dossier_key", {})
       for i in range(1, 6)},
}
