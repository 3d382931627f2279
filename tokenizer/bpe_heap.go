package tokenizer

// heapItem is a pair's count as it was when pushed; it may since have
// shrunk or the pair may have been pruned, which top checks.
type heapItem struct {
	cnt  int
	pair int32
}

// pairHeap is a max-heap ordered like learn_bpe's max(stats, key=(count,
// pair)). It is lazy: a count that shrinks is not updated in place, so
// every member of stats has at least one item at or above its count and
// the top can be validated cheaply.
type pairHeap struct{ items []heapItem }

// above orders x before y: higher count, then the lexicographically
// greater (left, right) pair, comparing code points as Python does.
func (l *learner) above(x, y heapItem) bool {
	if x.cnt != y.cnt {
		return x.cnt > y.cnt
	}
	px, py := l.pairs[x.pair], l.pairs[y.pair]
	if px[0] != py[0] {
		return l.syms[px[0]] > l.syms[py[0]]
	}
	return l.syms[px[1]] > l.syms[py[1]]
}

func (h *pairHeap) init(l *learner) {
	for i := len(h.items)/2 - 1; i >= 0; i-- {
		h.down(l, i)
	}
}

func (h *pairHeap) push(l *learner, it heapItem) {
	h.items = append(h.items, it)
	i := len(h.items) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if !l.above(h.items[i], h.items[parent]) {
			break
		}
		h.items[i], h.items[parent] = h.items[parent], h.items[i]
		i = parent
	}
}

func (h *pairHeap) pop(l *learner) {
	last := len(h.items) - 1
	h.items[0] = h.items[last]
	h.items = h.items[:last]
	if last > 0 {
		h.down(l, 0)
	}
}

func (h *pairHeap) down(l *learner, i int) {
	n := len(h.items)
	for {
		best := i
		for _, c := range [2]int{2*i + 1, 2*i + 2} {
			if c < n && l.above(h.items[c], h.items[best]) {
				best = c
			}
		}
		if best == i {
			return
		}
		h.items[i], h.items[best] = h.items[best], h.items[i]
		i = best
	}
}

// top returns the pair learn_bpe's max() would pick from stats, dropping
// items of pruned pairs and re-filing items whose count shrank.
func (h *pairHeap) top(l *learner) (int32, bool) {
	for len(h.items) > 0 {
		it := h.items[0]
		if !l.stats.in[it.pair] {
			h.pop(l)
			continue
		}
		c := l.stats.cnt[it.pair]
		if c == it.cnt {
			return it.pair, true
		}
		h.pop(l)
		if c < it.cnt {
			h.push(l, heapItem{c, it.pair})
		}
	}
	return 0, false
}
