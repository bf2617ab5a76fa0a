package profilelist

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/internal/corpus"
)

// allowedMarkup are texts each place must accept: what real lists write
// (the corpus has "&" and quotes in names, "</p>\n<p>" in a description and
// "<image-name>:<tag>" in 585 validation messages) and the allowed subset.
var allowedMarkup = map[textPlace][]string{
	inHeading: {
		"Python & R", `Base Pangeo Notebook ("2023.05.18")`, "1 < 2 and 3 > 2", "I <3 Jupyter", "&lt;script&gt; is shown as text",
		"<b>B</b> <i>i</i> <em>e</em> <strong>s</strong> <code>c</code><br>x<BR/>", `<a href="https://example.org/docs?a=1&amp;b=2">docs</a>`,
		`<A HREF='http://example.org'>old</A>`, "⚠️ GPU",
		// Browsers (and the tokenizer) keep the first of two same-named
		// attributes and drop the rest.
		`<a href="https://example.org" href="javascript:alert(1)">x</a>`,
	},
	inParagraph: {
		"Provides 1G - 4G of RAM</p>\n<p> ⚠️ Please use this instance only if you know you need it, otherwise use the Regular Instance!\n",
		"Start a R server with tidyverse & Geospatial tools", "<p>One</p><p>Two</p>", "A</p>", "line<br>break", "<b>x</b></p><p><i>y</i>",
	},
	inOption: {`Pangeo PyTorch ML Notebook ("2023.05.18")`, "R & Python", "1 < 2", "Other...", "&amp; entities"},
	inTitle: {
		"Must be a publicly available docker image, of form <image-name>:<tag>",
		// Inert inside a double-quoted value: the reference decodes to a
		// quote inside the value, a single quote does not end it.
		"&quot; onmouseover=alert(1)", "' onmouseover='alert(1)", "</textarea><script>alert(1)</script>",
	},
}

func TestMarkupAllowed(t *testing.T) {
	for pl, texts := range allowedMarkup {
		places := []textPlace{pl}
		if pl == inHeading {
			places = []textPlace{inHeading, inLabel, inParagraph}
		}
		for _, s := range texts {
			for _, p := range places {
				if got := markupProblem(s, p); got != "" {
					t.Errorf("%q in %s: %s, want no problem", s, p.element(), got)
				}
			}
		}
	}
}

func TestMarkupDependsOnPlace(t *testing.T) {
	for _, tc := range []struct {
		text string
		pl   textPlace
		want string
	}{
		{"<b>B</b>", inOption, "markup (<b>)"},
		{"<p>P</p>", inHeading, "markup (<p>)"},
		{"<p>P</p>", inLabel, "markup (<p>)"},
		{"<image-name>:<tag>", inLabel, "markup (<image-name>)"},
		{`say "hi"`, inTitle, `a double quote (")`},
		{"<b><p>x</p></b>", inParagraph, "<p> inside <b>"},
		{"a</p></p>", inParagraph, "closes an element the text did not open"},
	} {
		if got := markupProblem(tc.text, tc.pl); !strings.Contains(got, tc.want) || got == "" {
			t.Errorf("%q in %s: %q, want %q", tc.text, tc.pl.element(), got, tc.want)
		}
	}
}

// TestMarkupOnCorpusDisplayTexts: every display text of every real list
// (current and history) that holds <, & or a quote is accepted where
// KubeSpawner's form puts it; the test fails if the corpus stops holding
// the cases it was written for.
func TestMarkupOnCorpusDisplayTexts(t *testing.T) {
	files := append(corpus.Files(t, "json"), corpus.HistoryFiles(t, "json")...)
	seen := map[string]int{}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var list []map[string]any
		if err := json.Unmarshal(data, &list); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		check := func(what string, v any, pl textPlace) {
			s, ok := v.(string)
			if !ok || !strings.ContainsAny(s, `<&"`) {
				return
			}
			seen[what]++
			if got := markupProblem(s, pl); got != "" {
				t.Errorf("%s: %s %q: %s", filepath.Base(path), what, s, got)
			}
		}
		for _, p := range list {
			check("profile display_name", p["display_name"], inHeading)
			check("profile description", p["description"], inParagraph)
			opts, _ := p["profile_options"].(map[string]any)
			for _, o := range opts {
				om, _ := o.(map[string]any)
				check("option display_name", om["display_name"], inLabel)
				choices, _ := om["choices"].(map[string]any)
				for _, c := range choices {
					cm, _ := c.(map[string]any)
					check("choice display_name", cm["display_name"], inOption)
					check("choice description", cm["description"], inParagraph)
				}
				u, _ := om["unlisted_choice"].(map[string]any)
				check("unlisted display_name", u["display_name"], inLabel)
				check("unlisted display_name_in_choices", u["display_name_in_choices"], inOption)
				check("validation_message", u["validation_message"], inTitle)
			}
		}
	}
	for what, min := range map[string]int{"validation_message": 500, "profile description": 5, "choice display_name": 10} {
		if seen[what] < min {
			t.Errorf("only %d %s texts with <, & or \" in the corpus, want at least %d: %v", seen[what], what, min, seen)
		}
	}
}
