package ui_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/model"
)

// wantLayout checks that r is a whole page of the layout with the given
// title and h1.
func wantLayout(t *testing.T, r *response, title, h1 string) {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("%s: Content-Type %q, want text/html", r.Path, ct)
	}
	if got, want := r.text("head > title"), title+" · hubprofiles"; got != want {
		t.Errorf("%s: <title> %q, want %q", r.Path, got, want)
	}
	if got := r.text("main h1"); got != h1 {
		t.Errorf("%s: <h1> %q, want %q", r.Path, got, h1)
	}
	if !slices.Contains(r.Header.Values("Vary"), "HX-Request") {
		t.Errorf("%s: Vary %q, want HX-Request", r.Path, r.Header.Values("Vary"))
	}
}

// texts is the squashed text of every match of sel in s.
func texts(s *goquery.Selection, sel string) []string {
	var out []string
	s.Find(sel).Each(func(_ int, x *goquery.Selection) { out = append(out, textOf(x)) })
	return out
}

// value is the value attribute of the form control named name (for a
// select, its selected option; for a textarea, its text).
func value(t *testing.T, r *response, name string) string {
	t.Helper()
	s := r.Find(byName(name))
	if s.Length() == 0 {
		t.Fatalf("%s: no control named %q", r.Path, name)
	}
	switch goquery.NodeName(s.First()) {
	case "select":
		return s.First().Find("option[selected]").AttrOr("value", "")
	case "textarea":
		return s.First().Text()
	}
	return s.First().AttrOr("value", "")
}

func TestDashboard(t *testing.T) {
	c := newFixture(t)
	r := c.get("")
	wantLayout(t, r, "Dashboard", "Dashboard")
	if got := r.text("nav a[aria-current=page]"); got != "Dashboard" {
		t.Errorf("current nav entry %q, want Dashboard", got)
	}
	live := r.Find(`section[aria-labelledby="live-h"]`)
	if got := squash(live.Text()); !strings.Contains(got, "Revision 2, published by alice") {
		t.Errorf("live card %q does not say revision 2 is live, published by alice", got)
	}
	draft := r.Find(`section[aria-labelledby="draft-h"]`)
	if got := squash(draft.Text()); !strings.Contains(got, "Head: revision 3") {
		t.Errorf("draft card %q does not name head 3", got)
	}
	if got, want := texts(draft, "ul li"), []string{`added image "spare" (quay.io/jupyter/base-notebook:2025-06-02)`}; !slices.Equal(got, want) {
		t.Errorf("unpublished changes %q, want %q", got, want)
	}
	if got := draft.Find("a.button").AttrOr("href", ""); got != prefix+"history/3/publish" {
		t.Errorf("publish link %q, want the confirmation page history/3/publish", got)
	}
	if got := r.text(`section[aria-labelledby="problems-h"]`); !strings.Contains(got, "None found.") {
		t.Errorf("problems %q, want none", got)
	}
	recent := r.Find(`section[aria-labelledby="recent-h"] tbody tr`)
	if recent.Length() != 3 {
		t.Errorf("recent changes: %d rows, want 3", recent.Length())
	}
	if got := squash(recent.First().Find("td").First().Text()); got != "3 head" {
		t.Errorf("newest recent row %q, want \"3 head\"", got)
	}
}

func TestDashboardEmptyAndProblems(t *testing.T) {
	c := newTestServer(t)
	r := c.get("")
	if got := r.text(`section[aria-labelledby="live-h"]`); !strings.Contains(got, "Nothing is published yet") {
		t.Errorf("live card %q, want nothing published", got)
	}
	if r.Find(`section[aria-labelledby="draft-h"] a[href$="/publish"]`).Length() != 1 {
		t.Errorf("the config revision is unpublished: want a publish link")
	}

	// A draft with a warning (two default profiles) lists it as a problem.
	f := newFixture(t)
	if _, err := f.edit.Commit(context.Background(), edit.Change{Base: edit.NoBase, Author: "bob", Message: "two defaults",
		Apply: func(cat *model.Catalog) error { cat.Profiles[1].Default = true; return nil }}); err != nil {
		t.Fatalf("two defaults: %v", err)
	}
	r = f.get("")
	problems := r.Find(`section[aria-labelledby="problems-h"]`)
	if got := textOf(problems.Find(".notice.warning")); !strings.Contains(got, "1 warning(s)") || !strings.Contains(got, "more than one profile is the default") {
		t.Errorf("two default profiles: problems %q, want the warning", textOf(problems))
	}
}

func TestImagesPage(t *testing.T) {
	c := newFixture(t)
	r := c.get("images")
	wantLayout(t, r, "Images", "Images")
	cat := c.head().Catalog
	rows := r.Find("tbody tr")
	if rows.Length() != len(cat.Images) {
		t.Fatalf("%d rows, want one per image (%d)", rows.Length(), len(cat.Images))
	}
	rows.Each(func(i int, row *goquery.Selection) {
		im := cat.Images[i]
		if got := row.Find("td a").AttrOr("href", ""); got != prefix+"images/"+im.Slug {
			t.Errorf("row %d links to %q, want images/%s", i, got, im.Slug)
		}
		if got := squash(row.Find("td code").Text()); got != im.Ref {
			t.Errorf("row %d: reference %q, want %q", i, got, im.Ref)
		}
		if got := squash(row.Find("td").Eq(2).Text()); got != "not checked" {
			t.Errorf("row %d: registry %q, want \"not checked\" without a checker", i, got)
		}
		used := texts(row.Find("td").Eq(3), "li")
		want := cat.ImageUsers(im.Slug)
		if len(want) == 0 {
			if got := squash(row.Find("td").Eq(3).Text()); got != "unused" {
				t.Errorf("row %d (%s): used by %q, want unused", i, im.Slug, got)
			}
		} else if !slices.Equal(used, want) {
			t.Errorf("row %d (%s): used by %q, want %q", i, im.Slug, used, want)
		}
	})
	if got := r.Find(`a[href="` + prefix + `images/new"]`).Length(); got != 1 {
		t.Errorf("%d links to add an image, want 1 for an editor", got)
	}
	// Concretely, for the reader:
	if got := squash(r.Find(`a[href$="/images/scipy-notebook"]`).Closest("tr").Find("td").Eq(3).Text()); got != `profile "small", option "image", choice "scipy"` {
		t.Errorf("scipy used by %q", got)
	}
}

func TestImageForms(t *testing.T) {
	c := newFixture(t)

	r := c.get("images/new")
	wantLayout(t, r, "Add an image", "Add an image")
	form := r.Find("#image-form form[method=post]")
	if got := form.AttrOr("action", ""); got != prefix+"images" {
		t.Errorf("new image form posts to %q", got)
	}
	if _, ro := r.Find("#slug").Attr("readonly"); ro {
		t.Error("a new image's short name is read-only")
	}
	if got := value(t, r, "base"); got != "3" {
		t.Errorf("base %q, want 3", got)
	}

	r = c.get("images/spare")
	wantLayout(t, r, "Image spare", "Image spare")
	for name, want := range map[string]string{"slug": "spare", "display_name": "Spare", "ref": "quay.io/jupyter/base-notebook:2025-06-02", "base": "3"} {
		if got := value(t, r, name); got != want {
			t.Errorf("spare: %s = %q, want %q", name, got, want)
		}
	}
	if _, ro := r.Find("#slug").Attr("readonly"); ro {
		t.Error("an existing image's short name is read-only: it cannot be renamed")
	}
	if got := r.Find(`a[href="` + prefix + `images/spare/delete"]`).Length(); got != 1 {
		t.Errorf("an unused image: %d links to confirm its removal, want 1", got)
	}
	if got := r.Find("#ref").AttrOr("hx-get", ""); got != prefix+"images/check" {
		t.Errorf("the reference is checked at %q, want images/check", got)
	}

	r = c.get("images/pytorch-notebook")
	if got := texts(r.Find("#image-form"), "h2"); !slices.Contains(got, "Used by") {
		t.Errorf("a used image: headings %q, want \"Used by\"", got)
	}
	if got := texts(r.Find("#image-form"), "ul li"); !slices.Equal(got, []string{`profile "gpu"`}) {
		t.Errorf("used by %q", got)
	}
	if got := r.Find(`a[href$="/delete"]`).Length(); got != 0 {
		t.Errorf("a used image offers %d delete forms, want none", got)
	}

	r = c.must(http.StatusNotFound, http.MethodGet, "images/nope", nil)
	wantLayout(t, r, "Not found", "Not found")
}

func TestProfilesPage(t *testing.T) {
	c := newFixture(t)
	r := c.get("profiles")
	wantLayout(t, r, "Profiles", "Profiles")
	rows := r.Find("#profile-list tbody tr")
	if rows.Length() != 2 {
		t.Fatalf("%d rows, want 2", rows.Length())
	}
	for i, want := range []struct{ name, slug, options, image string }{
		{"Small default", "small", "1 option(s), 2 choice(s)", "—"},
		{"Large, with a GPU", "gpu", "0 option(s), 0 choice(s)", "pytorch-notebook node group gpu-t4"},
	} {
		row := rows.Eq(i)
		td := row.Find("td")
		if got := squash(td.Eq(1).Find("a").Text() + " " + td.Eq(1).Find(".badge").Text()); got != want.name {
			t.Errorf("row %d: name %q, want %q", i, got, want.name)
		}
		if got := td.Eq(1).Find("a").AttrOr("href", ""); got != prefix+"profiles/"+want.slug {
			t.Errorf("row %d links to %q", i, got)
		}
		if got := textOf(td.Eq(2)); got != want.image {
			t.Errorf("row %d: image %q, want %q", i, got, want.image)
		}
		if got := squash(td.Eq(3).Text()); got != want.options {
			t.Errorf("row %d: %q, want %q", i, got, want.options)
		}
	}
	// The first profile can only move down, the last only up; each has a Duplicate button.
	if got := rows.Eq(0).Find(`form[action$="/move"] button[aria-label]`).AttrOr("aria-label", ""); got != "Move Small down" || rows.Eq(0).Find(`form[action$="/move"]`).Length() != 1 {
		t.Errorf("first row: move buttons %q", got)
	}
	if got := rows.Eq(1).Find(`form input[name=to]`).AttrOr("value", ""); got != "0" || rows.Eq(1).Find(`form[action$="/move"]`).Length() != 1 {
		t.Errorf("last row: moves to %q, want 0 (up only)", got)
	}
	for i := 0; i < 2; i++ {
		if rows.Eq(i).Find(`form[action$="/duplicate"] button`).Length() != 1 {
			t.Errorf("row %d has no Duplicate button", i)
		}
	}
}

func TestProfileEditorShowsTheProfile(t *testing.T) {
	c := newFixture(t)
	r := c.get("profiles/small")
	wantLayout(t, r, "Profile Small", "Profile Small")
	form := r.Find("#profile-form form[method=post]").First()
	if got := form.AttrOr("action", ""); got != prefix+"profiles/small" {
		t.Errorf("the editor posts to %q", got)
	}
	for name, want := range map[string]string{
		"base": "3", "display_name": "Small", "slug": "small", "description": "2 GB of memory, up to 1 CPU",
		"mem_guarantee": "2G", "mem_limit": "2G", "cpu_guarantee": "0.5", "cpu_limit": "1", "gpu": "", "override": "",
		"image": "", "node_group": "",
		"opt.0.key": "image", "opt.0.display_name": "Environment",
		"opt.0.choice.0.key": "scipy", "opt.0.choice.0.display_name": "Python (SciPy)", "opt.0.choice.0.image": "scipy-notebook",
		"opt.0.choice.1.key": "r", "opt.0.choice.1.image": "r-notebook",
		"opt.0.unlisted.display_name":            "Other image",
		"opt.0.unlisted.regex":                   `^[a-z0-9.\/_\-]+:[A-Za-z0-9._\-]+$`,
		"opt.0.unlisted.display_name_in_choices": "",
		"size_count":                             "4",
	} {
		if got := value(t, r, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if got := squash(value(t, r, "opt.0.unlisted.override")); !strings.Contains(got, `"image": "{value}"`) {
		t.Errorf("the free-text override %q does not hold {value}", got)
	}
	for _, name := range []string{"default", "opt.0.unlisted.enabled"} {
		if _, ok := r.Find(byName(name)).Attr("checked"); !ok {
			t.Errorf("%s is not checked", name)
		}
	}
	radios := r.Find(byName("opt.0.default"))
	if radios.Length() != 2 || radios.Eq(0).AttrOr("value", "") != "0" || !radios.Eq(0).Is("[checked]") || radios.Eq(1).Is("[checked]") {
		t.Errorf("default choice radios: want 2 with the first (scipy) checked")
	}
	if got := r.Find(`a[href="` + prefix + `profiles/small/delete"]`).Length(); got != 1 {
		t.Errorf("%d links to confirm the delete, want 1", got)
	}
	if got := r.Find(`button[name=action]`).Map(func(_ int, s *goquery.Selection) string { return s.AttrOr("value", "") }); !slices.Equal(got,
		[]string{"apply-offers", "duplicate-choice:0:0", "remove-choice:0:0", "duplicate-choice:0:1", "remove-choice:0:1", "add-choice:0", "remove-option:0", "add-option", "generate-sizes", "save"}) {
		t.Errorf("editor buttons %q", got)
	}

	r = c.get("profiles/gpu")
	for name, want := range map[string]string{
		"image": "pytorch-notebook", "node_group": "gpu-t4", "gpu": "1",
		"mem_guarantee": "24G", "mem_limit": "24G", "cpu_guarantee": "3.5", "cpu_limit": "4",
	} {
		if got := value(t, r, name); got != want {
			t.Errorf("gpu: %s = %q, want %q", name, got, want)
		}
	}
	if r.Find(byName("opt.0.key")).Length() != 0 {
		t.Error("gpu has no options, but the editor shows one")
	}

	r = c.get("profiles/new")
	wantLayout(t, r, "Add a profile", "Add a profile")
	if got := r.Find("#profile-form form").First().AttrOr("action", ""); got != prefix+"profiles/new" {
		t.Errorf("the new profile form posts to %q", got)
	}
	if got := value(t, r, "slug"); got != "" {
		t.Errorf("new profile slug %q", got)
	}
	if r.Find(`a[href$="/delete"]`).Length() != 0 {
		t.Error("a new profile offers a delete form")
	}
	// Every catalog image and node group is offered.
	if got := r.Find(byName("image") + " option").Length(); got != 1+len(c.head().Catalog.Images) {
		t.Errorf("image select: %d options, want none + %d", got, len(c.head().Catalog.Images))
	}
	if got := r.Find(byName("size_group") + " option").Map(func(_ int, s *goquery.Selection) string { return s.AttrOr("value", "") }); !slices.Equal(got, []string{"", "n2-highmem-4", "gpu-t4"}) {
		t.Errorf("size generator groups %q", got)
	}

	r = c.must(http.StatusNotFound, http.MethodGet, "profiles/nope", nil)
	wantLayout(t, r, "Not found", "Not found")
}

func TestNodeGroupsPage(t *testing.T) {
	c := newFixture(t)
	r := c.get("node-groups")
	wantLayout(t, r, "Node groups", "Node groups")
	rows := r.Find("tbody tr")
	if rows.Length() != 2 {
		t.Fatalf("%d rows, want 2", rows.Length())
	}
	want := [][]string{
		{"n2-highmem-4: 4 CPU, 32 GB n2-highmem-4", "node.kubernetes.io/instance-type=n2-highmem-4", "4", "32 GiB", "—", "no profile"},
		{"One NVIDIA T4 gpu-t4", "cloud.google.com/gke-accelerator=nvidia-tesla-t4 1 toleration(s)", "3.5", "24 GiB", "1 × nvidia.com/gpu", "Large, with a GPU"},
	}
	rows.Each(func(i int, row *goquery.Selection) {
		if got := texts(row, "td"); !slices.Equal(got, want[i]) {
			t.Errorf("row %d: %q, want %q", i, got, want[i])
		}
	})
}

func TestHistoryPage(t *testing.T) {
	c := newFixture(t)
	r := c.get("history")
	wantLayout(t, r, "History", "History")
	rows := r.Find("#history-list tbody tr")
	if rows.Length() != 3 {
		t.Fatalf("%d rows, want 3", rows.Length())
	}
	want := []struct {
		id, badges, author, message string
		summary                     []string
		actions                     []string
	}{
		{"3", "head", "bob", "add a spare image", []string{`added image "spare" (quay.io/jupyter/base-notebook:2025-06-02)`}, []string{"Publish"}},
		{"2", "live", "alice", "import the example list", []string{
			`added image "scipy-notebook" (quay.io/jupyter/scipy-notebook:2025-06-02)`,
			`added image "r-notebook" (quay.io/jupyter/r-notebook:2025-06-02)`,
			`added image "pytorch-notebook" (quay.io/jupyter/pytorch-notebook:cuda12-2025-06-02)`,
			`added profile "Small"`, `added profile "Large, with a GPU"`}, []string{"Restore as a new draft"}},
		{"1", "", "system:config", "infrastructure config changed: node groups updated", []string{"node groups updated from the infrastructure config"}, []string{"Roll back to this", "Restore as a new draft"}},
	}
	rows.Each(func(i int, row *goquery.Selection) {
		w := want[i]
		td := row.Find("td")
		if got := td.Eq(0).Find("a").Text(); got != w.id {
			t.Errorf("row %d: revision %q, want %s", i, got, w.id)
		}
		if got := squash(td.Eq(0).Find(".badge").Text()); got != w.badges {
			t.Errorf("revision %s: badges %q, want %q", w.id, got, w.badges)
		}
		if got := squash(td.Eq(1).Text()); !strings.HasSuffix(got, w.author) {
			t.Errorf("revision %s: who %q, want %s", w.id, got, w.author)
		}
		if got := squash(td.Eq(2).Find("strong").Text()); got != w.message {
			t.Errorf("revision %s: message %q, want %q", w.id, got, w.message)
		}
		if got := texts(td.Eq(2), "li"); !slices.Equal(got, w.summary) {
			t.Errorf("revision %s: summary %q, want %q", w.id, got, w.summary)
		}
		if got := texts(td.Eq(3), "a.button"); !slices.Equal(got, w.actions) {
			t.Errorf("revision %s: actions %q, want %q", w.id, got, w.actions)
		}
	})
	if r.Find(`a[href*="history?before="]`).Length() != 0 {
		t.Error("three revisions: a link to older revisions")
	}
}

func TestHistoryPages(t *testing.T) {
	c := newTestServer(t)
	for i := 0; i < 30; i++ {
		if _, err := c.edit.Commit(context.Background(), edit.Change{Base: edit.NoBase, Author: "bob", Message: "image " + itoa(i),
			Apply: func(cat *model.Catalog) error {
				return cat.AddImage(model.Image{Slug: "im-" + itoa(i), Ref: "quay.io/jupyter/base-notebook:" + itoa(i)})
			}}); err != nil {
			t.Fatal(err)
		}
	}
	r := c.get("history")
	if got := r.Find("#history-list tbody tr").Length(); got != 25 {
		t.Errorf("first page: %d rows, want 25", got)
	}
	older := r.Find(`a[href="` + prefix + `history?before=7"]`)
	if older.Length() != 1 || older.AttrOr("hx-get", "") != prefix+"history?before=7" {
		t.Fatalf("no link to the revisions before 7: %q", texts(r.Find("#history-list"), "a"))
	}
	r = c.get("history?before=7", htmx...)
	if got := texts(r.Find("tbody"), "tr td:first-child a"); !slices.Equal(got, []string{"6", "5", "4", "3", "2", "1"}) {
		t.Errorf("second page: %q, want 6..1", got)
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestRevisionPage(t *testing.T) {
	c := newFixture(t)
	r := c.get("history/3")
	wantLayout(t, r, "Revision 3", "Revision 3 head")
	if got := texts(r.Find("main"), "h2 + ul li"); !slices.Contains(got, `added image "spare" (quay.io/jupyter/base-notebook:2025-06-02)`) {
		t.Errorf("revision 3 summary %q", got)
	}
	if got := r.Find("#against option[selected]").AttrOr("value", ""); got != "2" {
		t.Errorf("compared with %q, want its parent 2", got)
	}
	if got := texts(r.Find(".split section").Eq(0), "li"); len(got) != 1 || !strings.HasPrefix(got[0], "/images/3 addedwhat was added") || !strings.Contains(got[0], `"slug": "spare"`) {
		t.Errorf("catalog diff %q, want the added image with its value", got)
	}
	if got := texts(r.Find(".split section").Eq(1), "li"); len(got) != 0 {
		t.Errorf("an unused image changes the list KubeSpawner gets: %q", got)
	}
	if got := texts(r.Find("main div.actions"), "a.button"); !slices.Equal(got, []string{"Publish"}) {
		t.Errorf("head actions %q, want Publish", got)
	}

	r = c.get("history/3?against=0")
	if got := squash(r.Find("main h2").First().Text()); got != "What changed" {
		t.Errorf("against nothing: heading %q", got)
	}
	r = c.get("history/2?against=3")
	if got := r.text("main h2"); got != "What changed since revision 3" {
		t.Errorf("heading %q", got)
	}
	if got := texts(r.Find(".split section").Eq(0), "li"); len(got) != 1 || !strings.HasPrefix(got[0], "/images/3 removedwhat was removed") || !strings.Contains(got[0], `"slug": "spare"`) {
		t.Errorf("2 against 3: %q", got)
	}

	c.must(http.StatusNotFound, http.MethodGet, "history/99", nil)
	c.must(http.StatusBadRequest, http.MethodGet, "history/x", nil)
}

// previewFixture: gpu is the default profile and for gpu-users only; the
// small profile's R choice is the default and for r-users only.
func previewFixture(t *testing.T) *client {
	t.Helper()
	c := newFixture(t)
	if _, err := c.edit.Commit(context.Background(), edit.Change{Base: edit.NoBase, Author: "bob", Message: "groups",
		Apply: func(cat *model.Catalog) error {
			small, gpu := &cat.Profiles[0], &cat.Profiles[1]
			small.Default, gpu.Default = false, true
			gpu.AllowedGroups = []string{"gpu-users"}
			small.Options[0].Choices[0].Default = false
			small.Options[0].Choices[1].Default = true
			small.Options[0].Choices[1].AllowedGroups = []string{"r-users"}
			return nil
		}}); err != nil {
		t.Fatal(err)
	}
	return c
}

type previewed struct {
	profiles []string // the radios' values
	checked  string   // the checked radio
	options  map[string][]string
	selected map[string]string
}

func readPreview(r *response) previewed {
	p := previewed{options: map[string][]string{}, selected: map[string]string{}}
	r.Find(`#preview-body input[type=radio][name=profile]`).Each(func(_ int, s *goquery.Selection) {
		p.profiles = append(p.profiles, s.AttrOr("value", ""))
		if s.Is("[checked]") {
			p.checked += s.AttrOr("value", "")
		}
	})
	r.Find("#preview-body select").Each(func(_ int, s *goquery.Selection) {
		name := s.AttrOr("name", "")
		p.options[name] = s.Find("option").Map(func(_ int, o *goquery.Selection) string { return o.AttrOr("value", "") })
		p.selected[name] = strings.Join(s.Find("option[selected]").Map(func(_ int, o *goquery.Selection) string { return o.AttrOr("value", "") }), ",")
	})
	return p
}

func TestPreview(t *testing.T) {
	c := newFixture(t)
	r := c.get("preview")
	wantLayout(t, r, "Preview", "Preview")
	p := readPreview(r)
	if !slices.Equal(p.profiles, []string{"small", "gpu"}) || p.checked != "small" {
		t.Errorf("profiles %q checked %q, want small and gpu with small checked", p.profiles, p.checked)
	}
	if len(p.options) != 1 || !slices.Equal(p.options["profile-option-small--image"], []string{"scipy", "r", "unlisted-choice"}) {
		t.Errorf("option selects %q, want one for small's image with scipy, r and Other", p.options)
	}
	if got := p.selected["profile-option-small--image"]; got != "scipy" {
		t.Errorf("selected %q, want the default scipy", got)
	}
	if got := r.text(`option[value=unlisted-choice]`); got != "Other..." {
		t.Errorf("free-text entry %q, want KubeSpawner's Other...", got)
	}
	free := r.Find(`#preview-body input[type=text]`)
	if free.Length() != 1 || free.AttrOr("pattern", "") != `^[a-z0-9.\/_\-]+:[A-Za-z0-9._\-]+$` {
		t.Errorf("free-text field: %d, pattern %q", free.Length(), free.AttrOr("pattern", ""))
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(r.Find("#preview-body pre code").Text()), &list); err != nil || len(list) != 2 || list[0]["slug"] != "small" {
		t.Errorf("the JSON shown is not the list of 2 profiles (%v): %v", err, list)
	}
	if got := r.text("#preview-body p.muted"); got != "Revision 3." {
		t.Errorf("revision line %q", got)
	}
}

func TestPreviewDefaultsAndGroups(t *testing.T) {
	c := previewFixture(t)
	for _, tc := range []struct {
		query    string
		profiles []string
		checked  string
		choices  []string
		selected string
	}{
		// An admin sees everything: the defaults are gpu and r.
		{"", []string{"small", "gpu"}, "gpu", []string{"scipy", "r", "unlisted-choice"}, "r"},
		// A gpu user sees gpu (the default) and small without r.
		{"?group=gpu-users", []string{"small", "gpu"}, "gpu", []string{"scipy", "unlisted-choice"}, "scipy"},
		// An r user sees small only, with r the default.
		{"?group=r-users", []string{"small"}, "small", []string{"scipy", "r", "unlisted-choice"}, "r"},
		// Someone else: small without r; KubeSpawner defaults to the first.
		{"?group=other", []string{"small"}, "small", []string{"scipy", "unlisted-choice"}, "scipy"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			r := c.get("preview" + tc.query)
			p := readPreview(r)
			if !slices.Equal(p.profiles, tc.profiles) || p.checked != tc.checked {
				t.Errorf("profiles %q checked %q, want %q checked %q", p.profiles, p.checked, tc.profiles, tc.checked)
			}
			if got := p.options["profile-option-small--image"]; !slices.Equal(got, tc.choices) {
				t.Errorf("choices %q, want %q", got, tc.choices)
			}
			if got := p.selected["profile-option-small--image"]; got != tc.selected {
				t.Errorf("selected %q, want %q", got, tc.selected)
			}
			if got := len(p.options); got != 1 {
				t.Errorf("%d selects, want 1 (gpu has no options)", got)
			}
			// The filter form shows the group picked and every group mentioned.
			groups := r.Find("#group option").Map(func(_ int, s *goquery.Selection) string { return s.AttrOr("value", "") })
			if !slices.Equal(groups, []string{"", "gpu-users", "r-users"}) {
				t.Errorf("group select %q", groups)
			}
			want := strings.TrimPrefix(tc.query, "?group=")
			if want == "other" {
				want = "" // not a group the catalog mentions: nothing selected
			}
			if got := r.Find("#group option[selected]").AttrOr("value", ""); got != want {
				t.Errorf("selected group %q, want %q", got, want)
			}
		})
	}

	r := c.get("preview?revision=live")
	p := readPreview(r)
	if p.checked != "small" || p.selected["profile-option-small--image"] != "scipy" {
		t.Errorf("the live revision: checked %q, selected %q; want the example list's defaults", p.checked, p.selected)
	}
	if got := r.Find("#revision option[selected]").AttrOr("value", ""); got != "live" {
		t.Errorf("revision select %q, want live", got)
	}
	if got := r.text("#preview-body p.muted"); got != "Revision 2." {
		t.Errorf("live preview line %q", got)
	}

	e := newTestServer(t)
	r = e.get("preview?revision=live")
	if got := r.text("#preview-body .notice"); got != "Nothing is published yet." {
		t.Errorf("nothing published: %q", got)
	}
	r = e.get("preview")
	if got := r.text("#preview-body .notice"); !strings.HasPrefix(got, "No profile is offered") {
		t.Errorf("no profile: %q", got)
	}
}

func TestImportPage(t *testing.T) {
	c := newFixture(t)
	r := c.get("import")
	wantLayout(t, r, "Import", "Import")
	form := r.Find("#import-form form")
	if form.AttrOr("action", "") != prefix+"import" || form.AttrOr("enctype", "") != "multipart/form-data" {
		t.Errorf("import form: action %q enctype %q", form.AttrOr("action", ""), form.AttrOr("enctype", ""))
	}
	if got := form.Find("button[name=action]").Map(func(_ int, s *goquery.Selection) string { return s.AttrOr("value", "") }); !slices.Equal(got, []string{"check", "import"}) {
		t.Errorf("buttons %q", got)
	}
	for _, sel := range []string{"textarea#content[name=content]", "input#file[type=file][name=file]", "input#message", "input[type=checkbox][name=publish]"} {
		if r.Find(sel).Length() != 1 {
			t.Errorf("no %s", sel)
		}
	}
}

// smallList is a profile list as scripts import it.
const smallList = `[
  {"display_name": "Small", "slug": "small", "kubespawner_override": {
    "image": "quay.io/jupyter/scipy-notebook:2025-06-02", "mem_limit": "2G",
    "node_selector": {"node.kubernetes.io/instance-type": "n2-highmem-4"}}},
  {"display_name": "R", "kubespawner_override": {"image": "quay.io/jupyter/r-notebook:2025-06-02"}}
]`

// badValues is a z2jh values file whose second profile has an error.
const badValues = `jupyterhub:
  singleuser:
    profileList:
      - display_name: Small
        slug: small
        kubespawner_override:
          mem_limit: 2G
      - display_name: Big
        slug: big
        kubespawner_override:
          mem_limit: 4Gi
`

func TestImportCheck(t *testing.T) {
	c := newFixture(t)
	for _, tc := range []struct {
		name, content string
		status        int
		summary       string
		findings      []string // "severity path" of each finding
	}{
		{"good list", smallList, http.StatusOK, "Read as profile-list. No errors", nil},
		{"values with an error", badValues, http.StatusUnprocessableEntity, "Read as z2jh-values. 1 error(s): fix them before publishing.",
			// Named as the admin sees it; the pointer into the file stays in the title.
			[]string{"error Profile “Big” mem_limit /jupyterhub/singleuser/profileList/1/kubespawner_override/mem_limit"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.post(tc.status, "import", form("content", tc.content, "action", "check", "base", "3"))
			wantLayout(t, r, "Import", "Import")
			notice := r.Find("#import-form .notice").First()
			if got := squash(notice.Find("strong").First().Text()); !strings.HasPrefix(got, tc.summary) {
				t.Errorf("summary %q, want %q", got, tc.summary)
			}
			var got []string
			notice.Find("li").Each(func(_ int, li *goquery.Selection) {
				if sev := squash(li.Find(".badge").Text()); sev == "error" {
					got = append(got, sev+" "+squash(li.ParentsFiltered("section").First().Find("h3").Text())+" "+squash(li.Find("code").Text())+" "+li.Find("code").AttrOr("title", ""))
				}
			})
			if !slices.Equal(got, tc.findings) {
				t.Errorf("error findings %q, want %q", got, tc.findings)
			}
			if strings.Contains(tc.content, "4Gi") && !strings.Contains(squash(notice.Text()), "4Gi") {
				t.Errorf("the finding does not quote the bad value: %q", squash(notice.Text()))
			}
			if got := r.Find("#content").Text(); strings.TrimSpace(got) != strings.TrimSpace(tc.content) {
				t.Errorf("the pasted content is not kept: %q", got)
			}
			c.wantRevisions(3)
		})
	}

	r := c.post(http.StatusUnprocessableEntity, "import", form("content", "  ", "action", "check"))
	if got := r.text("#import-form .notice.error"); !strings.HasPrefix(got, "Paste a profile list") {
		t.Errorf("empty import: %q", got)
	}
	r = c.post(http.StatusUnprocessableEntity, "import", form("content", "[{", "action", "check"))
	if got := r.text("#import-form .notice.error"); !strings.HasPrefix(got, "This cannot be read") {
		t.Errorf("unreadable import: %q", got)
	}
	c.wantRevisions(3)
}

func TestExport(t *testing.T) {
	c := newFixture(t)
	r := c.get("export")
	wantLayout(t, r, "Export", "Export")
	var links []string
	r.Find("main tbody a").Each(func(_ int, a *goquery.Selection) { links = append(links, a.AttrOr("href", "")) })
	var want []string
	for _, f := range []string{"json", "yaml", "values", "document"} {
		for _, rev := range []string{"live", "head"} {
			want = append(want, prefix+"export/download?format="+f+"&revision="+rev)
		}
	}
	if !slices.Equal(links, want) {
		t.Errorf("export links\n%q\nwant\n%q", links, want)
	}
	// Every link downloads a file.
	files := map[string]string{"json": "profile-list.json", "yaml": "profile-list.yaml", "values": "values.yaml", "document": "hubprofiles.json"}
	for _, l := range links {
		r := c.get(strings.TrimPrefix(l, prefix))
		f := l[strings.Index(l, "format=")+7 : strings.Index(l, "&")]
		if got, want := r.Header.Get("Content-Disposition"), `attachment; filename="`+files[f]+`"`; got != want {
			t.Errorf("%s: Content-Disposition %q, want %q", l, got, want)
		}
		if len(r.Body) == 0 {
			t.Errorf("%s: empty", l)
		}
	}
	// The head has the spare image, the live revision not.
	head := c.get("export/download?format=document&revision=head")
	live := c.get("export/download?format=document&revision=live")
	if !strings.Contains(string(head.Body), `"spare"`) || strings.Contains(string(live.Body), `"spare"`) {
		t.Errorf("head and live exports are not those revisions")
	}
	var list []any
	if err := json.Unmarshal(c.get("export/download?format=json&revision=live").Body, &list); err != nil || len(list) != 2 {
		t.Errorf("the live JSON export is not a list of 2 profiles: %v", err)
	}
	r = c.must(http.StatusBadRequest, http.MethodGet, "export/download?format=toml&revision=head", nil)
	wantLayout(t, r, "Unknown format", "Unknown format")

	// Nothing published: only the draft head can be exported.
	e := newTestServer(t)
	r = e.get("export")
	if n := r.Find(`main tbody a[href$="revision=live"]`).Length(); n != 0 {
		t.Errorf("nothing published, yet %d live export links", n)
	}
	e.must(http.StatusNotFound, http.MethodGet, "export/download?format=json", nil)
}
