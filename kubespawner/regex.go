package kubespawner

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode"
)

// A regexError is where and why an engine refuses a pattern; pos counts code
// points.
type regexError struct {
	pos int
	msg string
}

func (e *regexError) Error() string { return fmt.Sprintf("%s at position %d", e.msg, e.pos) }

// regexFacts are what the syntax checkers noticed on the way.
type regexFacts struct {
	lookbehind bool // (?<= or (?<!
	modifiers  bool // (?i:...) group modifiers, new in ES2025
	topAlt     bool // a '|' outside any group
}

// CheckRegex checks an unlisted_choice.validation_regex, which three engines
// read: the server matches it with Python's re.match (anchored at the start
// only); the default spawn form puts it, unescaped, in an HTML pattern
// attribute, which browsers compile as a JavaScript RegExp with the v flag
// and match against the whole value; jupyterhub-fancy-profiles tests it
// unanchored. Errors: Python's re cannot compile it (a spawn with a value
// fails), a browser cannot compile it with the v flag, it uses lookbehind (not
// allowed in this project), or it holds a '"' (which ends the HTML attribute).
// Warnings: it is not anchored with ^ and $, it uses group modifiers only
// recent browsers know, it may hold an HTML character reference, or Go's RE2
// cannot compile it (values cannot be tested against it here).
func CheckRegex(rx string) []Problem {
	var ps []Problem
	add := func(sev Severity, format string, args ...any) {
		ps = append(ps, Problem{Severity: sev, Msg: fmt.Sprintf(format, args...)})
	}
	if rx == "" {
		add(Warning, "validation_regex is empty: neither the server nor the form checks the value")
		return ps
	}
	var facts regexFacts
	pyErr := checkPythonRegex(rx, &facts)
	jsErr := checkJSRegex(rx, &facts)
	if pyErr != nil {
		add(Error, "validation_regex %s: Python's re cannot compile it (%v); KubeSpawner fails with re.error when a user sends a value", show(rx), pyErr)
	}
	if jsErr != nil {
		add(Error, "validation_regex %s: browsers cannot compile it as a pattern attribute (JavaScript RegExp with the v flag: %v), so the form would not check the value", show(rx), jsErr)
	}
	if facts.lookbehind {
		add(Error, "validation_regex %s uses lookbehind ((?<= or (?<!), which hubprofiles does not allow; rewrite it without", show(rx))
	}
	if strings.Contains(rx, `"`) {
		add(Error, "validation_regex %s contains '\"': the default form writes it unescaped into pattern=\"...\", where it ends the attribute", show(rx))
	}
	if len(ps) > 0 {
		return ps
	}
	if hasCharRef(rx) {
		add(Warning, "validation_regex %s contains '&' followed by a name or '#': the browser reads HTML character references such as &lt; in the pattern attribute, so the form checks a different pattern", show(rx))
	}
	if facts.modifiers {
		add(Warning, "validation_regex %s uses a (?i:...) group modifier: browsers from before 2024 cannot compile it and then skip the check", show(rx))
	}
	switch {
	case !strings.HasPrefix(rx, "^") || !endsWithDollar(rx):
		add(Warning, "validation_regex %s is not anchored with ^ and $: the server (re.match) only anchors the start, the form matches the whole value and fancy-profiles matches anywhere, so they accept different values; write ^...$", show(rx))
	case facts.topAlt:
		add(Warning, "validation_regex %s has a top-level '|': ^ and $ bind only to the first and last alternative, so the engines accept different values; write ^(?:a|b)$", show(rx))
	}
	if _, err := syntax.Parse(rx, syntax.Perl); err != nil {
		add(Warning, "validation_regex %s: Go's regexp (RE2) cannot compile it (%v), so hubprofiles cannot test values against it", show(rx), err)
	}
	return ps
}

func endsWithDollar(rx string) bool {
	if !strings.HasSuffix(rx, "$") {
		return false
	}
	n := 0
	for i := len(rx) - 2; i >= 0 && rx[i] == '\\'; i-- {
		n++
	}
	return n%2 == 0
}

// charRef matches what a browser decodes as a character reference inside an
// attribute value: a named reference ended by ';', a numeric one, or one of
// the legacy names HTML still decodes without ';' when no letter, digit or
// '=' follows.
var charRef = regexp.MustCompile(`&(?:[A-Za-z][A-Za-z0-9]*;|#[0-9]+|#[xX][0-9A-Fa-f]+|(?:amp|AMP|lt|LT|gt|GT|quot|QUOT|nbsp|copy|COPY|reg|REG)(?:[^A-Za-z0-9=]|$))`)

func hasCharRef(rx string) bool { return charRef.MatchString(rx) }

func isHex(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F'
}

func isOct(r rune) bool { return r >= '0' && r <= '7' }

func isASCIILetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

// ---------------------------------------------------------------------------
// Python re (sre_parse, CPython 3.11)

type pyParser struct {
	src      []rune
	pos      int
	groups   int // next group number; group 0 is the whole match
	open     map[int]bool
	names    map[string]int
	condRefs []struct{ group, pos int }
	verbose  bool
	facts    *regexFacts
}

func checkPythonRegex(rx string, facts *regexFacts) error {
	p := &pyParser{src: []rune(rx), groups: 1, open: map[int]bool{}, names: map[string]int{}, facts: facts}
	if err := p.sub(0); err != nil {
		return err
	}
	if p.pos < len(p.src) {
		return &regexError{p.pos, "unbalanced parenthesis"}
	}
	for _, c := range p.condRefs {
		if c.group >= p.groups {
			return &regexError{c.pos, fmt.Sprintf("invalid group reference %d", c.group)}
		}
	}
	return nil
}

func (p *pyParser) peek() (rune, bool) {
	if p.pos < len(p.src) {
		return p.src[p.pos], true
	}
	return 0, false
}

func (p *pyParser) match(r rune) bool {
	if c, ok := p.peek(); ok && c == r {
		p.pos++
		return true
	}
	return false
}

func (p *pyParser) errf(pos int, format string, args ...any) error {
	return &regexError{pos, fmt.Sprintf(format, args...)}
}

// sub parses alternatives up to a ')' or the end.
func (p *pyParser) sub(nested int) error {
	first := nested == 0
	for {
		if err := p.seq(nested, first); err != nil {
			return err
		}
		if !p.match('|') {
			return nil
		}
		first = false
	}
}

type pyItem int

const (
	pyNone pyItem = iota
	pyAt          // ^ $ \b \A ...: nothing to repeat
	pyRepeat
	pyOther
)

// seq parses one alternative.
func (p *pyParser) seq(nested int, first bool) error {
	last := pyNone
	for {
		if p.verbose {
			p.skipVerbose()
		}
		c, ok := p.peek()
		if !ok || c == '|' || c == ')' {
			return nil
		}
		start := p.pos
		p.pos++
		switch {
		case c == '\\':
			at, err := p.escape(start)
			if err != nil {
				return err
			}
			last = pyOther
			if at {
				last = pyAt
			}
		case c == '[':
			if err := p.class(start); err != nil {
				return err
			}
			last = pyOther
		case c == '*' || c == '+' || c == '?' || c == '{':
			isRepeat, err := p.repeatBounds(c, start)
			if err != nil {
				return err
			}
			if !isRepeat {
				last = pyOther // a literal '{'
				continue
			}
			switch last {
			case pyNone, pyAt:
				return p.errf(start, "nothing to repeat")
			case pyRepeat:
				return p.errf(start, "multiple repeat")
			}
			if !p.match('?') {
				p.match('+')
			}
			last = pyRepeat
		case c == '(':
			item, err := p.group(start, nested, first && last == pyNone)
			if err != nil {
				return err
			}
			if item != pyNone {
				last = item
			}
		case c == '^' || c == '$':
			last = pyAt
		default:
			last = pyOther
		}
	}
}

func (p *pyParser) skipVerbose() {
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			p.pos++
		case c == '#':
			for p.pos < len(p.src) && p.src[p.pos] != '\n' {
				p.pos++
			}
		default:
			return
		}
	}
}

// repeatBounds reads a quantifier after its first character; a '{' that does
// not form {m}, {m,}, {,n} or {m,n} is a literal.
func (p *pyParser) repeatBounds(c rune, start int) (bool, error) {
	if c != '{' {
		return true, nil
	}
	if n, ok := p.peek(); ok && n == '}' {
		return false, nil
	}
	here := p.pos
	digits := func() string {
		s := p.pos
		for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
			p.pos++
		}
		return string(p.src[s:p.pos])
	}
	lo := digits()
	hi := lo
	if p.match(',') {
		hi = digits()
	}
	if !p.match('}') {
		p.pos = here
		return false, nil
	}
	const maxRepeat = 4294967295
	var min, max uint64 = 0, maxRepeat
	if lo != "" {
		n, err := strconv.ParseUint(lo, 10, 64)
		if err != nil || n >= maxRepeat {
			return false, p.errf(start, "the repetition number is too large")
		}
		min = n
	}
	if hi != "" {
		n, err := strconv.ParseUint(hi, 10, 64)
		if err != nil || n >= maxRepeat {
			return false, p.errf(start, "the repetition number is too large")
		}
		max = n
		if max < min {
			return false, p.errf(start+1, "min repeat greater than max repeat")
		}
	}
	return true, nil
}

var pyCategories = map[rune]bool{'d': true, 'D': true, 's': true, 'S': true, 'w': true, 'W': true}
var pyAnchors = map[rune]bool{'A': true, 'b': true, 'B': true, 'Z': true}
var pyEscapes = map[rune]bool{'a': true, 'b': true, 'f': true, 'n': true, 'r': true, 't': true, 'v': true, '\\': true}

// escape reads an escape outside a class; at reports an anchor.
func (p *pyParser) escape(start int) (at bool, err error) {
	c, ok := p.peek()
	if !ok {
		return false, p.errf(start, "bad escape (end of pattern)")
	}
	p.pos++
	switch {
	case pyAnchors[c]:
		return true, nil
	case pyCategories[c] || pyEscapes[c]:
		return false, nil
	case c == 'x' || c == 'u' || c == 'U' || c == 'N':
		_, err := p.codeEscape(c, start)
		return false, err
	case c == '0':
		p.octalDigits(2)
		return false, nil
	case c >= '1' && c <= '9':
		digits := string(c)
		if n, ok := p.peek(); ok && n >= '0' && n <= '9' {
			p.pos++
			digits += string(n)
			if n3, ok := p.peek(); ok && isOct(rune(digits[0])) && isOct(rune(digits[1])) && isOct(n3) {
				p.pos++
				v, _ := strconv.ParseInt(digits+string(n3), 8, 32)
				if v > 0o377 {
					return false, p.errf(start, "octal escape value \\%s%c outside of range 0-0o377", digits, n3)
				}
				return false, nil
			}
		}
		g, _ := strconv.Atoi(digits)
		if g >= p.groups {
			return false, p.errf(start+1, "invalid group reference %d", g)
		}
		if p.open[g] {
			return false, p.errf(start, "cannot refer to an open group")
		}
		return false, nil
	case isASCIILetter(c):
		return false, p.errf(start, "bad escape \\%c", c)
	}
	return false, nil
}

func (p *pyParser) octalDigits(n int) string {
	s := p.pos
	for i := 0; i < n && p.pos < len(p.src) && isOct(p.src[p.pos]); i++ {
		p.pos++
	}
	return string(p.src[s:p.pos])
}

// codeEscape reads \xhh, \uhhhh, \Uhhhhhhhh or \N{name} after the letter and
// returns the code point (-1 for \N, whose name is not looked up).
func (p *pyParser) codeEscape(c rune, start int) (rune, error) {
	if c == 'N' {
		if !p.match('{') {
			return 0, p.errf(start, "missing { after \\N")
		}
		s := p.pos
		for p.pos < len(p.src) && p.src[p.pos] != '}' {
			p.pos++
		}
		if p.pos >= len(p.src) {
			return 0, p.errf(s, "missing }, unterminated name")
		}
		if p.pos == s {
			return 0, p.errf(s, "missing character name")
		}
		p.pos++
		return -1, nil
	}
	n := map[rune]int{'x': 2, 'u': 4, 'U': 8}[c]
	s := p.pos
	for i := 0; i < n && p.pos < len(p.src) && isHex(p.src[p.pos]); i++ {
		p.pos++
	}
	if p.pos-s != n {
		return 0, p.errf(start, "incomplete escape \\%c%s", c, string(p.src[s:p.pos]))
	}
	v, _ := strconv.ParseUint(string(p.src[s:p.pos]), 16, 32)
	if v > unicode.MaxRune {
		return 0, p.errf(start, "bad escape \\%c%s", c, string(p.src[s:p.pos]))
	}
	return rune(v), nil
}

// classEscape reads an escape inside a class and returns its code point, or
// -1 for a category such as \d.
func (p *pyParser) classEscape(start int) (rune, error) {
	c, ok := p.peek()
	if !ok {
		return 0, p.errf(start, "bad escape (end of pattern)")
	}
	p.pos++
	switch {
	case c == 'b':
		return 8, nil
	case pyEscapes[c]:
		return map[rune]rune{'a': 7, 'f': 12, 'n': 10, 'r': 13, 't': 9, 'v': 11, '\\': '\\'}[c], nil
	case pyCategories[c]:
		return -1, nil
	case c == 'x' || c == 'u' || c == 'U' || c == 'N':
		r, err := p.codeEscape(c, start)
		if r == -1 {
			r = 0x10FFFF + 1 // a named character: treat as a literal of unknown value
		}
		return r, err
	case isOct(c):
		digits := string(c) + p.octalDigits(2)
		v, _ := strconv.ParseInt(digits, 8, 32)
		if v > 0o377 {
			return 0, p.errf(start, "octal escape value \\%s outside of range 0-0o377", digits)
		}
		return rune(v), nil
	case c >= '0' && c <= '9' || isASCIILetter(c):
		return 0, p.errf(start, "bad escape \\%c", c)
	}
	return c, nil
}

func (p *pyParser) class(start int) error {
	p.match('^')
	n := 0
	for {
		c, ok := p.peek()
		if !ok {
			return p.errf(start, "unterminated character set")
		}
		itemStart := p.pos
		p.pos++
		if c == ']' && n > 0 {
			return nil
		}
		n++
		lo, loText := c, string(c)
		if c == '\\' {
			r, err := p.classEscape(itemStart)
			if err != nil {
				return err
			}
			lo, loText = r, string(p.src[itemStart:p.pos])
		}
		if !p.match('-') {
			continue
		}
		c2, ok := p.peek()
		if !ok {
			return p.errf(start, "unterminated character set")
		}
		hiStart := p.pos
		p.pos++
		if c2 == ']' {
			return nil
		}
		hi := c2
		if c2 == '\\' {
			r, err := p.classEscape(hiStart)
			if err != nil {
				return err
			}
			hi = r
		}
		hiText := string(p.src[hiStart:p.pos])
		if lo < 0 || hi < 0 || hi < lo {
			return p.errf(itemStart, "bad character range %s-%s", loText, hiText)
		}
	}
}

// group parses after '('. It returns the kind of item it left, or pyNone
// when it left none (a comment or global flags).
func (p *pyParser) group(start, nested int, atStart bool) (pyItem, error) {
	saved := p.verbose
	capture := true
	name := ""
	if p.match('?') {
		c, ok := p.peek()
		if !ok {
			return 0, p.errf(p.pos, "unexpected end of pattern")
		}
		p.pos++
		switch {
		case c == 'P':
			switch {
			case p.match('<'):
				n, err := p.until('>', "group name")
				if err != nil {
					return 0, err
				}
				if !isPyIdentifier(n) {
					return 0, p.errf(p.pos-len([]rune(n))-1, "bad character in group name '%s'", n)
				}
				name = n
			case p.match('='):
				n, err := p.until(')', "group name")
				if err != nil {
					return 0, err
				}
				if !isPyIdentifier(n) {
					return 0, p.errf(p.pos-len([]rune(n))-1, "bad character in group name '%s'", n)
				}
				g, ok := p.names[n]
				if !ok {
					return 0, p.errf(p.pos-len([]rune(n))-1, "unknown group name '%s'", n)
				}
				if p.open[g] {
					return 0, p.errf(p.pos-len([]rune(n))-1, "cannot refer to an open group")
				}
				return pyOther, nil
			default:
				c2, ok := p.peek()
				if !ok {
					return 0, p.errf(p.pos, "unexpected end of pattern")
				}
				return 0, p.errf(p.pos-1, "unknown extension ?P%c", c2)
			}
		case c == ':':
			capture = false
		case c == '#':
			for {
				c, ok := p.peek()
				if !ok {
					return 0, p.errf(start, "missing ), unterminated comment")
				}
				p.pos++
				if c == ')' {
					return pyNone, nil
				}
				if c == '\\' { // the tokenizer reads an escape as one token, so \) does not end it
					if _, ok := p.peek(); !ok {
						return 0, p.errf(p.pos-1, "bad escape (end of pattern)")
					}
					p.pos++
				}
			}
		case c == '=' || c == '!' || c == '<':
			if c == '<' {
				c2, ok := p.peek()
				if !ok {
					return 0, p.errf(p.pos, "unexpected end of pattern")
				}
				p.pos++
				if c2 != '=' && c2 != '!' {
					return 0, p.errf(p.pos-2, "unknown extension ?<%c: (?<name>...) is JavaScript syntax, and Python's (?P<name>...) is unknown to browsers, so use a plain group", c2)
				}
				p.facts.lookbehind = true
			}
			if err := p.sub(nested + 1); err != nil {
				return 0, err
			}
			if !p.match(')') {
				return 0, p.errf(start, "missing ), unterminated subpattern")
			}
			return pyOther, nil
		case c == '(':
			n, err := p.until(')', "group name")
			if err != nil {
				return 0, err
			}
			namePos := p.pos - len([]rune(n)) - 1
			if isPyIdentifier(n) {
				if _, ok := p.names[n]; !ok {
					return 0, p.errf(namePos, "unknown group name '%s'", n)
				}
			} else {
				g, err := strconv.Atoi(n)
				if err != nil || g < 0 || strings.TrimLeft(n, "0123456789") != "" {
					return 0, p.errf(namePos, "bad character in group name '%s'", n)
				}
				if g == 0 {
					return 0, p.errf(namePos, "bad group number")
				}
				p.condRefs = append(p.condRefs, struct{ group, pos int }{g, namePos})
			}
			if err := p.seq(nested+1, false); err != nil {
				return 0, err
			}
			if p.match('|') {
				if err := p.seq(nested+1, false); err != nil {
					return 0, err
				}
				if c, ok := p.peek(); ok && c == '|' {
					return 0, p.errf(p.pos, "conditional backref with more than two branches")
				}
			}
			if !p.match(')') {
				return 0, p.errf(start, "missing ), unterminated subpattern")
			}
			return pyOther, nil
		case c == '>':
			capture = false
		case strings.ContainsRune("aiLmsux-", c):
			global, err := p.flags(c)
			if err != nil {
				return 0, err
			}
			if global {
				if !atStart || nested != 0 {
					return 0, p.errf(start, "global flags not at the start of the expression")
				}
				return pyNone, nil
			}
			capture = false
		default:
			return 0, p.errf(p.pos-1, "unknown extension ?%c", c)
		}
	}
	g := 0
	if capture {
		g = p.groups
		p.groups++
		if name != "" {
			if _, dup := p.names[name]; dup {
				return 0, p.errf(start, "redefinition of group name '%s'", name)
			}
			p.names[name] = g
		}
		p.open[g] = true
	}
	if err := p.sub(nested + 1); err != nil {
		return 0, err
	}
	p.verbose = saved
	if !p.match(')') {
		return 0, p.errf(start, "missing ), unterminated subpattern")
	}
	if capture {
		delete(p.open, g)
	}
	return pyOther, nil
}

// flags reads inline flags after "(?" whose first character is c; global
// reports the "(?x)" form.
func (p *pyParser) flags(c rune) (global bool, err error) {
	const flags = "aiLmsux"
	on := ""
	if c != '-' {
		for {
			if c == 'L' {
				return false, p.errf(p.pos-1, "bad inline flags: cannot use 'L' flag with a str pattern")
			}
			on += string(c)
			if strings.ContainsRune(on, 'a') && strings.ContainsRune(on, 'u') {
				return false, p.errf(p.pos-1, "bad inline flags: flags 'a', 'u' and 'L' are incompatible")
			}
			n, ok := p.peek()
			if !ok {
				return false, p.errf(p.pos, "missing -, : or )")
			}
			p.pos++
			c = n
			if c == ')' || c == '-' || c == ':' {
				break
			}
			if !strings.ContainsRune(flags, c) {
				if unicode.IsLetter(c) {
					return false, p.errf(p.pos-1, "unknown flag")
				}
				return false, p.errf(p.pos-1, "missing -, : or )")
			}
		}
	}
	if c == ')' {
		if strings.ContainsRune(on, 'x') {
			p.verbose = true
		}
		return true, nil
	}
	off := ""
	if c == '-' {
		n, ok := p.peek()
		if !ok {
			return false, p.errf(p.pos, "missing flag")
		}
		p.pos++
		if !strings.ContainsRune(flags, n) {
			if unicode.IsLetter(n) {
				return false, p.errf(p.pos-1, "unknown flag")
			}
			return false, p.errf(p.pos-1, "missing flag")
		}
		c = n
		for {
			if strings.ContainsRune("aLu", c) {
				return false, p.errf(p.pos-1, "bad inline flags: cannot turn off flags 'a', 'u' and 'L'")
			}
			off += string(c)
			n, ok := p.peek()
			if !ok {
				return false, p.errf(p.pos, "missing :")
			}
			p.pos++
			c = n
			if c == ':' {
				break
			}
			if !strings.ContainsRune(flags, c) {
				if unicode.IsLetter(c) {
					return false, p.errf(p.pos-1, "unknown flag")
				}
				return false, p.errf(p.pos-1, "missing :")
			}
		}
	}
	for _, f := range on {
		if strings.ContainsRune(off, f) {
			return false, p.errf(p.pos-1, "bad inline flags: flag turned on and off")
		}
	}
	if strings.ContainsRune(on, 'x') {
		p.verbose = true
	}
	if strings.ContainsRune(off, 'x') {
		p.verbose = false
	}
	return false, nil
}

func (p *pyParser) until(end rune, what string) (string, error) {
	s := p.pos
	for p.pos < len(p.src) && p.src[p.pos] != end {
		p.pos++
	}
	if p.pos >= len(p.src) {
		return "", p.errf(s, "missing %c, unterminated name", end)
	}
	if p.pos == s {
		return "", p.errf(s, "missing %s", what)
	}
	n := string(p.src[s:p.pos])
	p.pos++
	return n, nil
}

func isPyIdentifier(s string) bool {
	for i, r := range s {
		if r == '_' || unicode.IsLetter(r) || unicode.Is(unicode.Nl, r) {
			continue
		}
		if i > 0 && (unicode.IsDigit(r) || unicode.In(r, unicode.Mn, unicode.Mc, unicode.Pc)) {
			continue
		}
		return false
	}
	return s != ""
}

// ---------------------------------------------------------------------------
// JavaScript RegExp with the v flag (ECMAScript 2024, UnicodeSetsMode)

type jsParser struct {
	src       []rune
	pos       int
	groups    int
	names     map[string]bool
	backrefs  []struct{ n, pos int }
	namedRefs []struct {
		name string
		pos  int
	}
	facts *regexFacts
}

func checkJSRegex(rx string, facts *regexFacts) error {
	p := &jsParser{src: []rune(rx), names: map[string]bool{}, facts: facts}
	if err := p.disjunction(0); err != nil {
		return err
	}
	if p.pos < len(p.src) {
		return p.errf(p.pos, "unmatched ')'")
	}
	for _, b := range p.backrefs {
		if b.n > p.groups {
			return p.errf(b.pos, "invalid escape \\%d: there are only %d groups", b.n, p.groups)
		}
	}
	for _, r := range p.namedRefs {
		if !p.names[r.name] {
			return p.errf(r.pos, "invalid named reference \\k<%s>: no such group", r.name)
		}
	}
	return nil
}

func (p *jsParser) errf(pos int, format string, args ...any) error {
	return &regexError{pos, fmt.Sprintf(format, args...)}
}

func (p *jsParser) peek() (rune, bool) {
	if p.pos < len(p.src) {
		return p.src[p.pos], true
	}
	return 0, false
}

func (p *jsParser) peekAt(i int) rune {
	if p.pos+i < len(p.src) {
		return p.src[p.pos+i]
	}
	return -1
}

func (p *jsParser) match(r rune) bool {
	if c, ok := p.peek(); ok && c == r {
		p.pos++
		return true
	}
	return false
}

func (p *jsParser) lookingAt(s string) bool {
	rs := []rune(s)
	for i, r := range rs {
		if p.peekAt(i) != r {
			return false
		}
	}
	return true
}

func (p *jsParser) disjunction(depth int) error {
	for {
		if err := p.alternative(depth); err != nil {
			return err
		}
		if !p.match('|') {
			return nil
		}
		if depth == 0 {
			p.facts.topAlt = true
		}
	}
}

func (p *jsParser) alternative(depth int) error {
	for {
		c, ok := p.peek()
		if !ok || c == '|' {
			return nil
		}
		if c == ')' {
			if depth == 0 {
				return p.errf(p.pos, "unmatched ')'")
			}
			return nil
		}
		if err := p.term(); err != nil {
			return err
		}
	}
}

const jsSyntaxChars = `^$\.*+?()[]{}|`

func (p *jsParser) term() error {
	start := p.pos
	c, _ := p.peek()
	quantifiable := true
	switch c {
	case '^', '$':
		p.pos++
		quantifiable = false
	case '\\':
		if n := p.peekAt(1); n == 'b' || n == 'B' {
			p.pos += 2
			quantifiable = false
		} else if err := p.atomEscape(); err != nil {
			return err
		}
	case '(':
		q, err := p.group()
		if err != nil {
			return err
		}
		quantifiable = q
	case '.':
		p.pos++
	case '[':
		p.pos++
		if _, err := p.class(start); err != nil {
			return err
		}
	case '*', '+', '?':
		return p.errf(start, "nothing to repeat")
	case '{':
		if p.quantifierBraces() {
			return p.errf(start, "nothing to repeat")
		}
		return p.errf(start, "lone quantifier brackets")
	case '}', ']':
		return p.errf(start, "lone '%c' (escape it as \\%c)", c, c)
	default:
		p.pos++
	}
	qStart := p.pos
	q, ok := p.peek()
	if !ok {
		return nil
	}
	switch q {
	case '*', '+', '?':
		p.pos++
	case '{':
		if !p.quantifierBraces() {
			return p.errf(qStart, "incomplete quantifier")
		}
		if err := p.braces(qStart); err != nil {
			return err
		}
	default:
		return nil
	}
	if !quantifiable {
		return p.errf(qStart, "nothing to repeat")
	}
	p.match('?')
	if n, ok := p.peek(); ok && (n == '*' || n == '+' || n == '?' || n == '{' && p.quantifierBraces()) {
		return p.errf(p.pos, "nothing to repeat")
	}
	return nil
}

// quantifierBraces tells whether {n}, {n,} or {n,m} starts here.
func (p *jsParser) quantifierBraces() bool {
	i := 1
	digits := func() int {
		n := 0
		for isASCIIDigit(p.peekAt(i)) {
			i++
			n++
		}
		return n
	}
	if digits() == 0 {
		return false
	}
	if p.peekAt(i) == ',' {
		i++
		digits()
	}
	return p.peekAt(i) == '}'
}

func (p *jsParser) braces(start int) error {
	p.pos++ // '{'
	read := func() (uint64, bool) {
		s := p.pos
		for isASCIIDigit(p.peekAt(0)) {
			p.pos++
		}
		if s == p.pos {
			return 0, false
		}
		n, err := strconv.ParseUint(string(p.src[s:p.pos]), 10, 64)
		if err != nil {
			n = 1 << 53
		}
		return n, true
	}
	lo, _ := read()
	hi, hasHi := lo, true
	if p.match(',') {
		hi, hasHi = read()
	}
	p.pos++ // '}'
	if hasHi && hi < lo {
		return p.errf(start, "numbers out of order in {} quantifier")
	}
	return nil
}

// group parses a group from its '('; it reports whether the result may take a
// quantifier (lookarounds may not in Unicode mode).
func (p *jsParser) group() (bool, error) {
	start := p.pos
	p.pos++
	if !p.match('?') {
		p.groups++
		return true, p.groupBody(start)
	}
	switch {
	case p.match(':'):
		return true, p.groupBody(start)
	case p.match('='), p.match('!'):
		return false, p.groupBody(start)
	case p.lookingAt("<=") || p.lookingAt("<!"):
		p.pos += 2
		p.facts.lookbehind = true
		return false, p.groupBody(start)
	case p.match('<'):
		name, err := p.groupName()
		if err != nil {
			return false, err
		}
		if p.names[name] {
			return false, p.errf(start, "duplicate capture group name %q", name)
		}
		p.names[name] = true
		p.groups++
		return true, p.groupBody(start)
	}
	if p.lookingAt("P<") || p.lookingAt("P=") {
		return false, p.errf(start, "invalid group: (?P<name>...) is Python syntax, and browsers' (?<name>...) is unknown to Python, so use a plain group")
	}
	// (?ims-ims: ... ) modifiers
	on, off := "", ""
	for {
		c, ok := p.peek()
		if !ok {
			return false, p.errf(start, "invalid group")
		}
		if c != 'i' && c != 'm' && c != 's' {
			break
		}
		if strings.ContainsRune(on, c) {
			return false, p.errf(p.pos, "repeated flag in modifiers")
		}
		on += string(c)
		p.pos++
	}
	if p.match('-') {
		for {
			c, ok := p.peek()
			if !ok || c != 'i' && c != 'm' && c != 's' {
				break
			}
			if strings.ContainsRune(off, c) || strings.ContainsRune(on, c) {
				return false, p.errf(p.pos, "repeated flag in modifiers")
			}
			off += string(c)
			p.pos++
		}
		if off == "" && on == "" {
			return false, p.errf(start, "invalid group")
		}
	} else if on == "" {
		return false, p.errf(start, "invalid group")
	}
	if !p.match(':') {
		return false, p.errf(start, "invalid group")
	}
	p.facts.modifiers = true
	return true, p.groupBody(start)
}

func (p *jsParser) groupBody(start int) error {
	if err := p.disjunction(1); err != nil {
		return err
	}
	if !p.match(')') {
		return p.errf(start, "unterminated group")
	}
	return nil
}

// groupName reads "name>" after "<".
func (p *jsParser) groupName() (string, error) {
	start := p.pos
	var b strings.Builder
	for {
		c, ok := p.peek()
		if !ok {
			return "", p.errf(start, "invalid capture group name")
		}
		if c == '>' {
			p.pos++
			break
		}
		if c == '\\' {
			p.pos++
			if !p.match('u') {
				return "", p.errf(p.pos-1, "invalid capture group name")
			}
			r, err := p.unicodeEscape(p.pos - 2)
			if err != nil {
				return "", err
			}
			c = r
		} else {
			p.pos++
		}
		first := b.Len() == 0
		if !(c == '$' || c == '_' || unicode.IsLetter(c) || unicode.Is(unicode.Nl, c) ||
			!first && (unicode.IsDigit(c) || unicode.In(c, unicode.Mn, unicode.Mc, unicode.Pc) || c == 0x200C || c == 0x200D)) {
			return "", p.errf(start, "invalid capture group name")
		}
		b.WriteRune(c)
	}
	if b.Len() == 0 {
		return "", p.errf(start, "invalid capture group name")
	}
	return b.String(), nil
}

// atomEscape reads an escape outside a class, from its '\'.
func (p *jsParser) atomEscape() error {
	start := p.pos
	p.pos++
	c, ok := p.peek()
	if !ok {
		return p.errf(start, "\\ at end of pattern")
	}
	switch {
	case c >= '1' && c <= '9':
		s := p.pos
		for isASCIIDigit(p.peekAt(0)) {
			p.pos++
		}
		n, err := strconv.Atoi(string(p.src[s:p.pos]))
		if err != nil {
			n = 1 << 30
		}
		p.backrefs = append(p.backrefs, struct{ n, pos int }{n, start})
		return nil
	case c == 'k':
		p.pos++
		if !p.match('<') {
			return p.errf(start, "invalid named reference")
		}
		name, err := p.groupName()
		if err != nil {
			return err
		}
		p.namedRefs = append(p.namedRefs, struct {
			name string
			pos  int
		}{name, start})
		return nil
	case strings.ContainsRune("dDsSwW", c):
		p.pos++
		return nil
	case c == 'p' || c == 'P':
		p.pos++
		_, err := p.property(start, c == 'P')
		return err
	}
	_, err := p.characterEscape(start)
	return err
}

// property reads {Name} or {Name=Value} after \p; it reports whether it is a
// property of strings (such as RGI_Emoji), which only the v flag knows.
func (p *jsParser) property(start int, negated bool) (bool, error) {
	if !p.match('{') {
		return false, p.errf(start, "invalid property name")
	}
	s := p.pos
	for {
		c, ok := p.peek()
		if !ok {
			return false, p.errf(start, "invalid property name")
		}
		if c == '}' {
			break
		}
		if !(isASCIILetter(c) || isASCIIDigit(c) || c == '_' || c == '=') {
			return false, p.errf(start, "invalid property name")
		}
		p.pos++
	}
	body := string(p.src[s:p.pos])
	p.pos++
	if body == "" || strings.Count(body, "=") > 1 || strings.HasPrefix(body, "=") || strings.HasSuffix(body, "=") {
		return false, p.errf(start, "invalid property name")
	}
	ofStrings := stringProperties[body]
	if ofStrings && negated {
		return false, p.errf(start, "negated property of strings")
	}
	return ofStrings, nil
}

var stringProperties = map[string]bool{
	"Basic_Emoji": true, "Emoji_Keycap_Sequence": true, "RGI_Emoji_Modifier_Sequence": true,
	"RGI_Emoji_Flag_Sequence": true, "RGI_Emoji_Tag_Sequence": true, "RGI_Emoji_ZWJ_Sequence": true, "RGI_Emoji": true,
}

// characterEscape reads a CharacterEscape after '\' (p.pos at the letter) and
// returns the code point.
func (p *jsParser) characterEscape(start int) (rune, error) {
	c, ok := p.peek()
	if !ok {
		return 0, p.errf(start, "\\ at end of pattern")
	}
	p.pos++
	switch c {
	case 'f':
		return '\f', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'v':
		return '\v', nil
	case 'c':
		n, ok := p.peek()
		if !ok || !isASCIILetter(n) {
			return 0, p.errf(start, "invalid unicode escape \\c")
		}
		p.pos++
		return n % 32, nil
	case '0':
		if isASCIIDigit(p.peekAt(0)) {
			return 0, p.errf(start, "invalid decimal escape \\0%c", p.peekAt(0))
		}
		return 0, nil
	case 'x':
		if isHex(p.peekAt(0)) && isHex(p.peekAt(1)) {
			v, _ := strconv.ParseUint(string(p.src[p.pos:p.pos+2]), 16, 32)
			p.pos += 2
			return rune(v), nil
		}
		return 0, p.errf(start, "invalid escape \\x")
	case 'u':
		return p.unicodeEscape(start)
	case '/':
		return c, nil
	}
	if strings.ContainsRune(jsSyntaxChars, c) {
		return c, nil
	}
	return 0, p.errf(start, "invalid escape \\%c (in Unicode mode only syntax characters and / may be escaped)", c)
}

// unicodeEscape reads after \u: hhhh (joining a surrogate pair) or {h...}.
func (p *jsParser) unicodeEscape(start int) (rune, error) {
	if p.match('{') {
		s := p.pos
		for isHex(p.peekAt(0)) {
			p.pos++
		}
		if s == p.pos || !p.match('}') {
			return 0, p.errf(start, "invalid Unicode escape")
		}
		v, err := strconv.ParseUint(string(p.src[s:p.pos-1]), 16, 32)
		if err != nil || v > unicode.MaxRune {
			return 0, p.errf(start, "invalid Unicode escape")
		}
		return rune(v), nil
	}
	hex4 := func() (rune, bool) {
		for i := 0; i < 4; i++ {
			if !isHex(p.peekAt(i)) {
				return 0, false
			}
		}
		v, _ := strconv.ParseUint(string(p.src[p.pos:p.pos+4]), 16, 32)
		p.pos += 4
		return rune(v), true
	}
	v, ok := hex4()
	if !ok {
		return 0, p.errf(start, "invalid Unicode escape")
	}
	if v >= 0xD800 && v <= 0xDBFF && p.lookingAt(`\u`) {
		save := p.pos
		p.pos += 2
		if t, ok := hex4(); ok && t >= 0xDC00 && t <= 0xDFFF {
			return (v-0xD800)<<10 + (t - 0xDC00) + 0x10000, nil
		}
		p.pos = save
	}
	return v, nil
}

// --- v-mode character classes

const jsClassSyntax = `()[]{}/-\|`
const jsReservedDouble = "&!#$%*+,.:;<=>?@^`~"
const jsReservedPunct = "&-!#%,:;<=>@`~"

// class parses after '[' up to and including ']'; it reports whether the class
// may contain strings.
func (p *jsParser) class(start int) (bool, error) {
	negated := p.match('^')
	strs, err := p.classContents(start)
	if err != nil {
		return false, err
	}
	if negated && strs {
		return false, p.errf(start, "negated character class may contain strings")
	}
	return strs, nil
}

type classItem struct {
	char    bool // a single character, usable as a range end
	value   rune
	strings bool // the operand may contain strings
	isRange bool
}

func (p *jsParser) classContents(start int) (bool, error) {
	if p.match(']') {
		return false, nil
	}
	first, err := p.classItem()
	if err != nil {
		return false, err
	}
	strs := first.strings
	switch {
	case p.lookingAt("&&") || p.lookingAt("--"):
		op := string(p.src[p.pos : p.pos+2])
		if first.isRange {
			return false, p.errf(p.pos, "invalid set operation in character class")
		}
		for p.lookingAt(op) {
			p.pos += 2
			if op == "&&" && p.peekAt(0) == '&' {
				return false, p.errf(p.pos, "invalid character in character class")
			}
			it, err := p.classOperand()
			if err != nil {
				return false, err
			}
			if op == "&&" {
				strs = strs && it.strings
			}
		}
		if !p.match(']') {
			if _, ok := p.peek(); !ok {
				return false, p.errf(start, "unterminated character class")
			}
			return false, p.errf(p.pos, "invalid set operation in character class")
		}
		return strs, nil
	}
	for {
		if p.match(']') {
			return strs, nil
		}
		if _, ok := p.peek(); !ok {
			return false, p.errf(start, "unterminated character class")
		}
		if p.lookingAt("&&") || p.lookingAt("--") {
			return false, p.errf(p.pos, "invalid set operation in character class")
		}
		it, err := p.classItem()
		if err != nil {
			return false, err
		}
		strs = strs || it.strings
	}
}

// classItem reads a range or an operand.
func (p *jsParser) classItem() (classItem, error) {
	it, err := p.classOperand()
	if err != nil || !it.char {
		return it, err
	}
	if p.peekAt(0) == '-' && p.peekAt(1) != '-' {
		dash := p.pos
		p.pos++
		hi, err := p.classOperand()
		if err != nil {
			return it, err
		}
		if !hi.char {
			return it, p.errf(dash, "invalid character class range")
		}
		if hi.value < it.value {
			return it, p.errf(dash, "range out of order in character class")
		}
		return classItem{isRange: true}, nil
	}
	return it, nil
}

// classOperand reads a nested class, \q{...}, a class escape or one character.
func (p *jsParser) classOperand() (classItem, error) {
	start := p.pos
	c, ok := p.peek()
	if !ok {
		return classItem{}, p.errf(start, "unterminated character class")
	}
	if c == '[' {
		p.pos++
		strs, err := p.class(start)
		return classItem{strings: strs}, err
	}
	if c == '\\' {
		n := p.peekAt(1)
		switch {
		case n >= 0 && strings.ContainsRune("dDsSwW", n):
			p.pos += 2
			return classItem{}, nil
		case n == 'p' || n == 'P':
			p.pos += 2
			strs, err := p.property(start, n == 'P')
			return classItem{strings: strs}, err
		case n == 'q':
			p.pos += 2
			strs, err := p.classStrings(start)
			return classItem{strings: strs}, err
		}
	}
	r, err := p.classSetCharacter()
	return classItem{char: true, value: r}, err
}

// classStrings reads {a|bc|...} after \q; strings of length other than one
// make the class contain strings.
func (p *jsParser) classStrings(start int) (bool, error) {
	if !p.match('{') {
		return false, p.errf(start, "invalid escape \\q")
	}
	strs := false
	n := 0
	for {
		c, ok := p.peek()
		if !ok {
			return false, p.errf(start, "unterminated \\q{...}")
		}
		if c == '}' || c == '|' {
			if n != 1 {
				strs = true
			}
			n = 0
			p.pos++
			if c == '}' {
				return strs, nil
			}
			continue
		}
		if _, err := p.classSetCharacter(); err != nil {
			return false, err
		}
		n++
	}
}

// classSetCharacter reads one ClassSetCharacter.
func (p *jsParser) classSetCharacter() (rune, error) {
	start := p.pos
	c, ok := p.peek()
	if !ok {
		return 0, p.errf(start, "unterminated character class")
	}
	if c == '\\' {
		p.pos++
		n, ok := p.peek()
		if !ok {
			return 0, p.errf(start, "\\ at end of pattern")
		}
		if n == 'b' {
			p.pos++
			return 8, nil
		}
		if strings.ContainsRune(jsReservedPunct, n) {
			p.pos++
			return n, nil
		}
		return p.characterEscape(start)
	}
	if strings.ContainsRune(jsClassSyntax, c) {
		return 0, p.errf(start, "'%c' must be escaped inside a character class with the v flag (write \\%c)", c, c)
	}
	if strings.ContainsRune(jsReservedDouble, c) && p.peekAt(1) == c {
		return 0, p.errf(start, "'%c%c' is reserved inside a character class with the v flag", c, c)
	}
	p.pos++
	return c, nil
}
