# Shared by the scripts. Every build goes through `gonka_build_all`:
#
# * One target directory and one profile for everything, so the unit tests, the e2e test and the
#   dev chain reuse each other's artifacts (see Cargo.toml, [profile.testnet]).
# * One build directory: the working tree is mirrored (by content, not by time) to
#   $GONKA_BUILD_SRC and cargo runs there. The runtime WASM embeds the source paths of its panic
#   locations, so building from a fixed path makes the WASM — and the chain specs exported from
#   it — the same from any checkout; and a fresh clone whose files did not change rebuilds nothing.
# shellcheck shell=bash
GONKA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/gonka/target}"
GONKA_BUILD_SRC="${GONKA_BUILD_SRC:-$(dirname "$CARGO_TARGET_DIR")/src}"
GONKA_PROFILE="${GONKA_PROFILE:-testnet}"
GONKA_NODE_BIN="$CARGO_TARGET_DIR/$GONKA_PROFILE/gonka-node"
# The runtime's WASM build must use the workspace's Cargo.lock (it searches from the target dir).
export WASM_BUILD_WORKSPACE_HINT="$GONKA_BUILD_SRC"
# Registry paths too: the WASM must not depend on where cargo keeps its sources.
export WASM_BUILD_RUSTFLAGS="--remap-path-prefix=$GONKA_BUILD_SRC=/gonka --remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=/cargo"

# The Python side (scripts/setup): one virtual environment with torch, transformers and the openai
# client, kept beside the build cache so every clone shares it.
GONKA_VENV="${GONKA_VENV:-$(dirname "$CARGO_TARGET_DIR")/venv}"
GONKA_PYTHON="$GONKA_VENV/bin/python"
[ -x "$GONKA_PYTHON" ] || GONKA_PYTHON=python3
export GONKA_VENV GONKA_PYTHON

# libtorch for the kernels' `torch` feature: the one inside the pip wheel, found by torch-sys at
# build time (through $LIBTORCH_USE_PYTORCH and the python on PATH, so the venv's bin comes first)
# and by the dynamic linker at run time.
export LIBTORCH_USE_PYTORCH=1
[ -x "$GONKA_VENV/bin/python" ] && export PATH="$GONKA_VENV/bin:$PATH" PYTHON_SYS_EXECUTABLE="$GONKA_VENV/bin/python"
GONKA_TORCH_LIB="$("$GONKA_PYTHON" -c 'import importlib.util as u, os; s = u.find_spec("torch"); print(os.path.join(os.path.dirname(s.origin), "lib") if s else "")' 2>/dev/null || true)"
if [ -n "$GONKA_TORCH_LIB" ]; then
	export LD_LIBRARY_PATH="$GONKA_TORCH_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi

# Mirror the working tree to the build directory. Unchanged files keep their old modification
# time (no -t, --checksum), so cargo sees exactly what changed.
gonka_sync_src() {
	mkdir -p "$GONKA_BUILD_SRC"
	rsync -rlpD --checksum --delete --exclude=/.git --exclude=/target "$GONKA_ROOT/" "$GONKA_BUILD_SRC/"
}

# Runs cargo in the build directory (after mirroring).
gonka_cargo() {
	gonka_sync_src
	(cd "$GONKA_BUILD_SRC" && cargo "$@")
}

# The one build command of the whole workspace (node, worker, runtime, their tests). A different
# package selection or feature set would rebuild hundreds of crates.
gonka_build_all() {
	gonka_cargo test --profile "$GONKA_PROFILE" --workspace --locked --no-run "$@"
}

# Runs the named integration tests (`tests/<name>.rs` of any workspace member) from the binaries
# `gonka_build_all` built, each in its package's directory as `cargo test` would, so that no
# other package selection (and with it another feature resolution) is ever built. All run; the
# status is the first failure's.
gonka_run_itests() {
	local listing rc=0 name exe dir
	listing=$(gonka_cargo test --profile "$GONKA_PROFILE" --workspace --locked --no-run \
		--message-format=json-render-diagnostics | python3 -c '
import json, os, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["kind"] == ["test"]:
        print(m["target"]["name"], m["executable"], os.path.dirname(m["manifest_path"]))
') || return 1
	for name in "$@"; do
		read -r _ exe dir < <(grep "^$name " <<<"$listing")
		if [ -z "${exe:-}" ]; then
			echo "gonka_run_itests: no integration test named $name was built" >&2
			rc=1
			continue
		fi
		echo "--- $name ($exe)"
		(cd "$dir" && "$exe") || { [ $rc -eq 0 ] && rc=1; }
		exe=""
	done
	return $rc
}

gonka_need_node() {
	if [ ! -x "$GONKA_NODE_BIN" ]; then
		echo "gonka-node is not built at $GONKA_NODE_BIN." >&2
		echo "Build it with: scripts/build   (about an hour on 2 cores the first time)" >&2
		exit 1
	fi
}
