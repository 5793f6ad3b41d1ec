"""Documents of the citizens' and organisations' electronic data store (KhoDuLieu).

Document ``n`` is a pure function of (seed, province, n); its owner is an
existing citizen or business account, and its file is a real payload.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from migrate.demo import catalog
from migrate.demo.files import Payload, payload
from migrate.demo.people import STREAM_DOCUMENT, PortalContext, account


@dataclass(frozen=True)
class DocumentRecord:
    row: tuple[object, ...]       # KhoDuLieu row
    path: str
    payload: Payload


def document_count(accounts: int) -> int:
    return max(30, accounts // 2)


def make_document(ctx: PortalContext, document_id: int) -> DocumentRecord:
    rng = ctx.rng(STREAM_DOCUMENT, document_id)
    layout = ctx.layout
    owner = account(ctx, rng.randint(layout.staff + 1, layout.total))
    short = ctx.units.province_name.removeprefix("Tỉnh ")
    if owner.kind == "2":
        doc_type, title = rng.choice(catalog.DOCUMENT_TYPES_BUSINESS)
    else:
        doc_type, title = rng.choice(catalog.DOCUMENT_TYPES_PERSON)
    issuer = {
        "CCCD": "Cục Cảnh sát quản lý hành chính về trật tự xã hội",
        "GKS": ctx.agencies.communes[owner.commune.code].name,
        "GCNKH": ctx.agencies.communes[owner.commune.code].name,
        "GCNQSDD": ctx.agencies.departments["tnmt"].name,
        "GPLX": ctx.agencies.departments["gtvt"].name,
        "BANGTN": f"Trường THPT {rng.choice(catalog.BUSINESS_BRANDS)}",
        "GCNDKDN": ctx.agencies.departments["khdt"].name,
        "GCNHKD": ctx.agencies.districts[owner.commune.district_code].name,
        "GPXD": ctx.agencies.districts[owner.commune.district_code].name,
    }[doc_type]
    issued = ctx.timeline.start - timedelta(days=2000) + timedelta(days=rng.randrange(2000 + 1600))
    doc_no = f"{rng.randrange(1, 3000)}/{issued.year}/{doc_type}"
    path = f"khodulieu/{owner.id}/{document_id}.pdf"
    content = payload(rng, f"{doc_type}.pdf", doc_no)
    owner_key = None if rng.random() < 0.05 else owner.id  # some documents were filed by id number only
    row = (document_id, owner_key, owner.id_number, doc_type, title, doc_no, issued.strftime("%d/%m/%Y"),
           issuer if doc_type != "BANGTN" else f"{issuer} tỉnh {short}", path, content.size, content.sha256)
    return DocumentRecord(row, path, content)
