#!/usr/bin/env python3
"""Patch a copy of gotch's libtch so it builds against libtorch 1.13 and 2.x.

Usage: patch_gotch.py LIBTCH_DIR MISSING_OPS_FILE

Each generated wrapper named in MISSING_OPS_FILE calls an ATen op that
libtorch 1.13 does not have. Its definition is wrapped in
`#if TORCH_VERSION_MAJOR >= 2`, so libtorch 2.x compiles upstream's code
unchanged, and 1.13 gets a stub that reports the op as unavailable through
torch_last_err (the channel gotch already reads after every call).
It also adds zoo_extra.{cpp,go}: Go entry points for the libtorch version
(a header macro that only a C++ file on libtorch's include path can read),
threads, seeding and OpenBLAS's thread pool; and it makes nn.Path.Sub copy
its parent's path instead of appending to the shared slice; and it makes
grad-mode switching correct (thread-pinned, with the right previous mode);
and it stops two leaks in every generated op wrapper (see fix_op_buffers);
and it drops the 100 kB Go ballast gotch allocates with every tensor (see
fix_ballast).
The patch is idempotent: a file that carries the marker is left alone.
"""
import re
import sys

MARKER = "// zoo: libtorch-1.13 guards"


def stub(ret, name):
    body = f'  torch_last_err = strdup("{name}: not available in libtorch < 2.0");\n'
    if ret != "void":
        body += "  return 0;\n"
    return body


def patch(text, missing):
    if MARKER in text:
        return text, 0
    sig = re.compile(r"^(void|int|int64_t|double|bool|tensor) (atg_\w+)\((.*)\) \{$")
    out, count, lines, i = [], 0, text.split("\n"), 0
    while i < len(lines):
        m = sig.match(lines[i])
        if not m or m.group(2) not in missing:
            out.append(lines[i])
            i += 1
            continue
        end = i
        while lines[end] != "}":
            end += 1
        out.append("#if TORCH_VERSION_MAJOR >= 2")
        out.extend(lines[i : end + 1])
        out.append("#else")
        out.append(lines[i])
        out.append(stub(m.group(1), m.group(2)) + "}")
        out.append("#endif")
        count += 1
        i = end + 1
    header = MARKER + "\n#include <torch/version.h>\n"
    return header + "\n".join(out), count


EXTRA_CPP = r"""// Written by zoo's scripts/patch_gotch.py.
#include <dlfcn.h>
#include <torch/version.h>

extern "C" const char *zoo_torch_version() { return TORCH_VERSION; }

// OpenBLAS keeps its own thread pool, which at::set_num_threads does not
// govern; it is looked up at run time because BLAS is chosen by Debian's
// alternatives, not at link time. Returns -1 when no OpenBLAS is loaded.
extern "C" int zoo_openblas_set_threads(int n) {
  typedef void (*setter)(int);
  setter f = (setter)dlsym(RTLD_DEFAULT, "openblas_set_num_threads");
  if (f == nullptr) return -1;
  f(n);
  return n;
}

extern "C" int zoo_openblas_get_threads() {
  typedef int (*getter)();
  getter f = (getter)dlsym(RTLD_DEFAULT, "openblas_get_num_threads");
  return f == nullptr ? -1 : f();
}
"""

EXTRA_GO = """package libtch

// Written by zoo's scripts/patch_gotch.py: entry points that gotch v0.9.1
// declares in torch_api.h (or that libtorch has) but does not wrap in Go.

// #include <stdint.h>
// const char *zoo_torch_version();
// int zoo_openblas_set_threads(int n);
// int zoo_openblas_get_threads();
// void at_manual_seed(int64_t);
// int at_get_num_threads();
// void at_set_num_threads(int n_threads);
// int at_get_num_interop_threads();
// void at_set_num_interop_threads(int n_threads);
// int at_grad_set_enabled(int b);
import "C"

// ZooGradSetEnabled sets grad mode for the calling OS thread and returns
// the previous mode. (gotch's AtGradSetEnabled reads a C int as a Go int,
// so its answer carries garbage in the upper bytes.)
func ZooGradSetEnabled(on bool) (prev bool, ok bool) {
	b := 0
	if on {
		b = 1
	}
	r := C.at_grad_set_enabled(C.int(b))
	return r == 1, r >= 0
}

// ZooTorchVersion returns the version of the libtorch headers this package was built with.
func ZooTorchVersion() string { return C.GoString(C.zoo_torch_version()) }

// ZooManualSeed seeds libtorch's default generators.
func ZooManualSeed(seed int64) { C.at_manual_seed(C.int64_t(seed)) }

// ZooSetNumThreads sets libtorch's intra-op thread count.
func ZooSetNumThreads(n int) { C.at_set_num_threads(C.int(n)) }

// ZooGetNumThreads returns libtorch's intra-op thread count.
func ZooGetNumThreads() int { return int(C.at_get_num_threads()) }

// ZooSetNumInteropThreads sets libtorch's inter-op thread count (once, before any parallel work).
func ZooSetNumInteropThreads(n int) { C.at_set_num_interop_threads(C.int(n)) }

// ZooGetNumInteropThreads returns libtorch's inter-op thread count.
func ZooGetNumInteropThreads() int { return int(C.at_get_num_interop_threads()) }

// ZooSetOpenBLASThreads sets OpenBLAS's own pool size; -1 means no OpenBLAS is loaded.
func ZooSetOpenBLASThreads(n int) int { return int(C.zoo_openblas_set_threads(C.int(n))) }

// ZooGetOpenBLASThreads returns OpenBLAS's pool size, or -1 when no OpenBLAS is loaded.
func ZooGetOpenBLASThreads() int { return int(C.zoo_openblas_get_threads()) }
"""


def write_extra_files(libtch):
    open(f"{libtch}/zoo_extra.cpp", "w").write(EXTRA_CPP)
    open(f"{libtch}/zoo_extra.go", "w").write(EXTRA_GO)



SUB_OLD = """	path := p.path
	path = append(path, str)
"""
SUB_NEW = """	// zoo: copy, so that sibling paths never share one backing array.
	path := append(append(make([]string, 0, len(p.path)+1), p.path...), str)
"""


def fix_path_sub(gotch_root):
    """Path.Sub appends to the parent's slice; two children of one parent
    could then share storage and name each other's variables."""
    path = f"{gotch_root}/nn/varstore.go"
    text = open(path).read()
    if SUB_NEW in text:
        return
    if SUB_OLD not in text:
        sys.exit(f"{path}: Path.Sub is not as expected; review the patch")
    open(path, "w").write(text.replace(SUB_OLD, SUB_NEW))


GRAD_FIXES = {
    # A C int read as a Go int: the upper bytes are garbage, so the
    # "previous mode" that callers restore is wrong.
    "libtch/tensor.go": [(
        """	cbool := *(*C.int)(unsafe.Pointer(&b))
	cretVal := C.at_grad_set_enabled(cbool)
	return *(*int)(unsafe.Pointer(&cretVal))
""",
        """	cretVal := C.at_grad_set_enabled(C.int(b)) // zoo: convert, don't reinterpret
	return int(cretVal)
""")],
    # Grad mode is per OS thread: a goroutine that moves between switching
    # it off and on leaves some thread with gradients off for good.
    "ts/tensor.go": [(
        """func NoGrad(fn func()) {
	// Switch off Grad
	MustGradSetEnabled(false)

	fn()

	// Switch on Grad
	MustGradSetEnabled(true)
}
""",
        """func NoGrad(fn func()) {
	runtime.LockOSThread() // zoo: grad mode is per OS thread
	defer runtime.UnlockOSThread()
	prev := MustGradSetEnabled(false)
	defer MustGradSetEnabled(prev)
	fn()
}
"""), (
        """	// Switch off Grad
	prev := MustGradSetEnabled(false)

	retVal := fn()
""",
        """	runtime.LockOSThread() // zoo: grad mode is per OS thread
	defer runtime.UnlockOSThread()
	prev := MustGradSetEnabled(false)

	retVal := fn()
""")],
}


def fix_grad_mode(gotch_root):
    for rel, edits in GRAD_FIXES.items():
        path = f"{gotch_root}/{rel}"
        text = open(path).read()
        for old, new in edits:
            if new in text:
                continue
            if old not in text:
                sys.exit(f"{path}: grad-mode code is not as expected; review the patch")
            text = text.replace(old, new)
        open(path, "w").write(text)


OP_BUFFER = re.compile(r"^(\s*)(\w+) := \(\*lib\.Ctensor\)\(unsafe\.Pointer\(C\.malloc\(0\)\)\)$", re.M)
OP_BUFFER_NEW = (r"\1\2 := (*lib.Ctensor)(C.calloc(16, C.size_t(unsafe.Sizeof(uintptr(0))))) // zoo: room for the outputs, freed"
                 r"\n\1defer C.free(unsafe.Pointer(\2))")
INPLACE_OLD = "\n  ts.ctensor = *ptr\n"
INPLACE_NEW = "\n  lib.AtFree(ts.ctensor) // zoo: the replaced handle would leak and pin the storage\n  ts.ctensor = *ptr\n"


ERR_OLD = r"""	if errStr != "" {
		trace := string(debug.Stack())
		return fmt.Errorf("Libtorch API Error: %v\n%v\n", errStr, trace)
	}
"""
ERR_NEW = r"""	if errStr != "" {
		// zoo: the message alone; libtorch's C++ frames and a Go stack
		// trace belong in a debugger, not in a user's error message.
		if i := strings.Index(errStr, "\nException raised from"); i >= 0 {
			errStr = errStr[:i]
		}
		if os.Getenv("ZOO_TORCH_TRACE") != "" {
			errStr += "\n" + string(debug.Stack())
		}
		return fmt.Errorf("%v", strings.TrimSpace(errStr))
	}
"""


def edit_once(path, marker, old, new, what):
    """Replace old by new in path unless marker shows the edit is done;
    stop if old is missing (gotch changed: the patch needs a review)."""
    text = open(path).read()
    if marker in text:
        return
    if old not in text:
        sys.exit(f"{path}: {what} is not as expected; review the patch")
    open(path, "w").write(text.replace(old, new, 1))


def fix_error_text(gotch_root):
    """TorchErr appends libtorch's C++ backtrace and a Go stack trace to
    every error; keep the message (ZOO_TORCH_TRACE=1 brings the Go trace
    back)."""
    path = f"{gotch_root}/ts/error.go"
    edit_once(path, "zoo: the message alone", ERR_OLD, ERR_NEW, "TorchErr")
    edit_once(path, '"strings"', '"fmt"\n', '"fmt"\n\t"os"\n\t"strings"\n', "error.go's imports")


def fix_op_buffers(gotch_root):
    """Two leaks in every generated op wrapper (ts/tensor-generated.go):

    - the output buffer is C.malloc(0), never freed, and ops with several
      outputs write past its end; it becomes a 16-slot buffer freed on
      return;
    - in-place ops (x.Add_, x.MulScalar_, ...) get a new torch::Tensor
      handle from C and overwrite ts.ctensor with it, leaking the old
      handle, which keeps the tensor's storage alive forever: a training
      step leaked every tensor it modified in place (~150 MB a step for a
      small Transformer). The old handle is now freed first.
    """
    for rel in ["ts/tensor-generated.go", "ts/patch.go"]:
        path = f"{gotch_root}/{rel}"
        text = open(path).read()
        if "zoo: room for the outputs" in text:
            continue
        text, n = OP_BUFFER.subn(OP_BUFFER_NEW, text)
        if rel == "ts/tensor-generated.go":
            if n < 2000 or INPLACE_OLD not in text:
                sys.exit(f"{path}: op wrappers are not as expected ({n} buffers); review the patch")
            text = text.replace(INPLACE_OLD, INPLACE_NEW)
        open(path, "w").write(text)


BALLAST_OLD = "\tx.d = new(bigStruct)\n"
BALLAST_NEW = ("\t// zoo: no 100 kB ballast per tensor. It was there to make the Go\n"
               "\t// collector run often enough to finalize leaked tensors; zoo frees\n"
               "\t// every tensor itself (live-tensor tests guard it), and the ballast\n"
               "\t// cost 10-100 us per op in allocation and collection.\n")


def fix_ballast(gotch_root):
    """newTensor allocates a zeroed 100 kB block per tensor so that leaked
    tensors put pressure on the Go heap and get finalized. Every op pays
    for it (a small op: 19 us instead of about 2 us in PyTorch). The
    finalizer stays as a safety net."""
    edit_once(f"{gotch_root}/ts/tensor.go", "zoo: no 100 kB ballast", BALLAST_OLD, BALLAST_NEW, "newTensor")


def main():
    libtch, missing_file = sys.argv[1], sys.argv[2]
    missing = {l.strip() for l in open(missing_file) if l.strip()}
    write_extra_files(libtch)
    fix_path_sub(f"{libtch}/..")
    fix_grad_mode(f"{libtch}/..")
    fix_op_buffers(f"{libtch}/..")
    fix_error_text(f"{libtch}/..")
    fix_ballast(f"{libtch}/..")
    path = f"{libtch}/torch_api_generated.cpp.h"
    text = open(path).read()
    patched, count = patch(text, missing)
    if count == 0 and MARKER not in text:
        sys.exit(f"{path}: none of the {len(missing)} listed wrappers found")
    if count:
        if count != len(missing):
            print(f"warning: guarded {count} of {len(missing)} listed wrappers", file=sys.stderr)
        open(path, "w").write(patched)
        print(f"patched {path}: {count} wrappers guarded")


if __name__ == "__main__":
    main()
