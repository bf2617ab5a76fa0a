package ordered

import (
	"errors"
	"strings"
	"testing"
)

// encoding/json turns bytes that are not UTF-8 into U+FFFD and accepts
// \u0000, where YAML refuses both: JSON input must be refused the same way,
// with where (issue 11, item 8).
func TestSecurityNULAndInvalidUTF8AreRefused(t *testing.T) {
	for _, tc := range []struct {
		name, in        string
		line, col       int
		wantMsgContains string
	}{
		{"NUL in a value", "[\n  {\"display_name\": \"ab\\u0000c\"}]", 2, 31, `\u0000`}, // just after the string,
		{"NUL in a key", "{\"a\\u0000\": 1}", 1, 11, `\u0000`},
		{"invalid UTF-8", "[\n  {\"display_name\": \"a\xffb\"}]", 2, 22, "not UTF-8"},
		{"truncated UTF-8", "[\"\xe2\x82\"]", 1, 3, "not UTF-8"},
	} {
		_, err := DecodeJSON([]byte(tc.in), 10)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%s: err %v, want a SyntaxError", tc.name, err)
			continue
		}
		if se.Line != tc.line || se.Column != tc.col || !strings.Contains(se.Msg, tc.wantMsgContains) {
			t.Errorf("%s: %v, want line %d, column %d, saying %q", tc.name, se, tc.line, tc.col, tc.wantMsgContains)
		}
	}
	// Text that is fine stays fine: other escapes and non-ASCII letters.
	if _, err := DecodeJSON([]byte(`["caf\u00e9 \t Zürich 東京"]`), 10); err != nil {
		t.Errorf("valid text refused: %v", err)
	}
}
