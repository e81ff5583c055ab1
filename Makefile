# Desk Clerk — build, run and test. `make run` launches the app, `make test` runs every test.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

GOBIN   := $(shell go env GOPATH 2>/dev/null)/bin
export PATH := $(PATH):$(GOBIN)
TAGS    := webkit2_41
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# The app's URL scheme for social sign-in redirects (<scheme>://oauth-callback); packaging
# registers the same name (scripts/package/package.sh, URL_SCHEME).
URL_SCHEME ?= deskclerk
LDFLAGS := -X deskclerk/internal/config.buildVersion=$(VERSION:v%=%) -X deskclerk/internal/config.buildURLScheme=$(URL_SCHEME)
APP     := build/bin/deskclerk
DEVAPP  := build/bin/deskclerk-dev
TESTAPP := build/bin/deskclerk-test
TOOLS   := build/bin/emulator build/bin/fakebrowser build/bin/demoapi
ARTIFACTS ?= $(CURDIR)/test-artifacts
FUZZTIME ?= 4s
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# A private D-Bus session with an unlocked gnome-keyring: a real Secret Service,
# never the user's own keyring; DISPLAY is unset inside so nothing can prompt.
KEYRING := auth/keychain/testdata/run-with-keyring.sh
export NO_AT_BRIDGE := 1
# Packages with goroutines of their own run under the race detector in test-go.
RACE_PKGS := . ./auth/... ./emulator/... ./demoapi/... ./internal/...
# A dummy live key: make bench builds a release binary with it, for its size only.
BENCH_KEY := pk_live_Y2xlcmsuZGVza2NsZXJrLmV4YW1wbGUk

.PHONY: register-scheme demo-users run deps deps-test frontend build build-dev build-test tools lint check-secrets \
	check-tree tree-state test test-go test-fuzz test-desktop test-browser test-emulator bench fuzz clean

run: deps build ## build and launch the app (the local emulator when no CLERK_PUBLISHABLE_KEY is set)
	@if [ "$$(uname -s)" = Linux ]; then scripts/register-scheme.sh --if-unset $(APP) $(URL_SCHEME) || true; fi
	./$(APP)

# Registers build/bin/deskclerk for $(URL_SCHEME):// URLs for the current user (Linux),
# replacing any other registration; `make run` does it only when none exists.
register-scheme: build
	scripts/register-scheme.sh $(APP) $(URL_SCHEME)

deps:
	@scripts/deps.sh run

deps-test:
	@scripts/deps.sh test

frontend:
	cd frontend && npm run build --silent

build: frontend
	wails build -tags $(TAGS) -s -nocolour -ldflags "$(LDFLAGS)" >/dev/null
	@ls -l $(APP)

# The binary the desktop tests and benchmarks drive: make build's, plus the test hooks
# (tag testhooks: the ready file and auto-quit, see testhooks.go) that make build and
# release builds leave out.
build-test: frontend
	wails build -tags $(TAGS),testhooks -s -skipbindings -nocolour -o $(notdir $(TESTAPP)) -ldflags "$(LDFLAGS)" >/dev/null
	@ls -l $(TESTAPP)

# The dev-tagged binary serves the page and the real Go bindings on loopback, for Playwright.
build-dev: frontend
	go build -tags dev,$(TAGS) -ldflags "$(LDFLAGS)" -o $(DEVAPP) .

# The standalone emulator, the standalone demo API and the scripted system browser used by the end-to-end tests.
tools:
	go build -o build/bin/emulator ./cmd/emulator
	go build -o build/bin/demoapi ./cmd/demoapi
	go build -o build/bin/fakebrowser ./e2e/cmd/fakebrowser

# The local emulator's demo accounts and their passwords (generated per machine).
demo-users:
	@go run ./cmd/emulator -print-users $(if $(DESKCLERK_EMULATOR_DIR),-dir $(DESKCLERK_EMULATOR_DIR))

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go') 2>/dev/null); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet -tags desktop,production,$(TAGS) ./...
	go vet -tags release,$(TAGS) .
	go vet -tags testhooks,desktop,production,$(TAGS) .
	go vet -tags e2e ./e2e/...
	go run $(STATICCHECK) -tags desktop,production,$(TAGS) ./...

# No Clerk secret key, real or sample, may sit in the tree or the binary.
check-secrets: build
	@if git grep -nIE 'sk_(test|live)_[A-Za-z0-9]{16,}' -- . ; then echo "a Clerk secret key is in the tree"; exit 1; fi
	@if grep -aoE 'sk_(test|live)_[A-Za-z0-9]{16,}' $(APP) ; then echo "a Clerk secret key is in $(APP)"; exit 1; fi
	@echo "check-secrets: no secret keys in the tree or the binary"

test: tree-state deps-test lint check-secrets build build-test build-dev tools test-go test-fuzz test-emulator test-desktop \
	test-browser test-package ## every test
	@scripts/check-tree.sh check
	@echo "make test: all suites passed"

# check-tree fails when the build or the tests changed the work tree (a fresh clone must
# stay clean); tree-state records the tree before a run, so your own edits do not count.
tree-state:
	@scripts/check-tree.sh save
check-tree:
	@scripts/check-tree.sh check

test-go:
	$(KEYRING) go test -count=1 -race $(RACE_PKGS)
	$(KEYRING) go test -count=1 ./cmd/... ./scripts/... ./e2e/...

test-fuzz:
	go test -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime $(FUZZTIME) ./auth/verify/
	go test -run '^$$' -fuzz '^FuzzVerifyClaims$$' -fuzztime $(FUZZTIME) ./auth/verify/
	go test -run '^$$' -fuzz '^FuzzParseJSON$$' -fuzztime $(FUZZTIME) ./auth/verify/
	go test -run '^$$' -fuzz '^FuzzFromPublishableKey$$' -fuzztime $(FUZZTIME) ./auth/instance/
	go test -run '^$$' -fuzz '^FuzzCallback$$' -fuzztime $(FUZZTIME) ./auth/loopback/
	go test -run '^$$' -fuzz '^FuzzDeliver$$' -fuzztime $(FUZZTIME) ./auth/deeplink/

fuzz:
	$(MAKE) test-fuzz FUZZTIME=2m

test-emulator:
	cd e2e/emulator && npm run --silent build && EMULATOR_BIN=$(CURDIR)/build/bin/emulator node --test --test-concurrency=1

test-desktop:
	mkdir -p $(ARTIFACTS)
	$(KEYRING) env DESKCLERK_APP_BIN=$(CURDIR)/$(TESTAPP) DESKCLERK_PLAIN_BIN=$(CURDIR)/$(APP) DESKCLERK_FAKEBROWSER_BIN=$(CURDIR)/build/bin/fakebrowser DESKCLERK_ARTIFACTS=$(ARTIFACTS) go test -count=1 -tags e2e -v ./e2e/desktop/

test-browser:
	mkdir -p $(ARTIFACTS)
	cd e2e/browser && ../../$(KEYRING) env DESKCLERK_ARTIFACTS=$(ARTIFACTS) node --test --test-concurrency=1

# The release binary is built as make package builds it (-trimpath, tag release, a key).
bench: deps-test build build-test build-dev tools ## start-up, memory, size, API latency and verification benchmarks (prints tables)
	go test -run '^$$' -bench . -benchmem ./auth/verify/
	VERSION="$(VERSION)" TAGS="$(TAGS)" CLERK_PUBLISHABLE_KEY=$(BENCH_KEY) DIST=$(CURDIR)/build/bin/bench-release \
		STAGE=$(CURDIR)/build/bin/bench-stage scripts/package/package.sh stage linux
	$(KEYRING) go run ./e2e/cmd/startbench -app $(TESTAPP) -plain $(APP) -release build/bin/bench-release/linux-amd64/deskclerk -runs 10
	cd e2e/browser && ../../$(KEYRING) node bench-binding.mjs
	go run ./e2e/cmd/apibench -bin build/bin/demoapi

clean:
	rm -rf build/bin test-artifacts frontend/dist/assets frontend/dist/index.html frontend/dist-gz/assets frontend/dist-gz/index.html

include mk/package.mk
