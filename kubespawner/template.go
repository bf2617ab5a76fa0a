package kubespawner

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jupyterhub/hubprofiles/ordered"
)

// TemplateFields are the fields KubeSpawner fills in when it expands template
// strings at pod time (_expand_user_properties). userid is an integer, the
// others are strings.
var TemplateFields = []string{
	"userid", "unescaped_username", "unescaped_servername", "hubnamespace",
	"username", "servername", "user_server",
	"safe_username", "safe_servername", "safe_user_server",
	"escaped_username", "escaped_servername", "escaped_user_server",
	"pod_name", "pvc_name", "namespace",
}

// FormatError is a format string Python would refuse, with the byte offset of
// the problem in the string.
type FormatError struct {
	Pos int
	Msg string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("%s (at position %d)", e.Msg, e.Pos)
}

func formatErr(pos int, format string, args ...any) *FormatError {
	return &FormatError{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// A formatPart is literal text, or a replacement field, of a format string.
type formatPart struct {
	literal string
	field   *formatField
}

// A formatField is one {replacement field}.
type formatField struct {
	pos  int    // offset of its '{' in the outermost string
	text string // everything between the braces
	name string // the part before the first '.' or '['
	rest string // attribute and index accessors after name
	conv rune   // 0, or the character after '!'
	spec string // the format spec, unexpanded
	// A spec holding braces is itself a format string, parsed when the field
	// is rendered.
	specParts []formatPart
	nestedErr error // a syntax error in specParts, found only when rendering
}

// parseFormat splits s the way CPython's MarkupIterator does. It returns the
// parts read before the first syntax error, and that error; the caller checks
// the parts first, because Python renders them before it reaches the error.
// base is the offset of s in the outermost string, depth the nesting budget
// (2 at the top, as in CPython).
func parseFormat(s string, base, depth int) ([]formatPart, error) {
	if depth <= 0 {
		return nil, formatErr(base, "format spec nested too deeply (Python allows one level: Max string recursion exceeded)")
	}
	var parts []formatPart
	i := 0
	for i < len(s) {
		start := i
		var c byte
		markup := false
		for i < len(s) {
			c = s[i]
			i++
			if c == '{' || c == '}' {
				markup = true
				break
			}
		}
		atEnd := i >= len(s)
		if markup && c == '}' && (atEnd || s[i] != '}') {
			return parts, formatErr(base+i-1, "single '}' (write '}}' for a literal brace)")
		}
		if markup && c == '{' && atEnd {
			return parts, formatErr(base+i-1, "single '{' (write '{{' for a literal brace)")
		}
		if markup && s[i] == c {
			parts = append(parts, formatPart{literal: s[start:i]})
			i++
			continue
		}
		if !markup {
			parts = append(parts, formatPart{literal: s[start:i]})
			continue
		}
		if i-1 > start {
			parts = append(parts, formatPart{literal: s[start : i-1]})
		}
		f, next, err := parseField(s, i, base, depth)
		if err != nil {
			return parts, err
		}
		parts = append(parts, formatPart{field: f})
		i = next
	}
	return parts, nil
}

// parseField reads a replacement field whose '{' is just before s[i].
func parseField(s string, i, base, depth int) (*formatField, int, error) {
	open := i - 1
	f := &formatField{pos: base + open}
	var c byte
	stopped := false
	for i < len(s) {
		c = s[i]
		i++
		if c == '{' {
			return nil, 0, formatErr(base+i-1, "'{' inside a field name (write '{{' for a literal brace)")
		}
		if c == '[' {
			for i < len(s) && s[i] != ']' {
				i++
			}
			continue
		}
		if c == '}' || c == ':' || c == '!' {
			stopped = true
			break
		}
	}
	if !stopped {
		return nil, 0, formatErr(base+open, "field %s is never closed with '}' (write '{{' for a literal brace)", strings.TrimSpace(s[open:]))
	}
	fieldName := s[open+1 : i-1]
	f.name, f.rest = splitFieldName(fieldName)
	if c == '}' {
		f.text = s[open+1 : i-1]
		return f, i, nil
	}
	if c == '!' {
		if i >= len(s) {
			return nil, 0, formatErr(base+i-1, "'!' at the end, where a conversion (r, s or a) should follow")
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		f.conv = r
		i += size
		if i < len(s) {
			c2 := s[i]
			i++
			if c2 == '}' {
				f.text = s[open+1 : i-1]
				return f, i, nil
			}
			if c2 != ':' {
				return nil, 0, formatErr(base+i-1, "expected ':' or '}' after the conversion !%c", r)
			}
		}
	}
	specStart := i
	count := 1
	expand := false
	for i < len(s) {
		c = s[i]
		i++
		switch c {
		case '{':
			expand = true
			count++
		case '}':
			count--
			if count == 0 {
				f.spec = s[specStart : i-1]
				f.text = s[open+1 : i-1]
				if expand {
					f.specParts, f.nestedErr = parseFormat(f.spec, base+specStart, depth-1)
				}
				return f, i, nil
			}
		}
	}
	return nil, 0, formatErr(base+open, "field %s is never closed: unmatched '{' in format spec", strings.TrimSpace(s[open:]))
}

// splitFieldName splits "a.b[0]" into "a" and ".b[0]".
func splitFieldName(s string) (string, string) {
	if i := strings.IndexAny(s, ".["); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}

// isPositional tells whether a field name is empty or all decimal digits (any
// script), which Python takes as a positional argument.
func isPositional(name string) bool {
	for _, r := range name {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// checkRest checks the accessors after a field name: .attr and [key], each
// non-empty.
func checkRest(f *formatField) error {
	rest := f.rest
	pos := f.pos + 1 + len(f.name)
	for rest != "" {
		switch rest[0] {
		case '.':
			end := strings.IndexAny(rest[1:], ".[")
			if end < 0 {
				end = len(rest) - 1
			}
			if end == 0 {
				return formatErr(pos, "empty attribute after '.' in field {%s}", f.text)
			}
			rest = rest[1+end:]
			pos += 1 + end
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return formatErr(pos, "missing ']' in field {%s}", f.text)
			}
			if end == 1 {
				return formatErr(pos, "empty index '[]' in field {%s}", f.text)
			}
			rest = rest[end+1:]
			pos += end + 1
		default:
			return formatErr(pos, "only '.' or '[' may follow ']' in field {%s}", f.text)
		}
	}
	return nil
}

// fieldType is what a field's value is when it gets formatted: "str" or "int".
type fieldType func(name string) string

// kubeSpawnerTypes: userid is the user's integer id, the rest are strings.
func kubeSpawnerTypes(name string) string {
	if name == "userid" {
		return "int"
	}
	return "str"
}

// formatCheck walks a parsed format string in Python's rendering order and
// returns the first problem.
type formatCheck struct {
	allowed func(string) bool
	typeOf  fieldType
	// stand-in values used to expand a nested spec ({a:{b}}) before checking it
	standIn func(name string) string
}

func (fc *formatCheck) check(parts []formatPart, syntaxErr error) error {
	for _, p := range parts {
		if p.field == nil {
			continue
		}
		if err := fc.field(p.field); err != nil {
			return err
		}
	}
	return syntaxErr
}

func (fc *formatCheck) field(f *formatField) error {
	if isPositional(f.name) {
		return formatErr(f.pos, "positional field {%s}: KubeSpawner fills fields by name only; name a field, or write '{{' and '}}' for literal braces", f.text)
	}
	if fc.allowed != nil && !fc.allowed(f.name) {
		return formatErr(f.pos, "unknown field {%s}", f.name)
	}
	if err := checkRest(f); err != nil {
		return err
	}
	typ := fc.typeOf(f.name)
	switch f.conv {
	case 0:
	case 'r', 's', 'a':
		typ = "str"
	default:
		return formatErr(f.pos, "unknown conversion !%c in field {%s} (Python knows !r, !s and !a)", f.conv, f.text)
	}
	spec := f.spec
	if f.specParts != nil || f.nestedErr != nil {
		if err := fc.check(f.specParts, f.nestedErr); err != nil {
			return err
		}
		spec = fc.render(f.specParts)
	}
	if f.rest != "" {
		return nil // the accessed object's type is unknown
	}
	if msg := checkSpec(spec, typ); msg != "" {
		if spec != f.spec {
			return formatErr(f.pos, "format spec %q in field {%s}, once its own fields are filled in: %s", f.spec, f.text, msg)
		}
		return formatErr(f.pos, "format spec %q in field {%s}: %s", spec, f.text, msg)
	}
	return nil
}

func (fc *formatCheck) render(parts []formatPart) string {
	var b strings.Builder
	for _, p := range parts {
		if p.field == nil {
			b.WriteString(p.literal)
			continue
		}
		b.WriteString(fc.formatStandIn(p.field))
	}
	return b.String()
}

// formatStandIn formats a nested field's stand-in value the way Python formats
// the real one: its conversion, then its own format spec (which holds no
// fields: Python allows one level of nesting). The outer spec is checked on
// this text, so "{username:^{userid:%}}" fails as in Python: userid formatted
// with '%' gives "100.000000%", and '%' is no format code for a string.
func (fc *formatCheck) formatStandIn(f *formatField) string {
	v, typ := fc.standIn(f.name), fc.typeOf(f.name)
	switch f.conv {
	case 'r', 'a':
		if typ == "str" {
			v = pyRepr(v)
		}
		typ = "str"
	case 's':
		typ = "str"
	}
	if f.rest != "" || checkSpec(f.spec, typ) != "" {
		return v // the check of the nested field itself reports the problem
	}
	if typ == "int" {
		return applyIntSpec(v, f.spec)
	}
	return applyStrSpec(v, f.spec)
}

func defaultStandIn(name string) string {
	if name == "userid" {
		return "1"
	}
	return "x"
}

// CheckFormat parses s as Python's str.format and str.format_map would and
// reports the first problem: a lone '{' or '}', a field that is never closed,
// a positional field ({} or {0}, which format_map rejects), a bad conversion,
// a spec nested more than one level, a format spec the value's type refuses
// (userid is an integer, other fields strings), or a top-level field name
// (the part before '.' or '[') for which allowed returns false. A nil allowed
// accepts any name.
func CheckFormat(s string, allowed func(name string) bool) error {
	parts, err := parseFormat(s, 0, 2)
	fc := &formatCheck{allowed: allowed, typeOf: kubeSpawnerTypes, standIn: defaultStandIn}
	return fc.check(parts, err)
}

// Fields lists the top-level field names s uses, in order, each once, including
// those nested in format specs. The error is a problem Python would raise
// whatever the field values are (CheckFormat with any name allowed, minus the
// format-spec checks that depend on the value's type).
func Fields(s string) ([]string, error) {
	parts, err := parseFormat(s, 0, 2)
	var names []string
	seen := map[string]bool{}
	var walk func([]formatPart, error) error
	walk = func(ps []formatPart, syntaxErr error) error {
		for _, p := range ps {
			f := p.field
			if f == nil {
				continue
			}
			if isPositional(f.name) {
				return formatErr(f.pos, "positional field {%s}: KubeSpawner fills fields by name only", f.text)
			}
			if !seen[f.name] {
				seen[f.name] = true
				names = append(names, f.name)
			}
			if err := checkRest(f); err != nil {
				return err
			}
			if f.conv != 0 && f.conv != 'r' && f.conv != 's' && f.conv != 'a' {
				return formatErr(f.pos, "unknown conversion !%c in field {%s}", f.conv, f.text)
			}
			if err := walk(f.specParts, f.nestedErr); err != nil {
				return err
			}
		}
		return syntaxErr
	}
	if err := walk(parts, err); err != nil {
		return names, err
	}
	return names, nil
}

// checkSpec validates a format spec for a str or an int value the way
// CPython's format mini-language parser does, and returns what is wrong ("" if
// nothing).
func checkSpec(spec, typ string) string {
	if spec == "" {
		return ""
	}
	r := []rune(spec)
	pos := 0
	isAlign := func(c rune) bool { return c == '<' || c == '>' || c == '=' || c == '^' }
	align, alignSet, fillSet := rune(0), false, false
	if len(r) >= 2 && isAlign(r[1]) {
		align, alignSet, fillSet = r[1], true, true
		pos = 2
	} else if len(r) >= 1 && isAlign(r[0]) {
		align, alignSet = r[0], true
		pos = 1
	}
	sign := rune(0)
	if pos < len(r) && (r[pos] == '+' || r[pos] == '-' || r[pos] == ' ') {
		sign = r[pos]
		pos++
	}
	noNeg0 := false
	if pos < len(r) && r[pos] == 'z' {
		noNeg0 = true
		pos++
	}
	alternate := false
	if pos < len(r) && r[pos] == '#' {
		alternate = true
		pos++
	}
	if !fillSet && pos < len(r) && r[pos] == '0' {
		if !alignSet && typ == "int" {
			align = '='
		}
		pos++
	}
	for pos < len(r) && unicode.IsDigit(r[pos]) {
		pos++
	}
	sep := rune(0)
	if pos < len(r) && r[pos] == ',' {
		sep = ','
		pos++
	}
	if pos < len(r) && r[pos] == '_' {
		if sep != 0 {
			return "cannot specify both ',' and '_'"
		}
		sep = '_'
		pos++
	}
	if pos < len(r) && r[pos] == ',' && sep == '_' {
		return "cannot specify both ',' and '_'"
	}
	precision := false
	if pos < len(r) && r[pos] == '.' {
		pos++
		d := pos
		for pos < len(r) && unicode.IsDigit(r[pos]) {
			pos++
		}
		if pos == d {
			return "'.' without a precision"
		}
		precision = true
	}
	if len(r)-pos > 1 {
		return "not a valid format spec"
	}
	typeChar := rune('s')
	if typ == "int" {
		typeChar = 'd'
	}
	if pos < len(r) {
		typeChar = r[pos]
	}
	if sep != 0 {
		switch typeChar {
		case 'd', 'e', 'f', 'g', 'E', 'G', '%', 'F':
		case 'b', 'o', 'x', 'X':
			if sep != '_' {
				return fmt.Sprintf("cannot specify ',' with '%c'", typeChar)
			}
		default:
			return fmt.Sprintf("cannot specify '%c' with '%c'", sep, typeChar)
		}
	}
	if typ == "str" {
		switch {
		case typeChar != 's':
			return fmt.Sprintf("unknown format code '%c' for a string", typeChar)
		case sign != 0:
			return "a sign is not allowed for a string"
		case noNeg0:
			return "'z' is not allowed for a string"
		case alternate:
			return "'#' is not allowed for a string"
		case align == '=':
			return "'=' alignment is not allowed for a string"
		}
		return ""
	}
	switch typeChar {
	case 'b', 'c', 'd', 'o', 'x', 'X', 'n':
		switch {
		case precision:
			return "a precision is not allowed for an integer"
		case typeChar == 'c' && sign != 0:
			return "a sign is not allowed with 'c'"
		case typeChar == 'c' && alternate:
			return "'#' is not allowed with 'c'"
		case noNeg0:
			return "'z' is not allowed for an integer"
		}
	case 'e', 'E', 'f', 'F', 'g', 'G', '%':
	default:
		return fmt.Sprintf("unknown format code '%c' for an integer", typeChar)
	}
	return ""
}

// applyStrSpec formats a string value with a (valid) str format spec: fill,
// alignment, width and precision.
func applyStrSpec(v, spec string) string {
	r := []rune(spec)
	fill, align, pos := ' ', '<', 0
	isAlign := func(c rune) bool { return c == '<' || c == '>' || c == '^' }
	if len(r) >= 2 && isAlign(r[1]) {
		fill, align, pos = r[0], r[1], 2
	} else if len(r) >= 1 && isAlign(r[0]) {
		align, pos = r[0], 1
	}
	if pos < len(r) && r[pos] == '0' {
		if pos == 0 || fill == ' ' && pos == 1 {
			fill = '0'
		}
		pos++
	}
	width := 0
	for pos < len(r) && unicode.IsDigit(r[pos]) {
		width = width*10 + digitValue(r[pos])
		pos++
	}
	vr := []rune(v)
	if pos < len(r) && r[pos] == '.' {
		pos++
		p := 0
		for pos < len(r) && unicode.IsDigit(r[pos]) {
			p = p*10 + digitValue(r[pos])
			pos++
		}
		if p < len(vr) {
			vr = vr[:p]
		}
	}
	pad := width - len(vr)
	if pad <= 0 {
		return string(vr)
	}
	left, right := 0, pad
	switch align {
	case '>':
		left, right = pad, 0
	case '^':
		left, right = pad/2, pad-pad/2
	}
	return strings.Repeat(string(fill), left) + string(vr) + strings.Repeat(string(fill), right)
}

// expansionFields returns the fields the strict pass of a trait fills in.
func expansionFields(name string) ([]string, bool) {
	fs, ok := expansions[Canonical(name)]
	return fs, ok
}

func setOf(names []string) func(string) bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return func(n string) bool { return m[n] }
}

// walkExpanded calls fn for every string that the strict pass of trait name
// formats: dict values and list items at any depth, never dict keys
// (KubeSpawner's _expand_all); for pod_connect_ip, each dot-separated part
// holding a '{'.
func walkExpanded(name string, v any, path string, fn func(path string, s any)) {
	switch t := v.(type) {
	case string, userText:
		fn(path, t)
	case []any:
		for i, e := range t {
			walkExpanded(name, e, fmt.Sprintf("%s/%d", path, i), fn)
		}
	case *ordered.Map:
		for _, k := range t.Keys() {
			e, _ := t.Get(k)
			walkExpanded(name, e, path+Pointer(k), fn)
		}
	}
}

// expandedTexts is what the strict pass formats in one string of trait name.
func expandedTexts(name, s string) []string {
	if Canonical(name) != "pod_connect_ip" {
		return []string{s}
	}
	var out []string
	for _, seg := range strings.Split(s, ".") {
		if strings.Contains(seg, "{") {
			out = append(out, seg)
		}
	}
	return out
}

func passName(name string) string {
	switch Canonical(name) {
	case "default_url", "notebook_dir":
		return "JupyterHub formats " + name + " with str.format when the server starts"
	}
	return "KubeSpawner formats " + name + " with str.format when it builds the pod"
}

func fieldList(fs []string) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = "{" + f + "}"
	}
	return strings.Join(parts, ", ")
}

// strictCheck checks one string of an expanded trait.
func strictCheck(name, s string, fields []string) error {
	fc := &formatCheck{allowed: setOf(fields), typeOf: kubeSpawnerTypes, standIn: defaultStandIn}
	for _, t := range expandedTexts(name, s) {
		parts, err := parseFormat(t, 0, 2)
		if err := fc.check(parts, err); err != nil {
			return err
		}
	}
	return nil
}

func literalHint(err error, fields []string) string {
	if fe, ok := err.(*FormatError); ok && strings.HasPrefix(fe.Msg, "unknown field") {
		return fmt.Sprintf("the fields it knows are %s; write literal braces as '{{' and '}}'", fieldList(fields))
	}
	return "write literal braces as '{{' and '}}'"
}

// CheckExpandedStrings checks the strings of an expanded trait (see IsExpanded)
// in a profile or choice override: each must be a valid str.format template
// naming only the fields that pass fills in (TemplateFields for KubeSpawner's
// pod-time pass; username and base_url for default_url and notebook_dir), and
// literal braces must be doubled. Every problem is an Error: the server would
// not start. Other traits give nothing.
func CheckExpandedStrings(name string, v any) []Problem {
	fields, ok := expansionFields(name)
	if !ok {
		return nil
	}
	var ps []Problem
	walkExpanded(name, v, "", func(p string, x any) {
		s, isStr := x.(string)
		if !isStr {
			return
		}
		if err := strictCheck(name, s, fields); err != nil {
			ps = append(ps, Problem{Severity: Error, Path: p, Msg: fmt.Sprintf("%s: %v; %s, so the server would fail to start; %s", show(s), err, passName(name), literalHint(err, fields))})
		}
	})
	return ps
}

// unlistedPass simulates the first pass over an unlisted_choice override:
// KubeSpawner's recursive_format, format_map with only "value" known and every
// other plain {name} left as it is.
type unlistedPass struct {
	trait  string
	ps     []Problem
	failed map[string]bool // paths of strings the first pass already refused
}

const standInValue = "v"

// CheckUnlistedOverride checks an unlisted_choice.kubespawner_override object.
// KubeSpawner runs every string of it (below the top-level trait names: dict
// keys, values and list items at any depth) through str.format_map with
// {value} = the user's text; any other plain {name} is left as it is, but a
// lone brace, a positional field or a bad spec raises ValueError at spawn. So
// each string must be a valid template whose fields are {value} or, left for
// pod time, one of TemplateFields (which only an expanded trait fills in). Each
// entry is then type-checked as CheckOverride does, knowing that a string with
// {value} holds whatever the user types; and where it lands in an expanded
// trait the result must survive the second, strict pass: literal braces there
// must be written {{{{ and }}}}, and {value} itself gets a Warning because the
// user's text is expanded again.
func CheckUnlistedOverride(ov *ordered.Map) []Problem {
	var out []Problem
	for _, k := range ov.Keys() {
		v, _ := ov.Get(k)
		base := Pointer(k)
		up := &unlistedPass{trait: k, failed: map[string]bool{}}
		fields, expanded := expansionFields(k)
		rendered := up.value(v, "", expanded, fields)
		for _, p := range up.ps {
			p.Path = base + p.Path
			out = append(out, p)
		}
		c := &checker{trait: k}
		c.override(rendered)
		for _, p := range c.ps {
			if up.failed[p.Path] {
				continue
			}
			p.Path = base + p.Path
			out = append(out, p)
		}
		if !expanded {
			continue
		}
		walkExpanded(k, rendered, "", func(p string, x any) {
			if up.failed[p] {
				return
			}
			text, raw := "", ""
			switch t := x.(type) {
			case string:
				text, raw = t, t
			case userText:
				text, raw = t.rendered, t.raw
				out = append(out, Problem{Severity: Warning, Path: base + p, Msg: fmt.Sprintf("%s: the user's text is put into %s, which is expanded again when the server starts; braces in what users type break the spawn or reveal template fields, so keep them out with validation_regex", show(raw), k)})
			default:
				return
			}
			if err := strictCheck(k, text, fields); err != nil {
				out = append(out, Problem{Severity: Error, Path: base + p, Msg: fmt.Sprintf("%s: KubeSpawner's first pass over an unlisted_choice override (the one that fills in {value}) turns it into %s, and then %s: %v; in an unlisted_choice override write literal braces as '{{{{' and '}}}}'", show(raw), show(text), passName(k), err)})
			}
		})
	}
	return out
}

// value renders v through the first pass, collecting problems; strings that
// use {value} come back as userText.
func (up *unlistedPass) value(v any, path string, expanded bool, fields []string) any {
	switch t := v.(type) {
	case string:
		return up.str(t, path, expanded, fields)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = up.value(e, fmt.Sprintf("%s/%d", path, i), expanded, fields)
		}
		return out
	case *ordered.Map:
		out := ordered.NewMap()
		for _, k := range t.Keys() {
			e, _ := t.Get(k)
			p := path + Pointer(k)
			key := k
			switch rk := up.str(k, p, false, nil).(type) {
			case string:
				key = rk
			case userText:
				key = rk.rendered
			}
			out.Set(key, up.value(e, p, expanded, fields))
		}
		return out
	}
	return v
}

// str renders one string. expanded says whether the result is formatted again
// (with fields) when the server starts.
func (up *unlistedPass) str(s, path string, expanded bool, fields []string) any {
	parts, syntaxErr := parseFormat(s, 0, 2)
	// First what Python itself refuses: format_map never fails on a name.
	fc := &formatCheck{
		typeOf: func(string) string { return "str" },
		standIn: func(n string) string {
			if n == "value" {
				return standInValue
			}
			return "{" + n + "}"
		},
	}
	if err := fc.check(parts, syntaxErr); err != nil {
		up.fail(path, fmt.Sprintf("%s: %v; KubeSpawner fills in {value} with str.format_map and would fail to start the server (ValueError)", show(s), err))
		return s
	}
	// Then the names: {value}, or a template field left for pod time.
	keep := setOf(TemplateFields)
	if expanded {
		keep = setOf(append(append([]string(nil), fields...), TemplateFields...))
	}
	if f := firstField(parts, func(f *formatField) bool { return f.name != "value" && !keep(f.name) }); f != nil {
		msg := fmt.Sprintf("%s: unknown field {%s}: only {value} is filled in here, and KubeSpawner leaves {%s} as it is, so it reaches the pod literally", show(s), f.name, f.text)
		if expanded {
			msg += fmt.Sprintf(" and fails the strict pass there (%s)", passName(up.trait))
		}
		up.fail(path, msg+"; write literal braces as '{{' and '}}'")
		return s
	}
	var b strings.Builder
	usesValue := false
	for _, p := range parts {
		f := p.field
		if f == nil {
			b.WriteString(p.literal)
			continue
		}
		if f.name == "value" {
			usesValue = true
			if f.rest != "" {
				up.ps = append(up.ps, Problem{Severity: Warning, Path: path, Msg: fmt.Sprintf("%s: {%s} reads an attribute or item of what the user types; it fails (IndexError) or gives odd text for some inputs", show(s), f.text)})
			}
			b.WriteString(up.renderField(f, fc, standInValue))
			continue
		}
		// A KubeSpawner template field: format_map leaves "{name}" for later.
		if f.conv != 0 || f.spec != "" || f.rest != "" {
			up.ps = append(up.ps, Problem{Severity: Error, Path: path, Msg: fmt.Sprintf("%s: in an unlisted_choice override KubeSpawner renders {%s} right away, on the text \"{%s}\", instead of leaving it for pod time; write {{%s}} to keep it for pod time", show(s), f.text, f.name, f.text)})
			b.WriteString(up.renderField(f, fc, "{"+f.name+"}"))
			continue
		}
		if !expanded {
			up.ps = append(up.ps, Problem{Severity: Warning, Path: path, Msg: fmt.Sprintf("%s: {%s} is left as it is and %s is never expanded, so the text stays literal", show(s), f.name, up.where(path))})
		}
		b.WriteString("{" + f.name + "}")
	}
	if usesValue {
		return userText{raw: s, rendered: b.String()}
	}
	return b.String()
}

func (up *unlistedPass) fail(path, msg string) {
	up.ps = append(up.ps, Problem{Severity: Error, Path: path, Msg: msg})
	up.failed[path] = true
}

// firstField finds the first field, nested ones included, that pred picks.
func firstField(parts []formatPart, pred func(*formatField) bool) *formatField {
	for _, p := range parts {
		if p.field == nil {
			continue
		}
		if pred(p.field) {
			return p.field
		}
		if f := firstField(p.field.specParts, pred); f != nil {
			return f
		}
	}
	return nil
}

func (up *unlistedPass) where(path string) string {
	if path == "" || !IsExpanded(up.trait) {
		return up.trait
	}
	return "this part of " + up.trait
}

// renderField formats one field of the first pass the way Python would, given
// the string it resolves to.
func (up *unlistedPass) renderField(f *formatField, fc *formatCheck, v string) string {
	switch f.conv {
	case 'r', 'a':
		v = pyRepr(v)
	}
	spec := f.spec
	if f.specParts != nil {
		spec = fc.render(f.specParts)
	}
	return applyStrSpec(v, spec)
}

// pyRepr is Python's repr of a str without quotes or backslashes in it.
func pyRepr(s string) string {
	if strings.Contains(s, "'") && !strings.Contains(s, "\"") {
		return "\"" + s + "\""
	}
	return "'" + strings.ReplaceAll(s, "'", "\\'") + "'"
}

// applyIntSpec formats the integer written in digits (a stand-in, so never
// negative) with a valid int format spec, as Python's int.__format__ does:
// fill, alignment ('=' by default with '0'), sign, '#', width, grouping,
// precision and the presentation types b c d o x X n e E f F g G %.
func applyIntSpec(digits, spec string) string {
	n, _ := strconv.ParseInt(digits, 10, 64)
	r := []rune(spec)
	fill, align, pos := ' ', rune(0), 0
	isAlign := func(c rune) bool { return c == '<' || c == '>' || c == '=' || c == '^' }
	fillSet := false
	if len(r) >= 2 && isAlign(r[1]) {
		fill, align, pos, fillSet = r[0], r[1], 2, true
	} else if len(r) >= 1 && isAlign(r[0]) {
		align, pos = r[0], 1
	}
	sign := '-'
	if pos < len(r) && (r[pos] == '+' || r[pos] == '-' || r[pos] == ' ') {
		sign = r[pos]
		pos++
	}
	if pos < len(r) && r[pos] == 'z' {
		pos++
	}
	alternate := false
	if pos < len(r) && r[pos] == '#' {
		alternate = true
		pos++
	}
	if !fillSet && pos < len(r) && r[pos] == '0' {
		fill = '0'
		if align == 0 {
			align = '='
		}
		pos++
	}
	width := 0
	for pos < len(r) && unicode.IsDigit(r[pos]) {
		width = width*10 + digitValue(r[pos])
		pos++
	}
	group := rune(0)
	for pos < len(r) && (r[pos] == ',' || r[pos] == '_') {
		group = r[pos]
		pos++
	}
	precision := -1
	if pos < len(r) && r[pos] == '.' {
		pos++
		precision = 0
		for pos < len(r) && unicode.IsDigit(r[pos]) {
			precision = precision*10 + digitValue(r[pos])
			pos++
		}
	}
	typeChar := 'd'
	if pos < len(r) {
		typeChar = r[pos]
	}
	prefix, body := "", ""
	switch typeChar {
	case 'b', 'o', 'x', 'X':
		base := map[rune]int{'b': 2, 'o': 8, 'x': 16, 'X': 16}[typeChar]
		body = strconv.FormatInt(n, base)
		if typeChar == 'X' {
			body = strings.ToUpper(body)
		}
		if alternate {
			prefix = "0" + string(typeChar)
		}
		body = groupDigits(body, group, 4)
	case 'c':
		return padField(string(rune(n)), fill, align, '<', width)
	case 'd', 'n':
		body = groupDigits(strconv.FormatInt(n, 10), group, 3)
	default: // e E f F g G %, on float(n)
		if precision < 0 {
			precision = 6
		}
		f := float64(n)
		switch typeChar {
		case '%':
			body = strconv.FormatFloat(f*100, 'f', precision, 64) + "%"
		case 'g', 'G':
			if precision == 0 {
				precision = 1
			}
			body = strconv.FormatFloat(f, 'g', precision, 64)
			if alternate && !strings.ContainsAny(body, ".e") {
				if digits := len(strings.TrimLeft(body, "-")); digits < precision {
					body += "." + strings.Repeat("0", precision-digits)
				} else {
					body += "."
				}
			}
			if typeChar == 'G' {
				body = strings.ToUpper(body)
			}
		default:
			body = strconv.FormatFloat(f, byte(unicode.ToLower(typeChar)), precision, 64)
			if alternate && precision == 0 {
				body += "."
			}
			if typeChar == 'E' || typeChar == 'F' {
				body = strings.ToUpper(body)
			}
		}
		if group != 0 {
			intPart, rest, _ := strings.Cut(body, ".")
			if rest != "" {
				rest = "." + rest
			}
			body = groupDigits(intPart, group, 3) + rest
		}
	}
	if sign == '+' || sign == ' ' {
		prefix = string(sign) + prefix
	}
	if align == '=' {
		pad := width - utf8.RuneCountInString(prefix+body)
		if pad > 0 {
			return prefix + strings.Repeat(string(fill), pad) + body
		}
		return prefix + body
	}
	return padField(prefix+body, fill, align, '>', width)
}

// groupDigits inserts sep (',' or '_', or nothing for 0) every `every` digits
// from the right.
func groupDigits(s string, sep rune, every int) string {
	if sep == 0 || len(s) <= every {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%every == 0 {
			b.WriteRune(sep)
		}
		b.WriteRune(c)
	}
	return b.String()
}

// padField pads s to width with fill, aligned left, right or centred (align
// 0 means def).
func padField(s string, fill, align, def rune, width int) string {
	if align == 0 {
		align = def
	}
	pad := width - utf8.RuneCountInString(s)
	if pad <= 0 {
		return s
	}
	switch align {
	case '<':
		return s + strings.Repeat(string(fill), pad)
	case '^':
		return strings.Repeat(string(fill), pad/2) + s + strings.Repeat(string(fill), pad-pad/2)
	}
	return strings.Repeat(string(fill), pad) + s
}
