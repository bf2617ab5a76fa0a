package kubespawner

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// byteSuffixes are the multipliers of JupyterHub's ByteSpecification: binary,
// and uppercase only.
var byteSuffixes = map[rune]float64{
	'K': 1 << 10,
	'M': 1 << 20,
	'G': 1 << 30,
	'T': 1 << 40,
}

// ParseBytes reads a mem_limit or mem_guarantee value exactly as JupyterHub's
// ByteSpecification does. A JSON integer is a number of bytes; a JSON number
// with a fraction or exponent is a Python float, truncated towards zero. A
// string must end in K, M, G or T (uppercase, ×1024ⁿ), and the rest is read
// the way Python's float() reads it: "1.5G" is 1610612736, "1e3G" and " 2G"
// are accepted, "inf" and "nan" fail. Anything else is an error. (Python
// would also take a boolean as 1 or 0 bytes; that is an error here.)
func ParseBytes(v any) (int64, error) {
	switch t := v.(type) {
	case json.Number:
		if isInteger(t) {
			n, err := strconv.ParseInt(string(t), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s is too large", t)
			}
			return n, nil
		}
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Errorf("%s is not a number", t)
		}
		return truncate(f)
	case string:
		r, size := utf8.DecodeLastRuneInString(t)
		if t == "" {
			return 0, errors.New("empty string is not a memory size")
		}
		num, err := pyFloat(t[:len(t)-size])
		if err != nil {
			return 0, fmt.Errorf("%q is not a number followed by K, M, G or T", t)
		}
		mult, ok := byteSuffixes[r]
		if !ok {
			return 0, fmt.Errorf("%q does not end in K, M, G or T", t)
		}
		return truncate(num * mult)
	case nil:
		return 0, errors.New("null is no memory size")
	case bool:
		return 0, fmt.Errorf("%t is a boolean, not a memory size", t)
	}
	return 0, fmt.Errorf("a memory size must be an integer or a string like \"4G\", not %s", describe(v))
}

// truncate is Python's int(float): towards zero, failing on inf and nan.
func truncate(f float64) (int64, error) {
	switch {
	case math.IsNaN(f):
		return 0, errors.New("nan is not a memory size")
	case math.IsInf(f, 0):
		return 0, errors.New("the size is infinite")
	case f >= math.MaxInt64 || f < math.MinInt64:
		return 0, errors.New("the size is too large")
	}
	return int64(f), nil
}

// pyFloat parses s as Python's float() does: surrounding Unicode whitespace,
// any Unicode decimal digits, underscores between digits, an optional sign,
// "inf", "infinity" and "nan" in any case.
func pyFloat(s string) (float64, error) {
	bad := fmt.Errorf("could not convert string to float: %q", s)
	s = strings.TrimFunc(s, unicode.IsSpace)
	var b strings.Builder
	prev := rune(0)
	for _, r := range s {
		if r == '_' {
			if !isASCIIDigit(prev) {
				return 0, bad
			}
			prev = r
			continue
		}
		if unicode.IsDigit(r) {
			r = '0' + rune(digitValue(r))
		}
		if prev == '_' && !isASCIIDigit(r) {
			return 0, bad
		}
		if r >= utf8.RuneSelf {
			return 0, bad
		}
		b.WriteRune(r)
		prev = r
	}
	if prev == '_' {
		return 0, bad
	}
	t := b.String()
	body := strings.TrimLeft(t, "+-")
	if len(t)-len(body) > 1 {
		return 0, bad
	}
	switch strings.ToLower(body) {
	case "inf", "infinity":
		if strings.HasPrefix(t, "-") {
			return math.Inf(-1), nil
		}
		return math.Inf(1), nil
	case "nan":
		return math.NaN(), nil
	}
	if !decimalFloat(body) {
		return 0, bad
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, bad
	}
	return f, nil
}

func isASCIIDigit(r rune) bool { return r >= '0' && r <= '9' }

// digitValue is the value of a Unicode decimal digit: digits come in runs of
// ten starting at zero.
func digitValue(r rune) int {
	start := r
	for start > 0 && unicode.IsDigit(start-1) {
		start--
	}
	return int(r-start) % 10
}

// decimalFloat matches digits [. digits] | . digits, then an optional exponent.
func decimalFloat(s string) bool {
	i, n := 0, len(s)
	digits := func() int {
		j := i
		for i < n && isASCIIDigit(rune(s[i])) {
			i++
		}
		return i - j
	}
	d := digits()
	if i < n && s[i] == '.' {
		i++
		d += digits()
	}
	if d == 0 {
		return false
	}
	if i < n && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < n && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == n
}

// ParseCPU reads a cpu_limit or cpu_guarantee value as traitlets' Float does:
// a JSON number of cores. Strings ("2", "500m"), booleans and everything else
// are errors.
func ParseCPU(v any) (float64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("a CPU amount must be a number of cores, not %s", describe(v))
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) && !math.IsInf(f, 0) {
			return f, nil // underflow to 0, as Python does
		}
		return 0, fmt.Errorf("%s is too large", n)
	}
	return f, nil
}

// FormatBytes writes a byte count for people: "4 GiB", "512 MiB", "1.5 GiB".
func FormatBytes(n int64) string {
	sign := ""
	u := new(big.Int).SetInt64(n)
	if n < 0 {
		sign = "-"
		u.Neg(u)
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	if u.Cmp(big.NewInt(1024)) < 0 {
		if u.Int64() == 1 {
			return sign + "1 byte"
		}
		return fmt.Sprintf("%s%d bytes", sign, u.Int64())
	}
	i := 0
	unit := new(big.Int).SetInt64(1024)
	next := new(big.Int)
	for i < len(units)-1 {
		next.Lsh(unit, 10)
		if u.Cmp(next) < 0 {
			break
		}
		unit.Set(next)
		i++
	}
	q, r := new(big.Int).QuoRem(u, unit, new(big.Int))
	if r.Sign() == 0 {
		return fmt.Sprintf("%s%s %s", sign, q, units[i])
	}
	f, _ := new(big.Rat).SetFrac(u, unit).Float64()
	s := strconv.FormatFloat(f, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return fmt.Sprintf("%s%s %s", sign, s, units[i])
}

// checkQuantity checks a Kubernetes resource quantity string:
// sign? (digits | digits.digits? | .digits) (binarySI | decimalSI | exponent)?
func checkQuantity(s string) error {
	if s == "" {
		return errors.New("an empty string is not a quantity")
	}
	i, n := 0, len(s)
	if s[0] == '+' || s[0] == '-' {
		if s[0] == '-' {
			return errors.New("a resource quantity must not be negative")
		}
		i++
	}
	d := 0
	for i < n && isASCIIDigit(rune(s[i])) {
		i++
		d++
	}
	if i < n && s[i] == '.' {
		i++
		for i < n && isASCIIDigit(rune(s[i])) {
			i++
			d++
		}
	}
	if d == 0 {
		return errors.New("not a Kubernetes quantity (like \"1\", \"500m\" or \"2Gi\")")
	}
	switch suffix := s[i:]; suffix {
	case "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "k", "M", "G", "T", "P", "E":
		return nil
	default:
		if suffix[0] == 'e' || suffix[0] == 'E' {
			exp := strings.TrimLeft(suffix[1:], "+-")
			if len(suffix[1:])-len(exp) <= 1 && exp != "" && strings.Trim(exp, "0123456789") == "" {
				return nil
			}
		}
		return fmt.Errorf("unknown quantity suffix %q (Kubernetes takes Ki, Mi, Gi, ... or k, M, G, ...)", suffix)
	}
}
