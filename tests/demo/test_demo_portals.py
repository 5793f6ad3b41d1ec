"""The demo legacy portals: deterministic, counted, awkward where promised, files true to their hashes."""

from __future__ import annotations

import hashlib
import tomllib
import unicodedata
from pathlib import Path

import pytest
from demo_helpers import content_digest, files_on_disk, open_portal, rows, tree_digest

from migrate.demo._units import load_province
from migrate.demo import catalog
from migrate.demo.catalog import unaccent
from migrate.demo.dossiers import FORCED_KINDS, UNKNOWN_CODES
from migrate.demo.generate import AWKWARD_KINDS, PORTALS, PortalManifest, build_demo, build_portal
from migrate.demo.schema import TABLES


def test_same_seed_gives_identical_portals_and_files(demo: list[PortalManifest], tmp_path: Path) -> None:
    again = build_demo(tmp_path / "again")
    for first, second in zip(demo, again):
        assert content_digest(first) == content_digest(second)
        assert tree_digest(first.files_dir) == tree_digest(second.files_dir)
        assert first.db_path.read_bytes() == second.db_path.read_bytes()
        assert first.awkward == second.awkward


def test_another_seed_gives_other_data(demo: list[PortalManifest], tmp_path: Path) -> None:
    other = build_portal(PORTALS[0], tmp_path, seed=7, files=False)
    assert content_digest(other) != content_digest(demo[0])


def test_counts_match_the_manifest_and_the_disk(demo: list[PortalManifest]) -> None:
    for manifest in demo:
        with open_portal(manifest) as connection:
            for table in TABLES:
                count = connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
                assert count == manifest.counts[table], (manifest.spec.key, table)
        assert manifest.counts["HoSo"] == 300
        assert len(files_on_disk(manifest.files_dir)) == manifest.files
        expected = manifest.counts["TepDinhKem"] + manifest.counts["KhoDuLieu"] - len(manifest.missing_files)
        assert manifest.files == expected


def test_history_and_attachments_per_dossier_stay_in_range(demo: list[PortalManifest]) -> None:
    for manifest in demo:
        events = dict(rows(manifest, "SELECT HoSoId, count(*) FROM QuaTrinhXuLy GROUP BY HoSoId"))
        files = dict(rows(manifest, "SELECT HoSoId, count(*) FROM TepDinhKem GROUP BY HoSoId"))
        assert len(events) == 300 and all(2 <= n <= 5 for n in events.values())
        assert all(1 <= n <= 3 for n in files.values())
        numbers = [n for (n,) in rows(manifest, "SELECT SoHoSo FROM HoSo")]
        assert len(set(numbers)) == len(numbers)


def test_every_awkward_kind_is_present_at_the_default_scale(demo: list[PortalManifest]) -> None:
    for manifest in demo:
        assert set(manifest.awkward) == set(AWKWARD_KINDS)
        has_split = bool(load_province(manifest.spec.province_code).split_codes)
        for kind in (*FORCED_KINDS, "cross-province-person"):
            if kind == "split-commune" and not has_split:  # the crosswalk splits no commune of Nam Định
                assert manifest.awkward[kind] == ()
            else:
                assert manifest.awkward[kind], (manifest.spec.key, kind)
    for kind in AWKWARD_KINDS:
        assert any(m.awkward[kind] for m in demo), kind


def test_awkward_records_are_what_the_manifest_says(demo: list[PortalManifest]) -> None:
    for manifest in demo:
        units = load_province(manifest.spec.province_code)
        dossiers = {r[0]: r for r in rows(manifest, "SELECT Id, MaHuyen, MaXa, DiaChi, TenNguoiNop, TrangThai, "
                                                    "NgayTiepNhan, NgayHenTra, NgayTra FROM HoSo")}
        for dossier_id in manifest.awkward["district-only"]:
            _, district, commune, address, *_ = dossiers[dossier_id]
            assert district and not commune
            text = unicodedata.normalize("NFC", address)
            assert any(catalog.lower_kind(c.name) in text for c in units.communes_of(district)), address
        for dossier_id in manifest.awkward["unknown-code"]:
            assert dossiers[dossier_id][2] in UNKNOWN_CODES
        for dossier_id in manifest.awkward["split-commune"]:
            _, _, commune, address, *_ = dossiers[dossier_id]
            assert commune in units.split_codes
            assert "Thôn " in unicodedata.normalize("NFC", address)
        for dossier_id in manifest.awkward["non-nfc"]:
            assert any(isinstance(v, str) and not unicodedata.is_normalized("NFC", v) for v in dossiers[dossier_id])
        for dossier_id in manifest.awkward["missing-dates"]:
            assert any(v in (None, "") for v in dossiers[dossier_id][6:9])
        split_rows = {r[0] for r in dossiers.values() if r[2] in units.split_codes}
        assert split_rows == set(manifest.awkward["split-commune"])


def test_file_hashes_match_except_the_missing_attachments(demo: list[PortalManifest]) -> None:
    for manifest in demo:
        missing: list[int] = []
        records = rows(manifest, "SELECT HoSoId, DuongDan, KichThuoc, MaHash FROM TepDinhKem") + \
            rows(manifest, "SELECT NULL, DuongDan, KichThuoc, MaHash FROM KhoDuLieu")
        for dossier_id, path, size, sha256 in records:
            assert "\\" not in path and not path.startswith("/")
            target = manifest.files_dir / path
            if not target.exists():
                missing.append(dossier_id)
                continue
            data = target.read_bytes()
            assert (len(data), hashlib.sha256(data).hexdigest()) == (size, sha256), path
        assert sorted(missing) == sorted(manifest.missing_files)
        assert len(missing) == len(set(missing)) > 0


def test_codes_are_zero_padded_text_of_the_portal_province(demo: list[PortalManifest]) -> None:
    for manifest in demo:
        units = load_province(manifest.spec.province_code)
        communes = {c.code: c.district_code for c in units.communes}
        odd = set(manifest.awkward["unknown-code"]) | set(manifest.awkward["district-only"])
        for table in ("HoSo", "TaiKhoan"):
            for key, province, district, commune, types in rows(
                    manifest, f"SELECT Id, MaTinh, MaHuyen, MaXa, typeof(MaXa) || typeof(MaHuyen) "  # noqa: S608
                              f"FROM {table}"):
                assert province == manifest.spec.province_code
                assert district in {d.code for d in units.districts}
                if table == "HoSo" and key in odd:
                    continue
                assert types == "texttext" and communes[commune] == district, (table, key)


def test_cross_province_people_appear_in_two_or_three_portals(demo: list[PortalManifest]) -> None:
    seen: dict[str, set[str]] = {}
    names: dict[str, set[str]] = {}
    for manifest in demo:
        shared = set(manifest.awkward["cross-province-person"])
        for key, cccd, cmnd, name in rows(manifest, "SELECT Id, SoCCCD, SoCMND, HoTen FROM TaiKhoan"):
            if key in shared:
                person = cmnd  # every shared person has an old card number in every portal
                seen.setdefault(person, set()).add(manifest.spec.key)
                names.setdefault(person, set()).add(name)
                assert cccd or cmnd
    assert seen and all(2 <= len(portals) <= 3 for portals in seen.values())
    assert any(len(portals) == 3 for portals in seen.values())
    spellings = [v for v in names.values() if len(v) > 1]
    assert spellings, "some shared person is spelled differently in two portals"
    for variants in spellings:
        assert len({unaccent(unicodedata.normalize("NFC", n)).lower() for n in variants}) == 1
    cccd_less = [r for m in demo for r in rows(m, "SELECT Id FROM TaiKhoan WHERE SoCCCD IS NULL AND LoaiTaiKhoan = '1'")]
    assert cccd_less, "someone is known only by the old 9-digit card in one portal"


def test_scale_scales_and_files_can_be_skipped(tmp_path: Path) -> None:
    small = build_portal(PORTALS[2], tmp_path / "small", scale=40, files=False)
    large = build_portal(PORTALS[2], tmp_path / "large", scale=1200, files=False)
    assert (small.counts["HoSo"], large.counts["HoSo"]) == (40, 1200)
    assert large.counts["TaiKhoan"] == 600 and small.counts["TaiKhoan"] == 60
    assert 2 * 1200 <= large.counts["QuaTrinhXuLy"] <= 5 * 1200
    assert large.counts["KhoDuLieu"] == 300
    assert large.files == 0 and files_on_disk(large.files_dir) == []
    assert len(large.awkward["unknown-code"]) == 1200 // 50
    assert rows(large, "SELECT count(*) FROM TepDinhKem WHERE length(MaHash) = 64")[0][0] == large.counts["TepDinhKem"]


def test_progress_counts_accounts_dossiers_and_documents(tmp_path: Path) -> None:
    seen: list[tuple[str, str, str, int, int | None]] = []
    manifest = build_portal(PORTALS[1], tmp_path, scale=4500, files=False,
                            progress=lambda *report: seen.append(report))
    dossiers = [done for step, source, part, done, total in seen if part == "dossier" and total == 4500]
    assert dossiers[0] == 0 and dossiers[-1] == 4500 and len(dossiers) > 2 and dossiers == sorted(dossiers)
    last = {part: (done, total) for _, _, part, done, total in seen}
    assert last == {"account": (manifest.counts["TaiKhoan"],) * 2, "dossier": (4500, 4500),
                    "document": (manifest.counts["KhoDuLieu"],) * 2}
    assert {(step, source) for step, source, *_ in seen} == {("building", "namdinh-portal")}


def test_profiles_have_the_adapter_shape(demo: list[PortalManifest]) -> None:
    for manifest in demo:
        profile = tomllib.loads(manifest.profile_path.read_text(encoding="utf-8"))
        key = manifest.spec.key
        assert profile["source"] == {"name": f"{key}-portal", "engine": "sqlite",
                                     "url_env": f"HOPNHAT_SOURCE_{key.upper()}_URL",
                                     "old_province": manifest.spec.province_code, "files_root": f"{key}-files"}
        assert set(profile["entity"]) == {"account", "dossier", "dossier_event", "dossier_file", "document"}
        assert profile["entity"]["dossier"]["lookups"]["status"]["3"] == "waiting-supplement"
        assert (manifest.profile_path.parent / profile["source"]["files_root"]) == manifest.files_dir
        with open_portal(manifest) as connection:
            for entity in profile["entity"].values():
                columns = {r[1] for r in connection.execute(f"PRAGMA table_info({entity['table']})")}
                assert set(entity["columns"].values()) <= columns


def test_profiles_load_with_the_adapters(demo: list[PortalManifest]) -> None:
    profiles = pytest.importorskip("adapters.profiles")
    for manifest in demo:
        loaded = profiles.load_profile(manifest.profile_path)
        assert loaded.old_province == manifest.spec.province_code


def test_portals_are_the_three_former_provinces_of_the_new_ninh_binh(demo: list[PortalManifest]) -> None:
    assert [(p.key, p.name, p.province_code) for p in PORTALS] == [
        ("hanam", "Hà Nam", "35"), ("namdinh", "Nam Định", "36"), ("ninhbinh", "Ninh Bình", "37")]
    assert [m.spec for m in demo] == list(PORTALS)
    assert [m.db_path.name for m in demo] == ["hanam.sqlite", "namdinh.sqlite", "ninhbinh.sqlite"]
