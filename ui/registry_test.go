package ui_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/jupyterhub/hubprofiles/internal/testregistry"
	"github.com/jupyterhub/hubprofiles/registry"
)

// TestImagePagesWithARegistry: with a registry checker, against Debian's
// docker-registry on loopback, the image pages show what the registry
// says, refuse a missing reference unless "save anyway" is ticked, offer
// the newer tags, and bump only to a tag that exists.
func TestImagePagesWithARegistry(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Options{})
	for _, tag := range []string{"2024.01.02", "2024.06.01", "2023.12.01", "latest"} {
		testregistry.Push(t, reg.Host, "demo/notebook", tag)
	}
	checker, err := registry.New(registry.Options{Hosts: []registry.Host{{Name: reg.Host, Insecure: true}}, Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c := newTestServerWith(t, checker, byHeader{})
	repo := reg.Host + "/demo/notebook"

	// The live check of the reference being typed.
	r := c.get("images/check?ref="+repo+":2024.06.01", htmx...)
	if got := r.text("#ref-check .badge"); got != string(registry.Exists) {
		t.Errorf("ref-check of an existing tag: %q, want exists", got)
	}
	if got := r.text("#ref-check code"); !strings.HasPrefix(got, "sha256:") {
		t.Errorf("ref-check shows no digest: %q", textOf(r.Find("#ref-check")))
	}
	r = c.get("images/check?ref="+repo+":2099.01.01", htmx...)
	if got := r.text("#ref-check .badge"); got != string(registry.NotFound) {
		t.Errorf("ref-check of a missing tag: %q", got)
	}

	// A missing tag is refused next to the reference, naming what exists;
	// "save anyway" saves it.
	missing := form("slug", "later", "ref", repo+":2099.01.01", "base", "1")
	r = c.post(http.StatusUnprocessableEntity, "images", missing)
	wantFieldError(t, r, "ref", "2099.01.01")
	if !strings.Contains(r.text("#err-ref"), "save anyway") || r.Find(`input[type=checkbox][name=force]`).Length() != 1 {
		t.Errorf("the refusal does not offer \"save anyway\": %q", r.text("#err-ref"))
	}
	c.wantRevisions(1)
	missing.Set("force", "on")
	c.post(http.StatusSeeOther, "images", missing)
	c.wantRevisions(2)

	c.post(http.StatusSeeOther, "images", form("slug", "nb", "display_name", "Notebook", "ref", repo+":2024.01.02", "base", "2"))
	c.wantRevisions(3)

	// The list shows each image's last check.
	r = c.get("images")
	status := map[string]string{}
	r.Find("tbody tr").Each(func(_ int, row *goquery.Selection) {
		status[textOf(row.Find("td a strong"))] = textOf(row.Find("td").Eq(2).Find(".badge"))
	})
	if status["nb"] != string(registry.Exists) || status["later"] != string(registry.NotFound) {
		t.Errorf("registry column %v, want nb exists and later not_found", status)
	}
	// The dashboard lists the image the registry did not confirm.
	if got := texts(c.get("").Find(".notice.warning"), "li a"); !slices.Contains(got, "later") {
		t.Errorf("the dashboard's unconfirmed images %q lack later", got)
	}

	// The image page offers the newer tags, newest first, each a bump.
	r = c.get("images/nb")
	var newer []string
	r.Find(`form[action$="/images/nb/bump"]`).Each(func(_ int, f *goquery.Selection) {
		newer = append(newer, f.Find("input[name=tag]").AttrOr("value", ""))
	})
	if !slices.Equal(newer, []string{"2024.06.01"}) {
		t.Errorf("newer tags offered %q, want 2024.06.01", newer)
	}

	// A bump to a tag that is not there is refused; to one that is, done.
	r = c.post(http.StatusUnprocessableEntity, "images/nb/bump", form("tag", "2099.01.01", "base", "3"))
	wantLayout(t, r, "Not bumped", "Not bumped")
	c.wantRevisions(3)
	c.post(http.StatusSeeOther, "images/nb/bump", form("tag", "2024.06.01", "base", "3"))
	c.wantRevisions(4)
	if im, _ := c.head().Catalog.Image("nb"); im.Ref != repo+":2024.06.01" {
		t.Errorf("ref after the bump %q", im.Ref)
	}
}

// TestDashboardSaysNotCheckedSince: a registry that could not be reached
// is not forgotten when its answer expires (a failure is kept a minute):
// the dashboard says the image is not checked since then, with the last
// answer, instead of "None found" (issue 14).
func TestDashboardSaysNotCheckedSince(t *testing.T) {
	const host = "127.0.0.1:1" // nothing listens there: connection refused
	checker, err := registry.New(registry.Options{Hosts: []registry.Host{{Name: host, Insecure: true}}, Timeout: 3 * time.Second, CacheTTL: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c := newTestServerWith(t, checker, byHeader{})
	ref := host + "/demo/notebook:1"
	c.post(http.StatusSeeOther, "images", form("slug", "nb", "ref", ref, "base", "1", "force", "on"))
	if res := checker.Check(t.Context(), ref); res.Status != registry.Unreachable {
		t.Fatalf("checking %s: %s %s, want unreachable", ref, res.Status, res.Message)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, fresh := checker.Cached(ref); !fresh {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the failure never expired")
		}
	}
	r := c.get("")
	problems := textOf(r.Find(`section[aria-labelledby="problems-h"]`))
	if strings.Contains(problems, "None found") || !strings.Contains(problems, "nb not checked since") || !strings.Contains(problems, "connection refused") {
		t.Errorf("the dashboard's problems after the failure expired: %q", problems)
	}
}

// TestNewerTagsAndBulkBump: the images list and the dashboard say which
// images have newer tags, per repository, and one button moves every image
// of the repository on an older tag to the picked one, in one revision
// (issue 14).
func TestNewerTagsAndBulkBump(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Options{})
	for _, tag := range []string{"2024.01.02", "2024.06.01", "2024.09.01"} {
		testregistry.Push(t, reg.Host, "demo/notebook", tag)
	}
	checker, err := registry.New(registry.Options{Hosts: []registry.Host{{Name: reg.Host, Insecure: true}}, Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c := newTestServerWith(t, checker, byHeader{})
	repo := reg.Host + "/demo/notebook"
	for i, im := range [][2]string{{"jan", "2024.01.02"}, {"jan-gpu", "2024.01.02"}, {"sep", "2024.09.01"}} {
		c.post(http.StatusSeeOther, "images", form("slug", im[0], "ref", repo+":"+im[1], "base", strconv.Itoa(i+1)))
	}
	c.wantRevisions(4)

	r := c.get("images")
	hint := textOf(r.Find("#newer-tags"))
	for _, want := range []string{repo, "jan on 2024.01.02 (newest 2024.09.01)", "jan-gpu on 2024.01.02", "Bump all 2 images of this repository"} {
		if !strings.Contains(hint, want) {
			t.Errorf("the images page's newer tags %q lack %q", hint, want)
		}
	}
	if strings.Contains(hint, "sep on") {
		t.Errorf("an image on the newest tag is hinted: %q", hint)
	}
	if got := texts(r.Find(`#newer-tags select[name="tag"]`), "option"); !slices.Equal(got, []string{"2024.09.01", "2024.06.01"}) {
		t.Errorf("the bump offers %q", got)
	}
	if got := textOf(c.get("").Find("#newer-tags")); !strings.Contains(got, "Newer tags for 1 repository") || !strings.Contains(got, "newest 2024.09.01") {
		t.Errorf("the dashboard's newer tags: %q", got)
	}

	bump := formValues(r.Find(`#newer-tags form`).First(), "tag", "2024.06.01")
	r = c.do(http.MethodPost, "image-repositories/bump", bump)
	wantDone(t, c, r, "images", "2 image(s) of "+repo+" now use tag 2024.06.01")
	c.wantRevisions(5)
	cat := c.head().Catalog
	for slug, want := range map[string]string{"jan": "2024.06.01", "jan-gpu": "2024.06.01", "sep": "2024.09.01"} {
		if im, _ := cat.Image(slug); im.Ref != repo+":"+want {
			t.Errorf("%s is %s after the bump, want tag %s", slug, im.Ref, want)
		}
	}
	// A tag the registry does not have is refused; nothing is written.
	bump.Set("tag", "2099.01.01")
	bump.Set("base", "5")
	c.post(http.StatusUnprocessableEntity, "image-repositories/bump", bump)
	c.wantRevisions(5)
}
