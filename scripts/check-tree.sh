#!/usr/bin/env bash
# check-tree.sh save|check — `make test` must leave the work tree as it found it: no
# tracked file changed (a rewritten lockfile, regenerated bindings) and no new untracked
# file (what the build writes goes to ignored folders: build/bin, test-artifacts, …).
#   save   records the tree's state in build/bin/.tree-state (ignored)
#   check  fails when the state differs from the saved one; without one (a fresh clone,
#          or `make check-tree` alone), when `git status --porcelain` shows anything
# Comparing against the saved state lets a developer run `make test` on a tree with edits
# of their own: only what the run itself changed counts.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
saved=build/bin/.tree-state

state() {
	git status --porcelain=v1 --untracked-files=all
	# the content of tracked changes too, so a run that rewrites an already edited file shows
	git diff HEAD --binary | git hash-object --stdin
}

case ${1:-check} in
save)
	mkdir -p "$(dirname "$saved")"
	state >"$saved"
	;;
check)
	if [ -f "$saved" ]; then
		if ! diff -u "$saved" <(state) >&2; then
			echo "check-tree: the build or the tests changed the work tree (above: git status before → after)" >&2
			exit 1
		fi
	elif [ -n "$(git status --porcelain=v1 --untracked-files=all)" ]; then
		git status --short --untracked-files=all >&2
		echo "check-tree: the work tree is not clean" >&2
		exit 1
	fi
	echo "check-tree: the work tree is as it was before the run"
	;;
*)
	echo "usage: $0 save|check" >&2
	exit 2
	;;
esac
