"""Generate the Python gRPC stubs from the shared contract in ../protos (never copied into this project).

Writes ``src/dspysuite/**/*_pb2.py``, ``*_pb2_grpc.py`` and ``*_pb2.pyi`` so that they import as
``dspysuite.dspy.v1.dspy_service_pb2``. Idempotent and fast: nothing is rewritten when every generated file is newer
than every ``.proto`` file and this script (pass ``--force`` to regenerate anyway).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
PROTO_ROOT = (PROJECT / ".." / "protos" / "src" / "main" / "proto").resolve()
OUT_DIR = PROJECT / "src"
PACKAGE_ROOT = OUT_DIR / "dspysuite"
STAMP = PACKAGE_ROOT / ".generated"


def _proto_files() -> list[Path]:
    return sorted(PROTO_ROOT.rglob("*.proto"))


def _up_to_date(protos: list[Path]) -> bool:
    if not STAMP.exists():
        return False
    stamp_time = STAMP.stat().st_mtime
    newest_input = max([p.stat().st_mtime for p in protos] + [Path(__file__).stat().st_mtime])
    if newest_input > stamp_time:
        return False
    recorded = STAMP.read_text(encoding="utf-8").splitlines()
    return recorded == [p.relative_to(PROTO_ROOT).as_posix() for p in protos]


def _write_init_files() -> None:
    for directory in [PACKAGE_ROOT, *(d for d in PACKAGE_ROOT.rglob("*") if d.is_dir())]:
        if directory.name == "__pycache__":
            continue
        init = directory / "__init__.py"
        if not init.exists():
            init.write_text("", encoding="utf-8")


def generate(force: bool = False) -> int:
    protos = _proto_files()
    if not protos:
        print(f"no .proto files under {PROTO_ROOT}", file=sys.stderr)
        return 1
    if not force and _up_to_date(protos):
        print(f"protos up to date in {PACKAGE_ROOT}")
        return 0

    # Imported lazily: grpcio-tools is a build/dev dependency only.
    import grpc_tools
    from grpc_tools import protoc

    well_known = Path(grpc_tools.__file__).resolve().parent / "_proto"
    if PACKAGE_ROOT.exists():
        shutil.rmtree(PACKAGE_ROOT)
    args = [
        "grpc_tools.protoc",
        f"--proto_path={PROTO_ROOT}",
        f"--proto_path={well_known}",
        f"--python_out={OUT_DIR}",
        f"--pyi_out={OUT_DIR}",
        f"--grpc_python_out={OUT_DIR}",
        *(str(p) for p in protos),
    ]
    code = protoc.main(args)
    if code != 0:
        print(f"protoc failed with exit code {code}", file=sys.stderr)
        return int(code)
    _write_init_files()
    STAMP.write_text("\n".join(p.relative_to(PROTO_ROOT).as_posix() for p in protos) + "\n", encoding="utf-8")
    print(f"generated stubs for {len(protos)} proto file(s) into {PACKAGE_ROOT}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="regenerate even when the stubs look up to date")
    return generate(force=parser.parse_args().force)


if __name__ == "__main__":
    raise SystemExit(main())
