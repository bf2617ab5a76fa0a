package slug

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/internal/corpus"
)

// slugPattern is the shape every non-empty slug must have.
var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func checkShape(t *testing.T, in, got string) {
	t.Helper()
	if got != "" && !slugPattern.MatchString(got) {
		t.Errorf("Make(%q) = %q, does not match %s", in, got, slugPattern)
	}
	if again := Make(got); again != got {
		t.Errorf("Make(Make(%q)) = %q, want %q (not idempotent)", in, again, got)
	}
}

// TestMake pins python-slugify 8.0.4 results. The first block was checked
// with python-slugify 8.0.4 itself; the rest follow from its algorithm and
// agree with Debian's python3-slugify except where TestMakeMatchesDebianPython
// lists a divergence.
func TestMake(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Python's env", "python-s-env"},
		{"GPU (A100) — 4 CPU, 1,000 MB", "gpu-a100-4-cpu-1000-mb"},
		{"中文 環境", "zhong-wen-huan-jing"},
		{"Ünïcode Çafé", "unicode-cafe"},
		{"R &amp; Python", "r-python"},
		{"Small: 1.5 GB / 0.5 CPU", "small-1-5-gb-0-5-cpu"},
		{"CamelCase_Name", "camelcase-name"},
		{"a--b", "a-b"},
		{"", ""},
		{"!!!", ""},

		// Apostrophes: input ones separate, generated ones (U+2019) vanish.
		{"O'Reilly's", "o-reilly-s"},
		{"a'b''c", "a-b-c"},
		{"''", ""},
		{"It’s a ‘quoted’ “name”", "its-a-quoted-name"},
		// Commas vanish only between two digits.
		{"1,000,000 rows, 2, 3", "1000000-rows-2-3"},
		{"1 , 2", "1-2"},
		{"1,,2", "1-2"},
		// Separators and case.
		{"__init__", "init"},
		{"--leading and trailing--", "leading-and-trailing"},
		{"tab\tand\nnewline", "tab-and-newline"},
		{"a\x7fb", "a-b"}, // DEL survives transliteration, then separates
		{"ABC-def", "abc-def"},
		// Transliteration after NFKD.
		{"Straße für Große", "strasse-fur-grosse"},
		{"ﬁnance ﬂow", "finance-flow"},
		{"ＧＰＵ　ｘ２", "gpu-x2"},
		{"Русский язык", "russkii-iazyk"},
		{"Ёлка и ёж", "elka-i-ezh"},
		{"Ελληνικά", "ellenika"},
		{"한국어 환경", "hangugeo-hwangyeong"},
		{"ガイド ブック", "kaito-hutuku"},
		{"Єва профіль", "eva-profil"},
		{"½ GPU", "1-2-gpu"},
		{"R™ Studio®", "rtm-studio-r"},
		{"x²+y³", "x2-y3"},
		{"µm scale", "mm-scale"},
		{"🚀 Rocket 🚀", "rocket"},
		// HTML entities, decoded after transliteration and never transliterated.
		{"Caf&eacute;s", "cafe-s"},
		{"caf&#233;", "cafe"},
		{"&lt;b&gt;bold&lt;/b&gt;", "b-bold-b"},
		{"&#65;&#x42;&#x63;", "abc"},
		{"&#0065;", "a"},
		{"&#X41;", "x41"},                    // only lowercase x is a hex reference
		{"&AMP;", "amp"},                     // names are case-sensitive
		{"&apos;", "apos"},                   // HTML5-only name, not in HTML 4
		{"&amp;amp;", "amp"},                 // one pass: "&amp;" stays
		{"&amp;#65;", "a"},                   // named pass feeds the decimal pass
		{"it&#39;s", "its"},                  // a decoded apostrophe is deleted
		{"&#99999999; &#65;", "99999999-65"}, // chr() fails: whole decimal pass skipped
		{"&#xD800;x", "x"},                   // surrogate decodes to a separator
		{"&#x&#1633;;", ""},                  // Arabic-Indic digit one read as hex digit
		{"2&#1633;,3", "2-3"},
		{"\xffok\xfe", "ok"}, // invalid UTF-8 dropped
	}
	for _, tt := range tests {
		got := Make(tt.in)
		if got != tt.want {
			t.Errorf("Make(%q) = %q, want %q", tt.in, got, tt.want)
		}
		checkShape(t, tt.in, got)
	}
}

func FuzzMake(f *testing.F) {
	for _, s := range []string{"Python's env", "&#x41;&amp;", "1,000", "ガイド", "\xff'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkShape(t, s, Make(s)) })
}

// crossCheckNames are names chosen to exercise the parts of the algorithm
// that profile display names in the corpus barely touch.
var crossCheckNames = []string{
	// CJK, Korean, Japanese.
	"中文 環境", "日本語の環境", "한국어 환경", "数据科学 (GPU)",
	// Cyrillic, Greek, other scripts.
	"Русский язык", "Україна", "Ελληνικά περιβάλλον", "Δelta", "עברית", "العربية",
	"हिन्दी", "ไทย",
	// Latin accents, ß, ligatures, full-width.
	"Ünïcode Çafé", "Zürich Çağlar Øresund Łódź", "Việt Nam", "Straße für Große",
	"ﬁnance ﬂow", "Œuvre æther", "ＧＰＵ　ｘ２", "Ｒ環境",
	// Emoji and symbols.
	"🚀 Rocket 🚀", "GPU 🐍 Python", "Price: €5 / £4 / ¥3", "x²+y³", "½ GPU ¼ CPU",
	"№ 5", "© 2024 Org",
	// HTML entities.
	"R &amp; Python", "Caf&eacute;s", "caf&#233;", "&lt;b&gt;bold&lt;/b&gt;",
	"&#65;&#x42;&#x63;", "&#X41;", "&AMP; &apos;", "&amp;amp;", "it&#39;s",
	"&#99999999; &#65;", "&#xD800;x",
	// Apostrophes (ASCII and typographic).
	"Python's env", "O'Reilly's", "a'b''c", "''", "It’s a ‘quoted’ “name”",
	// Commas between digits, numbers.
	"GPU (A100) — 4 CPU, 1,000 MB", "1,000,000 rows, 2, 3", "1 , 2", "Small: 1.5 GB / 0.5 CPU",
	// Underscores, case, leading/trailing symbols, whitespace.
	"CamelCase_Name", "__init__", "--leading and trailing--", "!!!", "", "a--b",
	"  spaced   out  ", "tab\tand\nnewline", "(R) [beta] {x} <y>", "100%", "C++ / C#",
}

// pythonSlugify slugifies all names in one call of Debian's python3 with the
// exact code the hub image of zero-to-jupyterhub 4.4.0 runs: python-slugify
// 8.0.4 from ../shared/upstream, transliterating with text-unidecode (the hub
// image has no Unidecode; Debian's python3-unidecode, if installed, is hidden
// from the import). It reports what it used, and Python's HTML 4 entity table.
const pythonSlugify = `
import importlib.abc, json, sys
class NoUnidecode(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "unidecode":
            raise ImportError("hidden: the hub image has text-unidecode only")
sys.meta_path.insert(0, NoUnidecode())
sys.path.insert(0, sys.argv[1])
from html.entities import name2codepoint
import slugify, text_unidecode
impl = sys.modules["slugify.slugify"]
if impl.unidecode is not text_unidecode:
    sys.exit("python-slugify did not pick text_unidecode")
names = json.load(sys.stdin)
json.dump({"versions": "python-slugify %s from %s, text-unidecode from %s, Python %s" % (
               slugify.__version__, slugify.__file__, text_unidecode.__file__, sys.version.split()[0]),
           "slugify_version": slugify.__version__,
           "table": text_unidecode.__file__,
           "slugs": [slugify.slugify(n) for n in names],
           "entities": name2codepoint}, sys.stdout)
`

const pythonPath = "/usr/bin/python3"

const installHint = "this test needs Debian's python3 with text-unidecode (apt-get install python3-text-unidecode) and ../shared/upstream/python-slugify-8.0.4 beside the checkout"

type pythonResult struct {
	Versions       string         `json:"versions"`
	SlugifyVersion string         `json:"slugify_version"`
	Table          string         `json:"table"`
	Slugs          []string       `json:"slugs"`
	Entities       map[string]int `json:"entities"`
}

func runPython(t *testing.T, names []string) pythonResult {
	t.Helper()
	if _, err := os.Stat(pythonPath); err != nil {
		t.Fatalf("%s not found (%v); %s", pythonPath, err, installHint)
	}
	upstream := filepath.Join(corpus.RepoRoot(t), "..", "shared", "upstream", "python-slugify-8.0.4")
	if _, err := os.Stat(filepath.Join(upstream, "slugify", "slugify.py")); err != nil {
		t.Fatalf("python-slugify 8.0.4 not found: %v; %s", err, installHint)
	}
	in, err := json.Marshal(names)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), pythonPath, "-c", pythonSlugify, upstream)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s failed: %v\n%s\n%s", pythonPath, err, strings.TrimSpace(stderr.String()), installHint)
	}
	var res pythonResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("decoding python output: %v", err)
	}
	if res.SlugifyVersion != "8.0.4" {
		t.Fatalf("python side is python-slugify %s, want 8.0.4 (%s)", res.SlugifyVersion, res.Versions)
	}
	if len(res.Slugs) != len(names) {
		t.Fatalf("python returned %d slugs for %d names", len(res.Slugs), len(names))
	}
	return res
}

// corpusDisplayNames returns every display_name in the corpus profile lists
// (profiles, options, choices, unlisted choices), and how many files and
// occurrences there were.
func corpusDisplayNames(t *testing.T) (names []string, files, occurrences int) {
	t.Helper()
	type named struct {
		DisplayName *string `json:"display_name"`
	}
	type option struct {
		named
		Choices        map[string]named `json:"choices"`
		UnlistedChoice *named           `json:"unlisted_choice"`
	}
	type profile struct {
		named
		ProfileOptions map[string]option `json:"profile_options"`
	}
	paths := corpus.Files(t, "json")
	add := func(n named) {
		if n.DisplayName != nil {
			names = append(names, *n.DisplayName)
		}
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var profiles []profile
		if err := json.Unmarshal(data, &profiles); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, pr := range profiles {
			add(pr.named)
			for _, o := range pr.ProfileOptions {
				add(o.named)
				for _, c := range o.Choices {
					add(c)
				}
				if o.UnlistedChoice != nil {
					add(*o.UnlistedChoice)
				}
			}
		}
	}
	return names, len(paths), len(names)
}

// scriptBlocks are Unicode ranges from which randomNames draws: the scripts
// profile names are written in around the world, plus symbols, combining
// marks, compatibility forms and code points past the BMP.
var scriptBlocks = []struct {
	name   string
	lo, hi rune
}{
	{"Latin-1", 0x00A0, 0x00FF}, {"Latin Extended", 0x0100, 0x024F}, {"IPA and modifiers", 0x0250, 0x02FF},
	{"combining marks", 0x0300, 0x036F}, {"Greek", 0x0370, 0x03FF}, {"Cyrillic", 0x0400, 0x052F},
	{"Armenian", 0x0530, 0x058F}, {"Hebrew", 0x0590, 0x05FF}, {"Arabic", 0x0600, 0x06FF},
	{"Devanagari", 0x0900, 0x097F}, {"Bengali", 0x0980, 0x09FF}, {"Tamil", 0x0B80, 0x0BFF},
	{"Thai", 0x0E00, 0x0E7F}, {"Georgian", 0x10A0, 0x10FF}, {"Hangul Jamo", 0x1100, 0x11FF},
	{"Ethiopic", 0x1200, 0x137F}, {"Khmer", 0x1780, 0x17FF}, {"Latin Extended Additional", 0x1E00, 0x1EFF},
	{"Greek Extended", 0x1F00, 0x1FFF}, {"punctuation", 0x2000, 0x206F}, {"super/subscripts and currency", 0x2070, 0x20CF},
	{"letterlike and number forms", 0x2100, 0x218F}, {"arrows and maths", 0x2190, 0x22FF}, {"enclosed alphanumerics", 0x2460, 0x24FF},
	{"CJK symbols", 0x3000, 0x303F}, {"Hiragana", 0x3040, 0x309F}, {"Katakana", 0x30A0, 0x30FF},
	{"CJK compatibility", 0x3300, 0x33FF}, {"CJK unified", 0x4E00, 0x9FFF}, {"Hangul syllables", 0xAC00, 0xD7A3},
	{"compatibility ideographs", 0xF900, 0xFAFF}, {"presentation forms", 0xFB00, 0xFDFF}, {"half/full width", 0xFF00, 0xFFEF},
	{"specials", 0xFFF0, 0xFFFF}, {"emoji", 0x1F300, 0x1F6FF}, {"mathematical alphanumerics", 0x1D400, 0x1D7FF},
}

// randomNames makes n names from a fixed seed: words of 1-8 characters from
// one or two script blocks, with ASCII letters, digits, spaces, apostrophes,
// commas and entity fragments mixed in.
func randomNames(n int) []string {
	rng := rand.New(rand.NewPCG(2026, 12))
	ascii := []string{"a", "Z", "7", " ", "'", ",", "-", "_", "&", ";", "#", "&amp;", "&#233;", "1,000", "GPU "}
	names := make([]string, 0, n)
	for range n {
		var b strings.Builder
		first := scriptBlocks[rng.IntN(len(scriptBlocks))]
		second := scriptBlocks[rng.IntN(len(scriptBlocks))]
		for w := rng.IntN(4) + 1; w > 0; w-- {
			for c := rng.IntN(8) + 1; c > 0; c-- {
				switch k := rng.IntN(10); {
				case k < 6:
					b.WriteRune(first.lo + rune(rng.IntN(int(first.hi-first.lo+1))))
				case k < 8:
					b.WriteRune(second.lo + rune(rng.IntN(int(second.hi-second.lo+1))))
				default:
					b.WriteString(ascii[rng.IntN(len(ascii))])
				}
			}
			b.WriteByte(' ')
		}
		names = append(names, b.String())
	}
	return names
}

// TestTableIsDebians checks that the embedded table is the one Debian's
// python3-text-unidecode installs, which the differential test below runs.
func TestTableIsDebians(t *testing.T) {
	const installed = "/usr/lib/python3/dist-packages/text_unidecode/data.bin"
	data, err := os.ReadFile(installed)
	if err != nil {
		t.Fatalf("%v; %s", err, installHint)
	}
	if string(data) != textUnidecodeData {
		t.Fatalf("slug/text_unidecode.bin differs from %s: copy it again", installed)
	}
	if n := len(textUnidecode()); n != 0xFFFF {
		t.Fatalf("the table has %d entries, want 65535 (U+0001..U+FFFF)", n)
	}
}

// TestMakeMatchesPythonSlugify is a differential test of Make against
// python-slugify 8.0.4 with text-unidecode, the exact code that generates
// slugs in the hub image: on every display name of the corpus, the hand-picked
// crossCheckNames, every single BMP character after a letter, and 20,000
// random names across the world's scripts. Every name must agree.
func TestMakeMatchesPythonSlugify(t *testing.T) {
	corpus, files, occurrences := corpusDisplayNames(t)
	seen := map[string]bool{}
	var names []string
	addName := func(s string) {
		if !seen[s] {
			seen[s] = true
			names = append(names, s)
		}
	}
	for _, s := range corpus {
		addName(s)
	}
	uniqueCorpus := len(names)
	for _, s := range crossCheckNames {
		addName(s)
	}
	for r := rune(1); r <= 0xFFFF; r++ {
		if r < 0xD800 || r > 0xDFFF {
			addName("A" + string(r) + "b")
		}
	}
	for _, s := range randomNames(20000) {
		addName(s)
	}

	res := runPython(t, names)
	t.Logf("python side: %s", res.Versions)
	mismatches := 0
	for i, in := range names {
		got, py := Make(in), res.Slugs[i]
		checkShape(t, in, got)
		if got != py {
			mismatches++
			if mismatches <= 20 {
				t.Errorf("Make(%q) = %q, python-slugify 8.0.4 with text-unidecode = %q", in, got, py)
			}
		}
	}
	if mismatches > 20 {
		t.Errorf("... %d mismatches in all", mismatches)
	}
	t.Logf("corpus: %d files, %d display_name occurrences, %d distinct", files, occurrences, uniqueCorpus)
	t.Logf("compared %d distinct names (%d of the corpus): %d mismatches", len(names), uniqueCorpus, mismatches)

	// The entity table in slug.go must be Python's html.entities.name2codepoint.
	if len(res.Entities) != len(htmlEntities) {
		t.Errorf("htmlEntities has %d names, python's name2codepoint %d", len(htmlEntities), len(res.Entities))
	}
	var bad []string
	for name, cp := range res.Entities {
		if r, ok := htmlEntities[name]; !ok || int(r) != cp {
			bad = append(bad, name)
		}
	}
	sort.Strings(bad)
	if len(bad) > 0 {
		t.Errorf("htmlEntities disagrees with python on: %s", strings.Join(bad, ", "))
	}
}
