package derive

import (
	"container/heap"
	"slices"
	"strings"
)

// topK counts how often each value is seen in memory bounded by its
// capacity (the Space-Saving algorithm of Metwally, Agrawal and El
// Abbadi): while there is room every count is exact; once full, a new
// value takes the place of the least counted one and inherits its count,
// so a value more frequent than 1/capacity of all is always kept and no
// count is too low. Exact reports whether no value was ever evicted.
type topK struct {
	capacity int
	index    map[string]*topEntry
	heap     topHeap // least counted first
	total    uint64
	evicted  bool
}

type topEntry struct {
	value string
	count uint64
	pos   int // in heap
}

func newTopK(capacity int) *topK {
	return &topK{capacity: capacity, index: map[string]*topEntry{}}
}

// add counts one sighting of v; v is copied when it is kept.
func (t *topK) add(v []byte) {
	t.total++
	if e, ok := t.index[string(v)]; ok {
		e.count++
		heap.Fix(&t.heap, e.pos)
		return
	}
	if len(t.heap) < t.capacity {
		e := &topEntry{value: string(v), count: 1}
		t.index[e.value] = e
		heap.Push(&t.heap, e)
		return
	}
	t.evicted = true
	e := t.heap[0]
	delete(t.index, e.value)
	e.value = string(v)
	e.count++
	t.index[e.value] = e
	heap.Fix(&t.heap, 0)
}

// exact reports whether every count is exact.
func (t *topK) exact() bool { return !t.evicted }

// top returns up to n values, most counted first (ties in value order).
func (t *topK) top(n int) []topEntry {
	out := make([]topEntry, 0, len(t.heap))
	for _, e := range t.heap {
		out = append(out, *e)
	}
	slices.SortFunc(out, func(a, b topEntry) int {
		if a.count != b.count {
			if a.count > b.count {
				return -1
			}
			return 1
		}
		return strings.Compare(a.value, b.value)
	})
	return out[:min(n, len(out))]
}

type topHeap []*topEntry

func (h topHeap) Len() int           { return len(h) }
func (h topHeap) Less(i, j int) bool { return h[i].count < h[j].count }
func (h topHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].pos, h[j].pos = i, j
}
func (h *topHeap) Push(x any) {
	e := x.(*topEntry)
	e.pos = len(*h)
	*h = append(*h, e)
}
func (h *topHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
