package ordered

import (
	"strings"
)

// Change is one difference between two values, at a JSON pointer.
type Change struct {
	Path string `json:"path"`
	Op   string `json:"op"` // "added", "removed", "changed", "moved" or "renamed"
	From any    `json:"from,omitempty"`
	To   any    `json:"to,omitempty"`
}

// Diff lists what changed from a to b: objects key by key (a key that only
// moved within its object is reported as "moved", since order is what users
// see), arrays of named things (profiles, images, options, choices) name by
// name with renames and moves shown as such (align.go), other arrays
// element by element, anything else as a whole.
func Diff(a, b any) []Change {
	var out []Change
	diff("", a, b, &out)
	return out
}

func diff(path string, a, b any, out *[]Change) {
	switch x := a.(type) {
	case *Map:
		y, ok := b.(*Map)
		if !ok {
			break
		}
		for _, k := range x.Keys() {
			p := path + Pointer(k)
			xv, _ := x.Get(k)
			yv, ok := y.Get(k)
			if !ok {
				*out = append(*out, Change{Path: p, Op: "removed", From: xv})
				continue
			}
			diff(p, xv, yv, out)
		}
		for _, k := range y.Keys() {
			if !x.Has(k) {
				yv, _ := y.Get(k)
				*out = append(*out, Change{Path: path + Pointer(k), Op: "added", To: yv})
			}
		}
		if common := commonOrder(x.Keys(), y); common != "" {
			*out = append(*out, Change{Path: path, Op: "moved", From: common, To: commonOrder(y.Keys(), x)})
		}
		return
	case []any:
		y, ok := b.([]any)
		if !ok {
			break
		}
		if field := identity(x); field != "" && field == identity(y) {
			diffNamed(path, field, x, y, out)
			return
		}
		for i := 0; i < len(x) || i < len(y); i++ {
			p := path + Pointer(i)
			switch {
			case i >= len(y):
				*out = append(*out, Change{Path: p, Op: "removed", From: x[i]})
			case i >= len(x):
				*out = append(*out, Change{Path: p, Op: "added", To: y[i]})
			default:
				diff(p, x[i], y[i], out)
			}
		}
		return
	}
	if !Equal(a, b) {
		*out = append(*out, Change{Path: path, Op: "changed", From: a, To: b})
	}
}

// commonOrder returns the keys of keys that other also has, joined, when
// their order differs between the two maps; "" when it is the same.
func commonOrder(keys []string, other *Map) string {
	var mine, theirs []string
	for _, k := range keys {
		if other.Has(k) {
			mine = append(mine, k)
		}
	}
	for _, k := range other.Keys() {
		if contains(mine, k) {
			theirs = append(theirs, k)
		}
	}
	if strings.Join(mine, "\x00") == strings.Join(theirs, "\x00") {
		return ""
	}
	return strings.Join(mine, ", ")
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
