#!/usr/bin/env bash
# Makes the Pulumi CLI usable for this project, offline if need be:
#   pulumi, pulumi-language-nodejs and pulumi-resource-pulumi-nodejs
# (the plugin script that hosts dynamic providers). On success it prints ONLY
# the directory to put first on PATH; all progress goes to stderr:
#
#   PATH="$(bash scripts/ensure-pulumi.sh):$PATH"
#
# Sources, in order:
#   a. a pulumi already on PATH whose companions are findable;
#   b. a cached install: ours, or the one `npx pulumi` / the Automation API
#      keep in ${PULUMI_HOME:-~/.pulumi}/versions/<version>;
#   c. the official installer from get.pulumi.com, when that host answers;
#   d. a build from the Go module proxy (scripts/pulumi-cli), the only route
#      on machines that reach package registries and nothing else.
#
# Environment: PULUMI_PHONE_WEBHOOKS_CACHE (default ~/.cache/pulumi-phone-webhooks).
set -euo pipefail

# Keep in step with @pulumi/pulumi in package-lock.json and with scripts/pulumi-cli/go.mod.
PULUMI_VERSION=v3.248.0

scripts_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$scripts_dir")
cache_root=${PULUMI_PHONE_WEBHOOKS_CACHE:-$HOME/.cache/pulumi-phone-webhooks}
companions=(pulumi-language-nodejs pulumi-resource-pulumi-nodejs)

say() { echo "ensure-pulumi: $*" >&2; }
die() {
	say "error: $*"
	exit 1
}

# complete DIR: DIR holds an executable pulumi and both companions.
complete() {
	local f
	for f in pulumi "${companions[@]}"; do
		[[ -x $1/$f && -s $1/$f ]] || return 1
	done
}

# A Go-built cache records the wrapper sources it came from, so a change to
# scripts/pulumi-cli (the language host, or go.sum) triggers a rebuild.
wrapper_hash() {
	cat "$scripts_dir/pulumi-cli/go.sum" "$scripts_dir"/pulumi-cli/pulumi-language-nodejs/*.go | sha256sum | cut -d' ' -f1
}
# One cache directory per version and wrapper sources: checkouts whose language host differs (a
# branch that changed it) each keep their own build instead of replacing each other's while in use.
dest=$cache_root/pulumi-$PULUMI_VERSION-$(wrapper_hash | cut -c1-12)
cache_ok() {
	complete "$dest/bin" || return 1
	[[ ! -f $dest/source.sha256 || $(<"$dest/source.sha256") == "$(wrapper_hash)" ]]
}

# --- a. pulumi on PATH ------------------------------------------------------
# Our own caches on PATH are judged by step b, which knows when one is stale.
if path_pulumi=$(command -v pulumi 2>/dev/null) && [[ $(dirname "$path_pulumi") != "$cache_root"/* ]]; then
	path_dir=$(dirname "$path_pulumi")
	missing=()
	for f in "${companions[@]}"; do
		# The engine looks beside the pulumi binary, then on PATH.
		[[ -x $path_dir/$f ]] || command -v "$f" >/dev/null 2>&1 || missing+=("$f")
	done
	if ((${#missing[@]} == 0)); then
		have=$(PULUMI_SKIP_UPDATE_CHECK=true "$path_pulumi" version 2>/dev/null || true)
		[[ $have == "$PULUMI_VERSION" ]] ||
			say "warning: using $path_pulumi ($have), not $PULUMI_VERSION"
		echo "$path_dir"
		exit 0
	fi
	say "$path_pulumi lacks ${missing[*]}; provisioning a complete $PULUMI_VERSION instead"
fi

# --- b. cached installs -----------------------------------------------------
official_cache=${PULUMI_HOME:-$HOME/.pulumi}/versions/${PULUMI_VERSION#v}/bin
if cache_ok; then
	echo "$dest/bin"
	exit 0
elif complete "$official_cache"; then
	echo "$official_cache"
	exit 0
fi

# Everything below fills $dest. One provisioning run at a time: a second
# caller waits, then finds the cache filled by the first.
mkdir -p "$cache_root"
exec 9>"$cache_root/.pulumi-$PULUMI_VERSION.lock"
if ! flock -n 9; then
	say "another run is provisioning Pulumi $PULUMI_VERSION; waiting for it..."
	flock 9
	if cache_ok; then
		echo "$dest/bin"
		exit 0
	fi
fi

# Work in a staging dir beside $dest and rename it into place at the end, so
# a killed run never leaves a half-filled cache. Leftovers of killed runs are
# safe to remove while we hold the lock.
rm -rf "$cache_root/.pulumi-$PULUMI_VERSION".stage.*
stage=$(mktemp -d "$cache_root/.pulumi-$PULUMI_VERSION.stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin"
log=$cache_root/build-$PULUMI_VERSION.log
: >"$log"

# --- c. official installer --------------------------------------------------
installed=false
if command -v curl >/dev/null 2>&1 && curl -sS -m 5 -o /dev/null https://get.pulumi.com 2>/dev/null; then
	say "Installing Pulumi CLI $PULUMI_VERSION from get.pulumi.com..."
	# The same installer `npx pulumi` runs (the npm package has no 3.248.0).
	if curl -fsSL -m 60 https://get.pulumi.com/install.sh -o "$stage/install.sh" >>"$log" 2>&1 &&
		sh "$stage/install.sh" --version "${PULUMI_VERSION#v}" --install-root "$stage/root" \
			--no-edit-path </dev/null >>"$log" 2>&1 &&
		complete "$stage/root/bin"; then
		rm -rf "${stage:?}/bin" && mv "$stage/root/bin" "$stage/bin"
		installed=true
	else
		say "official install failed (log: $log); building from source instead"
	fi
fi

# --- d. build from the Go module proxy --------------------------------------
if ! $installed; then
	command -v go >/dev/null 2>&1 ||
		die "no 'go' on PATH: Go >= 1.25.11 (what Pulumi $PULUMI_VERSION's go.mod asks for) is needed to build the Pulumi CLI offline"
	proxy=$(go env GOPROXY)
	[[ -n $proxy && $proxy != off ]] ||
		die "GOPROXY is '${proxy:-empty}': the Go module proxy is needed to fetch the Pulumi sources"
	say "Building Pulumi CLI $PULUMI_VERSION from the Go module proxy (first run only, several minutes)..."
	say "  log: $log"
	started=$SECONDS
	module_dir=$scripts_dir/pulumi-cli
	# -mod=readonly: go.sum in the repo is the authority; a build never edits it.
	go_flags=(-mod=readonly -buildvcs=false -trimpath
		-ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION")
	(cd "$module_dir" && go mod download -x) >>"$log" 2>&1 || {
		tail -n 5 "$log" >&2
		die "could not fetch the Pulumi Go modules from $proxy (Go module proxy unreachable?); log: $log"
	}
	(
		cd "$module_dir" &&
			go build "${go_flags[@]}" -o "$stage/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi &&
			go build "${go_flags[@]}" -o "$stage/bin/pulumi-language-nodejs" ./pulumi-language-nodejs
	) >>"$log" 2>&1 || {
		tail -n 20 "$log" >&2
		die "building the Pulumi CLI failed; full log: $log"
	}

	# The dynamic-provider plugin is a script shipped in @pulumi/pulumi; it
	# resolves the SDK from the directory it is started in, so any copy of it
	# serves every project. Without node_modules yet, write the equivalent.
	shipped=$(cd "$repo_dir" && node -e \
		"console.log(require('path').join(require.resolve('@pulumi/pulumi/package.json'), '..', 'pulumi-resource-pulumi-nodejs'))" \
		2>/dev/null) || shipped=
	if [[ -n $shipped && -s $shipped ]]; then
		cp "$shipped" "$stage/bin/pulumi-resource-pulumi-nodejs"
	else
		cat >"$stage/bin/pulumi-resource-pulumi-nodejs" <<-'EOF'
			#!/bin/sh
			# Dynamic provider plugin: runs the provider host of the @pulumi/pulumi
			# that the program's directory (the working directory) resolves.
			script=$(node -e "console.log(require.resolve('@pulumi/pulumi/cmd/dynamic-provider'))") || exit 1
			exec node "$script" "$@"
		EOF
	fi
	chmod +x "$stage/bin/pulumi-resource-pulumi-nodejs"
	wrapper_hash >"$stage/source.sha256"
	say "built in $((SECONDS - started))s"
fi

complete "$stage/bin" || die "provisioning finished without a complete $stage/bin (log: $log)"
"$stage/bin/pulumi" version >/dev/null 2>&1 || die "the new pulumi binary does not run (log: $log)"

# A stale or incomplete $dest is moved aside, not merged.
if [[ -e $dest ]]; then
	mv "$dest" "$stage.old" && rm -rf "$stage.old"
fi
rm -f "$stage/install.sh" && rm -rf "$stage/root"
chmod 755 "$stage" # mktemp made it private
mv -T "$stage" "$dest"
trap - EXIT
echo "$dest/bin"
