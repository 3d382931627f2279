package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zoo-nn/zoo/layers"
	"github.com/zoo-nn/zoo/registry"
	"github.com/zoo-nn/zoo/report"
)

func init() { addCommand(newListCmd) }

type listOptions struct {
	json   bool
	format string
}

func newListCmd() *cobra.Command {
	var opts listOptions
	list := groupCmd("list", "List what zoo has registered")
	layersCmd := &cobra.Command{
		Use:   "layers",
		Short: "List the residual variants, with formulas, parameters and references",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.json && cmd.Flags().Changed("format") {
				return usageError{fmt.Errorf("--json and --format: give one (--json is the typed form; --format json the table's rows)")}
			}
			return listLayers(cmd.OutOrStdout(), opts)
		},
	}
	layersCmd.Flags().BoolVar(&opts.json, "json", false, "print JSON (names, formulas, typed parameters) for scripts")
	layersCmd.Flags().StringVar(&opts.format, "format", "text", "table format: "+strings.Join(report.Formats, ", "))
	list.AddCommand(layersCmd)
	return list
}

// variantJSON is the --json form of one variant.
type variantJSON struct {
	Name        string      `json:"name"`
	Formula     string      `json:"formula"`
	Description string      `json:"description"`
	Reference   string      `json:"reference"`
	Params      []paramJSON `json:"params"`
}

type paramJSON struct {
	Name    string   `json:"name"`
	Type    string   `json:"type"`
	Default any      `json:"default"`
	Choices []string `json:"choices,omitempty"`
	Min     *float64 `json:"min,omitempty"`
	Max     *float64 `json:"max,omitempty"`
	Doc     string   `json:"doc"`
}

func listLayers(w io.Writer, opts listOptions) error {
	specs := layers.Variants.Specs()
	if opts.json {
		out := make([]variantJSON, len(specs))
		for i, s := range specs {
			out[i] = variantJSON{s.Name, s.Formula, s.Description, s.Reference, paramsJSON(s.Params)}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	t := report.Table{Header: []string{"name", "formula", "parameters (defaults)", "description", "reference"}}
	for _, s := range specs {
		t.Rows = append(t.Rows, []string{s.Name, s.Formula, paramsText(s.Params), s.Description, s.Reference})
	}
	if err := t.Write(w, opts.format); err != nil {
		return usageError{fmt.Errorf("--format: %w", err)}
	}
	return nil
}

func paramsText(ps []registry.Param) string {
	if len(ps) == 0 {
		return "-"
	}
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = fmt.Sprintf("%s=%v", p.Name, p.Default)
	}
	return strings.Join(parts, " ")
}

func paramsJSON(ps []registry.Param) []paramJSON {
	out := make([]paramJSON, len(ps))
	for i, p := range ps {
		out[i] = paramJSON{Name: p.Name, Type: p.Kind.String(), Default: p.Default, Choices: p.Choices, Doc: p.Doc}
		if p.HasMin {
			out[i].Min = &ps[i].Min
		}
		if p.HasMax {
			out[i].Max = &ps[i].Max
		}
	}
	return out
}
