// Package registry maps names to constructors with the metadata that
// people and tools need to choose between them: a formula, a one-line
// description, typed parameters with defaults, and a reference.
//
// A Registry is generic over what it builds, so residual variants,
// presets or optimizers can each have one. Entries register themselves
// from init functions; registering a name twice panics at start-up,
// because two files claiming one name is a programming error.
package registry

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Spec describes one registered entry.
type Spec[T any] struct {
	Name        string  // unique, lower-case, dash-separated
	Formula     string  // the computation, in the paper's notation
	Description string  // one line
	Reference   string  // where it comes from (author, venue, year)
	Params      []Param // accepted parameters with their defaults
	// New builds the entry from validated parameters (defaults filled in).
	New func(Values) (T, error)
}

// Registry holds specs by name. The zero value is not usable: call New.
type Registry[T any] struct {
	kind  string // what the entries are, for error messages ("residual variant")
	mu    sync.RWMutex
	specs map[string]Spec[T]
}

// New returns an empty registry whose errors call its entries kind.
func New[T any](kind string) *Registry[T] {
	return &Registry[T]{kind: kind, specs: map[string]Spec[T]{}}
}

// Register adds spec. It panics on an empty or duplicate name, or on a
// parameter whose default does not pass its own check.
func (r *Registry[T]) Register(spec Spec[T]) {
	if spec.Name == "" || spec.New == nil {
		panic(fmt.Sprintf("registry %s: spec needs a Name and a New function", r.kind))
	}
	for _, p := range spec.Params {
		if _, err := p.coerce(p.Default); err != nil {
			panic(fmt.Sprintf("registry %s %q: default of %s: %v", r.kind, spec.Name, p.Name, err))
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.specs[spec.Name]; dup {
		panic(fmt.Sprintf("registry %s: %q registered twice", r.kind, spec.Name))
	}
	r.specs[spec.Name] = spec
}

// Names returns the registered names, sorted.
func (r *Registry[T]) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.specs))
	for n := range r.specs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Specs returns every spec, sorted by name.
func (r *Registry[T]) Specs() []Spec[T] {
	names := r.Names()
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Spec[T], len(names))
	for i, n := range names {
		out[i] = r.specs[n]
	}
	return out
}

// Lookup returns the spec called name, or an error that lists the known
// names and suggests the closest ones.
func (r *Registry[T]) Lookup(name string) (Spec[T], error) {
	r.mu.RLock()
	spec, ok := r.specs[name]
	r.mu.RUnlock()
	if ok {
		return spec, nil
	}
	return spec, UnknownName(r.kind, name, r.Names())
}

// Build looks name up, validates raw against its parameters (unknown
// keys, wrong types and out-of-range values are errors) and calls New.
func (r *Registry[T]) Build(name string, raw map[string]any) (T, error) {
	var zero T
	spec, err := r.Lookup(name)
	if err != nil {
		return zero, err
	}
	vals, err := spec.Validate(raw)
	if err != nil {
		return zero, fmt.Errorf("%s %q: %w", r.kind, name, err)
	}
	v, err := spec.New(vals)
	if err != nil {
		return zero, fmt.Errorf("%s %q: %w", r.kind, name, err)
	}
	return v, nil
}

// Validate checks raw against the spec's parameters and returns the
// values with defaults filled in. Keys are matched exactly.
func (s Spec[T]) Validate(raw map[string]any) (Values, error) {
	vals := Values{}
	for _, p := range s.Params {
		vals[p.Name] = p.Default
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p, ok := s.param(k)
		if !ok {
			return nil, fmt.Errorf("unknown parameter %q; allowed: %s", k, s.allowedParams())
		}
		v, err := p.coerce(raw[k])
		if err != nil {
			return nil, fmt.Errorf("parameter %s: %w", k, err)
		}
		vals[k] = v
	}
	return vals, nil
}

func (s Spec[T]) param(name string) (Param, bool) {
	for _, p := range s.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

func (s Spec[T]) allowedParams() string {
	if len(s.Params) == 0 {
		return "none (this entry takes no parameters)"
	}
	parts := make([]string, len(s.Params))
	for i, p := range s.Params {
		parts[i] = p.Name + " (" + p.Describe() + ")"
	}
	return strings.Join(parts, ", ")
}

func quoteJoin(names []string, sep string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, sep)
}
