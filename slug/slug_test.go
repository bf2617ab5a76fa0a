package slug

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
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
		{"ガイド ブック", "kaito-hutsuku"},
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

// divergence is a name for which Debian's python-slugify 4.0.0 gives another
// slug than python-slugify 8.0.4, which Make follows.
type divergence struct {
	in, goOut, pyOut string
	why              string
}

// knownDivergences lists every expected difference between Make and
// Debian's python3-slugify 4.0.0 (with python3-unidecode 1.3.6) on the names
// compared. All of them have one cause: python-slugify 8.0.4 applies NFKD
// before Unidecode, 4.0.0 hands the original characters to Unidecode.
var knownDivergences = []divergence{
	{
		in: "Ёлка и ёж", goOut: "elka-i-ezh", pyOut: "iolka-i-iozh",
		why: "NFKD splits Ё/ё into Е/е + U+0308, and Unidecode gives 'e'; 4.0.0 transliterates Ё whole as 'Io'",
	},
	{
		in: "Україна", goOut: "ukraina", pyOut: "ukrayina",
		why: "NFKD splits ї into і + U+0308, and Unidecode gives 'i'; 4.0.0 transliterates ї whole as 'yi'",
	},
	{
		in: "ガイド ブック", goOut: "kaito-hutsuku", pyOut: "gaido-butsuku",
		why: "NFKD splits ガ/ド/ブ into カ/ト/フ + the combining voiced mark U+3099, which Unidecode drops",
	},
	{
		in: "データ サイエンス", goOut: "teta-saiensu", pyOut: "deta-saiensu",
		why: "NFKD splits デ into テ + U+3099, which Unidecode drops",
	},
	{
		in: "R™ Studio®", goOut: "rtm-studio-r", pyOut: "r-tm-studio-r",
		why: "NFKD turns ™ into plain 'TM' that joins the word before; Unidecode turns ™ into '(tm)', a separate word",
	},
	{
		in: "µm scale", goOut: "mm-scale", pyOut: "um-scale",
		why: "NFKD turns MICRO SIGN U+00B5 into GREEK SMALL LETTER MU, which Unidecode gives as 'm'; Unidecode gives 'u' for U+00B5",
	},
}

// pythonSlugify slugifies all names in one call of Debian's python3, and also
// returns the package versions and Python's HTML 4 entity table.
const pythonSlugify = `
import json, sys
from html.entities import name2codepoint
from importlib.metadata import version
try:
    from slugify import slugify
except ImportError as e:
    sys.exit("python3 cannot import slugify: %s" % e)
names = json.load(sys.stdin)
json.dump({"versions": "python-slugify %s, Unidecode %s" % (version("python-slugify"), version("Unidecode")),
           "slugs": [slugify(n) for n in names],
           "entities": name2codepoint}, sys.stdout)
`

const pythonPath = "/usr/bin/python3"

const installHint = "this test needs Debian's python3 with python-slugify: apt-get install python3-slugify"

type pythonResult struct {
	Versions string         `json:"versions"`
	Slugs    []string       `json:"slugs"`
	Entities map[string]int `json:"entities"`
}

func runPython(t *testing.T, names []string) pythonResult {
	t.Helper()
	if _, err := os.Stat(pythonPath); err != nil {
		t.Fatalf("%s not found (%v); %s", pythonPath, err, installHint)
	}
	in, err := json.Marshal(names)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), pythonPath, "-c", pythonSlugify)
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

// TestMakeMatchesDebianPython compares Make with the real Python
// implementation on the corpus display names and on crossCheckNames.
func TestMakeMatchesDebianPython(t *testing.T) {
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
	for _, d := range knownDivergences {
		addName(d.in)
	}

	res := runPython(t, names)
	t.Logf("python side: %s", res.Versions)

	listed := map[string]divergence{}
	for _, d := range knownDivergences {
		if d.goOut == d.pyOut {
			t.Errorf("knownDivergences entry %q has equal outputs %q", d.in, d.goOut)
		}
		listed[d.in] = d
	}
	agree, diverge := 0, 0
	for i, in := range names {
		got, py := Make(in), res.Slugs[i]
		checkShape(t, in, got)
		d, isListed := listed[in]
		switch {
		case got == py && !isListed:
			agree++
		case got == py:
			t.Errorf("listed divergence disappeared: Make(%q) = python %q (listed go %q, python %q; %s)",
				in, got, d.goOut, d.pyOut, res.Versions)
		case !isListed:
			t.Errorf("unlisted divergence: Make(%q) = %q, python slugify = %q (%s)", in, got, py, res.Versions)
		case got != d.goOut || py != d.pyOut:
			t.Errorf("divergence changed for %q: Make %q python %q, listed go %q python %q (%s)",
				in, got, py, d.goOut, d.pyOut, res.Versions)
		default:
			diverge++
		}
	}
	t.Logf("corpus: %d files, %d display_name occurrences, %d distinct", files, occurrences, uniqueCorpus)
	t.Logf("compared %d distinct names: %d agree, %d listed divergences", len(names), agree, diverge)

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
