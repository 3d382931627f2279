// Package sharedtest finds the project's shared data and fixtures for
// tests: $ZOO_SHARED if set, else the shared folder beside the repository
// (../shared from the folder holding go.mod). Tests that need a file skip
// when it is absent, so every package still tests on a bare checkout;
// the files are never copied into the repository.
package sharedtest

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the shared folder, or "" when it cannot be found.
func Dir() string {
	if d := os.Getenv("ZOO_SHARED"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Path returns the shared file or folder rel (slash-separated, e.g.
// "fixtures/bpe/bpe.ref"), or skips the test when it is absent.
func Path(tb testing.TB, rel string) string {
	tb.Helper()
	p := filepath.Join(Dir(), filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("shared %s not available (set ZOO_SHARED to the shared folder): %v", rel, err)
	}
	return p
}
