// Package ordered holds JSON values whose object keys keep the order they were
// written in. KubeSpawner shows profile options and choices in the key order of
// their JSON objects, so a Go map, which forgets that order, cannot carry them.
//
// A value is one of: nil, bool, string, json.Number, []any, *Map.
package ordered

import (
	"encoding/json"
	"fmt"
	"math/big"
)

// Map is a JSON object that remembers the order of its keys.
// The zero value is an empty map ready to use.
type Map struct {
	keys []string
	vals map[string]any
}

// NewMap returns an empty map.
func NewMap() *Map { return &Map{} }

// MapOf builds a map from alternating keys and values, for tests and literals.
func MapOf(kv ...any) *Map {
	if len(kv)%2 != 0 {
		panic("ordered.MapOf: odd number of arguments")
	}
	m := NewMap()
	for i := 0; i < len(kv); i += 2 {
		m.Set(kv[i].(string), kv[i+1])
	}
	return m
}

// Len is the number of keys; a nil map has none.
func (m *Map) Len() int {
	if m == nil {
		return 0
	}
	return len(m.keys)
}

// Keys returns the keys in order. The caller must not modify the slice.
func (m *Map) Keys() []string {
	if m == nil {
		return nil
	}
	return m.keys
}

// Get returns the value at k.
func (m *Map) Get(k string) (any, bool) {
	if m == nil {
		return nil, false
	}
	v, ok := m.vals[k]
	return v, ok
}

// Has reports whether k is present.
func (m *Map) Has(k string) bool {
	_, ok := m.Get(k)
	return ok
}

// Set puts v at k: a new key goes last, an existing key keeps its place.
func (m *Map) Set(k string, v any) {
	if m.vals == nil {
		m.vals = make(map[string]any)
	}
	if _, ok := m.vals[k]; !ok {
		m.keys = append(m.keys, k)
	}
	m.vals[k] = v
}

// Delete removes k, keeping the order of the other keys.
func (m *Map) Delete(k string) {
	if m == nil {
		return
	}
	if _, ok := m.vals[k]; !ok {
		return
	}
	delete(m.vals, k)
	for i, key := range m.keys {
		if key == k {
			m.keys = append(m.keys[:i:i], m.keys[i+1:]...)
			break
		}
	}
}

// Clone returns a deep copy; a nil map clones to nil.
func (m *Map) Clone() *Map {
	if m == nil {
		return nil
	}
	c := &Map{keys: append([]string(nil), m.keys...), vals: make(map[string]any, len(m.keys))}
	for k, v := range m.vals {
		c.vals[k] = Clone(v)
	}
	return c
}

// Clone deep-copies any ordered value.
func Clone(v any) any {
	switch t := v.(type) {
	case *Map:
		return t.Clone()
	case []any:
		c := make([]any, len(t))
		for i, e := range t {
			c[i] = Clone(e)
		}
		return c
	default:
		return v
	}
}

// Equal compares two values as JSON: object keys in any order, arrays in
// order, numbers by their exact value (1, 1.0 and 1e0 are equal).
func Equal(a, b any) bool {
	switch x := a.(type) {
	case *Map:
		y, ok := b.(*Map)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for _, k := range x.Keys() {
			yv, ok := y.Get(k)
			if !ok {
				return false
			}
			xv, _ := x.Get(k)
			if !Equal(xv, yv) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case json.Number:
		y, ok := b.(json.Number)
		return ok && numberEqual(x, y)
	default:
		return a == b
	}
}

func numberEqual(a, b json.Number) bool {
	if a == b {
		return true
	}
	x, okx := new(big.Rat).SetString(string(a))
	y, oky := new(big.Rat).SetString(string(b))
	return okx && oky && x.Cmp(y) == 0
}

// TypeName names a value's JSON type for messages: "object", "array",
// "string", "number", "boolean" or "null".
func TypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		return "number"
	case []any:
		return "array"
	case *Map:
		return "object"
	default:
		return fmt.Sprintf("%T", v)
	}
}
