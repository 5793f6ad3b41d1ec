"""An Open eGov Platform v2 (OEPv2) portal from its published DDL, with generated rows and their ground truth.

The tables are created from ``fixtures/oep_v2/tables.sql`` (provenance in its header; Liferay's
portable types translated per engine; on SQLite a DATE column keeps the text a clerk typed).
The rows hold the cases of real portals: accounts in three tables with overlapping ids,
applicants named by ``subjectType`` in mixed case, Liferay's 1970-01-01 for "no date",
dates typed as dd/mm/yyyy, unnumbered dossiers, files with several versions, online forms
whose version has ``fileEntryId = 0``, placeholder file rows pointing at no version.
The profile (``PROFILE``) is data only: the portal is migrated with no code written for it.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import MetaData, create_engine, insert, text
from sqlalchemy.engine import make_url

DDL = Path(__file__).parent / "fixtures" / "oep_v2" / "tables.sql"
_TYPES = {"sqlite": {"LONG": "BIGINT", "DATE": "DATE"}, "postgresql": {"LONG": "BIGINT", "DATE": "TIMESTAMP"}}

C = 10155  # Liferay companyId
CITIZENS = [
    dict(citizenId=1, companyId=C, fullName="Nguyễn Thị Lan", identificationNo="035190000101", wardNo="13291",
         districtNo="347", cityNo="35", createDate="15/06/2019", gender=0),
    dict(citizenId=2, companyId=C, fullName="Trần Văn Minh", identificationNo="035190000102", wardNo="13327",
         districtNo="349", cityNo="35", createDate="1970-01-01 00:00:00", gender=1),   # Liferay's "no date"
    dict(citizenId=3, companyId=C, fullName="Lê Thị Nga", identificationNo="12345", wardNo="13291",
         districtNo="347", cityNo="35", createDate="2020-01-02", gender=0),   # not a CCCD/CMND: quarantined
]
BUSINESSES = [
    dict(businessId=1, companyId=C, name="Công ty CP Sông Đáy", businessNo="0700111222", wardNo="13291",
         districtNo="347", cityNo="35", createDate="2018-05-05"),
    dict(businessId=2, companyId=C, name="Công ty TNHH Kim Bảng", businessNo="0700333444", wardNo="13327",
         districtNo="349", cityNo="35", createDate="2018-05-06"),
]
EMPLOYEES = [
    dict(employeeId=1, companyId=C, fullName="Phan Văn Quý", employeeNo="CB01", birthdate="1900-01-01"),
    dict(employeeId=2, companyId=C, fullName="Đinh Thị Yến", employeeNo="CB02", birthdate="1985-02-03"),
]
PROCS = [dict(dossierProcId=1, companyId=C, dossierProcNo="1.004227", name="Đăng ký khai sinh")]
DOSSIERS = [
    dict(dossierId=1, subjectType="Citizen", subjectId="1", subjectName="Nguyễn Thị Lan", receptionNo="35-0001",
         dossierProcId=1, govAgencyId="000.00.12.H35", status="Done", submitDate="02/03/2024",
         wardNo="13291", districtNo="347", cityNo="35"),
    dict(dossierId=2, subjectType=" BUSINESS", subjectId="1", subjectName="Công ty CP Sông Đáy",
         receptionNo="35-0002", dossierProcId=1, govAgencyId="000.00.12.H35", status="processing",
         submitDate="2024-03-04 09:30:00", wardNo="13327", districtNo="349", cityNo="35"),
    dict(dossierId=3, subjectType="citizen", subjectId="2", subjectName="Trần Văn Minh", receptionNo="",
         dossierProcId=1, govAgencyId="000.00.12.H35", status="NEW", submitDate="1970-01-01",
         wardNo="13327", districtNo="349", cityNo="35"),   # online, not received yet: no number
    dict(dossierId=4, subjectType="organization", subjectId="2", subjectName="Hội Nông dân",
         receptionNo="35-0004", dossierProcId=1, govAgencyId="000.00.12.H35", status="done",
         submitDate="05/03/2024", wardNo="13291", districtNo="347", cityNo="35"),   # no account part
    dict(dossierId=5, subjectType="business", subjectId="2", subjectName="Công ty TNHH Kim Bảng",
         receptionNo="35-0005", dossierProcId=1, govAgencyId="000.00.12.H35", status="done",
         submitDate="31/02/2024", wardNo="13327", districtNo="349", cityNo="35"),  # no such day: quarantined
]
DOCFILES = [
    dict(docFileId=1, companyId=C, dossierId=1, docFileVersionId=2, docName="Tờ khai"),
    dict(docFileId=2, companyId=C, dossierId=1, docFileVersionId=3, docName="Biểu mẫu trực tuyến"),
    dict(docFileId=3, companyId=C, dossierId=2, docFileVersionId=0, docName="(chưa có tệp)"),  # placeholder
    dict(docFileId=4, companyId=C, dossierId=4, docFileVersionId=5, docName="Giấy đề nghị"),
]
VERSIONS = [
    dict(docFileVersionId=1, companyId=C, docFileId=1, fileEntryId=501, createDate="2024-03-02 08:00:00"),
    dict(docFileVersionId=2, companyId=C, docFileId=1, fileEntryId=502, createDate="2024-03-02 10:00:00"),
    dict(docFileVersionId=3, companyId=C, docFileId=2, fileEntryId=0, xmlContent="<form/>",
         createDate="2024-03-02 10:05:00"),
    dict(docFileVersionId=5, companyId=C, docFileId=4, fileEntryId=505, createDate="2024-03-05 10:00:00"),
]
ROWS = {"oep_usermgt_citizen": CITIZENS, "oep_usermgt_business": BUSINESSES, "oep_usermgt_employee": EMPLOYEES,
        "oep_dossiermgt_dossierproc": PROCS, "oep_dossiermgt_dossier": DOSSIERS,
        "oep_dossiermgt_docfile": DOCFILES, "oep_dossiermgt_docfileversion": VERSIONS}

TRUTH = {
    ("account", "1"): ("loaded", None, {"kind": "citizen", "id_number": "035190000101", "created_at": "2019-06-15"}),
    ("account", "2"): ("loaded", None, {"kind": "citizen", "created_at": None}),
    ("account", "3"): ("quarantined", "id_number", {}),
    ("account.business", "1"): ("loaded", None, {"kind": "business", "tax_code": "0700111222"}),
    ("account.business", "2"): ("loaded", None, {"kind": "business", "tax_code": "0700333444"}),
    ("account.staff", "1"): ("loaded", None, {"kind": "staff", "birth_date": None}),
    ("account.staff", "2"): ("loaded", None, {"kind": "staff", "birth_date": "1985-02-03"}),
    ("dossier", "1"): ("loaded", None, {"owner": ("citizen", "Nguyễn Thị Lan"), "status": "returned",
                                        "dossier_no": "35-0001", "procedure_code": "1.004227",
                                        "submitted_at": "2024-03-02", "new_commune_code": "13291"}),
    ("dossier", "2"): ("loaded", None, {"owner": ("business", "Công ty CP Sông Đáy"), "status": "processing"}),
    ("dossier", "3"): ("loaded", None, {"owner": ("citizen", "Trần Văn Minh"), "dossier_no": None,
                                        "submitted_at": None, "status": "submitted"}),
    ("dossier", "4"): ("quarantined", "applicant_account_key", {}),
    ("dossier", "5"): ("quarantined", "submitted_at", {}),
    ("dossier_file", "1"): ("loaded", None, {"source_path": f"{C}/502", "file_state": "stored"}),
    ("dossier_file", "2"): ("loaded", None, {"source_path": None, "file_state": "no-path"}),
    ("dossier_file", "3"): ("excluded", "exclude:placeholder row pointing at no file version", {}),
    ("dossier_file", "4"): ("quarantined", "dossier_key", {}),
}



def truth(backend: str) -> dict:
    """The ground truth on one engine: a PostgreSQL TIMESTAMP cannot hold 31/02/2024, so it holds no date."""
    if backend == "postgresql":
        return {**TRUTH, ("dossier", "5"): ("loaded", None, {"submitted_at": None,
                                                            "owner": ("business", "Công ty TNHH Kim Bảng")})}
    return TRUTH


PROFILE = """
# Open eGov Platform v2 (Liferay-based one-door portal), tables as published in
# github.com/openegovplatform/OEPv2 (see tests/adapters/fixtures/oep_v2/tables.sql).
[source]
name = "oep-{engine}"
engine = "{engine}"
url_env = "HOPNHAT_SOURCE_OEP_URL"
old_province = "35"
files_root = "document_library"

[entity.account]
table = "oep_usermgt_citizen"
key = ["citizenId"]
nulls = {{ created_at = ["1970-01-01"] }}
constants = {{ kind = "citizen" }}
[entity.account.columns]
full_name = "fullName"
id_number = "identificationNo"
province_code = "cityNo"
district_code = "districtNo"
commune_code = "wardNo"
created_at = "createDate"
[entity.account.convert]
created_at = "datetime"

[entity."account.business"]
table = "oep_usermgt_business"
key = ["businessId"]
constants = {{ kind = "business" }}
columns = {{ full_name = "name", tax_code = "businessNo", province_code = "cityNo", district_code = "districtNo", commune_code = "wardNo" }}

[entity."account.staff"]
table = "oep_usermgt_employee"
key = ["employeeId"]
remap = false
nulls = {{ birth_date = ["1900-01-01"] }}
constants = {{ kind = "staff" }}
columns = {{ full_name = "fullName", birth_date = "birthdate" }}
convert = {{ birth_date = "date" }}

[entity.dossier]
table = "oep_dossiermgt_dossier"
key = ["dossierId"]
nulls = {{ submitted_at = ["1970-01-01"] }}
[entity.dossier.join.oep_dossiermgt_dossierproc]
on = {{ dossierProcId = "dossierProcId" }}
[entity.dossier.columns]
dossier_no = "receptionNo"
procedure_code = "oep_dossiermgt_dossierproc.dossierProcNo"
procedure_name = "oep_dossiermgt_dossierproc.name"
agency_code = "govAgencyId"
applicant_account_key = "subjectId"
applicant_name = "subjectName"
province_code = "cityNo"
district_code = "districtNo"
commune_code = "wardNo"
submitted_at = "submitDate"
status = "status"
[entity.dossier.links.applicant_account_key]
by = "subjectType"
parts = {{ citizen = "account", business = "account.business" }}
[entity.dossier.lookups.status]
new = "submitted"
processing = "processing"
done = "returned"
[entity.dossier.convert]
submitted_at = "datetime"

[entity.dossier_file]
table = "oep_dossiermgt_docfile"
key = ["docFileId"]
attachment = "optional"
null_columns = {{ "oep_dossiermgt_docfileversion.fileEntryId" = [0] }}
exclude = {{ column = "docFileVersionId", values = [0], reason = "placeholder row pointing at no file version" }}
[entity.dossier_file.join.oep_dossiermgt_docfileversion]
on = {{ docFileId = "docFileId" }}
several = "latest:createDate"
[entity.dossier_file.columns]
dossier_key = "dossierId"
file_name = "docName"
[entity.dossier_file.compose]
path = "{{companyId}}/{{oep_dossiermgt_docfileversion.fileEntryId}}"
"""


def build(url: str, folder: Path) -> Path:
    """Create and fill the portal at ``url`` and its document library; write and return the profile."""
    backend = make_url(url).get_backend_name()
    engine = create_engine(url)
    body = "\n".join(line for line in DDL.read_text(encoding="utf-8").splitlines() if not line.startswith("--"))
    types = _TYPES[backend]
    pattern = re.compile(r"\b(" + "|".join(types) + r")\b")
    with engine.begin() as conn:
        for stmt in (s.strip() for s in body.split(";")):
            if stmt:
                table = stmt.split()[2]
                conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
                conn.execute(text(pattern.sub(lambda m: types[m.group(1)], stmt)))
    meta = MetaData()
    meta.reflect(engine)
    with engine.begin() as conn:
        for name, rows in ROWS.items():
            table = meta.tables[name.lower()] if name.lower() in meta.tables else meta.tables[name]
            if backend == "sqlite":  # as stored: DATE columns keep the text, as such portals hold it
                columns = sorted({k for r in rows for k in r})
                marks = ", ".join(f":{c}" for c in columns)
                conn.execute(text(f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})"),
                             [{c: r.get(c) for c in columns} for r in rows])
            else:
                conn.execute(insert(table), [{k.lower(): v for k, v in _typed(r).items()} for r in rows])
    engine.dispose()
    for version in VERSIONS:
        if version["fileEntryId"]:
            path = folder / "document_library" / str(C) / str(version["fileEntryId"])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(f"file entry {version['fileEntryId']}".encode())
    profile = folder / "oep.toml"
    profile.write_text(PROFILE.format(engine=backend), encoding="utf-8")
    return profile


def _typed(row: dict) -> dict:
    """A PostgreSQL TIMESTAMP holds a timestamp: clerks' dd/mm/yyyy text cannot be stored there."""
    import datetime as dt

    out = {}
    for k, v in row.items():
        if isinstance(v, str) and k in ("createDate", "submitDate", "birthdate"):
            for fmt in ("%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
                try:
                    v = dt.datetime.strptime(v, fmt)
                    break
                except ValueError:
                    continue
            else:
                v = None  # 31/02/2024 cannot exist in a TIMESTAMP column
        out[k] = v
    return out
