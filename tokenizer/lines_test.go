package tokenizer

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestPyLines(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"a b\n", []string{"a b\n"}},
		{"a\r\n", []string{"a\r\n"}},
		{"a\rb\n", []string{"a\r", "b\n"}},
		{"a\u2028b\u2029c\n", []string{"a\u2028", "b\u2029", "c\n"}},
		{"a\x1cb\x0cc\n", []string{"a\x1c", "b\x0c", "c\n"}},
		{"a\u0085b", []string{"a\u0085", "b"}},
		{"é “ü”\n", []string{"é “ü”\n"}}, // lead bytes of other characters
		{"", []string{""}},
	}
	for _, tt := range tests {
		if got := pyLines(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("pyLines(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMapLinesOrderAndState(t *testing.T) {
	var in, want strings.Builder
	for i := range 20000 {
		in.WriteString(strings.Repeat("x", i%7) + "\n")
		want.WriteString(strings.Repeat("X", i%7) + "\n")
	}
	in.WriteString("tail")
	want.WriteString("TAIL")
	var out bytes.Buffer
	err := MapLines(strings.NewReader(in.String()), &out, "in", 4, func() LineFunc {
		calls := 0 // per-worker state needs no lock
		return func(l string) string { calls++; return strings.ToUpper(l) }
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != want.String() {
		t.Fatal("output out of order or altered")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestMapLinesErrors(t *testing.T) {
	in := strings.Repeat("line\n", 50000)
	err := MapLines(strings.NewReader(in), failingWriter{}, "in", 2, func() LineFunc { return func(s string) string { return s } })
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("write error: %v", err)
	}
	err = MapLines(io.MultiReader(strings.NewReader("ok\n"), errReader{}), io.Discard, "in", 2, func() LineFunc { return func(s string) string { return s } })
	if err == nil || !strings.Contains(err.Error(), "in: broken pipe") {
		t.Fatalf("read error: %v", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestOpenGzip(t *testing.T) {
	dir := t.TempDir()
	plain, gz := filepath.Join(dir, "a.txt"), filepath.Join(dir, "a.txt.gz")
	os.WriteFile(plain, []byte("hello\n"), 0o644)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("hello\n"))
	zw.Close()
	os.WriteFile(gz, buf.Bytes(), 0o644)
	for _, p := range []string{plain, gz} {
		f, err := Open(p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(f)
		f.Close()
		if string(b) != "hello\n" {
			t.Errorf("%s: read %q", p, b)
		}
	}
	os.WriteFile(gz, []byte("not gzip"), 0o644)
	if _, err := Open(gz); err == nil || !strings.Contains(err.Error(), gz) {
		t.Errorf("corrupt gzip: %v", err)
	}
}
