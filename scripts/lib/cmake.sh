# Shared by scripts/build.sh, test.sh and fuzz.sh (sourced, not run): configuring a build
# tree from a preset of CMakePresets.json.

# Parallel jobs for ninja and ctest.
jobs=$(nproc 2>/dev/null || echo 2)

# cmake_configure PRESET [CMAKE_ARG...]: configures the preset's build tree (default: build/,
# asan: build-asan/, tsan: build-tsan/, fuzz: build-fuzz/), quietly unless it fails.
# With ccache installed it is the compiler launcher; nothing requires it.
cmake_configure() {
  local preset=$1 launcher=()
  shift
  if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
  cmake --preset "$preset" "${launcher[@]}" "$@" >/dev/null
}
