package kubespawner

import "testing"

// engineVerdicts says whether Python 3.11's re.compile and Node 20's
// new RegExp(rx, "v") accepted each pattern.
var engineVerdicts = []struct {
	rx         string
	python, js bool
}{
	{"^.+:.+$", true, true},
	{"^pangeo/.*$", true, true},
	{"^[a-z0-9._/-]+:[a-z0-9._-]+$", true, false},
	{"^[a-z0-9._/\\-]+:[a-z0-9._\\-]+$", true, false}, // '/' must be escaped in a v-mode class
	{"^[a-z0-9._\\/\\-]+:[a-z0-9._\\-]+$", true, true},
	{"^[a-z-]$", true, false},
	{"^[-a]$", true, false},
	{"^[\\w-]+$", true, false},
	{"^[\\w\\-]+$", true, true},
	{"^(?P<n>a)$", true, false},
	{"^(?<n>a)$", false, true},
	{"^(a)\\1$", true, true},
	{"^\\1(a)$", false, true},
	{"(?<=a)b", true, true},
	{"(?<!a)b", true, true},
	{"^(?=a).$", true, true},
	{"^(?!a).$", true, true},
	{"^a{,3}$", true, false},
	{"^a{2,3}$", true, true},
	{"^a{3,2}$", false, false},
	{"^{$", true, false},
	{"^a{$", true, false},
	{"^}$", true, false},
	{"^]$", true, false},
	{"^[]a]$", true, false},
	{"^[^]$", false, true},
	{"^[]$", false, true},
	{"^\\-$", true, false},
	{"^\\/$", true, true},
	{"^/$", true, true},
	{"^\\.$", true, true},
	{"^\\d+$", true, true},
	{"^\\Z", true, false},
	{"^a\\Z", true, false},
	{"\\A^a$", true, false},
	{"^(?i)a$", false, false},
	{"(?i)^a$", true, false},
	{"^a**$", false, false},
	{"^a*+$", true, false},
	{"^a*?$", true, true},
	{"^a??$", true, true},
	{"^(?:a|b)$", true, true},
	{"^a|b$", true, true},
	{"^\\u0041$", true, true},
	{"^\\u{41}$", false, true},
	{"^\\x41$", true, true},
	{"^\\0$", true, true},
	{"^\\01$", true, false},
	{"^\\cA$", false, true},
	{"^\\a$", true, false},
	{"^\\e$", false, false},
	{"^[a&&b]$", true, true},
	{"^[a--b]$", false, true},
	{"^[\\d--[0-5]]$", false, true},
	{"^[[a-z]--[aeiou]]$", true, true},
	{"^[a&&&b]$", true, false},
	{"^[!!]$", true, false},
	{"^[a(]$", true, false},
	{"^[a\\(]$", true, true},
	{"^[{]$", true, false},
	{"^[\\{]$", true, true},
	{"^[|]$", true, false},
	{"^[.]$", true, true},
	{"^[..]$", true, false},
	{"^[\\q{ab}]$", false, true},
	{"^\\p{L}+$", false, true},
	{"^[\\p{L}]$", false, true},
	{"^[z-a]$", false, false},
	{"^[\\d-z]$", false, false},
	{"^[a-\\d]$", false, false},
	{"^ $", true, true},
	{"^\\ $", true, false},
	{"^[\\ ]$", true, false},
	{"^\\é$", true, false},
	{"^é$", true, true},
	{"^\\#$", true, false},
	{"^[\\#]$", true, true},
	{"^(?#comment)a$", true, false},
	{"^(?#a\\)b)c$", true, false}, // \) does not end a Python comment
	{"^(?x) a $", false, false},
	{"(?x) ^ a $", true, false},
	{"^(?P<n>a)(?P=n)$", true, false},
	{"^\\k<n>(?<n>a)$", false, true},
	{"^(a)(?(1)b|c)$", true, false},
	{"^\\N{EM DASH}$", true, false},
	{"^\\8$", false, false},
	{"^[\\8]$", false, false},
	{"^(?=a)*$", true, false},
	{"^\\b*$", false, false},
	{"^$", true, true},
	{"^a\\\\$", true, true},
	{"^a\\", false, false},
	{"", true, true},
	{"^(a$", false, false},
	{"^a)$", false, false},
}

func TestPythonRegexSyntax(t *testing.T) {
	for _, tt := range engineVerdicts {
		var f regexFacts
		err := checkPythonRegex(tt.rx, &f)
		if (err == nil) != tt.python {
			t.Errorf("Python %q: got %v, want ok=%v", tt.rx, err, tt.python)
		}
	}
}

func TestJSRegexSyntax(t *testing.T) {
	for _, tt := range engineVerdicts {
		var f regexFacts
		err := checkJSRegex(tt.rx, &f)
		if (err == nil) != tt.js {
			t.Errorf("JS v-mode %q: got %v, want ok=%v", tt.rx, err, tt.js)
		}
	}
	// ES2025 group modifiers: valid syntax (Chrome 125+, Firefox 132+), too
	// new for Node 20, so flagged instead.
	for _, rx := range []string{"^(?i:a)$", "^(?-i:a)$", "^(?i-s:a)$", "^(?ims:a)$"} {
		var f regexFacts
		if err := checkJSRegex(rx, &f); err != nil || !f.modifiers {
			t.Errorf("JS v-mode %q: got %v, modifiers=%v; want accepted and flagged", rx, err, f.modifiers)
		}
	}
	for _, rx := range []string{"^(?-:a)$", "^(?ii:a)$", "^(?i-i:a)$", "^(?x:a)$"} {
		var f regexFacts
		if err := checkJSRegex(rx, &f); err == nil {
			t.Errorf("JS v-mode %q: accepted, want an error", rx)
		}
	}
}

func TestCheckRegex(t *testing.T) {
	tests := []struct {
		rx   string
		want []want
	}{
		{"^.+:.+$", nil}, // the corpus regex
		{"^pangeo/.*$", nil},
		{"^[a-z0-9._\\/\\-]+:[a-z0-9._\\-]+$", nil},
		{"", []want{W("", "empty")}},
		// KUBESPAWNER.md section 10, item 16: accepted by re.match, refused by the form
		{"^pangeo/", []want{W("", "not anchored")}},
		{"pangeo/.*$", []want{W("", "not anchored")}},
		{"^pangeo/.*\\$", []want{W("", "not anchored")}},
		{"^a|b$", []want{W("", "top-level '|'")}},
		{"^(?:a|b)$", nil},
		// engines
		{"^[a-z-]+$", []want{E("", "browsers cannot compile it")}},
		{"^(?P<name>a)$", []want{E("", "(?P<name>...) is Python syntax")}},
		{"^(?<name>a)$", []want{E("", "Python's re cannot compile it")}},
		{"^\\p{L}+$", []want{E("", "Python's re cannot compile it")}},
		{"^[a-z", []want{E("", "Python's re cannot compile it"), E("", "browsers cannot compile it")}},
		{"(?<=a)b", []want{E("", "lookbehind")}},
		{"^(?<!x)y$", []want{E("", "lookbehind")}},
		{`^a"$`, []want{E("", "ends the attribute")}},
		// warnings on patterns both engines take
		{"^a&lt;b$", []want{W("", "character references")}},
		{"^a&b$", nil},
		{"^a&#60;$", []want{W("", "character references")}},
		{"^a&amp$", []want{W("", "character references")}},
		{"^a&ampx$", nil},
		{"^(?i:a)$", []want{W("", "group modifier")}},
		{"^(?=a)a$", []want{W("", "RE2")}},
		{"^(a)\\1$", []want{W("", "RE2")}},
	}
	for _, tt := range tests {
		sameProblems(t, tt.rx, CheckRegex(tt.rx), tt.want)
	}
}
