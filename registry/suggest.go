package registry

import "sort"

// Closest returns up to n candidates nearest to name by edit distance,
// nearest first, keeping only those close enough to be a plausible typo
// (distance at most half the longer word, or a shared prefix).
func Closest(name string, candidates []string, n int) []string {
	type scored struct {
		s string
		d int
	}
	var keep []scored
	for _, c := range candidates {
		d := editDistance(name, c)
		limit := (max(len(name), len(c)) + 1) / 2
		if d <= limit || hasPrefix(c, name) {
			keep = append(keep, scored{c, d})
		}
	}
	sort.SliceStable(keep, func(i, j int) bool {
		if keep[i].d != keep[j].d {
			return keep[i].d < keep[j].d
		}
		return keep[i].s < keep[j].s
	})
	out := []string{}
	for i := 0; i < len(keep) && i < n; i++ {
		out = append(out, keep[i].s)
	}
	return out
}

func hasPrefix(s, prefix string) bool {
	return len(prefix) >= 2 && len(s) >= len(prefix) && s[:len(prefix)] == prefix
}

// editDistance is the Levenshtein distance over bytes (names are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
