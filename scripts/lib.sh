# Shared by the scripts: paths, logging, and installing what is missing.
# Source it; do not run it.

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/bin"
export PATH="/usr/local/go/bin:$PATH"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Debian packages the build needs (cgo: libvpx for VP8, libopus for Opus,
# kernel headers for V4L2), and a font with the Kazakh letters for the results PDF.
BUILD_PACKAGES=(gcc pkg-config libvpx-dev libopus-dev linux-libc-dev fonts-dejavu-core)
# Debian packages the tests need: a browser, a display, a VNC server, a sound
# server, speech, a media decoder, X tools, a PDF text extractor (the results PDF).
TEST_PACKAGES=(chromium xvfb x11vnc tigervnc-standalone-server pulseaudio pulseaudio-utils dbus espeak-ng ffmpeg x11-xserver-utils x11-utils xauth poppler-utils)

# need_packages installs the named Debian packages that are not installed.
need_packages() {
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	say "installing Debian packages: ${missing[*]}"
	local sudo=()
	[ "$(id -u)" -eq 0 ] || sudo=(sudo)
	export DEBIAN_FRONTEND=noninteractive
	"${sudo[@]}" apt-get update -qq
	"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

need_go() {
	command -v go >/dev/null || die "Go is not installed (expected at /usr/local/go): install Go 1.26 from https://go.dev/dl/"
}

need_node() {
	command -v npm >/dev/null || die "Node.js and npm are not installed: install Node.js 20 or newer"
}

# ui_deps installs the web app's npm packages from the lock file.
ui_deps() {
	need_node
	if [ ! -d "$ROOT/proctor-ui/node_modules" ] || [ "$ROOT/proctor-ui/package-lock.json" -nt "$ROOT/proctor-ui/node_modules/.package-lock.json" ]; then
		say "installing the web app's npm packages"
		local log
		log=$(mktemp)
		if ! (cd "$ROOT/proctor-ui" && npm ci --no-audit --no-fund --loglevel=error) >"$log" 2>&1; then
			# npm ci insists that every optional package named in the lock
			# (rollup's binaries for other platforms) can be resolved; a
			# registry mirror that carries only this platform's makes it
			# refuse the lock as "out of sync". npm install --no-save installs
			# the same locked versions and leaves the lock file untouched.
			say "npm ci refused the lock file ($(grep -m1 'npm error' "$log" | cut -c1-100)); installing the locked versions with npm install --no-save"
			(cd "$ROOT/proctor-ui" && npm install --no-save --no-audit --no-fund --loglevel=error) ||
				{ cat "$log" >&2; rm -f "$log"; die "could not install the web app's npm packages: see the npm errors above"; }
		fi
		rm -f "$log"
	fi
}

# build builds the web app, then the binaries with the app embedded.
build() {
	need_go
	ui_deps
	say "building the web app"
	(cd "$ROOT/proctor-ui" && npm run --silent build >/dev/null)
	say "building kuzet-server and kuzet-agent"
	mkdir -p "$BIN"
	(cd "$ROOT" && go build -o "$BIN/" ./server/cmd/... ./agent/cmd/...)
}

# The agent's packages that need cgo (libvpx in agent/vp8, libopus through
# pion/mediadevices), and so cannot be compiled for another system here.
AGENT_CGO_ONLY=(agent/vp8 agent/publish agent/app agent/cmd/kuzet-agent)

# cross_vet_agent compiles and vets every other agent package — the
# platform code of the checks, the locale, camera and microphone stubs —
# for Windows and macOS with CGO_ENABLED=0. The whole agent for those
# systems needs their cgo toolchains (README, "Getting the agent").
cross_vet_agent() {
	local target pkgs
	for target in windows/amd64 darwin/arm64; do
		pkgs=$(cd "$ROOT" && CGO_ENABLED=0 GOOS=${target%/*} GOARCH=${target#*/} go list ./agent/... |
			grep -vxF -f <(printf 'kuzet.kz/kuzet/%s\n' "${AGENT_CGO_ONLY[@]}"))
		(cd "$ROOT" && CGO_ENABLED=0 GOOS=${target%/*} GOARCH=${target#*/} go vet $pkgs)
	done
}

# release_build VERSION OUT COMMAND… builds each command (kuzet-agent,
# kuzet-server, kuzet-audit) for linux/amd64 and linux/arm64 into OUT as
# COMMAND-VERSION-linux-ARCH, with -trimpath and the version stamped
# (internal/buildinfo), then writes OUT/SHA256SUMS in sha256sum's format.
# kuzet-agent needs cgo: for another architecture it is built only when
# that architecture's C compiler and libvpx/libopus are installed
# (CC_linux_arm64, default aarch64-linux-gnu-gcc; pkg-config files in
# /usr/lib/aarch64-linux-gnu/pkgconfig), else skipped and named at the end.
release_build() {
	local version=$1 out=$2 cmd target os arch pkg name skipped=()
	shift 2
	mkdir -p "$out"
	rm -f "$out"/kuzet-*-linux-* "$out/SHA256SUMS"
	local host
	host=$(go env GOARCH)
	for target in linux/amd64 linux/arm64; do
		os=${target%/*} arch=${target#*/}
		for cmd in "$@"; do
			case $cmd in
			kuzet-agent) pkg=./agent/cmd/kuzet-agent ;;
			kuzet-server | kuzet-audit) pkg=./server/cmd/$cmd ;;
			*) die "release: unknown command $cmd" ;;
			esac
			name="$cmd-$version-$os-$arch"
			local env=(GOOS="$os" GOARCH="$arch" CGO_ENABLED=0)
			if [ "$cmd" = kuzet-agent ]; then
				env=(GOOS="$os" GOARCH="$arch" CGO_ENABLED=1)
				if [ "$arch" != "$host" ]; then
					local cc_var="CC_${os}_${arch}" cc
					cc=${!cc_var:-aarch64-linux-gnu-gcc}
					local pc="/usr/lib/${cc%-gcc}/pkgconfig"
					if ! command -v "$cc" >/dev/null || ! PKG_CONFIG_LIBDIR="$pc" pkg-config --exists vpx opus 2>/dev/null; then
						skipped+=("$name (needs $cc and libvpx-dev:$arch libopus-dev:$arch)")
						continue
					fi
					env+=(CC="$cc" PKG_CONFIG_LIBDIR="$pc")
				fi
			fi
			say "building $name"
			(cd "$ROOT" && env "${env[@]}" go build -trimpath -buildvcs=auto \
				-ldflags "-s -w -X kuzet.kz/kuzet/internal/buildinfo.Version=$version" -o "$out/$name" "$pkg")
		done
	done
	(cd "$out" && sha256sum kuzet-*-linux-* >SHA256SUMS)
	say "wrote $out: $(cd "$out" && ls kuzet-*-linux-* | tr '\n' ' ')and SHA256SUMS (check: cd $out && sha256sum -c SHA256SUMS)"
	local s
	for s in "${skipped[@]}"; do say "not built: $s"; done
}
