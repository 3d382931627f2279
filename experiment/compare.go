package experiment

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/zoo-nn/zoo/nmt"
	"github.com/zoo-nn/zoo/report"
	"github.com/zoo-nn/zoo/train"
	"github.com/zoo-nn/zoo/vision"
)

// ReadOutcomes finds the finished runs (folders holding done.json) in
// and under each path, and reads their results. Runs whose configurations
// differ only in the seed share a Group, labelled with their name less
// any seed part ("scaled-2_seed=1" -> "scaled-2"). A run folder that
// cannot be read (a damaged or hand-edited file) is reported on warn and
// left out: one bad folder does not hide a sweep's other results. It is
// an error when no run can be read.
func ReadOutcomes(warn io.Writer, paths ...string) ([]Outcome, error) {
	var dirs []string
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("runs: %w", err)
		}
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && d.Name() == train.DoneFile {
				dirs = append(dirs, filepath.Dir(path))
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("runs: %w", err)
		}
	}
	if len(dirs) == 0 {
		return nil, fmt.Errorf("no finished run (a folder holding %s) in %s", train.DoneFile, strings.Join(paths, ", "))
	}
	sort.Strings(dirs)
	var out []Outcome
	groups := map[string]string{} // config less seed -> label
	taken := map[string]bool{}    // labels in use
	var bad []string              // the folders skipped
	for _, d := range dirs {
		o, key, err := readRun(d)
		if err != nil {
			fmt.Fprintf(warn, "skipping %v\n", err)
			bad = append(bad, d)
			continue
		}
		label, ok := groups[key]
		if !ok {
			label = seedPart.ReplaceAllString(o.name(), "")
			if taken[label] { // another configuration has that name: say where this one is
				label = fmt.Sprintf("%s (%s)", label, d)
			}
			groups[key], taken[label] = label, true
		}
		o.Group = label
		out = append(out, o)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no readable finished run in %s; skipped as unreadable: %s", strings.Join(paths, ", "), strings.Join(bad, ", "))
	}
	return out, nil
}

var seedPart = regexp.MustCompile(`[_-]?seed=?\d+$`)

// readRun reads one run folder: its result and the key of its
// configuration less the seed, name and folder.
func readRun(dir string) (Outcome, string, error) {
	run := train.RunDir{Path: dir}
	var cfg map[string]any
	if err := run.ReadJSON(train.ConfigFile, &cfg); err != nil {
		return Outcome{}, "", fmt.Errorf("run %s: %w", dir, err)
	}
	o := Outcome{Recipe: dir}
	var err error
	switch task, _ := cfg["Task"].(string); task {
	case "translation":
		o.Translation = &nmt.Result{}
		err = run.ReadJSON(train.DoneFile, o.Translation)
		if d, ok := cfg["Data"].(map[string]any); ok {
			str := func(k string) string { s, _ := d[k].(string); return s }
			o.Data = translationData(str("Train"), str("Source"), str("Target"))
		}
	case "classification":
		o.Classification = &vision.Result{}
		err = run.ReadJSON(train.DoneFile, o.Classification)
	default:
		return o, "", fmt.Errorf("run %s: %s has task %q; want one of %s", dir, train.ConfigFile, task, strings.Join(Tasks, ", "))
	}
	if err != nil {
		return o, "", fmt.Errorf("run %s: %w", dir, err)
	}
	delete(cfg, "Name")
	delete(cfg, "RunDir")
	if tr, ok := cfg["Train"].(map[string]any); ok {
		delete(tr, "Seed")
	}
	key, _ := json.Marshal(cfg)
	return o, string(key), nil
}

// Select keeps the rows of t whose column col (by header name) starts
// with value, for each "col=value" in where.
func Select(t report.Table, where []string) (report.Table, error) {
	for _, w := range where {
		name, value, ok := strings.Cut(w, "=")
		if !ok {
			return t, fmt.Errorf("--where %q: want column=value, e.g. residual=rskip-ln", w)
		}
		i, err := columnIndex(t, name)
		if err != nil {
			return t, fmt.Errorf("--where %q: %w", w, err)
		}
		var rows [][]string
		for _, r := range t.Rows {
			if strings.HasPrefix(r[i], value) {
				rows = append(rows, r)
			}
		}
		t.Rows = rows
	}
	return t, nil
}

// SortBy orders t's rows by column col: numerically (by the mean of a
// "mean ± std" cell) when every cell is a number, else as text;
// descending when desc.
func SortBy(t report.Table, col string, desc bool) (report.Table, error) {
	i, err := columnIndex(t, col)
	if err != nil {
		return t, fmt.Errorf("--sort %q: %w", col, err)
	}
	nums := make([]float64, len(t.Rows))
	numeric := true
	for k, r := range t.Rows {
		fields := strings.Fields(r[i])
		var err error = strconv.ErrSyntax
		if len(fields) > 0 {
			nums[k], err = strconv.ParseFloat(fields[0], 64)
		}
		numeric = numeric && err == nil
	}
	compare := func(a, b int) int {
		if numeric {
			return cmp.Compare(nums[a], nums[b])
		}
		return strings.Compare(t.Rows[a][i], t.Rows[b][i])
	}
	idx := make([]int, len(t.Rows))
	for k := range idx {
		idx[k] = k
	}
	sort.SliceStable(idx, func(a, b int) bool {
		if desc {
			return compare(idx[a], idx[b]) > 0
		}
		return compare(idx[a], idx[b]) < 0
	})
	rows := make([][]string, len(idx))
	for k, j := range idx {
		rows[k] = t.Rows[j]
	}
	t.Rows = rows
	return t, nil
}

func columnIndex(t report.Table, name string) (int, error) {
	for i, h := range t.Header {
		if strings.EqualFold(h, name) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("no column %q; the table has: %s", name, strings.Join(t.Header, ", "))
}
