package ordered

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestDecodeKeepsKeyOrder(t *testing.T) {
	v, err := DecodeJSON([]byte(`{"z":1,"a":{"y":[true,null,"s"],"b":2.50},"m":"x"}`), 10)
	if err != nil {
		t.Fatal(err)
	}
	m := v.(*Map)
	if got := strings.Join(m.Keys(), ","); got != "z,a,m" {
		t.Errorf("keys = %s, want z,a,m", got)
	}
	out, err := Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"z":1,"a":{"y":[true,null,"s"],"b":2.50},"m":"x"}`; string(out) != want {
		t.Errorf("Marshal = %s, want %s (numbers as written, order kept)", out, want)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, in   string
		line, col  int
		msgContain string
	}{
		{"syntax", "[\n  {\"a\": 1,}\n]", 2, 11, "invalid character"},
		{"duplicate key", `{"a":1,"a":2}`, 1, 11, `duplicate key "a"`},
		{"too deep", `[[[[1]]]]`, 1, 5, "nested deeper than 3"},
		{"truncated", `[{"a":`, 1, 7, "unexpected end"},
		{"trailing data", `[] []`, 1, 5, "after the top-level value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeJSON([]byte(tt.in), 3)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a SyntaxError", err)
			}
			if se.Line != tt.line || se.Column != tt.col || !strings.Contains(se.Msg, tt.msgContain) {
				t.Errorf("got line %d col %d %q; want line %d col %d containing %q", se.Line, se.Column, se.Msg, tt.line, tt.col, tt.msgContain)
			}
		})
	}
}

func TestMarshalStrings(t *testing.T) {
	in := "<b>&\"\\\n\t\x01\u2028é"
	out, err := Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `"<b>&\"\\\n\t\u0001\u2028é"`; string(out) != want {
		t.Errorf("Marshal = %s, want %s", out, want)
	}
	var back string
	if err := json.Unmarshal(out, &back); err != nil || back != in {
		t.Errorf("does not decode back: %q, %v", back, err)
	}
}

func TestMarshalIndent(t *testing.T) {
	out, err := MarshalIndent(MapOf("a", []any{json.Number("1"), MapOf()}, "b", []any{}), "  ")
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": []\n}\n"
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

func TestEqual(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{`{"a":1,"b":2}`, `{"b":2,"a":1}`, true}, // object key order is not equality
		{`[1,2]`, `[2,1]`, false},
		{`1`, `1.0`, true},
		{`1e3`, `1000`, true},
		{`0.1`, `0.10000000000000001`, false}, // exact, not float64
		{`{"a":null}`, `{}`, false},
		{`"1"`, `1`, false},
	}
	for _, tt := range tests {
		a, _ := DecodeJSON([]byte(tt.a), 10)
		b, _ := DecodeJSON([]byte(tt.b), 10)
		if got := Equal(a, b); got != tt.want {
			t.Errorf("Equal(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestMapSetDeleteClone(t *testing.T) {
	m := MapOf("a", 1, "b", MapOf("x", "y"), "c", 3)
	m.Set("a", 10) // keeps its place
	m.Delete("b")
	m.Set("b", 2) // goes last
	if got := strings.Join(m.Keys(), ","); got != "a,c,b" {
		t.Errorf("keys = %s, want a,c,b", got)
	}
	c := MapOf("n", MapOf("x", "y"))
	d := c.Clone()
	inner, _ := d.Get("n")
	inner.(*Map).Set("x", "changed")
	orig, _ := c.Get("n")
	if v, _ := orig.(*Map).Get("x"); v != "y" {
		t.Errorf("Clone shares nested maps: original now %v", v)
	}
	var nilMap *Map
	if nilMap.Len() != 0 || nilMap.Has("a") || nilMap.Clone() != nil {
		t.Error("a nil map must read as empty")
	}
}

func TestDiff(t *testing.T) {
	a, _ := DecodeJSON([]byte(`{"images":[{"slug":"py","ref":"a:1"}],"o":{"x":1,"y":2,"z":3},"gone":true}`), 10)
	b, _ := DecodeJSON([]byte(`{"images":[{"slug":"py","ref":"a:2"},{"slug":"r"}],"o":{"y":2,"x":1},"new":"n"}`), 10)
	var got []string
	for _, c := range Diff(a, b) {
		f, _ := Marshal(c.From)
		to, _ := Marshal(c.To)
		got = append(got, c.Op+" "+c.Path+" "+string(f)+" "+string(to))
	}
	want := []string{
		`changed /images/0/ref "a:1" "a:2"`,
		`added /images/1 null {"slug":"r"}`,
		`removed /o/z 3 null`,
		`moved /o "x, y" "y, x"`,
		`removed /gone true null`,
		`added /new null "n"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Diff =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if d := Diff(a, a); len(d) != 0 {
		t.Errorf("Diff of a value with itself = %v", d)
	}
}
