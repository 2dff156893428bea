#!/usr/bin/env bash
# Builds the Debian packages into $PACKAGES_DIR (default $CARGO_TARGET_DIR/packages):
#   keyhaven_<version>_amd64.deb         the desktop app and the keyhaven CLI (Tauri bundler)
#   keyhaven-server_<version>_amd64.deb  the service, its systemd unit and conffile (cargo-deb)
# PROFILE=release (default, `make package`) or PROFILE=debug (the install test, from the binaries
# `make test` already built). BUILD=0 skips the cargo build.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${CARGO_TARGET_DIR:=/var/tmp/keyhaven-target}"
export CARGO_TARGET_DIR PATH="$HOME/.cargo/bin:$PATH"
PROFILE="${PROFILE:-release}"
PACKAGES_DIR="${PACKAGES_DIR:-$CARGO_TARGET_DIR/packages}"
FEATURES=(--features keyhaven/custom-protocol)
case "$PROFILE" in
  release) cargo_profile=(--release); tauri_profile=(); deb_profile=release ;;
  debug) cargo_profile=(); tauri_profile=(--debug); deb_profile=dev ;;
  *) echo "package: PROFILE is release or debug, not $PROFILE" >&2; exit 2 ;;
esac
bin_dir="$CARGO_TARGET_DIR/$PROFILE"
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)"

command -v cargo-deb >/dev/null || cargo install cargo-deb --version '^3' --locked
[ -f dist/index.html ] || npm run build
if [ "${BUILD:-1}" != 0 ]; then
  cargo build --workspace --bins "${FEATURES[@]}" "${cargo_profile[@]}"
fi

# Man pages from each binary's --help (help2man), where both packages install them.
mkdir -p "$bin_dir/man" "$PACKAGES_DIR"
help2man --no-info --version-string="$version" --name="the Keyhaven Account service" \
  "$bin_dir/keyhaven-server" | gzip -9n > "$bin_dir/man/keyhaven-server.1.gz"
help2man --no-info --version-string="$version" --name="the Keyhaven password manager from a terminal" \
  "$bin_dir/keyhaven" | gzip -9n > "$bin_dir/man/keyhaven.1.gz"

# The service. cargo-deb reads target/release/ in its assets as the profile's output directory,
# and strips the binary.
cargo deb -p keyhaven-server --no-build --profile "$deb_profile" --deb-version "$version" \
  --output "$PACKAGES_DIR/"

# The app, with the CLI beside it. The bundler packs the binary it finds in its target
# directory: a staging one, with stripped copies, leaves the build's own binaries untouched.
stage="$CARGO_TARGET_DIR/package-stage"
rm -rf "$stage" && mkdir -p "$stage/$PROFILE"
strip --strip-unneeded -o "$stage/$PROFILE/keyhaven-desktop" "$bin_dir/keyhaven-desktop"
strip --strip-unneeded -o "$stage/$PROFILE/keyhaven" "$bin_dir/keyhaven"
gzip -9n < packaging/changelog > "$stage/changelog.gz"
extra_files="$(printf '{"bundle":{"linux":{"deb":{"files":{"/usr/bin/keyhaven":"%s","/usr/share/man/man1/keyhaven.1.gz":"%s","/usr/share/doc/keyhaven/changelog.gz":"%s"}}}}}' \
  "$stage/$PROFILE/keyhaven" "$bin_dir/man/keyhaven.1.gz" "$stage/changelog.gz")"
CARGO_TARGET_DIR="$stage" npx tauri bundle "${tauri_profile[@]}" --bundles deb --ci --config "$extra_files"
cp "$stage/$PROFILE/bundle/deb/Keyhaven_${version}_amd64.deb" "$PACKAGES_DIR/keyhaven_${version}_amd64.deb"
ls -l "$PACKAGES_DIR"/*.deb
