#!/usr/bin/env bash
# wasm/build.sh - build the `atlassian-lcm` npm package into wasm/pkg/.
#
#   wasm/build.sh          build (installs the pinned wasm-bindgen CLI if missing)
#
# Steps: cargo builds the wasm-release profile (opt-level "z", fat LTO, one
# codegen unit, abort on panic, stripped) for wasm32-unknown-unknown; the
# wasm-bindgen CLI — the very version of the wasm-bindgen crate in Cargo.lock,
# installed into .tools/cargo — writes the JS glue for Node (pkg/node, CommonJS,
# loads the .wasm synchronously) and for browsers, Deno and bundlers (pkg/web,
# ES module; the exports name Deno before Node, since Deno also matches "node");
# wasm-opt -Oz from the pinned npm package `binaryen` (wasm/node_modules,
# `npm ci` in wasm/) shrinks each .wasm when it is installed; then the
# hand-written types (wasm/js/*.d.ts), the web entry and a package.json are
# added, and the .wasm size is printed raw and gzipped.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
WASM="$ROOT/wasm"
PKG="$WASM/pkg"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
TOOLS="$ROOT/.tools/cargo"
NAME=atlassian_lcm_wasm

say() { echo "wasm/build: $*"; }

# The wasm-bindgen crate version resolved in Cargo.lock (the crate pins it with `=`).
bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

if [[ ! -f Cargo.lock ]] || [[ -z "$(bindgen_version)" ]]; then
  cargo generate-lockfile --quiet 2>/dev/null || cargo metadata --format-version 1 >/dev/null
fi
BINDGEN_VERSION="$(bindgen_version)"
BINDGEN="$TOOLS/bin/wasm-bindgen"
if [[ ! -x "$BINDGEN" ]] || [[ "$("$BINDGEN" --version | awk '{print $2}')" != "$BINDGEN_VERSION" ]]; then
  say "installing wasm-bindgen-cli $BINDGEN_VERSION into .tools/cargo"
  cargo install wasm-bindgen-cli --version "$BINDGEN_VERSION" --locked --root "$TOOLS" --quiet
fi

if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the rustup target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

say "cargo build --profile wasm-release --target wasm32-unknown-unknown -p atlassian-lcm-wasm"
cargo build --quiet --profile wasm-release --target wasm32-unknown-unknown -p atlassian-lcm-wasm
RAW_WASM="$TARGET_DIR/wasm32-unknown-unknown/wasm-release/$NAME.wasm"

rm -rf "$PKG"
mkdir -p "$PKG"
"$BINDGEN" "$RAW_WASM" --out-dir "$PKG/node" --target nodejs --no-typescript
"$BINDGEN" "$RAW_WASM" --out-dir "$PKG/web" --target web --no-typescript

WASM_OPT="$WASM/node_modules/.bin/wasm-opt"
if [[ -x "$WASM_OPT" ]]; then
  # The features Rust's wasm32-unknown-unknown target emits by default; nothing newer.
  features=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
            --enable-mutable-globals --enable-reference-types --enable-multivalue)
  for dir in node web; do
    "$WASM_OPT" -Oz "${features[@]}" "$PKG/$dir/${NAME}_bg.wasm" -o "$PKG/$dir/${NAME}_bg.wasm"
  done
  say "wasm-opt -Oz ($("$WASM_OPT" --version))"
else
  say "wasm-opt not installed (npm ci in wasm/ installs the pinned binaryen): skipping it"
fi

cp "$WASM/js/index.d.ts" "$WASM/js/web.d.ts" "$PKG/"
cp "$WASM/js/web-index.js" "$PKG/web/index.js"
cp "$WASM/README.md" "$PKG/README.md"
# node/ holds CommonJS, web/ ES modules: each says so for Node's loader.
echo '{ "type": "commonjs" }' > "$PKG/node/package.json"
echo '{ "type": "module" }' > "$PKG/web/package.json"

VERSION="$(cargo metadata --format-version 1 --no-deps \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const p=JSON.parse(s).packages.find(p=>p.name==="atlassian-lcm-wasm");console.log(p.version)})')"
cat > "$PKG/package.json" <<EOF
{
  "name": "atlassian-lcm",
  "version": "$VERSION",
  "description": "Atlassian Cloud user lifecycle (joiner, mover, leaver) over SCIM and the Admin API, as WebAssembly for Node, Deno, workers and browsers",
  "license": "Apache-2.0",
  "type": "module",
  "types": "./index.d.ts",
  "main": "./node/$NAME.js",
  "browser": "./web/index.js",
  "exports": {
    ".": {
      "types": "./index.d.ts",
      "deno": "./web/index.js",
      "node": "./node/$NAME.js",
      "default": "./web/index.js"
    },
    "./web": {
      "types": "./web.d.ts",
      "default": "./web/$NAME.js"
    },
    "./wasm": "./web/${NAME}_bg.wasm",
    "./package.json": "./package.json"
  },
  "files": ["index.d.ts", "web.d.ts", "node/", "web/", "README.md"],
  "sideEffects": ["./web/index.js"],
  "engines": { "node": ">=18" }
}
EOF

SIZE_FILE="$PKG/web/${NAME}_bg.wasm"
raw=$(wc -c < "$SIZE_FILE")
gz=$(gzip -9 -c "$SIZE_FILE" | wc -c)
say "package in wasm/pkg (atlassian-lcm $VERSION, wasm-bindgen $BINDGEN_VERSION)"
awk -v raw="$raw" -v gz="$gz" 'BEGIN {
  printf "wasm/build: .wasm size: %d bytes raw (%.1f KiB), %d bytes gzipped (%.1f KiB)\n", raw, raw / 1024, gz, gz / 1024 }'
