// Package report renders zoo's tables: as aligned text for terminals
// (tablewriter), as Markdown for papers and docs, as CSV or JSON for
// scripts. Every table in zoo goes through Table, so all commands accept
// the same --format values.
package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// Formats lists the values Table.Write accepts.
var Formats = []string{"text", "markdown", "csv", "json"}

// Table is a header and rows of cells, all strings.
type Table struct {
	Header []string
	Rows   [][]string
}

// Write renders t to w in format (one of Formats).
func (t Table) Write(w io.Writer, format string) error {
	switch format {
	case "", "text":
		return t.text(w)
	case "markdown", "md":
		return t.markdown(w)
	case "csv":
		cw := csv.NewWriter(w)
		if err := cw.WriteAll(append([][]string{t.Header}, t.Rows...)); err != nil {
			return fmt.Errorf("csv: %w", err)
		}
		return nil
	case "json":
		return t.json(w)
	}
	return fmt.Errorf("format %q: want one of %s", format, strings.Join(Formats, ", "))
}

func (t Table) text(w io.Writer) error {
	tab := tablewriter.NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off), tablewriter.WithRowAutoWrap(tw.WrapNone))
	tab.Header(toAny(t.Header)...)
	for _, r := range t.Rows {
		if err := tab.Append(toAny(r)...); err != nil {
			return fmt.Errorf("table: %w", err)
		}
	}
	if err := tab.Render(); err != nil {
		return fmt.Errorf("table: %w", err)
	}
	return nil
}

func (t Table) markdown(w io.Writer) error {
	line := func(cells []string) string {
		esc := make([]string, len(cells))
		for i, c := range cells {
			esc[i] = strings.ReplaceAll(c, "|", `\|`)
		}
		return "| " + strings.Join(esc, " | ") + " |\n"
	}
	var b strings.Builder
	b.WriteString(line(t.Header))
	sep := make([]string, len(t.Header))
	for i := range sep {
		sep[i] = "---"
	}
	b.WriteString(line(sep))
	for _, r := range t.Rows {
		b.WriteString(line(r))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// json writes one object per row, keyed by header.
func (t Table) json(w io.Writer) error {
	out := make([]map[string]string, len(t.Rows))
	for i, r := range t.Rows {
		out[i] = map[string]string{}
		for j, h := range t.Header {
			if j < len(r) {
				out[i][h] = r[j]
			}
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
