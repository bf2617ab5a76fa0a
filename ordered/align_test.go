package ordered

import (
	"strings"
	"testing"
)

func diffLines(t *testing.T, a, b string) string {
	t.Helper()
	x, err := DecodeJSON([]byte(a), 10)
	if err != nil {
		t.Fatal(err)
	}
	y, err := DecodeJSON([]byte(b), 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range Diff(x, y) {
		f, _ := Marshal(c.From)
		to, _ := Marshal(c.To)
		got = append(got, c.Op+" "+c.Path+" "+string(f)+" "+string(to))
	}
	return strings.Join(got, "\n")
}

// Named elements are paired by name: an insertion at the top is one added
// element, a changed name with the same content a rename, a new order a
// move; choices are paired by key inside a profile.
func TestDiffAlignsByName(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{`[{"slug":"a","n":1},{"slug":"b","n":2}]`, `[{"slug":"new","n":0},{"slug":"a","n":1},{"slug":"b","n":2}]`,
			`added /0 null {"slug":"new","n":0}`},
		{`[{"slug":"a","n":1},{"slug":"b","n":2}]`, `[{"slug":"a2","n":1},{"slug":"b","n":3}]`,
			"renamed /0/slug \"a\" \"a2\"\nchanged /1/n 2 3"},
		{`[{"slug":"a"},{"slug":"b"}]`, `[{"slug":"b"},{"slug":"a"}]`,
			`moved  "a, b" "b, a"`},
		{`[{"slug":"p","options":[{"key":"x","choices":[{"key":"c1"},{"key":"c2","v":1}]}]}]`,
			`[{"slug":"p","options":[{"key":"x","choices":[{"key":"c0"},{"key":"c1"},{"key":"c2","v":2}]}]}]`,
			"added /0/options/0/choices/0 null {\"key\":\"c0\"}\nchanged /0/options/0/choices/2/v 1 2"},
		{`[{"slug":"a"},{"slug":"b"}]`, `[{"slug":"b"}]`,
			`removed /0 {"slug":"a"} null`},
		// Not named (a duplicate name): by position, as before.
		{`[{"slug":"a","n":1},{"slug":"a","n":2}]`, `[{"slug":"a","n":2}]`,
			"changed /0/n 1 2\nremoved /1 {\"slug\":\"a\",\"n\":2} null"},
	} {
		if got := diffLines(t, tc.a, tc.b); got != tc.want {
			t.Errorf("Diff(%s, %s) =\n%s\nwant\n%s", tc.a, tc.b, got, tc.want)
		}
	}
}
