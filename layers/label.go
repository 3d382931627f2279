package layers

import (
	"fmt"
	"sort"
	"strings"
)

// Label renders a variant and its parameters for people, keys sorted:
// "rskip-ln order=2", or "post-ln" when there are none.
func Label(name string, params map[string]any) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := []string{name}
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%v", k, params[k]))
	}
	return strings.Join(parts, " ")
}
