# The README's two commands: `make run` and `make test`. Both install what they need first.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

# Build once, outside the clone, so CI and every checkout rebuild incrementally.
export CARGO_TARGET_DIR ?= /var/tmp/keyhaven-target
export PATH := $(HOME)/.cargo/bin:$(PATH)
# One feature set for every cargo invocation (the app serves its bundled UI), so the Tauri crates
# compile once; e2e runs the binary that `cargo test` builds, with the same features.
CARGO_FEATURES := --features keyhaven/custom-protocol
# The one invocation that builds the binaries, for `make run` and `make test` alike: another
# package selection (`-p …`) unifies other dependency features and rebuilds much of the tree.
BUILD_BINS := cargo build --workspace --bins $(CARGO_FEATURES)
# The app embeds every file of dist/ (include_bytes!), so dist/ is rebuilt only when what it is
# made from changed: a fresh dist/ (same bytes, new mtimes) would recompile the desktop crate.
UI_SOURCES := $(shell find ui -type f ! -name '*.test.ts' ! -name 'test-*.ts') package.json package-lock.json vite.config.ts svelte.config.js tsconfig.json

# The steps of `make test` run in order even under `make -j` (or MAKEFLAGS=-j): the e2e suites
# must not share the two cores with the unit tests.
.NOTPARALLEL:

.PHONY: package run test deps node-deps ui lint unit api e2e fuzz bindings bench budgets server-budgets sync-budgets import-budgets clean-artifacts

run: deps node-deps ui
	$(BUILD_BINS)
	scripts/run.sh

test: deps node-deps lint ui unit api e2e

deps:
	scripts/install-deps.sh

node-deps: node_modules/.package-lock.json

# schemathesis for `make api`, pinned with everything it pulls in, in a venv of the clone.
.venv/.installed: tests/api/requirements.txt
	python3 -m venv .venv
	.venv/bin/pip install --quiet --disable-pip-version-check -r tests/api/requirements.txt
	touch $@

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund

ui: node-deps dist/index.html

dist/index.html: $(UI_SOURCES) node_modules/.package-lock.json
	npm run build

lint: node-deps
	cargo fmt --all --check
	npm run check
	npm run lint

unit: ui
	cargo clippy --workspace --all-targets $(CARGO_FEATURES) -- -D warnings
	npm run test:ui
	scripts/with-postgres.sh scripts/with-keyring.sh cargo test --workspace $(CARGO_FEATURES)

# The service against its OpenAPI document (schemathesis --checks all), on SQLite and on
# PostgreSQL, with the binary the e2e suites run.
api: .venv/.installed
	$(BUILD_BINS)
	tests/api/conformance.sh sqlite
	scripts/with-postgres.sh tests/api/conformance.sh postgres 5

# Issue #15's fuzz targets (fuzz/), about a minute each, outside `make test`. A crash leaves its
# input in fuzz/artifacts/<target>/ and fails the run.
FUZZ_SECONDS ?= 60
fuzz:
	command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	for target in request_bodies item_blob item_json server_config import_bitwarden_json import_csv import_1pux import_keyhaven import_keepass_xml; do \
	  cargo +nightly fuzz run --target-dir /var/tmp/keyhaven-fuzz-target $$target -- \
	    -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 || exit 1; \
	done

e2e: ui
	cargo test --workspace $(CARGO_FEATURES) --no-run
	$(BUILD_BINS)
	scripts/e2e.sh

# Regenerate ui/src/lib/bindings.ts from the Rust commands.
bindings:
	UPDATE_BINDINGS=1 cargo test $(CARGO_FEATURES) --test app checked_in_typescript_bindings_match_the_rust_commands

bench:
	cargo bench -p keyhaven-vault --bench vault

# Issue #3's budgets: start-up and idle memory against an empty Tauri 2 app built the same way
# (release), and search-as-you-type on 10,000 items. Writes artifacts/budgets.json.
budgets: deps node-deps ui
	cargo build --release $(CARGO_FEATURES) -p keyhaven -p keyhaven-cli
	cargo build --release -p keyhaven-vault --example seed_vault
	cargo build --release --features custom-protocol --manifest-path bench/empty-tauri/Cargo.toml
	KEYHAVEN_APP_BIN=$(CARGO_TARGET_DIR)/release/keyhaven-desktop \
	KEYHAVEN_CLI_BIN=$(CARGO_TARGET_DIR)/release/keyhaven \
	SEED_VAULT_BIN=$(CARGO_TARGET_DIR)/release/examples/seed_vault \
	EMPTY_APP_BIN=$(CARGO_TARGET_DIR)/release/empty-tauri \
	NO_AT_BRIDGE=1 xvfb-run --auto-servernum --server-args="-screen 0 1280x800x24" \
	  dbus-run-session -- node scripts/measure-budgets.mjs

# Issue #15's memory budget (peak RSS under 200 concurrent sign-ins, artifacts/server-memory.jsonl), then
# issue #4's budgets: the sync API under load on loopback, SQLite then PostgreSQL (durable
# commits). Writes artifacts/server-budgets.jsonl; fails when a figure is under its budget.
server-budgets: deps
	cargo build --release -p keyhaven-server --bin keyhaven-server --example load --example sign_in_rss
	mkdir -p artifacts
	$(CARGO_TARGET_DIR)/release/examples/sign_in_rss | tee artifacts/server-memory.jsonl
	$(CARGO_TARGET_DIR)/release/examples/load sqlite | tee artifacts/server-budgets.jsonl
	KEYHAVEN_PG_FSYNC=on scripts/with-postgres.sh $(CARGO_TARGET_DIR)/release/examples/load postgres \
	  | tee -a artifacts/server-budgets.jsonl

# Issue #18's budgets: importing 10,000 items from Bitwarden JSON and CSV (< 2 s, peak RSS
# < 200 MiB) and exporting them in every format (< 1 s without the KDF). Writes
# artifacts/import-budgets.jsonl; fails when a figure misses its budget.
import-budgets:
	cargo build --release -p keyhaven-import --example import_bench
	mkdir -p artifacts
	$(CARGO_TARGET_DIR)/release/examples/import_bench | tee artifacts/import-budgets.jsonl

# Issue #5's budgets: first sync of 10,000 items on a new device and one change reaching another
# device, on loopback with the real service and Secret Service. Writes artifacts/sync-budgets.jsonl;
# fails when a figure misses its budget.
sync-budgets: deps
	cargo build --release -p keyhaven-client --example sync_bench
	mkdir -p artifacts
	scripts/with-keyring.sh $(CARGO_TARGET_DIR)/release/examples/sync_bench | tee artifacts/sync-budgets.jsonl

# The Debian packages (release build): keyhaven (app + CLI) and keyhaven-server, in
# $(CARGO_TARGET_DIR)/packages.
package: deps node-deps ui
	scripts/package.sh
