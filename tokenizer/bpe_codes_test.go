package tokenizer

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestReadCodes(t *testing.T) {
	tests := []struct {
		name, in string
		want     *Codes
		wantErr  string // substring; "" means success
	}{
		{"v0.2", "#version: 0.2\nt h\nth e</w>\n", &Codes{[2]int{0, 2}, []Pair{{"t", "h"}, {"th", "e</w>"}}}, ""},
		{"trailing zero groups", "#version: 0.2.0\na b\n", &Codes{[2]int{0, 2}, []Pair{{"a", "b"}}}, ""},
		{"v0.1", "#version: 0.1\na b\n", &Codes{[2]int{0, 1}, []Pair{{"a", "b"}}}, ""},
		{"CRLF and outer spaces", "#version: 0.2\r\n a b \r\n", &Codes{[2]int{0, 2}, []Pair{{"a", "b"}}}, ""},
		{"no merges", "#version: 0.2\n\n\n", &Codes{[2]int{0, 2}, nil}, ""},
		{"no final newline", "#version: 0.2\na b", &Codes{[2]int{0, 2}, []Pair{{"a", "b"}}}, ""},
		{"missing header", "t h\n", nil, `codes.txt line 1: expected header "#version: 0.2", found "t h"`},
		{"empty file", "", nil, "codes.txt line 1: expected header"},
		{"bad version", "#version: 1.0\n", nil, `codes.txt line 1: unsupported version "1.0"`},
		{"one symbol", "#version: 0.2\na b\nc\n", nil, `codes.txt line 3: expected two symbols separated by one space, found "c"`},
		{"three symbols", "#version: 0.2\na b c\n", nil, "codes.txt line 2: expected two symbols"},
		{"double space", "#version: 0.2\na  b\n", nil, "codes.txt line 2: expected two symbols"},
		{"blank line inside", "#version: 0.2\na b\n\nc d\n", nil, "codes.txt line 3: expected two symbols"},
		{"invalid UTF-8", "#version: 0.2\na b\n\xff b\n", nil, "codes.txt line 3: invalid UTF-8"},
		{"huge garbage header", strings.Repeat("x", 300000) + "\n", nil, `codes.txt line 1: expected header "#version: 0.2", found "xxxx`},
		{"huge garbage merge", "#version: 0.2\n" + strings.Repeat("y", 300000) + "\n", nil, "codes.txt line 2: expected two symbols separated by one space, found \"yyy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadCodes(strings.NewReader(tt.in), "codes.txt")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), "bpe codes "+tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, "bpe codes "+tt.wantErr)
				}
				if len(err.Error()) > 200 {
					t.Fatalf("error of %d bytes: want the line quoted in short", len(err.Error()))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestReadCodesInvalidUTF8Wraps(t *testing.T) {
	_, err := ReadCodes(strings.NewReader("#version: 0.2\n\xfe \n"), "c")
	if !errors.Is(err, ErrInvalidUTF8) {
		t.Fatalf("error %v does not wrap ErrInvalidUTF8", err)
	}
}

func TestCodesWriteReadRoundTrip(t *testing.T) {
	c := &Codes{Version: [2]int{0, 2}, Merges: []Pair{{"a", "b"}, {"ab", "c</w>"}, {"é", "ß"}}}
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	want := "#version: 0.2\na b\nab c</w>\né ß\n"
	if buf.String() != want {
		t.Fatalf("wrote %q, want %q", buf.String(), want)
	}
	back, err := ReadCodes(&buf, "buf")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, c) {
		t.Fatalf("read back %+v, want %+v", back, c)
	}
}
