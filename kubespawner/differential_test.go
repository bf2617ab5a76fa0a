package kubespawner

// Differential tests of the ports in this package against the real engines
// they reproduce: CPython's re and str.format_map and JupyterHub 5.5.0's
// ByteSpecification (Debian's /usr/bin/python3, with JupyterHub from
// ../shared/upstream), and the JavaScript RegExp v-flag parser of Debian's
// Chromium.
// Inputs are the corpus's own values, mutations of them, and random inputs
// from a fixed seed, so a failure is reproducible. Every disagreement fails
// the test, except the deliberate differences listed in each test.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jupyterhub/hubprofiles/internal/browser"
	"github.com/jupyterhub/hubprofiles/internal/corpus"
)

const pythonPath = "/usr/bin/python3"

// pythonEngines answers, for each input, what CPython and JupyterHub 5.5.0 do.
const pythonEngines = `
import json, re, sys, warnings
warnings.simplefilter("ignore")
sys.path.insert(0, sys.argv[1])
from jupyterhub.traitlets import ByteSpecification
from traitlets import Float, HasTraits, TraitError
import jupyterhub

class Mem(HasTraits):
    v = ByteSpecification()

class CPU(HasTraits):
    v = Float(allow_none=True)

class Fields(dict):
    def __missing__(self, key):
        raise KeyError(key)

req = json.load(sys.stdin)
fields = Fields({name: "x" for name in req["fields"]})
fields["userid"] = 1

def regex(rx):
    try:
        re.compile(rx)
        return None
    except Exception as e:
        return "%s: %s" % (type(e).__name__, e)

def fmt(s):
    try:
        return {"ok": s.format_map(fields)}
    except Exception as e:
        return {"err": "%s: %s" % (type(e).__name__, e)}

def setv(cls, v):
    try:
        o = cls()
        o.v = v
        return {"ok": repr(o.v)}
    except (TraitError, ValueError, TypeError, OverflowError) as e:
        return {"err": "%s: %s" % (type(e).__name__, e)}

json.dump({
    "versions": "Python %s, JupyterHub %s from %s" % (sys.version.split()[0], jupyterhub.__version__, jupyterhub.__file__),
    "regex": [regex(r) for r in req["regex"] or []],
    "format": [fmt(s) for s in req["format"] or []],
    "bytes": [setv(Mem, json.loads(v)) for v in req["bytes"] or []],
    "cpu": [setv(CPU, json.loads(v)) for v in req["cpu"] or []],
}, sys.stdout)
`

// browserEngine compiles each pattern in JSON-array RXS as a browser compiles
// a pattern attribute: a JavaScript RegExp with the v flag.
const browserEngine = `(() => RXS.map((rx) => { try { new RegExp(rx, "v"); return null; } catch (e) { return String(e.message); } }))()`

type pyAnswer struct {
	OK  *string `json:"ok"`
	Err *string `json:"err"`
}

type pyResults struct {
	Versions string     `json:"versions"`
	Regex    []*string  `json:"regex"`
	Format   []pyAnswer `json:"format"`
	Bytes    []pyAnswer `json:"bytes"`
	CPU      []pyAnswer `json:"cpu"`
}

func runEngine(t *testing.T, name string, args []string, in, out any) {
	t.Helper()
	if _, err := os.Stat(name); err != nil {
		t.Fatalf("%s not found: %v (the differential tests need Debian's python3 with python3-traitlets, and node)", name, err)
	}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), name, args...)
	cmd.Stdin = bytes.NewReader(data)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	got, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s failed: %v\n%s", name, err, strings.TrimSpace(stderr.String()))
	}
	if err := json.Unmarshal(got, out); err != nil {
		t.Fatalf("decoding %s output: %v", name, err)
	}
}

func runPython(t *testing.T, regexes, formats, byteValues, cpuValues []string) pyResults {
	t.Helper()
	upstream := filepath.Join(corpus.RepoRoot(t), "..", "shared", "upstream", "jupyterhub-5.5.0")
	if _, err := os.Stat(filepath.Join(upstream, "jupyterhub", "traitlets.py")); err != nil {
		t.Fatalf("JupyterHub 5.5.0 not found beside the checkout: %v", err)
	}
	req := map[string]any{"regex": regexes, "format": formats, "bytes": byteValues, "cpu": cpuValues, "fields": TemplateFields}
	var res pyResults
	runEngine(t, pythonPath, []string{"-c", pythonEngines, upstream}, req, &res)
	if len(res.Regex) != len(regexes) || len(res.Format) != len(formats) || len(res.Bytes) != len(byteValues) || len(res.CPU) != len(cpuValues) {
		t.Fatalf("python answered %d/%d/%d/%d items for %d/%d/%d/%d", len(res.Regex), len(res.Format), len(res.Bytes), len(res.CPU),
			len(regexes), len(formats), len(byteValues), len(cpuValues))
	}
	t.Logf("python side: %s", res.Versions)
	return res
}

// corpusStrings returns every string value of the corpus lists (JSON files)
// stored under one of keys, each once.
func corpusStrings(t *testing.T, keys ...string) []string {
	t.Helper()
	want := map[string]bool{}
	for _, k := range keys {
		want[k] = true
	}
	seen := map[string]bool{}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && want[k] && !seen[s] {
					seen[s] = true
					out = append(out, s)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	for _, p := range corpus.Files(t, "json") {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		walk(v)
	}
	return out
}

// mutate returns s with one random edit: a character deleted, duplicated or
// replaced by one of pieces.
func mutate(rng *rand.Rand, s string, pieces []string) string {
	r := []rune(s)
	piece := pieces[rng.IntN(len(pieces))]
	if len(r) == 0 {
		return piece
	}
	i := rng.IntN(len(r))
	switch rng.IntN(3) {
	case 0:
		return string(r[:i]) + string(r[i+1:])
	case 1:
		return string(r[:i]) + piece + string(r[i:])
	default:
		return string(r[:i]) + piece + string(r[i+1:])
	}
}

func randomFrom(rng *rand.Rand, pieces []string, maxLen int) string {
	var b strings.Builder
	for n := rng.IntN(maxLen) + 1; n > 0; n-- {
		b.WriteString(pieces[rng.IntN(len(pieces))])
	}
	return b.String()
}

var regexPieces = []string{
	"a", "Z", "0", ".", "^", "$", "*", "+", "?", "*?", "{2}", "{1,3}", "{,2}", "{2,}", "{", "}", "|", "(", ")",
	"(?:", "(?P<n>", "(?<n>", "(?P=n)", "\\k<n>", "(?=", "(?!", "(?<=", "(?<!", "(?i)", "(?i:", "(?#c)", "(?x)",
	"[", "]", "[a-z]", "[^0-9]", "[a-z-]", "[-a]", "[\\w.-]", "[[a]]", "[a&&b]", "[a--b]", "\\q{ab}", "\\",
	"\\d", "\\w", "\\s", "\\b", "\\B", "\\A", "\\Z", "\\z", "\\1", "\\2", "\\0", "\\x41", "\\x4", "\\u0041",
	"\\u{41}", "\\U00000041", "\\N{DIGIT ONE}", "\\p{L}", "\\P{Lu}", "\\p{Script=Latin}", "\\cA", "\\/", "\\-",
	"\\.", "\\:", "\\@", "\\e", "\\q", "/", "-", ":", "@", "é", "🚀", " ", "\"", "(?P>n)", "(?(1)a|b)",
}

// regexInputs are the patterns both regex tests compare: the corpus's own,
// 1,500 mutations of them and 6,000 random ones, from the fixed seed
// (15, seed). It also returns the corpus's patterns.
func regexInputs(t *testing.T, seed uint64) (inputs, corpusRx []string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(15, seed))
	corpusRx = corpusStrings(t, "validation_regex")
	inputs = append([]string(nil), corpusRx...)
	for range 1500 {
		inputs = append(inputs, mutate(rng, corpusRx[rng.IntN(len(corpusRx))], regexPieces))
	}
	for range 6000 {
		inputs = append(inputs, randomFrom(rng, regexPieces, 8))
	}
	return inputs, corpusRx
}

// TestPythonRegexMatchesCPython compares checkPythonRegex with re.compile.
func TestPythonRegexMatchesCPython(t *testing.T) {
	inputs, corpusRx := regexInputs(t, 2)
	res := runPython(t, inputs, nil, nil, nil)
	mismatches := 0
	for i, rx := range inputs {
		var facts regexFacts
		goErr := checkPythonRegex(rx, &facts)
		py := res.Regex[i]
		if (goErr == nil) != (py == nil) {
			mismatches++
			if mismatches <= 15 {
				t.Errorf("regex %q: Go says %v, CPython says %v", rx, errText(goErr), strText(py))
			}
		}
	}
	t.Logf("compared %d patterns (%d from the corpus): %d mismatches", len(inputs), len(corpusRx), mismatches)
}

// TestJSRegexMatchesChromium compares checkJSRegex with the browser itself:
// Debian's Chromium, which users' spawn forms run in, compiling each pattern
// with RegExp(rx, "v").
func TestJSRegexMatchesChromium(t *testing.T) {
	inputs, _ := regexInputs(t, 3)
	list, err := json.Marshal(inputs)
	if err != nil {
		t.Fatal(err)
	}
	ctx := browser.Start(t, 800, 600)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	version, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.userAgent`))
	if err != nil {
		t.Fatalf("Chromium: %v", err)
	}
	results, err := chromedp.Run(ctx, chromedp.Evaluate[[]*string](strings.Replace(browserEngine, "RXS", string(list), 1)))
	if err != nil {
		t.Fatalf("Chromium: %v", err)
	}
	if len(results) != len(inputs) {
		t.Fatalf("Chromium answered %d of %d", len(results), len(inputs))
	}
	mismatches := 0
	for i, rx := range inputs {
		var facts regexFacts
		goErr := checkJSRegex(rx, &facts)
		js := results[i]
		if (goErr == nil) != (js == nil) {
			mismatches++
			if mismatches <= 15 {
				t.Errorf("regex %q: Go says %v, Chromium says %v", rx, errText(goErr), strText(js))
			}
		}
	}
	t.Logf("compared %d patterns with %s: %d mismatches", len(inputs), version, mismatches)
}

var formatPieces = []string{
	"a", " ", "{", "}", "{{", "}}", "{username}", "{userid}", "{value}", "{}", "{0}", "{pod_name!r}", "{username!s}",
	"{userid!a}", "{username!x}", "{username:", "{userid:", "{username:>10}", "{userid:05d}", "{userid:x}", "{userid:%}",
	"{userid:,}", "{userid:_b}", "{userid:.2f}", "{userid:c}", "{userid:+}", "{userid: }", "{userid:z}", "{username:.3}",
	"{username:^{userid}}", "{username:{username}}", "{username:^{userid:%}}", "{username:{userid!r}}", "{userid:{userid:x}}",
	"{userid:#x}", "{userid:#o}", "{userid:=10}", "{username:=5}", "{username:s}", "{username:d}", "{userid:s}",
	"{username:{{}}}", "{username:{a{b}}}", "{namespace:*<{userid:03}}", "{safe_username:.{userid}}", "}", "x}y",
	"{userid:e}", "{userid:#g}", "{userid:n}", "{userid:,_}", "{userid:_,}", "{userid:,x}", "{unknown}", "{username.upper}",
}

var specPieces = []string{"", "<", ">", "^", "=", "*", "0", "+", "-", " ", "z", "#", "1", "5", "12", ",", "_", ".", ".2", ".0",
	"b", "c", "d", "o", "x", "X", "n", "e", "E", "f", "F", "g", "G", "%", "s", "r"}

func randomSpec(rng *rand.Rand) string { return randomFrom(rng, specPieces, 4) }

func randomConv(rng *rand.Rand) string {
	return []string{"", "", "", "!r", "!s", "!a"}[rng.IntN(6)]
}

// TestFormatMatchesCPython compares CheckFormat (with KubeSpawner's template
// fields, userid an integer) with CPython's str.format_map on the same
// stand-in values (userid 1, every other field "x").
func TestFormatMatchesCPython(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 4))
	var inputs []string
	for _, s := range corpusStrings(t, "image", "value", "mountPath", "subPath", "name", "claimName", "JUPYTERHUB_SINGLEUSER_APP") {
		if strings.ContainsAny(s, "{}") {
			inputs = append(inputs, s)
		}
	}
	fromCorpus := len(inputs)
	for i := 0; i < 8000; i++ {
		inputs = append(inputs, randomFrom(rng, formatPieces, 5))
	}
	// Nested specs: a field whose spec holds another field with a random
	// spec of its own, so the text the inner field formats to matters.
	names := []string{"username", "userid", "pod_name"}
	for i := 0; i < 4000; i++ {
		inner := "{" + names[rng.IntN(len(names))] + randomConv(rng) + ":" + randomSpec(rng) + "}"
		outer := randomFrom(rng, specPieces, 2)
		inputs = append(inputs, "{"+names[rng.IntN(len(names))]+":"+outer[:rng.IntN(len(outer)+1)]+inner+outer[rng.IntN(len(outer)+1):]+"}")
	}
	// Accessors (.attr, [key]) depend on the value's attributes, which the
	// port does not model: leave them out.
	var kept []string
	for _, s := range inputs {
		if !strings.Contains(s, ".upper") {
			kept = append(kept, s)
		}
	}
	res := runPython(t, nil, kept, nil, nil)
	allowed := setOf(TemplateFields)
	mismatches, accepted := 0, 0
	for i, s := range kept {
		goErr := CheckFormat(s, allowed)
		py := res.Format[i]
		if py.Err == nil {
			accepted++
		}
		if (goErr == nil) != (py.Err == nil) {
			mismatches++
			if mismatches <= 15 {
				t.Errorf("format %q: Go says %v, CPython says %v", s, errText(goErr), strText(py.Err))
			}
		}
	}
	t.Logf("compared %d templates (%d from the corpus, %d that Python accepts): %d mismatches", len(kept), fromCorpus, accepted, mismatches)
}

// TestQuantitiesMatchJupyterHub compares ParseBytes with JupyterHub 5.5.0's
// ByteSpecification and ParseCPU with traitlets' Float, value by value.
//
// Deliberate differences, left out: booleans (Python takes True as 1 byte or
// 1.0 cores; hubprofiles refuses them as a mistake), null (an allowed "no
// limit" that the override validator handles before parsing), and sizes of
// 2⁶³ bytes or more, and an infinite CPU amount (Python keeps a big integer or
// inf that Kubernetes then refuses; hubprofiles refuses them at once).
func TestQuantitiesMatchJupyterHub(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 5))
	var byteValues []string
	for _, s := range corpusStrings(t, "mem_limit", "mem_guarantee") {
		byteValues = append(byteValues, mustJSON(t, s))
	}
	fromCorpus := len(byteValues)
	nums := []string{"0", "1", "1.5", "2.", ".5", "1e3", "1E-2", "-1", "+2", "1_000", "1__0", "_1", "٣", " 2", "2 ", "\t3\n",
		"inf", "-Infinity", "nan", "1e400", "0x10", "", ".", "e3", "1.2.3", "٣٫٥", "１２"}
	suffixes := []string{"K", "M", "G", "T", "Gi", "g", "k", "", "B", "GB", " G", "P"}
	for i := 0; i < 3000; i++ {
		s := nums[rng.IntN(len(nums))] + suffixes[rng.IntN(len(suffixes))]
		byteValues = append(byteValues, mustJSON(t, s))
	}
	byteValues = append(byteValues, "0", "1", "1024", "4294967296", "1.9", "-2.7", "1e3", "1e18", "9.2e18", "-0.0", "123456789012")
	cpuValues := []string{"0", "1", "0.5", "2", "-1", "1e3", "1e-400", `"2"`, `"500m"`, `"0.5"`, "[]", "{}", "123456789012345678901234567890"}
	res := runPython(t, nil, nil, byteValues, cpuValues)
	check := func(kind, v string, goErr error, got string, py pyAnswer) bool {
		switch {
		case (goErr == nil) != (py.Err == nil):
			t.Errorf("%s %s: Go says %s, Python says %v", kind, v, orErr(got, goErr), answerText(py))
			return false
		case goErr == nil && got != *py.OK:
			t.Errorf("%s %s: Go gives %s, Python gives %s", kind, v, got, *py.OK)
			return false
		}
		return true
	}
	mismatches := 0
	for i, v := range byteValues {
		var x any
		dec := json.NewDecoder(strings.NewReader(v))
		dec.UseNumber()
		if err := dec.Decode(&x); err != nil {
			t.Fatal(err)
		}
		n, err := ParseBytes(x)
		if !check("mem_limit", v, err, fmt.Sprint(n), res.Bytes[i]) {
			mismatches++
		}
	}
	for i, v := range cpuValues {
		var x any
		dec := json.NewDecoder(strings.NewReader(v))
		dec.UseNumber()
		if err := dec.Decode(&x); err != nil {
			t.Fatal(err)
		}
		f, err := ParseCPU(x)
		if !check("cpu_limit", v, err, pyFloatRepr(f), res.CPU[i]) {
			mismatches++
		}
	}
	t.Logf("compared %d memory sizes (%d from the corpus) and %d CPU amounts: %d mismatches", len(byteValues), fromCorpus, len(cpuValues), mismatches)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// pyFloatRepr writes f as Python's repr(float) does for the values compared.
func pyFloatRepr(f float64) string {
	s := fmt.Sprint(f)
	switch {
	case strings.ContainsAny(s, "e") && !strings.Contains(s, "."):
		return s
	case !strings.ContainsAny(s, ".eIN"):
		return s + ".0"
	}
	return s
}

func errText(err error) string {
	if err == nil {
		return "ok"
	}
	return "error: " + err.Error()
}

func strText(s *string) string {
	if s == nil {
		return "ok"
	}
	return "error: " + *s
}

func orErr(v string, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	return v
}

func answerText(a pyAnswer) string {
	if a.Err != nil {
		return "error: " + *a.Err
	}
	return *a.OK
}
