#!/usr/bin/env bash
# Regenerates Sources/RecurONNX/Generated/onnx.pb.swift from onnx.proto, the way the committed file was made.
# The generated code is committed because building protoc-gen-swift takes minutes; run this only to move to
# another onnx.proto or swift-protobuf release (keep SWIFT_PROTOBUF in step with Package.swift).
#
# Needs protoc (Debian: apt-get install protobuf-compiler), Swift, git and pip. onnx.proto comes from the PyPI
# `onnx` package (Apache-2.0; its SPDX header is kept in the generated file).
set -euo pipefail
cd "$(dirname "$0")/.."

ONNX_VERSION="${ONNX_VERSION:-1.23.2}"
SWIFT_PROTOBUF="${SWIFT_PROTOBUF:-1.39.0}"
SWIFT_PROTOBUF_GIT="${SWIFT_PROTOBUF_GIT:-https://github.com/apple/swift-protobuf.git}"
[ -d /opt/swift-packages/apple/swift-protobuf.git ] && SWIFT_PROTOBUF_GIT=/opt/swift-packages/apple/swift-protobuf.git
SCRATCH="${SCRATCH:-${TMPDIR:-/tmp}/recur-onnx-codegen}"
OUT=Sources/RecurONNX/Generated

command -v protoc >/dev/null || { echo "error: protoc is missing (apt-get install protobuf-compiler)" >&2; exit 1; }
mkdir -p "$SCRATCH"

# onnx.proto exactly as the pinned onnx release ships it.
if [ ! -f "$SCRATCH/onnx-$ONNX_VERSION/onnx/onnx.proto" ]; then
    python3 -m pip download --no-deps --only-binary=:all: --dest "$SCRATCH/wheel" "onnx==$ONNX_VERSION"
    python3 - "$SCRATCH" "$ONNX_VERSION" <<'PY'
import glob, sys, zipfile
scratch, version = sys.argv[1], sys.argv[2]
wheel = sorted(glob.glob(f"{scratch}/wheel/onnx-{version}-*.whl"))[0]
zipfile.ZipFile(wheel).extract("onnx/onnx.proto", f"{scratch}/onnx-{version}")
PY
fi

# protoc-gen-swift from the same swift-protobuf release the package depends on, built outside the repository.
PLUGIN="$SCRATCH/swift-protobuf-$SWIFT_PROTOBUF/.build/release/protoc-gen-swift"
if [ ! -x "$PLUGIN" ]; then
    rm -rf "$SCRATCH/swift-protobuf-$SWIFT_PROTOBUF"
    git -c advice.detachedHead=false clone --quiet --branch "$SWIFT_PROTOBUF" --depth 1 "$SWIFT_PROTOBUF_GIT" "$SCRATCH/swift-protobuf-$SWIFT_PROTOBUF" \
        || git clone --quiet "$SWIFT_PROTOBUF_GIT" "$SCRATCH/swift-protobuf-$SWIFT_PROTOBUF"
    git -C "$SCRATCH/swift-protobuf-$SWIFT_PROTOBUF" checkout --quiet "$SWIFT_PROTOBUF"
    (cd "$SCRATCH/swift-protobuf-$SWIFT_PROTOBUF" && swift build -c release --product protoc-gen-swift)
fi

# Internal visibility: the ONNX types stay an implementation detail of RecurONNX (its tests use @testable).
mkdir -p "$OUT"
protoc --plugin=protoc-gen-swift="$PLUGIN" --proto_path="$SCRATCH/onnx-$ONNX_VERSION/onnx" \
    --swift_opt=Visibility=Internal --swift_out="$OUT" onnx.proto
echo "wrote $OUT/onnx.pb.swift from onnx $ONNX_VERSION's onnx.proto with protoc-gen-swift $SWIFT_PROTOBUF"
