package profilelist

// Issue 11, item 1: KubeSpawner 7.1.0 renders its spawn form with Jinja2
// without autoescaping, so a display text that holds markup runs in the
// hub's origin for every user. Each test is one way of trying; each must be
// an error, at the field's path, that says what to write instead.
// hub/test_form_safety.py proves the same with KubeSpawner's real form.html.

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/model"
)

// formFields are the places of KubeSpawner's form a display text can land
// in, as paths in formList.
var formFields = map[string]string{
	"profile display_name":                    "/0/display_name",
	"profile description":                     "/0/description",
	"option display_name":                     "/0/profile_options/image/display_name",
	"choice display_name":                     "/0/profile_options/image/choices/base/display_name",
	"unlisted_choice display_name":            "/0/profile_options/image/unlisted_choice/display_name",
	"unlisted_choice display_name_in_choices": "/0/profile_options/image/unlisted_choice/display_name_in_choices",
	"unlisted_choice validation_message":      "/0/profile_options/image/unlisted_choice/validation_message",
	"unlisted_choice validation_regex":        "/0/profile_options/image/unlisted_choice/validation_regex",
}

// formList is a list with every display text of the form set, and the text
// at path replaced by text (a JSON value, usually a string).
func formList(t *testing.T, path string, text any) any {
	t.Helper()
	texts := map[string]any{
		"/0/display_name":                                                  "Python",
		"/0/description":                                                   "Two CPUs",
		"/0/profile_options/image/display_name":                            "Image",
		"/0/profile_options/image/choices/base/display_name":               "Base",
		"/0/profile_options/image/unlisted_choice/display_name":            "Other image",
		"/0/profile_options/image/unlisted_choice/display_name_in_choices": "Other...",
		"/0/profile_options/image/unlisted_choice/validation_message":      "Must be of form <image-name>:<tag>",
		"/0/profile_options/image/unlisted_choice/validation_regex":        "^.+:.+$",
	}
	if _, ok := texts[path]; !ok {
		t.Fatalf("no display text at %s", path)
	}
	texts[path] = text
	q := func(p string) string {
		b, err := json.Marshal(texts[p])
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	u := "/0/profile_options/image/unlisted_choice/"
	return mustDecode(t, fmt.Sprintf(`[{"display_name": %s, "slug": "python", "description": %s,
		"profile_options": {"image": {"display_name": %s,
			"choices": {"base": {"display_name": %s, "default": true, "kubespawner_override": {"image": "quay.io/jupyter/base-notebook:2025-06-02"}}},
			"unlisted_choice": {"enabled": true, "display_name": %s, "display_name_in_choices": %s,
				"validation_message": %s, "validation_regex": %s, "kubespawner_override": {"image": "{value}"}}}}}]`,
		q("/0/display_name"), q("/0/description"), q("/0/profile_options/image/display_name"),
		q("/0/profile_options/image/choices/base/display_name"), q(u+"display_name"), q(u+"display_name_in_choices"),
		q(u+"validation_message"), q(u+"validation_regex")))
}

// wantMarkupError asserts that text at each of the fields is an error at
// that field, naming what is wrong, and no other error.
func wantMarkupError(t *testing.T, text any, problem string, fields ...string) {
	t.Helper()
	for _, field := range fields {
		path := formFields[field]
		var errs []model.Finding
		for _, f := range Validate(formList(t, path, text), Options{}) {
			if f.Severity == model.Error {
				errs = append(errs, f)
			}
		}
		if len(errs) != 1 || errs[0].Path != path || !strings.Contains(errs[0].Message, problem) {
			t.Errorf("%s = %q: errors %v, want one at %s containing %q", field, text, errs, path, problem)
			continue
		}
		if msg := errs[0].Message; !strings.Contains(msg, "unescaped") && !strings.Contains(msg, "must be a string") && !strings.Contains(msg, "ends the attribute") {
			t.Errorf("%s: the message does not say why: %s", field, msg)
		}
	}
}

// The element-text places (everything but the two attribute values).
var textFields = []string{"profile display_name", "profile description", "option display_name", "choice display_name",
	"unlisted_choice display_name", "unlisted_choice display_name_in_choices"}

func TestSecurityFormListWithoutMarkupIsClean(t *testing.T) {
	for field, path := range formFields {
		for _, f := range Validate(formList(t, path, "plain & simple (\"quoted\") 1 < 2"), Options{}) {
			if f.Severity == model.Error && !(field == "unlisted_choice validation_message" || field == "unlisted_choice validation_regex") {
				t.Errorf("%s: %s", field, f)
			}
		}
	}
}

func TestSecurityScriptInDisplayTextIsAnError(t *testing.T) {
	// The reproduction: an editor's <script> in a display name.
	wantMarkupError(t, "A <script>alert(1)</script>", "markup (<script>)", textFields...)
	wantMarkupError(t, "A <ScRiPt src=https://evil.example/x.js></ScRiPt>", "markup (<ScRiPt", textFields...)
	wantMarkupError(t, "<svg><script>alert(1)</script></svg>", "markup (<svg>)", textFields...)
	wantMarkupError(t, "<style>form{display:none}</style>", "markup (<style>)", textFields...)
}

func TestSecurityEventHandlerAttributeIsAnError(t *testing.T) {
	wantMarkupError(t, "<img src=x onerror=alert(1)>", "markup (<img src=x onerror=alert(1)>)", textFields...)
	wantMarkupError(t, "<svg onload=alert(1)>", "markup (<svg", textFields...)
	// Allowed tags with an attribute they may not carry.
	wantMarkupError(t, "<b onmouseover=alert(1)>A</b>", "the attribute onmouseover on <b>", "profile display_name", "profile description", "option display_name", "unlisted_choice display_name")
	wantMarkupError(t, "<b/onmouseover=alert(1)>A</b>", "the attribute onmouseover on <b>", "profile display_name")
	wantMarkupError(t, `<a href="https://example.org" onclick="alert(1)">A</a>`, "the attribute onclick on <a>", "profile description")
	wantMarkupError(t, `<br style="background:url(https://evil.example/)">`, "the attribute style on <br>", "profile display_name")
	// In a drop-down entry, no tag at all.
	wantMarkupError(t, "<b>A</b>", "markup (<b>)", "choice display_name", "unlisted_choice display_name_in_choices")
}

func TestSecurityJavascriptLinkIsAnError(t *testing.T) {
	for _, href := range []string{
		`javascript:alert(1)`,
		`JavaScript:alert(1)`,
		` javascript:alert(1)`,
		`&#106;avascript:alert(1)`, // the tokenizer decodes references, as browsers do
		`java&#x09;script:alert(1)`,
		"java\tscript:alert(1)",
		`data:text/html,<script>alert(1)</script>`,
		`vbscript:x`,
		`//evil.example/`,
		`https:evil.example`,
	} {
		wantMarkupError(t, `<a href="`+href+`">docs</a>`, "a link to", "profile display_name", "profile description", "option display_name")
	}
	wantMarkupError(t, `<a>x</a>`, "an <a> without href", "profile description")
}

func TestSecurityQuoteBreakingOutOfAttributeIsAnError(t *testing.T) {
	// validation_message lands in title="…", validation_regex in pattern="…".
	wantMarkupError(t, `x" onmouseover="alert(1)`, `a double quote (")`, "unlisted_choice validation_message")
	wantMarkupError(t, `x" onmouseover="alert(1)`, `where it ends the attribute`, "unlisted_choice validation_regex")
	wantMarkupError(t, `Must look like "name:tag"`, `a double quote (")`, "unlisted_choice validation_message")
	wantMarkupError(t, `"><script>alert(1)</script>`, `a double quote (")`, "unlisted_choice validation_message")
	wantMarkupError(t, `^[a-z]+"$`, `where it ends the attribute`, "unlisted_choice validation_regex")
}

func TestSecurityFormContextBreakIsAnError(t *testing.T) {
	// Closing the form's own elements to get out of the place a text sits in.
	wantMarkupError(t, "</h3><script>alert(1)</script>", "markup (</h3>)", "profile display_name")
	wantMarkupError(t, "</option></select><img src=x onerror=alert(1)>", "markup (</option>)", "choice display_name", "unlisted_choice display_name_in_choices")
	wantMarkupError(t, "</select><script>alert(1)</script>", "markup (</select>)", "choice display_name")
	wantMarkupError(t, "</textarea><script>alert(1)</script>", "markup (</textarea>)", textFields...)
	wantMarkupError(t, "</label></div></form><form action=https://evil.example/>", "markup (</label>)", "option display_name", "unlisted_choice display_name")
	wantMarkupError(t, `<input name="profile" value="gpu" checked>`, "markup (<input", textFields...)
	wantMarkupError(t, "</b>", "closes an element the text did not open", "profile display_name")
	wantMarkupError(t, "<b>A</p>", "closes an element the text did not open", "profile description")
	wantMarkupError(t, "<p>A</p>", "markup (<p>)", "profile display_name", "option display_name")
}

func TestSecurityUnfinishedMarkupIsAnError(t *testing.T) {
	// A tag, comment or element left open swallows or changes the form's own
	// markup after it.
	wantMarkupError(t, `<a href="https://example.org/`, "an unfinished tag", "profile display_name", "profile description")
	wantMarkupError(t, "A <b", "an unfinished tag (<b)", textFields...)
	wantMarkupError(t, "A <!--", "a comment or declaration", textFields...)
	wantMarkupError(t, "A <!-- hidden -->", "a comment or declaration", textFields...)
	wantMarkupError(t, "<![CDATA[x]]>", "a comment or declaration", "profile display_name")
	wantMarkupError(t, "<?xml version=1?>", "a comment or declaration", "profile display_name")
	wantMarkupError(t, "<!DOCTYPE html>", "a comment or declaration", "profile display_name")
	wantMarkupError(t, "<b>bold for the rest of the form", "an unclosed <b>", "profile display_name", "profile description", "option display_name")
	wantMarkupError(t, "<b/>", "HTML ignores the /", "profile display_name")
	wantMarkupError(t, "A <", "a < at its very end", textFields...)
	wantMarkupError(t, "A </", "a < at its very end", textFields...)
	wantMarkupError(t, `<a href="https://a.example"><a href="https://b.example">x</a></a>`, "a link inside a link", "profile description")
}

func TestSecurityNonStringDisplayTextIsAnError(t *testing.T) {
	// Jinja prints a list as Python writes it: ['<script>alert(1)</script>'].
	wantMarkupError(t, []any{"<script>alert(1)</script>"}, "must be a string", "profile description", "option display_name",
		"choice display_name", "unlisted_choice display_name", "unlisted_choice display_name_in_choices", "unlisted_choice validation_message")
	wantMarkupError(t, map[string]any{"x": `" onmouseover="alert(1)`}, "must be a string", "unlisted_choice validation_message")
}

func TestSecuritySlugsAndKeysCannotCarryMarkup(t *testing.T) {
	// Slugs and keys land in the form's attributes (id, for, name, value).
	for _, tc := range []struct{ list, path, msg string }{
		{`[{"display_name": "A", "slug": "a\" onmouseover=\"alert(1)"}]`, "/0/slug", "breaks the spawn form's HTML"},
		{`[{"display_name": "A", "slug": "a><script>alert(1)</script>"}]`, "/0/slug", "breaks the spawn form's HTML"},
		{`[{"display_name": "A", "profile_options": {"o\" onclick=\"x": {"display_name": "O", "choices": {"c": {"display_name": "C"}}}}}]`,
			`/0/profile_options/o" onclick="x`, "may only have letters"},
		{`[{"display_name": "A", "profile_options": {"o": {"display_name": "O", "choices": {"c\"><script>alert(1)</script>": {"display_name": "C"}}}}}]`,
			`/0/profile_options/o/choices/c"><script>alert(1)<~1script>`, "may only have letters"},
	} {
		var errs []model.Finding
		for _, f := range Validate(mustDecode(t, tc.list), Options{}) {
			if f.Severity == model.Error {
				errs = append(errs, f)
			}
		}
		if len(errs) == 0 || errs[0].Path != tc.path || !strings.Contains(errs[0].Message, tc.msg) {
			t.Errorf("%s: errors %v, want one at %s containing %q", tc.list, errs, tc.path, tc.msg)
		}
	}
}
