package experiment

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/viper"
)

// A sweep is declared in a recipe's [sweep] section:
//
//	[sweep.grid]            # every combination of these lists
//	train.seed = [1, 2]
//	model.depth = [20, 56]
//
//	[[sweep.points]]        # alternatives, each crossed with the grid
//	name = "scaled-2"       # row label (default: its overrides)
//	residual = "scaled"
//	residual_params.lambda = 2.0
//
// Keys are any recipe keys (dotted). Every combination is a run of its
// own under one sweep folder, <run root>/<recipe name>/<combination>, so
// a sweep interrupted and run again skips the finished combinations and
// resumes the unfinished one.
const sweepKey = "sweep"

// combination is one run of a sweep: its overrides, in a fixed order,
// and its label.
type combination struct {
	label     string   // e.g. "scaled-2_seed=1"
	group     string   // the label less the seed: runs that differ only in seed share it
	overrides []string // key=value, applied after the recipe's own keys
}

// expandSweep returns the sweep's combinations, or nil when the recipe
// declares none.
func expandSweep(v *viper.Viper, path string) ([]combination, error) {
	if !v.IsSet(sweepKey) {
		return nil, nil
	}
	raw, ok := v.Get(sweepKey).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("recipe %s: [sweep] must be a table with grid and/or points", path)
	}
	for k := range raw {
		if k != "grid" && k != "points" {
			return nil, fmt.Errorf("recipe %s: unknown key \"sweep.%s\"; [sweep] takes: grid, points", path, k)
		}
	}
	axes, err := gridAxes(raw["grid"], path)
	if err != nil {
		return nil, err
	}
	points, err := sweepPoints(raw["points"], path)
	if err != nil {
		return nil, err
	}
	var out []combination
	for _, p := range points {
		for _, g := range gridProduct(axes) {
			out = append(out, p.cross(g))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("recipe %s: [sweep] declares no combination (give sweep.grid lists or [[sweep.points]])", path)
	}
	return out, nil
}

type axis struct {
	key    string
	values []any
}

func gridAxes(raw any, path string) ([]axis, error) {
	if raw == nil {
		return nil, nil
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("recipe %s: sweep.grid must be a table of lists", path)
	}
	var axes []axis
	for _, kv := range flatten("", m) {
		vals, ok := kv.value.([]any)
		if !ok || len(vals) == 0 {
			return nil, fmt.Errorf("recipe %s: sweep.grid.%s = %v: want a non-empty list of values", path, kv.key, kv.value)
		}
		axes = append(axes, axis{key: kv.key, values: vals})
	}
	return axes, nil
}

type keyValue struct {
	key   string
	value any
}

// flatten turns nested tables into dotted keys, sorted.
func flatten(prefix string, m map[string]any) []keyValue {
	var out []keyValue
	for k, v := range m {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok {
			out = append(out, flatten(key, sub)...)
			continue
		}
		out = append(out, keyValue{key, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

func gridProduct(axes []axis) [][]keyValue {
	combos := [][]keyValue{nil}
	for _, a := range axes {
		var next [][]keyValue
		for _, c := range combos {
			for _, v := range a.values {
				next = append(next, append(slices.Clone(c), keyValue{a.key, v}))
			}
		}
		combos = next
	}
	return combos
}

type point struct {
	name      string
	overrides []keyValue
}

func sweepPoints(raw any, path string) ([]point, error) {
	if raw == nil {
		return []point{{}}, nil
	}
	list, ok := raw.([]map[string]any)
	if !ok {
		if anys, isList := raw.([]any); isList {
			for _, a := range anys {
				m, isMap := a.(map[string]any)
				if !isMap {
					return nil, fmt.Errorf("recipe %s: sweep.points must be tables ([[sweep.points]])", path)
				}
				list = append(list, m)
			}
		} else {
			return nil, fmt.Errorf("recipe %s: sweep.points must be tables ([[sweep.points]])", path)
		}
	}
	names := map[string]bool{}
	var out []point
	for i, m := range list {
		p := point{}
		for _, kv := range flatten("", m) {
			if kv.key == "name" {
				p.name = fmt.Sprint(kv.value)
				continue
			}
			p.overrides = append(p.overrides, kv)
		}
		if p.name == "" {
			p.name = labelOf(p.overrides)
		}
		if p.name == "" || strings.ContainsAny(p.name, `/\`) {
			return nil, fmt.Errorf("recipe %s: sweep point %d: name = %q: want a non-empty name without path separators", path, i+1, p.name)
		}
		if names[p.name] {
			return nil, fmt.Errorf("recipe %s: two sweep points are named %q: names must differ (they name run folders)", path, p.name)
		}
		names[p.name] = true
		out = append(out, p)
	}
	return out, nil
}

// labelOf renders overrides as "key=value" joined by "_", with only the
// last part of each dotted key (train.seed -> seed).
func labelOf(kvs []keyValue) string {
	parts := make([]string, len(kvs))
	for i, kv := range kvs {
		parts[i] = fmt.Sprintf("%s=%v", kv.key[strings.LastIndex(kv.key, ".")+1:], kv.value)
	}
	return strings.Join(parts, "_")
}

// cross joins a point with one grid combination.
func (p point) cross(grid []keyValue) combination {
	c := combination{}
	var noSeed []keyValue
	for _, kv := range grid {
		if kv.key != "train.seed" {
			noSeed = append(noSeed, kv)
		}
	}
	join := func(grid []keyValue) string {
		parts := []string{}
		if p.name != "" {
			parts = append(parts, p.name)
		}
		if l := labelOf(grid); l != "" {
			parts = append(parts, l)
		}
		return strings.Join(parts, "_")
	}
	c.label, c.group = join(grid), join(noSeed)
	for _, kv := range append(slices.Clone(p.overrides), grid...) {
		c.overrides = append(c.overrides, fmt.Sprintf("%s=%s", kv.key, tomlValue(kv.value)))
	}
	return c
}

// tomlValue renders a decoded TOML value back as TOML, for ParseOverride.
func tomlValue(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("%q", x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = tomlValue(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case float64:
		s := fmt.Sprint(x)
		if !strings.ContainsAny(s, ".eEn") { // keep it a float: 2 -> 2.0
			s += ".0"
		}
		return s
	}
	return fmt.Sprint(v)
}

// sweepRunDir is the folder of one combination.
func sweepRunDir(root, sweepName, label string) string {
	if root == "" {
		root = "runs"
	}
	return filepath.Join(root, sweepName, label)
}
