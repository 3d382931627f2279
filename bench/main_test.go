package bench

import (
	"os"
	"runtime"
	"testing"
)

// childEnvVar makes the test binary serve the protocol, so that suite
// tests can start zoo children without building the CLI.
const childEnvVar = "ZOO_BENCH_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnvVar) == "1" {
		// As the CLI does: libtorch is called from the main thread only.
		runtime.LockOSThread()
		if err := Serve(os.Stdin, os.Stdout); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// testOptions runs children of this test binary at smoke-test sizes.
func testOptions(t *testing.T) Options {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Options{
		Reps: 1, Warmup: 1, Steps: 1, Quick: true, Threads: 1, Batch: 4, InferBatch: 3,
		ZooCommand: []string{exe},
		Env:        append(os.Environ(), childEnvVar+"=1"),
	}
}
