# Packaging: installable artifacts and their tests. Included at the end of the Makefile
# (it uses VERSION, TAGS, ARTIFACTS and the deps-test/frontend targets from there).
# How to install each artifact, what a release build needs, the release checklist:
# docs/packaging.md.
#
#   make package          the .deb, the Windows exe and its NSIS installer (on Linux), or the
#                         .app zip (on macOS), into build/bin/dist/ with SHA256SUMS
#   make test-package     builds them, then installs/launches/uninstalls the .deb under Xvfb,
#                         checks the Windows files, the single-instance lock and the CI workflows
#
# CLERK_PUBLISHABLE_KEY set at package time → a release-channel build carrying that key;
# unset → a development-channel build (the local emulator when no key is configured at run time).

DIST    ?= $(CURDIR)/build/bin/dist
STAGE   ?= $(CURDIR)/build/bin/stage
PKG_SH  := scripts/package/package.sh
PKG_KEYRING := auth/keychain/testdata/run-with-keyring.sh
PKG_ENV  = VERSION="$(VERSION)" URL_SCHEME="$(URL_SCHEME)" TAGS="$(TAGS)" DIST="$(DIST)" STAGE="$(STAGE)" CLERK_PUBLISHABLE_KEY="$(CLERK_PUBLISHABLE_KEY)"
ACTIONLINT := github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
ifeq ($(shell uname -s),Darwin)
PKG_STEPS := stage darwin sums
else
PKG_STEPS := stage linux deb windows sums
endif

.PHONY: package package-linux package-windows package-macos test-package lint-workflows

package: deps-test frontend ## installable artifacts for this OS into build/bin/dist (see docs/packaging.md)
	@rm -rf "$(DIST)"
	$(PKG_ENV) $(PKG_SH) $(PKG_STEPS)

package-linux: deps-test frontend ## only the Linux binary and the .deb
	$(PKG_ENV) $(PKG_SH) stage linux deb sums

package-windows: deps-test frontend ## only the Windows exe and installer (cross-compiled)
	$(PKG_ENV) $(PKG_SH) stage windows sums

package-macos: frontend ## the universal .app, zipped (on macOS)
	$(PKG_ENV) $(PKG_SH) stage darwin sums

# The tests need the local emulator, so they package a development-channel build whatever
# key the environment has; a release package is `make package CLERK_PUBLISHABLE_KEY=pk_live_…`.
# The tests follow the app through its ready file, so the Linux binary they package carries
# the test hooks (tag testhooks), which package.sh refuses for a release.
test-package: CLERK_PUBLISHABLE_KEY :=
test-package: TAGS := $(TAGS),testhooks
test-package: package
	mkdir -p $(ARTIFACTS)
	$(PKG_KEYRING) env DESKCLERK_DIST=$(DIST) DESKCLERK_STAGE=$(STAGE) DESKCLERK_ARTIFACTS=$(ARTIFACTS) \
		go test -count=1 -tags e2e -timeout 6m -v ./e2e/packaging/

lint-workflows: ## actionlint on .github/workflows
	go run $(ACTIONLINT) -no-color
