package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestWriteFormats(t *testing.T) {
	tab := Table{Header: []string{"run", "BLEU"}, Rows: [][]string{{"post-ln", "9.34"}, {"a|b", "8.33 *"}}}
	cases := []struct {
		format string
		want   []string
	}{
		{"text", []string{"│   run   │  BLEU  │", "│ post-ln │ 9.34   │", "8.33 *"}},
		{"markdown", []string{"| run | BLEU |\n| --- | --- |\n| post-ln | 9.34 |\n", `| a\|b | 8.33 * |`}},
		{"csv", []string{"run,BLEU\npost-ln,9.34\na|b,8.33 *\n"}},
	}
	for _, c := range cases {
		var b bytes.Buffer
		if err := tab.Write(&b, c.format); err != nil {
			t.Fatalf("%s: %v", c.format, err)
		}
		for _, w := range c.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s output lacks %q:\n%s", c.format, w, b.String())
			}
		}
	}
	var b bytes.Buffer
	if err := tab.Write(&b, "json"); err != nil {
		t.Fatal(err)
	}
	var rows []map[string]string
	if err := json.Unmarshal(b.Bytes(), &rows); err != nil || len(rows) != 2 || rows[1]["run"] != "a|b" {
		t.Errorf("json: %v %v", rows, err)
	}
	if err := tab.Write(&b, "xml"); err == nil || !strings.Contains(err.Error(), "want one of text, markdown, csv, json") {
		t.Errorf("unknown format: %v", err)
	}
}
