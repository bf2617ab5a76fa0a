package ordered

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// SyntaxError is a JSON input that cannot be decoded, with where it went wrong.
type SyntaxError struct {
	Line, Column int // 1-based
	Msg          string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// DecodeJSON decodes one JSON document, keeping object key order. Objects and
// arrays may nest at most maxDepth deep; a duplicate key in an object is an
// error (Python would silently keep the last one).
//
// Text that YAML refuses is refused here too, with its position: bytes that
// are not UTF-8 (encoding/json would silently turn them into U+FFFD) and
// the NUL character (\u0000), which no profile list needs and which
// truncates strings in C libraries and PostgreSQL text.
func DecodeJSON(data []byte, maxDepth int) (any, error) {
	if !utf8.Valid(data) {
		off := invalidUTF8(data)
		line, col := Position(data, off)
		return nil, &SyntaxError{Line: line, Column: col, Msg: fmt.Sprintf("byte 0x%02x at offset %d is not UTF-8 text; save the file as UTF-8", data[off], off)}
	}
	d := &decoder{dec: json.NewDecoder(bytes.NewReader(data)), data: data, maxDepth: maxDepth}
	d.dec.UseNumber()
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	if _, err := d.dec.Token(); err != io.EOF {
		return nil, d.errorf("unexpected data after the top-level value")
	}
	return v, nil
}

type decoder struct {
	dec      *json.Decoder
	data     []byte
	maxDepth int
}

func (d *decoder) errorf(format string, args ...any) error {
	line, col := Position(d.data, int(d.dec.InputOffset()))
	return &SyntaxError{Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

func (d *decoder) wrap(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := Position(d.data, int(se.Offset))
		return &SyntaxError{Line: line, Column: col, Msg: se.Error()}
	}
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		line, col := Position(d.data, len(d.data))
		return &SyntaxError{Line: line, Column: col, Msg: "unexpected end of JSON input"}
	}
	return d.errorf("%v", err)
}

func (d *decoder) value(depth int) (any, error) {
	tok, err := d.dec.Token()
	if err != nil {
		return nil, d.wrap(err)
	}
	switch t := tok.(type) {
	case json.Delim:
		if depth >= d.maxDepth {
			return nil, d.errorf("nested deeper than %d levels", d.maxDepth)
		}
		if t == '{' {
			return d.object(depth + 1)
		}
		return d.array(depth + 1)
	case string:
		if err := d.checkText(t); err != nil {
			return nil, err
		}
		return t, nil
	default:
		return t, nil // nil, bool, json.Number
	}
}

// checkText refuses a string holding NUL (see DecodeJSON).
func (d *decoder) checkText(s string) error {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return d.errorf("a string contains \\u0000 (a NUL character), which is not allowed, after %q", truncate(s[:i], 40))
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// invalidUTF8 is the offset of the first byte that is not UTF-8.
func invalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(b)
}

func (d *decoder) object(depth int) (any, error) {
	m := NewMap()
	for d.dec.More() {
		tok, err := d.dec.Token()
		if err != nil {
			return nil, d.wrap(err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, d.errorf("object key must be a string")
		}
		if err := d.checkText(key); err != nil {
			return nil, err
		}
		if m.Has(key) {
			return nil, d.errorf("duplicate key %q", key)
		}
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		m.Set(key, v)
	}
	if _, err := d.dec.Token(); err != nil { // '}'
		return nil, d.wrap(err)
	}
	return m, nil
}

func (d *decoder) array(depth int) (any, error) {
	a := []any{}
	for d.dec.More() {
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		a = append(a, v)
	}
	if _, err := d.dec.Token(); err != nil { // ']'
		return nil, d.wrap(err)
	}
	return a, nil
}

// Position turns a byte offset into a 1-based line and column (in runes).
func Position(data []byte, offset int) (line, col int) {
	if offset > len(data) {
		offset = len(data)
	}
	line, col = 1, 1
	for _, r := range string(data[:offset]) {
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// MarshalJSON writes the map compactly, keys in order.
func (m *Map) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	if err := encode(&b, m, "", ""); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// UnmarshalJSON reads an object, keeping key order.
func (m *Map) UnmarshalJSON(data []byte) error {
	v, err := DecodeJSON(data, 10000)
	if err != nil {
		return err
	}
	got, ok := v.(*Map)
	if !ok {
		return fmt.Errorf("want a JSON object, got %s", TypeName(v))
	}
	*m = *got
	return nil
}

// Marshal writes v as compact JSON, without escaping HTML characters.
func Marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	err := encode(&b, v, "", "")
	return b.Bytes(), err
}

// MarshalIndent writes v as JSON indented by indent per level, ending in a newline.
func MarshalIndent(v any, indent string) ([]byte, error) {
	var b bytes.Buffer
	if err := encode(&b, v, "\n", indent); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

func encode(b *bytes.Buffer, v any, nl, indent string) error {
	switch t := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(t))
	case string:
		quote(b, t)
	case json.Number:
		if !json.Valid([]byte(t)) {
			return fmt.Errorf("invalid number %q", string(t))
		}
		b.WriteString(string(t))
	case int:
		b.WriteString(strconv.Itoa(t))
	case int64:
		b.WriteString(strconv.FormatInt(t, 10))
	case float64:
		b.WriteString(strconv.FormatFloat(t, 'g', -1, 64))
	case []any:
		if len(t) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteByte('[')
		inner := nl + indent
		for i, e := range t {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(inner)
			if err := encode(b, e, inner, indent); err != nil {
				return err
			}
		}
		b.WriteString(nl)
		b.WriteByte(']')
	case *Map:
		if t.Len() == 0 {
			b.WriteString("{}")
			return nil
		}
		b.WriteByte('{')
		inner := nl + indent
		for i, k := range t.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(inner)
			quote(b, k)
			b.WriteByte(':')
			if nl != "" {
				b.WriteByte(' ')
			}
			if err := encode(b, t.vals[k], inner, indent); err != nil {
				return err
			}
		}
		b.WriteString(nl)
		b.WriteByte('}')
	case []string:
		a := make([]any, len(t))
		for i, s := range t {
			a[i] = s
		}
		return encode(b, a, nl, indent)
	default:
		return fmt.Errorf("ordered: cannot encode %T", v)
	}
	return nil
}

const hexDigits = "0123456789abcdef"

// quote writes s as a JSON string. Unlike encoding/json it leaves <, > and &
// alone: profile lists are read by programs, and admins read exports.
func quote(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b.WriteString(s[start:i])
			switch c {
			case '"', '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			default:
				b.WriteString(`\u00`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString(s[start:i])
			b.WriteString(`\ufffd`)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b.WriteString(s[start:i])
			b.WriteString(`\u202`)
			b.WriteByte(hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}
