package analysis

import (
	"fmt"
	"strings"

	"github.com/zoo-nn/zoo/layers"
)

// Variant is one residual variant with its parameters, as a request
// names it: "scaled:lambda=2" is variant scaled with λ = 2.
type Variant struct {
	// Label is the spec as given, trimmed: "scaled:lambda=2". It names the
	// variant in tables, plots and grads.json.
	Label string
	// Name is the registered variant (layers.Variants).
	Name string
	// Params are the parameters given, as strings; the registry coerces
	// and checks them when a model is built.
	Params map[string]any
	// Resolved are all the variant's parameters, typed, defaults filled
	// in (for grads.json).
	Resolved map[string]any
}

// ParseVariants parses specs separated by ";", each NAME or
// NAME:KEY=VALUE[,KEY=VALUE...] (e.g. "plain;scaled:lambda=0.5;
// rskip-ln:order=2"), and checks each through layers.Variants: an
// unknown name lists the known ones, a bad parameter names its key.
func ParseVariants(specs string) ([]Variant, error) {
	var out []Variant
	seen := map[string]bool{}
	for _, spec := range strings.Split(specs, ";") {
		spec = strings.TrimSpace(spec)
		if spec == "" {
			continue
		}
		v, err := parseVariant(spec)
		if err != nil {
			return nil, err
		}
		if seen[v.Label] {
			return nil, fmt.Errorf("variant %q is listed twice", v.Label)
		}
		seen[v.Label] = true
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no variants given: want specs such as \"plain;scaled:lambda=2\" (known: %s)",
			strings.Join(layers.Variants.Names(), ", "))
	}
	return out, nil
}

func parseVariant(spec string) (Variant, error) {
	name, rest, hasParams := strings.Cut(spec, ":")
	name = strings.TrimSpace(name)
	v := Variant{Name: name, Params: map[string]any{}}
	var labelParts []string
	if hasParams {
		for _, kv := range strings.Split(rest, ",") {
			kv = strings.TrimSpace(kv)
			if kv == "" {
				continue
			}
			k, val, ok := strings.Cut(kv, "=")
			k, val = strings.TrimSpace(k), strings.TrimSpace(val)
			if !ok || k == "" || val == "" {
				return Variant{}, fmt.Errorf("variant spec %q: parameter %q: want KEY=VALUE (e.g. scaled:lambda=2)", spec, kv)
			}
			if _, dup := v.Params[k]; dup {
				return Variant{}, fmt.Errorf("variant spec %q: parameter %s is given twice", spec, k)
			}
			v.Params[k] = val
			labelParts = append(labelParts, k+"="+val)
		}
	}
	if _, err := layers.Variants.Build(name, v.Params); err != nil {
		return Variant{}, fmt.Errorf("variant spec %q: %w", spec, err)
	}
	s, err := layers.Variants.Lookup(name)
	if err != nil {
		return Variant{}, err
	}
	resolved, err := s.Validate(v.Params)
	if err != nil {
		return Variant{}, fmt.Errorf("variant spec %q: %w", spec, err)
	}
	v.Resolved = resolved
	v.Label = name
	if len(labelParts) > 0 {
		v.Label += ":" + strings.Join(labelParts, ",")
	}
	return v, nil
}
