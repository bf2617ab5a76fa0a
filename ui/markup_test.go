package ui_test

// Markup every page must have: the CSRF token in every form that writes
// and in htmx's headers, and the accessibility basics (one <h1>, a label
// for every control, the skip link, the page's language, unique ids).

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/internal/corpus"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/profilelist"
)

// problems collects what a check finds wrong.
type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

// report fails t with each problem, prefixed with the page's name.
func (p problems) report(t *testing.T, name string) {
	t.Helper()
	for _, s := range p {
		t.Errorf("%s: %s", name, s)
	}
}

// checkCSRF: every form that POSTs carries the hidden _csrf field, and the
// body gives htmx the X-CSRF-Token header; all with the same token.
func checkCSRF(t *testing.T, name string, r *response) (token string) {
	t.Helper()
	var p problems
	token = csrfProblems(r, &p)
	p.report(t, name)
	return token
}

func csrfProblems(r *response, p *problems) (token string) {
	hx, ok := r.Find("body").Attr("hx-headers")
	var headers map[string]string
	if !ok || json.Unmarshal([]byte(hx), &headers) != nil {
		p.add("<body hx-headers=%q> is not a JSON object of headers", hx)
	}
	token, ok = headers["X-CSRF-Token"]
	if !ok {
		p.add("hx-headers %q has no X-CSRF-Token", hx)
	}
	r.Find("form").Each(func(i int, f *goquery.Selection) {
		if !strings.EqualFold(f.AttrOr("method", "get"), "post") {
			return
		}
		csrf := f.Find(`input[name=_csrf]`)
		if csrf.Length() != 1 || csrf.AttrOr("type", "") != "hidden" {
			p.add("form %d (action %s) has %d _csrf fields, want one hidden", i, f.AttrOr("action", ""), csrf.Length())
			return
		}
		if got := csrf.AttrOr("value", ""); got != token {
			p.add("form %d (action %s): _csrf %q, want the page's token %q", i, f.AttrOr("action", ""), got, token)
		}
	})
	return token
}

// checkAccessible: the basics a screen reader and a keyboard need.
func checkAccessible(t *testing.T, name string, r *response) {
	t.Helper()
	var p problems
	accessProblems(r, &p)
	p.report(t, name)
}

func accessProblems(r *response, p *problems) {
	if lang := r.Find("html").AttrOr("lang", ""); lang == "" {
		p.add("<html> has no lang")
	}
	if got := r.text("head title"); got == "" || got == "· hubprofiles" {
		p.add("<title> %q", got)
	}
	if n := r.Find("h1").Length(); n != 1 {
		p.add("%d <h1>, want exactly one", n)
	} else if r.text("h1") == "" {
		p.add("the <h1> is empty")
	}
	skip := r.Find("body a").First()
	if skip.AttrOr("href", "") != "#main" || textOf(skip) == "" {
		p.add("the first link is %q → %q, want the skip link to #main", textOf(skip), skip.AttrOr("href", ""))
	}
	if r.Find("main#main").Length() != 1 {
		p.add("no <main id=main> for the skip link")
	}
	ids := map[string]int{}
	r.Find("[id]").Each(func(_ int, s *goquery.Selection) { ids[s.AttrOr("id", "")]++ })
	for id, n := range ids {
		if n > 1 {
			p.add("id %q is used %d times", id, n)
		}
	}
	r.Find("input, select, textarea").Each(func(_ int, s *goquery.Selection) {
		switch strings.ToLower(s.AttrOr("type", "")) {
		case "hidden", "submit", "button", "reset", "image":
			return
		}
		if s.Closest("label").Length() > 0 {
			return
		}
		id, ok := s.Attr("id")
		if !ok || r.Find(`label[for="`+id+`"]`).Length() == 0 {
			p.add("%s name=%q id=%q has no label", goquery.NodeName(s), s.AttrOr("name", ""), id)
		}
	})
	r.Find("label[for]").Each(func(_ int, s *goquery.Selection) {
		if id := s.AttrOr("for", ""); r.Find(byID(id)).Length() == 0 {
			p.add("<label for=%q> names no element", id)
		}
	})
	for _, attr := range []string{"aria-describedby", "aria-labelledby"} {
		r.Find("[" + attr + "]").Each(func(_ int, s *goquery.Selection) {
			for _, id := range strings.Fields(s.AttrOr(attr, "")) {
				if r.Find(byID(id)).Length() == 0 {
					p.add("%s=%q names no element", attr, id)
				}
			}
		})
	}
}

// markupPages are the whole pages checked, in states beyond the plain
// GETs of pagePaths: errors shown, stale forms, results.
func markupPages(t *testing.T, c *client) map[string]*response {
	t.Helper()
	out := map[string]*response{}
	for _, p := range pagePaths {
		out["GET /"+p] = c.get(p)
		out["GET /"+p+" as a viewer"] = c.get(p, "X-Test-As", "viewer")
	}
	for _, p := range []string{"images/pytorch-notebook", "history/3", "history/1?against=3", "preview?group=staff", "preview?revision=live", "profiles/gpu"} {
		out["GET /"+p] = c.get(p)
	}
	out["404"] = c.must(http.StatusNotFound, http.MethodGet, "profiles/nope", nil)
	out["image form with errors"] = c.post(http.StatusUnprocessableEntity, "images", form("slug", "Bad Slug"))
	out["profile form with errors"] = c.post(http.StatusUnprocessableEntity, "profiles/small",
		editorForm(c, "profiles/small", "save", "mem_limit", "4Gi", "override", "{", "opt.0.choice.0.cpu_limit", "x"))
	out["profile form after generate-sizes"] = c.post(http.StatusOK, "profiles/small",
		editorForm(c, "profiles/small", "generate-sizes", "size_group", "n2-highmem-4"))
	out["import check with findings"] = c.post(http.StatusUnprocessableEntity, "import", form("content", badValues, "action", "check"))
	out["defaults with an error"] = c.post(http.StatusUnprocessableEntity, "defaults-settings", form("default_url", "other", "default_url_other", "x"))
	stale := editorForm(c, "profiles/gpu", "save", "base", "1")
	out["stale profile form"] = c.post(http.StatusConflict, "profiles/gpu", stale)
	c.wantRevisions(3)
	return out
}

func TestMarkup(t *testing.T) {
	c := newFixture(t)
	for name, r := range markupPages(t, c) {
		t.Run(name, func(t *testing.T) {
			checkCSRF(t, name, r)
			checkAccessible(t, name, r)
		})
	}
}

// TestMarkupCorpus: the same on the pages of the largest real list.
func TestMarkupCorpus(t *testing.T) {
	c := newTestServer(t)
	largest := importCorpus(t, c)
	for _, p := range []string{"", "profiles", "profiles/" + largest, "images", "preview", "history", "history/2", "defaults-settings", "node-groups"} {
		r := c.get(p)
		checkCSRF(t, p, r)
		checkAccessible(t, p, r)
	}
}

// corpusList is the largest list of the corpus of real hubs.
const corpusList = "awi-ciroh__prod.json"

// importCorpus imports corpusList as revision 2 and returns the slug of its
// profile with the most choices.
func importCorpus(t testing.TB, c *client) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpus.Dir(t), corpusList))
	if err != nil {
		t.Fatal(err)
	}
	src, err := profilelist.Parse(data, profilelist.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.edit.Import(context.Background(), src, edit.Change{Base: edit.NoBase, Author: "alice", Message: "import " + corpusList})
	if err != nil {
		t.Fatalf("importing %s: %v", corpusList, err)
	}
	return largestProfile(res.Catalog)
}

func largestProfile(cat *model.Catalog) string {
	best, most := "", -1
	for _, p := range cat.Profiles {
		n := 0
		for _, o := range p.Options {
			n += len(o.Choices)
		}
		if n > most {
			best, most = p.Slug, n
		}
	}
	return best
}

// TestCorpusRoundTrip: every profile of the real list, submitted unchanged
// through its editor, renders the same list.
func TestCorpusRoundTrip(t *testing.T) {
	c := newTestServer(t)
	importCorpus(t, c)
	for _, p := range c.head().Catalog.Profiles {
		before := c.head()
		v := formValues(c.get("profiles/"+p.Slug).Find("#profile-form form").First(), "action", "save")
		r := c.do(http.MethodPost, "profiles/"+p.Slug, v)
		if r.Status != http.StatusSeeOther {
			t.Errorf("%s unchanged: status %d; %s", p.Slug, r.Status, texts(r.Doc().Selection, ".notice.error, .field-error"))
			continue
		}
		after := c.head()
		if !sameJSON(t, after.Revision.ProfileList, before.Revision.ProfileList) {
			t.Errorf("%s submitted unchanged changes the list KubeSpawner gets", p.Slug)
		}
		if !sameCatalog(withoutEmptyOverrides(before.Catalog), withoutEmptyOverrides(after.Catalog)) {
			t.Errorf("%s submitted unchanged changes the catalog:\n%s", p.Slug, catalogDiff(before.Catalog, after.Catalog))
		}
	}
}

// TestCSRFTokenInPages: with a session, its token is in every form and in
// htmx's header, and a POST without it is refused.
func TestCSRFTokenInPages(t *testing.T) {
	const token = sessionToken
	c := newFixture(t)
	as := []string{"X-Test-As", "session"}
	for _, p := range pagePaths {
		if got := checkCSRF(t, p, c.get(p, as...)); got != token {
			t.Errorf("%s: the page's token %q, want the session's %q", p, got, token)
		}
	}
	r := c.do(http.MethodPost, "profiles/gpu/move", form("to", "0"), as...)
	if r.Status != http.StatusForbidden || !strings.Contains(textOf(r.Find("body")), "CSRF") {
		t.Errorf("a POST without the token: %d %s", r.Status, textOf(r.Find("body")))
	}
	c.wantRevisions(3)
	c.post(http.StatusSeeOther, "profiles/gpu/move", form("to", "0", "_csrf", token), as...)
	c.post(http.StatusSeeOther, "profiles/gpu/move", form("to", "1"), append(as, "X-CSRF-Token", token)...)
	c.wantRevisions(5)
}

// TestMarkupChecksCatch: the checks above find what they look for (a check
// that cannot fail is a defect).
func TestMarkupChecksCatch(t *testing.T) {
	page := func(body string) *response {
		return &response{Body: []byte(`<!doctype html><html><head><title>x · hubprofiles</title></head><body>` + body + `</body></html>`)}
	}
	for _, tc := range []struct {
		name, body string
		check      func(*response, *problems)
	}{
		{"no hx-headers", `<form method="post"><input type="hidden" name="_csrf"></form>`, func(r *response, p *problems) { csrfProblems(r, p) }},
		{"a POST form without _csrf", `<form method="POST" action="x"><button>Go</button></form>`, func(r *response, p *problems) { csrfProblems(r, p) }},
		{"no lang, no h1, no skip link", `<main id="main"></main>`, accessProblems},
		{"two h1", `<a href="#main">Skip</a><main id="main"><h1>a</h1><h1>b</h1></main>`, accessProblems},
		{"an input without a label", `<a href="#main">Skip</a><main id="main"><h1>a</h1><input id="q" name="q"></main>`, accessProblems},
		{"a select labelled by nothing", `<a href="#main">Skip</a><main id="main"><h1>a</h1><label for="other">X</label><select id="s"></select></main>`, accessProblems},
		{"a duplicate id", `<a href="#main">Skip</a><main id="main"><h1 id="x">a</h1><p id="x"></p></main>`, accessProblems},
		{"a dangling aria-describedby", `<a href="#main">Skip</a><main id="main"><h1>a</h1><label>A <input aria-describedby="err-a"></label></main>`, accessProblems},
	} {
		var p problems
		tc.check(page(tc.body), &p)
		if len(p) == 0 {
			t.Errorf("%s: not caught", tc.name)
		}
	}
	var p problems
	good := page(`<a class="skip" href="#main">Skip</a><main id="main"><h1>a</h1><label for="q">Q</label><input id="q"><label><input type="checkbox"> C</label><input type="hidden" name="h"></main>`)
	good.Body = []byte(strings.Replace(string(good.Body), "<html>", `<html lang="en">`, 1))
	accessProblems(good, &p)
	if len(p) != 0 {
		t.Errorf("a good page: %q", p)
	}
}

// TestPreviewFreeTextFields: a profile whose two options both have a
// free-text field gets two fields, each with its own id and label, as
// KubeSpawner's form names them per option.
//
// Was a bug (ui/templates/pages/preview.html, fixed): the free-text input's id is
// profile-option-{slug}--{which}-unlisted ({which} is "draft" or "live"),
// the same for every option of a profile, so the ids repeat and the second
// label points at the first field. Fix: key it by the option, as
// KubeSpawner does: bind {{$key := .Key}} before {{with .Unlisted}} (inside
// it the dot is the Unlisted) and use
// id="profile-option-{{$slug}}--{{$key}}--unlisted-choice", the label too.
func TestPreviewFreeTextFields(t *testing.T) {
	c := newFixture(t)
	if _, err := c.edit.Commit(context.Background(), edit.Change{Base: edit.NoBase, Author: "bob", Message: "a second free-text option",
		Apply: func(cat *model.Catalog) error {
			o := cat.Profiles[0].Options[0]
			o.Key, o.DisplayName = "other", "Another environment"
			cat.Profiles[0].Options = append(cat.Profiles[0].Options, o)
			return nil
		}}); err != nil {
		t.Fatal(err)
	}
	r := c.get("preview")
	if n := r.Find(`#preview-body input[type=text]`).Length(); n != 2 {
		t.Fatalf("%d free-text fields, want 2", n)
	}
	checkAccessible(t, "preview", r)
}
