// Package slug derives the profile slug that KubeSpawner would derive.
//
// When a KubeSpawner profile has no "slug", KubeSpawner computes one at spawn
// time with python-slugify's slugify(display_name), using its default
// arguments. The slug is what users select in the spawner form and what the
// hub stores, so a rendered profile_list must carry that exact slug: writing a
// different one would silently change which profile an existing user gets.
// This package therefore ports that one function instead of using a Go slug
// library with its own rules.
package slug

import (
	_ "embed"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Make returns the slug python-slugify 8.0.4 slugify(s) produces with default
// arguments, transliterating with text-unidecode as the hub image does, so that hubprofiles can write
// explicitly the slug KubeSpawner would otherwise generate.
//
// The steps follow python-slugify's order, because the order is observable:
// HTML entities are decoded only after transliteration, so a decoded character
// is never transliterated and, if it is not ASCII after NFKD, ends up as a
// separator ("Caf&eacute;s" gives "cafe-s", while "Cafés" gives "cafes").
//
// The result is empty or matches ^[a-z0-9]+(-[a-z0-9]+)*$; Make is
// idempotent on its own output. Invalid UTF-8 bytes are dropped first, as
// python-slugify does when it is given bytes.
func Make(s string) string {
	s = strings.ToValidUTF8(s, "")
	// Apostrophes in the input separate words ("Python's" -> "python-s"),
	// whereas apostrophes produced by transliteration (e.g. from U+2019 or
	// Cyrillic soft sign) are deleted further down.
	s = replaceApostropheRuns(s, "-")
	s = transliterate(norm.NFKD.String(s))
	s = decodeNamedEntities(s)
	s = decodeNumericReferences(s, "&#", 10)
	s = decodeNumericReferences(s, "&#x", 16)
	s = norm.NFKD.String(s)
	s = lowerASCII(s)
	s = replaceApostropheRuns(s, "")
	s = dropCommasBetweenDigits(s)
	return joinWords(s)
}

// replaceApostropheRuns replaces each run of ASCII apostrophes with repl, the
// way python-slugify's QUOTE_PATTERN ([']+) substitution does.
func replaceApostropheRuns(s, repl string) string {
	if !strings.Contains(s, "'") {
		return s
	}
	var b strings.Builder
	inRun := false
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			if !inRun {
				b.WriteString(repl)
			}
			inRun = true
			continue
		}
		inRun = false
		b.WriteByte(s[i])
	}
	return b.String()
}

// transliterate maps s to ASCII like text-unidecode's unidecode, which
// python-slugify 8.0.4 uses when Unidecode is not installed — as in the hub
// image of zero-to-jupyterhub, whose KubeSpawner generates the slugs users
// have saved. Each code point U+0001..U+FFFF is replaced by its entry in
// text-unidecode's table (possibly empty, or "[?] " for unknown ones); U+0000
// stays; code points above U+FFFF are dropped, as text-unidecode drops what is
// past its table.
func transliterate(s string) string {
	table := textUnidecode()
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == 0:
			b.WriteByte(0)
		case int(r) <= len(table):
			b.WriteString(table[r-1])
		}
	}
	return b.String()
}

// textUnidecodeData is text-unidecode 1.3's data.bin, byte for byte (Debian's
// python3-text-unidecode, /usr/lib/python3/dist-packages/text_unidecode/;
// licence: Artistic or GPL-1 or GPL-2+, see text_unidecode.LICENSE): the
// replacement of each code point from U+0001, separated by NUL bytes.
// TestTableIsDebians checks that it still equals the installed file.
//
//go:embed text_unidecode.bin
var textUnidecodeData string

// textUnidecode splits the table once, on first use.
var textUnidecode = sync.OnceValue(func() []string {
	return strings.Split(textUnidecodeData, "\x00")
})

// maxEntityName is the length of the longest name in htmlEntities.
const maxEntityName = 8

// decodeNamedEntities replaces "&name;" for the HTML 4 entity names in one
// left-to-right pass. Like Python's re.sub, text produced by a replacement is
// not scanned again, so "&amp;lt;" becomes "&lt;", not "<".
func decodeNamedEntities(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] == '&' {
			// A name contains neither ';' nor '&', so the only candidate is
			// the text up to the next ';'.
			if j := strings.IndexByte(s[i+1:], ';'); j > 0 && j <= maxEntityName {
				if r, ok := htmlEntities[s[i+1:i+1+j]]; ok {
					b.WriteRune(r)
					i += j + 2
					continue
				}
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// decodeNumericReferences replaces prefix+digits+";" (prefix "&#" with base
// 10, or "&#x" with base 16) by the character with that code point, in one
// pass, as python-slugify's DECIMAL_PATTERN and HEX_PATTERN substitutions do.
//
// Two Python details are kept on purpose. First, python-slugify wraps each of
// these substitutions in try/except and keeps the text unchanged when chr()
// fails, so one reference above U+10FFFF anywhere cancels the whole pass,
// including valid references next to it. Second, \d in a Python str pattern
// matches any Unicode decimal digit and int() accepts those, which matters
// when the decimal pass has just produced such a digit (for "&#x&#1633;;").
func decodeNumericReferences(s, prefix string, base int) string {
	if !strings.Contains(s, prefix) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], prefix) {
			r, n, ok := parseReference(s[i+len(prefix):], base)
			if n > 0 {
				if !ok {
					return s // chr() would have raised: Python keeps the text.
				}
				if utf8.ValidRune(r) {
					b.WriteRune(r)
				} else {
					// Python's chr() accepts surrogates; a Go string cannot
					// hold one. U+FFFD behaves the same from here on: it is
					// not a digit, quote or entity character, NFKD keeps it,
					// and it becomes a separator.
					b.WriteRune(utf8.RuneError)
				}
				i += len(prefix) + n
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// parseReference parses digits followed by ';' at the start of s. n is the
// number of bytes consumed including the ';', or 0 if s does not start with a
// reference; ok is false when the value is beyond the last code point.
func parseReference(s string, base int) (r rune, n int, ok bool) {
	var v int64
	digits := 0
	for i, c := range s {
		if c == ';' && digits > 0 {
			return rune(v), i + 1, v <= unicode.MaxRune
		}
		d, isDigit := digitValue(c, base)
		if !isDigit {
			return 0, 0, false
		}
		digits++
		if v <= unicode.MaxRune { // stop growing once out of range
			v = v*int64(base) + int64(d)
		}
	}
	return 0, 0, false
}

// digitValue reports c's value if it matches Python's [\d] (base 10) or
// [\da-fA-F] (base 16).
func digitValue(c rune, base int) (int, bool) {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0'), true
	case base == 16 && 'a' <= c && c <= 'f':
		return int(c-'a') + 10, true
	case base == 16 && 'A' <= c && c <= 'F':
		return int(c-'A') + 10, true
	case c >= utf8.RuneSelf && unicode.IsDigit(c):
		// Unicode encodes every decimal digit in a contiguous 0..9 run, and
		// adjacent runs start at 0, so the value is the number of digits
		// directly before c, modulo 10.
		k := 0
		for unicode.IsDigit(c - rune(k) - 1) {
			k++
		}
		return k % 10, true
	}
	return 0, false
}

// lowerASCII lowercases A-Z only. Python's str.lower() also lowercases other
// letters, but after NFKD no non-ASCII character lowercases to anything in
// [-a-z0-9',] (checked over all code points with Python 3.11), so every
// non-ASCII character becomes a separator whatever its case.
func lowerASCII(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			if b == nil {
				b = []byte(s)
			}
			b[i] += 'a' - 'A'
		}
	}
	if b == nil {
		return s
	}
	return string(b)
}

// dropCommasBetweenDigits deletes each ',' that has a digit directly on both
// sides (Python's (?<=\d),(?=\d)), so "1,000" stays one word. Lookarounds do
// not consume, so "1,2,3" loses both commas.
func dropCommasBetweenDigits(s string) string {
	if !strings.Contains(s, ",") {
		return s
	}
	var b strings.Builder
	prev := rune(-1)
	for i, c := range s {
		if c == ',' && prev >= 0 && unicode.IsDigit(prev) {
			next, _ := utf8.DecodeRuneInString(s[i+1:])
			if i+1 < len(s) && unicode.IsDigit(next) {
				prev = c
				continue
			}
		}
		b.WriteRune(c)
		prev = c
	}
	return b.String()
}

// joinWords joins the maximal runs of [a-z0-9] with single '-'. This is
// python-slugify's last three steps in one: every run of characters outside
// [-a-zA-Z0-9] becomes '-', runs of '-' collapse to one, and '-' is stripped
// from both ends. (No A-Z is left at this point.)
func joinWords(s string) string {
	var b strings.Builder
	pendingSep := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' {
			if pendingSep && b.Len() > 0 {
				b.WriteByte('-')
			}
			pendingSep = false
			b.WriteByte(c)
		} else {
			pendingSep = true
		}
	}
	return b.String()
}

// htmlEntities is the HTML 4.01 entity set, as in Python's
// html.entities.name2codepoint, which python-slugify uses. It is deliberately
// not the larger HTML5 set: "&apos;" is not decoded by python-slugify.
var htmlEntities = map[string]rune{
	"quot": 0x0022, "amp": 0x0026, "lt": 0x003C, "gt": 0x003E, "nbsp": 0x00A0, "iexcl": 0x00A1,
	"cent": 0x00A2, "pound": 0x00A3, "curren": 0x00A4, "yen": 0x00A5, "brvbar": 0x00A6,
	"sect": 0x00A7, "uml": 0x00A8, "copy": 0x00A9, "ordf": 0x00AA, "laquo": 0x00AB, "not": 0x00AC,
	"shy": 0x00AD, "reg": 0x00AE, "macr": 0x00AF, "deg": 0x00B0, "plusmn": 0x00B1, "sup2": 0x00B2,
	"sup3": 0x00B3, "acute": 0x00B4, "micro": 0x00B5, "para": 0x00B6, "middot": 0x00B7,
	"cedil": 0x00B8, "sup1": 0x00B9, "ordm": 0x00BA, "raquo": 0x00BB, "frac14": 0x00BC,
	"frac12": 0x00BD, "frac34": 0x00BE, "iquest": 0x00BF, "Agrave": 0x00C0, "Aacute": 0x00C1,
	"Acirc": 0x00C2, "Atilde": 0x00C3, "Auml": 0x00C4, "Aring": 0x00C5, "AElig": 0x00C6,
	"Ccedil": 0x00C7, "Egrave": 0x00C8, "Eacute": 0x00C9, "Ecirc": 0x00CA, "Euml": 0x00CB,
	"Igrave": 0x00CC, "Iacute": 0x00CD, "Icirc": 0x00CE, "Iuml": 0x00CF, "ETH": 0x00D0,
	"Ntilde": 0x00D1, "Ograve": 0x00D2, "Oacute": 0x00D3, "Ocirc": 0x00D4, "Otilde": 0x00D5,
	"Ouml": 0x00D6, "times": 0x00D7, "Oslash": 0x00D8, "Ugrave": 0x00D9, "Uacute": 0x00DA,
	"Ucirc": 0x00DB, "Uuml": 0x00DC, "Yacute": 0x00DD, "THORN": 0x00DE, "szlig": 0x00DF,
	"agrave": 0x00E0, "aacute": 0x00E1, "acirc": 0x00E2, "atilde": 0x00E3, "auml": 0x00E4,
	"aring": 0x00E5, "aelig": 0x00E6, "ccedil": 0x00E7, "egrave": 0x00E8, "eacute": 0x00E9,
	"ecirc": 0x00EA, "euml": 0x00EB, "igrave": 0x00EC, "iacute": 0x00ED, "icirc": 0x00EE,
	"iuml": 0x00EF, "eth": 0x00F0, "ntilde": 0x00F1, "ograve": 0x00F2, "oacute": 0x00F3,
	"ocirc": 0x00F4, "otilde": 0x00F5, "ouml": 0x00F6, "divide": 0x00F7, "oslash": 0x00F8,
	"ugrave": 0x00F9, "uacute": 0x00FA, "ucirc": 0x00FB, "uuml": 0x00FC, "yacute": 0x00FD,
	"thorn": 0x00FE, "yuml": 0x00FF, "OElig": 0x0152, "oelig": 0x0153, "Scaron": 0x0160,
	"scaron": 0x0161, "Yuml": 0x0178, "fnof": 0x0192, "circ": 0x02C6, "tilde": 0x02DC,
	"Alpha": 0x0391, "Beta": 0x0392, "Gamma": 0x0393, "Delta": 0x0394, "Epsilon": 0x0395,
	"Zeta": 0x0396, "Eta": 0x0397, "Theta": 0x0398, "Iota": 0x0399, "Kappa": 0x039A, "Lambda": 0x039B,
	"Mu": 0x039C, "Nu": 0x039D, "Xi": 0x039E, "Omicron": 0x039F, "Pi": 0x03A0, "Rho": 0x03A1,
	"Sigma": 0x03A3, "Tau": 0x03A4, "Upsilon": 0x03A5, "Phi": 0x03A6, "Chi": 0x03A7, "Psi": 0x03A8,
	"Omega": 0x03A9, "alpha": 0x03B1, "beta": 0x03B2, "gamma": 0x03B3, "delta": 0x03B4,
	"epsilon": 0x03B5, "zeta": 0x03B6, "eta": 0x03B7, "theta": 0x03B8, "iota": 0x03B9,
	"kappa": 0x03BA, "lambda": 0x03BB, "mu": 0x03BC, "nu": 0x03BD, "xi": 0x03BE, "omicron": 0x03BF,
	"pi": 0x03C0, "rho": 0x03C1, "sigmaf": 0x03C2, "sigma": 0x03C3, "tau": 0x03C4, "upsilon": 0x03C5,
	"phi": 0x03C6, "chi": 0x03C7, "psi": 0x03C8, "omega": 0x03C9, "thetasym": 0x03D1, "upsih": 0x03D2,
	"piv": 0x03D6, "ensp": 0x2002, "emsp": 0x2003, "thinsp": 0x2009, "zwnj": 0x200C, "zwj": 0x200D,
	"lrm": 0x200E, "rlm": 0x200F, "ndash": 0x2013, "mdash": 0x2014, "lsquo": 0x2018, "rsquo": 0x2019,
	"sbquo": 0x201A, "ldquo": 0x201C, "rdquo": 0x201D, "bdquo": 0x201E, "dagger": 0x2020,
	"Dagger": 0x2021, "bull": 0x2022, "hellip": 0x2026, "permil": 0x2030, "prime": 0x2032,
	"Prime": 0x2033, "lsaquo": 0x2039, "rsaquo": 0x203A, "oline": 0x203E, "frasl": 0x2044,
	"euro": 0x20AC, "image": 0x2111, "weierp": 0x2118, "real": 0x211C, "trade": 0x2122,
	"alefsym": 0x2135, "larr": 0x2190, "uarr": 0x2191, "rarr": 0x2192, "darr": 0x2193, "harr": 0x2194,
	"crarr": 0x21B5, "lArr": 0x21D0, "uArr": 0x21D1, "rArr": 0x21D2, "dArr": 0x21D3, "hArr": 0x21D4,
	"forall": 0x2200, "part": 0x2202, "exist": 0x2203, "empty": 0x2205, "nabla": 0x2207,
	"isin": 0x2208, "notin": 0x2209, "ni": 0x220B, "prod": 0x220F, "sum": 0x2211, "minus": 0x2212,
	"lowast": 0x2217, "radic": 0x221A, "prop": 0x221D, "infin": 0x221E, "ang": 0x2220, "and": 0x2227,
	"or": 0x2228, "cap": 0x2229, "cup": 0x222A, "int": 0x222B, "there4": 0x2234, "sim": 0x223C,
	"cong": 0x2245, "asymp": 0x2248, "ne": 0x2260, "equiv": 0x2261, "le": 0x2264, "ge": 0x2265,
	"sub": 0x2282, "sup": 0x2283, "nsub": 0x2284, "sube": 0x2286, "supe": 0x2287, "oplus": 0x2295,
	"otimes": 0x2297, "perp": 0x22A5, "sdot": 0x22C5, "lceil": 0x2308, "rceil": 0x2309,
	"lfloor": 0x230A, "rfloor": 0x230B, "lang": 0x2329, "rang": 0x232A, "loz": 0x25CA,
	"spades": 0x2660, "clubs": 0x2663, "hearts": 0x2665, "diams": 0x2666,
}
