package main

import (
	"os"
	"syscall"
)

// tunedEnv holds settings that libraries read once, at load time, and
// that zoo's workloads need (measured on the 2-core development machine,
// docs/performance.md):
//   - glibc's malloc gives every large freed buffer (a logits tensor is
//     ~100 MB) back to the OS, so each step page-faults it in again: a
//     third of CPU time was system time. Raising the mmap and trim
//     thresholds keeps freed memory in the heap (1.6-1.7x faster
//     Transformer steps).
//   - OpenMP threads spinning after each parallel region compete with the
//     OpenBLAS pool on few cores; PASSIVE lets them sleep.
//   - The other way round, OpenBLAS's workers spin in sched_yield for
//     2^28 cycles after each product, a quarter of a Transformer step's
//     CPU samples (in the kernel's scheduler), taking a core from
//     libtorch's element-wise ops between the products. A timeout of 2^4
//     cycles sends them to sleep at once (a training step 1.11x faster;
//     waking them costs microseconds against products of milliseconds).
var tunedEnv = map[string]string{
	"MALLOC_MMAP_THRESHOLD_":  "4294967296",
	"MALLOC_TRIM_THRESHOLD_":  "68719476736",
	"OMP_WAIT_POLICY":         "PASSIVE",
	"OPENBLAS_THREAD_TIMEOUT": "4",
}

// reexecTuned restarts the process with tunedEnv when it is not already
// in force (each variable the user set is left alone), because glibc and
// OpenMP read them before main runs. ZOO_NO_REEXEC=1 turns this off.
func reexecTuned() {
	if os.Getenv("ZOO_NO_REEXEC") != "" || os.Getenv("ZOO_TUNED") != "" {
		return
	}
	env := os.Environ()
	for k, v := range tunedEnv {
		if _, set := os.LookupEnv(k); !set {
			env = append(env, k+"="+v)
		}
	}
	env = append(env, "ZOO_TUNED=1")
	self, err := os.Executable()
	if err != nil {
		return // run untuned rather than not at all
	}
	_ = syscall.Exec(self, os.Args, env) // returns only on failure: run untuned
}
