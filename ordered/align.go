package ordered

import "strings"

// Arrays of named things (profiles and images by "slug", options and
// choices by "key") are diffed by name, not by position: inserting a
// profile at the top must read as one added profile, not as every profile
// changed into the next one. An element whose name changed but nothing else
// is reported as "renamed"; a change in the order of the elements both
// sides have, as "moved".

// identity is the field that names the elements of x: "slug" or "key", when
// every element of x is an object with a distinct string there; "" when x
// is not an array of named things.
func identity(x []any) string {
	for _, field := range []string{"slug", "key"} {
		seen := map[string]bool{}
		ok := len(x) > 0
		for _, e := range x {
			m, isMap := e.(*Map)
			if !isMap {
				return ""
			}
			v, _ := m.Get(field)
			s, isStr := v.(string)
			if !isStr || seen[s] {
				ok = false
				break
			}
			seen[s] = true
		}
		if ok {
			return field
		}
	}
	return ""
}

func nameOf(e any, field string) string {
	v, _ := e.(*Map).Get(field)
	return v.(string)
}

// withoutName is an element with its name field removed, to compare the
// rest.
func withoutName(e any, field string) *Map {
	m := e.(*Map).Clone()
	m.Delete(field)
	return m
}

// diffNamed diffs two arrays of elements named by field. Paths of removed
// elements are their index in x; all others their index in y.
func diffNamed(path, field string, x, y []any, out *[]Change) {
	inX := map[string]int{}
	for i, e := range x {
		inX[nameOf(e, field)] = i
	}
	inY := map[string]int{}
	for i, e := range y {
		inY[nameOf(e, field)] = i
	}
	var gone []int // indexes in x of names y lacks
	for i, e := range x {
		if _, ok := inY[nameOf(e, field)]; !ok {
			gone = append(gone, i)
		}
	}
	renamedFrom := map[int]bool{}
	for j, e := range y {
		p := path + Pointer(j)
		if i, ok := inX[nameOf(e, field)]; ok {
			diff(p, x[i], e, out)
			continue
		}
		// A new name: a rename when some vanished element is the same
		// but for its name.
		renamed := false
		for _, i := range gone {
			if !renamedFrom[i] && Equal(withoutName(x[i], field), withoutName(e, field)) {
				renamedFrom[i], renamed = true, true
				*out = append(*out, Change{Path: p + Pointer(field), Op: "renamed", From: nameOf(x[i], field), To: nameOf(e, field)})
				break
			}
		}
		if !renamed {
			*out = append(*out, Change{Path: p, Op: "added", To: e})
		}
	}
	for _, i := range gone {
		if !renamedFrom[i] {
			*out = append(*out, Change{Path: path + Pointer(i), Op: "removed", From: x[i]})
		}
	}
	// Order: of the names both sides have (a rename keeps its place).
	var before, after []string
	for _, e := range x {
		if _, ok := inY[nameOf(e, field)]; ok {
			before = append(before, nameOf(e, field))
		}
	}
	for _, e := range y {
		if _, ok := inX[nameOf(e, field)]; ok {
			after = append(after, nameOf(e, field))
		}
	}
	if strings.Join(before, "\x00") != strings.Join(after, "\x00") {
		*out = append(*out, Change{Path: path, Op: "moved", From: strings.Join(before, ", "), To: strings.Join(after, ", ")})
	}
}
