package registry

import (
	"fmt"
	"sort"
	"strings"
)

// UnknownName is the error for a name that is not among known: it says
// what kind of thing was asked for, suggests the closest known names
// and lists them all, e.g.
//
//	unknown vision preset "resnet21" (did you mean "resnet20"?); known: preresnet110, ...
func UnknownName(kind, name string, known []string) error {
	msg := fmt.Sprintf("unknown %s %q", kind, name)
	if close := Closest(name, known, 3); len(close) > 0 {
		msg += fmt.Sprintf(" (did you mean %s?)", quoteJoin(close, " or "))
	}
	return fmt.Errorf("%s; known: %s", msg, strings.Join(known, ", "))
}

// SortedKeys returns the keys of m in order.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
