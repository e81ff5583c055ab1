# Desk Clerk — build, run and test. `make run` launches the app, `make test` runs every test.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

GOBIN   := $(shell go env GOPATH 2>/dev/null)/bin
export PATH := $(PATH):$(GOBIN)
TAGS    := webkit2_41
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X deskclerk/auth/config.buildVersion=$(VERSION)
APP     := build/bin/deskclerk
DEVAPP  := build/bin/deskclerk-dev
ARTIFACTS ?= $(CURDIR)/test-artifacts
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# Tests that need a session bus (and, later, a real Secret Service) run inside one.
SESSION := env -u DISPLAY dbus-run-session --
export NO_AT_BRIDGE := 1

.PHONY: run deps deps-test frontend build build-dev lint test test-go test-desktop test-browser bench clean

run: deps build ## build and launch the app (the local emulator when no CLERK_PUBLISHABLE_KEY is set)
	./$(APP)

deps:
	@scripts/deps.sh run

deps-test:
	@scripts/deps.sh test

frontend:
	cd frontend && npm run build --silent

build: frontend
	wails build -tags $(TAGS) -s -nocolour -ldflags "$(LDFLAGS)" >/dev/null
	@ls -l $(APP)

# The dev-tagged binary serves the page and the real Go bindings on loopback, for Playwright.
build-dev: frontend
	go build -tags dev,$(TAGS) -ldflags "$(LDFLAGS)" -o $(DEVAPP) .

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go') 2>/dev/null); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet -tags desktop,production,$(TAGS) ./...
	go vet -tags e2e ./e2e/...
	go run $(STATICCHECK) -tags desktop,production,$(TAGS) ./...

test: deps-test lint build build-dev test-go test-desktop test-browser ## every test
	@echo "make test: all suites passed"

test-go:
	$(SESSION) go test -count=1 ./...

test-desktop:
	mkdir -p $(ARTIFACTS)
	$(SESSION) env DESKCLERK_APP_BIN=$(CURDIR)/$(APP) DESKCLERK_ARTIFACTS=$(ARTIFACTS) go test -count=1 -tags e2e -v ./e2e/desktop/

test-browser:
	mkdir -p $(ARTIFACTS)
	cd e2e/browser && $(SESSION) env DESKCLERK_ARTIFACTS=$(ARTIFACTS) node --test --test-concurrency=1

bench: deps-test build ## start-up, memory and verification benchmarks (prints tables)
	$(SESSION) go run ./e2e/cmd/startbench -app $(APP) -runs 10

clean:
	rm -rf build/bin test-artifacts frontend/dist/assets frontend/dist/index.html
