package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/zoo-nn/zoo/dataset"
	"github.com/zoo-nn/zoo/report"
)

func init() { addCommand(newDataCmd) }

// dataStore is where the data commands look; tests replace it to point
// the catalogue at a local server.
var dataStore = dataset.DefaultStore

func newDataCmd() *cobra.Command {
	data := groupCmd("data", "Find, download and check the data sets zoo knows")
	data.Long = "Data sets are looked for in $ZOO_DATA (a read-only mirror laid out as <dataset>/<file>),\n" +
		"then where a system package puts them, then in the cache ($ZOO_CACHE, else\n" +
		"$XDG_CACHE_HOME/zoo, else ~/.cache/zoo), where `zoo data get` writes them."
	data.AddCommand(newDataGetCmd(), newDataListCmd(), newDataPathCmd())
	return data
}

// dataArgs turns cobra's argument-count errors into usage errors (exit 2).
func dataArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// dataLookup resolves a name the user typed; unknown names are usage
// errors with a suggestion.
func dataLookup(s dataset.Store, name string) (dataset.Spec, error) {
	spec, err := s.Lookup(name)
	if err != nil {
		return spec, usageError{err}
	}
	return spec, nil
}

type dataGetOptions struct {
	force, keep bool
}

func newDataGetCmd() *cobra.Command {
	var o dataGetOptions
	cmd := &cobra.Command{
		Use:   "get NAME...",
		Short: "Download, extract and verify data sets into the cache (files already present are checked)",
		Long: "Download each data set's files from their canonical URLs into the cache, extracting archive\n" +
			"members and converting formats, and verify their sha256. Files found in $ZOO_DATA or a system\n" +
			"directory are checked and used in place. Files with no published checksum (the WMT14 training\n" +
			"corpora) are trusted on first use: their sha256 is printed and recorded in SHA256SUMS next to\n" +
			"them, and later runs fail if they change. Interrupted downloads resume on the next run.",
		Args: dataArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd, args) },
	}
	cmd.Flags().BoolVar(&o.force, "force", false, "download files into the cache again even if present")
	cmd.Flags().BoolVar(&o.keep, "keep-downloads", false, "keep the downloaded archives in <cache>/<dataset>/.download")
	return cmd
}

func (o dataGetOptions) run(cmd *cobra.Command, names []string) error {
	s := dataStore()
	for _, n := range names { // all names are checked before anything is fetched
		if _, err := dataLookup(s, n); err != nil {
			return err
		}
	}
	// An interrupt cancels the download cleanly, keeping the partial file
	// for the next run to resume.
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
	defer stop()
	p := newDataProgress(cmd.OutOrStdout(), cmd.ErrOrStderr())
	defer p.finish()
	opts := dataset.GetOptions{Force: o.force, KeepDownloads: o.keep, Progress: p.event}
	for _, n := range names {
		if err := s.Get(ctx, n, opts); err != nil {
			return err
		}
	}
	return nil
}

// dataProgress prints a line per file to out and a byte progress bar per
// download to errOut when it is a terminal.
type dataProgress struct {
	out, errOut io.Writer
	bar         *progressbar.ProgressBar
}

func newDataProgress(out, errOut io.Writer) *dataProgress {
	return &dataProgress{out: out, errOut: errOut}
}

func (p *dataProgress) event(e dataset.Event) {
	switch e.Kind {
	case dataset.Downloading:
		p.finish()
		if dataIsTerminal(p.errOut) {
			p.bar = progressbar.NewOptions64(e.Total,
				progressbar.OptionSetWriter(p.errOut),
				progressbar.OptionSetDescription(e.URL),
				progressbar.OptionShowBytes(true),
				progressbar.OptionShowTotalBytes(true),
				progressbar.OptionSetWidth(20),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionOnCompletion(func() { fmt.Fprintln(p.errOut) }),
			)
			_ = p.bar.Set64(e.Bytes)
		}
	case dataset.Received:
		if p.bar != nil {
			_ = p.bar.Set64(e.Bytes)
		}
	case dataset.Downloaded:
		p.finish()
	case dataset.Found, dataset.Wrote:
		fmt.Fprintln(p.out, dataFileLine(e))
	}
}

func (p *dataProgress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil
	}
}

// dataFileLine is the one line `zoo data get` prints per file; a sha256
// recorded on first use is printed in full so that the user can compare
// it with another machine's.
func dataFileLine(e dataset.Event) string {
	verb := "found in " + string(e.Where)
	if e.Kind == dataset.Wrote {
		verb = "wrote"
	}
	line := fmt.Sprintf("%s/%s: %s %s (%s)", e.Dataset, e.File, verb, e.Path, e.Status)
	if e.FirstUse {
		line += "\n  sha256 " + e.SHA256
	}
	return line
}

func dataIsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newDataPathCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "path NAME FILE",
		Short: "Print where a data set's file is (mirror, system directory or cache)",
		Args:  dataArgs(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			s := dataStore()
			spec, err := dataLookup(s, args[0])
			if err != nil {
				return err
			}
			if _, err := spec.File(args[1]); err != nil {
				return usageError{err}
			}
			p, err := s.Path(args[0], args[1])
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), p)
			return err
		},
	}
}

func newDataListCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "list [NAME]",
		Short: "List the data sets (or one data set's files): size, checksums, source, where found",
		Args:  dataArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			s := dataStore()
			t, err := dataListTable(s, args)
			if err != nil {
				return err
			}
			if err := t.Write(cmd.OutOrStdout(), format); err != nil {
				return usageError{fmt.Errorf("--format: %w", err)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "table format: "+strings.Join(report.Formats, ", "))
	return cmd
}

func dataListTable(s dataset.Store, args []string) (report.Table, error) {
	if len(args) == 0 {
		return dataSetsTable(s), nil
	}
	spec, err := dataLookup(s, args[0])
	if err != nil {
		return report.Table{}, err
	}
	return dataFilesTable(s, spec), nil
}

func dataSetsTable(s dataset.Store) report.Table {
	t := report.Table{Header: []string{"name", "files", "size", "checksums", "source", "where found"}}
	cat := s.Catalogue
	if cat == nil {
		cat = dataset.Builtin
	}
	for _, spec := range cat {
		total, complete := spec.Size()
		wheres := make([]string, len(spec.Files))
		checks := make([]string, len(spec.Files))
		for i, f := range spec.Files {
			wheres[i] = dataWhere(s, spec, f)
			checks[i] = string(f.Check())
			if f.Dir {
				checks[i] = "archive"
			}
		}
		t.Rows = append(t.Rows, []string{spec.Name, fmt.Sprint(len(spec.Files)), dataSize(total, complete),
			dataTally(checks), spec.Source, dataTally(wheres)})
	}
	return t
}

func dataFilesTable(s dataset.Store, spec dataset.Spec) report.Table {
	t := report.Table{Header: []string{"file", "size", "check", "sha256", "source", "where found", "path"}}
	for _, f := range spec.Files {
		src := make([]string, len(f.Parts))
		for i, p := range f.Parts {
			src[i] = p.String()
		}
		if len(src) == 0 {
			src = []string{"(not downloadable: " + spec.Source + ")"}
		}
		path := "-"
		if loc, err := s.Locate(spec.Name, f.Name); err == nil {
			path = loc.Path
		}
		sum := f.SHA256
		if sum == "" {
			sum = "-"
		}
		t.Rows = append(t.Rows, []string{f.Name, dataSize(f.Size, f.Size > 0), string(f.Check()), sum,
			strings.Join(src, " + "), dataWhere(s, spec, f), path})
	}
	return t
}

// dataWhere names the place a file is found in, "missing" if none.
func dataWhere(s dataset.Store, spec dataset.Spec, f dataset.File) string {
	loc, err := s.Locate(spec.Name, f.Name)
	var miss *dataset.MissingError
	switch {
	case errors.As(err, &miss):
		return "missing"
	case err != nil:
		return "error: " + err.Error()
	}
	return string(loc.Where)
}

// dataTally summarizes values: "mirror" when all agree, else counts such
// as "cache 4, missing 2".
func dataTally(values []string) string {
	counts := map[string]int{}
	for _, v := range values {
		counts[v]++
	}
	if len(counts) == 1 {
		return values[0]
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, counts[k])
	}
	return strings.Join(parts, ", ")
}

// dataSize renders bytes in decimal units; "+" marks a lower bound (some
// sizes unknown), "?" no size at all.
func dataSize(n int64, complete bool) string {
	if n == 0 {
		return "?"
	}
	s := fmt.Sprintf("%d B", n)
	for _, u := range []struct {
		unit string
		size float64
	}{{"GB", 1e9}, {"MB", 1e6}, {"kB", 1e3}} {
		if float64(n) >= u.size {
			s = fmt.Sprintf("%.1f %s", float64(n)/u.size, u.unit)
			break
		}
	}
	if !complete {
		s += "+"
	}
	return s
}
