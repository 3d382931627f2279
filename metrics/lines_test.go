package metrics

import (
	"errors"
	"strings"
	"testing"
)

func TestReadLines(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"\n", []string{""}},
		{"a\nb", []string{"a", "b"}},
		{"a\nb\n", []string{"a", "b"}},
		{"a\n\nb\n", []string{"a", "", "b"}},
		{"a \r\nb\t\n", []string{"a", "b"}}, // trailing whitespace and CR go
		{"x\ry\n", []string{"x\ry"}},        // a lone CR does not end a line
		{"  lead\n", []string{"  lead"}},    // leading whitespace stays
	}
	for _, tt := range tests {
		got, err := ReadLines(strings.NewReader(tt.in))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
			t.Errorf("ReadLines(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestReadLinesInvalidUTF8(t *testing.T) {
	_, err := ReadLines(strings.NewReader("ok\nfine\nbad \xe2\x82\n"))
	var u *InvalidUTF8Error
	if !errors.As(err, &u) || u.Line != 3 || err.Error() != "line 3: invalid UTF-8" {
		t.Errorf("error = %v, want line 3: invalid UTF-8", err)
	}
}
