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
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"short text", []byte("not gzip"), gz + ": not a gzip file (its name ends in .gz, but it lacks gzip's header)"},
		{"long text", []byte(strings.Repeat("plain text\n", 100)), gz + ": not a gzip file (its name ends in .gz, but it lacks gzip's header)"},
		{"empty", nil, gz + ": not a gzip file: it is empty"},
		{"cut in its header", buf.Bytes()[:5], gz + ": gzip file cut short (in its header)"},
	}
	for _, c := range cases {
		os.WriteFile(gz, c.data, 0o644)
		if _, err := Open(gz); err == nil || err.Error() != c.want {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	// Cut after its header: reading says the data stops short.
	os.WriteFile(gz, buf.Bytes()[:len(buf.Bytes())-6], 0o644)
	f, err := Open(gz)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.ReadAll(f); err == nil || !strings.Contains(err.Error(), "gzip data cut short") {
		t.Errorf("truncated gzip data: %v", err)
	}
}

func TestQuoteLine(t *testing.T) {
	cases := []struct {
		in, want string
	}{
		{"t h", `"t h"`},
		{strings.Repeat("x", 70), `"` + strings.Repeat("x", 70) + `"`},
		{strings.Repeat("x", 300000), `"` + strings.Repeat("x", 70) + `"… (300000 bytes)`},
		{strings.Repeat("é", 100), `"` + strings.Repeat("é", 35) + `"… (200 bytes)`},
		{strings.Repeat("\xff", 100), `"` + strings.Repeat(`\xff`, 17) + `"… (100 bytes)`},
	}
	for _, c := range cases {
		if got := QuoteLine(c.in); got != c.want {
			t.Errorf("QuoteLine(%.20q…) = %s, want %s", c.in, got, c.want)
		}
	}
}
