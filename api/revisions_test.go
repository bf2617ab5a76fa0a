package api_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jupyterhub/hubprofiles/infra"
	"github.com/jupyterhub/hubprofiles/ordered"
)

// revisionIDs lists the ids of a GET revisions page.
func revisionIDs(r *response) []int64 {
	var out []int64
	for _, rev := range list(r.JSON, "revisions") {
		out = append(out, num(rev, "id"))
	}
	return out
}

// describe patches an image's description: one more revision.
func (c *client) describe(image, text string, hdr ...string) *response {
	c.t.Helper()
	return c.must(http.StatusOK, http.MethodPatch, "api/v1/images/"+image, map[string]any{"description": text}, hdr...)
}

const scipy = "scipy-notebook"

func TestListRevisions(t *testing.T) {
	c := newTestServer(t)
	c.seed()
	for i := 2; i <= 7; i++ {
		c.describe(scipy, fmt.Sprintf("v%d", i), "X-Hubprofiles-Message", fmt.Sprintf("write %d", i))
	}
	c.must(http.StatusOK, http.MethodPost, "api/v1/revisions/5/publish", nil)

	all := c.get("api/v1/revisions")
	if got := revisionIDs(all); !slices.Equal(got, []int64{7, 6, 5, 4, 3, 2, 1}) {
		t.Errorf("ids %v, want newest first", got)
	}
	if num(all.JSON, "live") != 5 || dig(all.JSON, "next_before") != nil {
		t.Errorf("live %v next_before %v, want 5 and none", dig(all.JSON, "live"), dig(all.JSON, "next_before"))
	}
	for _, rev := range list(all.JSON, "revisions") {
		id := num(rev, "id")
		if live := dig(rev, "live"); live != (id == 5) {
			t.Errorf("revision %d live = %v", id, live)
		}
		if id > 1 && str(rev, "message") != fmt.Sprintf("write %d", id) {
			t.Errorf("revision %d message %q", id, str(rev, "message"))
		}
		if id > 1 && num(rev, "parent_id") != id-1 {
			t.Errorf("revision %d parent %d", id, num(rev, "parent_id"))
		}
		if _, err := time.Parse(time.RFC3339Nano, str(rev, "created_at")); err != nil {
			t.Errorf("revision %d created_at: %v", id, err)
		}
		if str(rev, "author") != "dev-admin" || len(str(rev, "content_sha256")) != 64 || len(str(rev, "chain_sha256")) != 64 {
			t.Errorf("revision %d metadata: %v", id, rev)
		}
		if dig(rev, "catalog") != nil || dig(rev, "profile_list") != nil {
			t.Errorf("the list carries content: %v", rev)
		}
	}

	// Paging: before / limit / next_before walks every revision once.
	for _, tc := range []struct {
		query string
		ids   []int64
		next  any
	}{
		{"?limit=3", []int64{7, 6, 5}, 5.0},
		{"?before=5&limit=3", []int64{4, 3, 2}, 2.0},
		{"?before=2&limit=3", []int64{1}, nil},
		{"?before=4&limit=3", []int64{3, 2, 1}, nil}, // a full last page has no next
		{"?limit=500", []int64{7, 6, 5, 4, 3, 2, 1}, nil},
		{"?before=1", []int64{}, nil},
	} {
		r := c.get("api/v1/revisions" + tc.query)
		if got := revisionIDs(r); !slices.Equal(got, tc.ids) || (got == nil) != (len(tc.ids) == 0) {
			t.Errorf("%s: ids %v, want %v", tc.query, got, tc.ids)
		}
		if list(r.JSON, "revisions") == nil {
			t.Errorf("%s: revisions missing or null: %s", tc.query, r.Body)
		}
		if got := dig(r.JSON, "next_before"); got != tc.next {
			t.Errorf("%s: next_before %v, want %v", tc.query, got, tc.next)
		}
	}
	var walked []int64
	for q := "?limit=2"; ; {
		r := c.get("api/v1/revisions" + q)
		walked = append(walked, revisionIDs(r)...)
		next := dig(r.JSON, "next_before")
		if next == nil {
			break
		}
		q = fmt.Sprintf("?limit=2&before=%d", num(r.JSON, "next_before"))
	}
	if !slices.Equal(walked, []int64{7, 6, 5, 4, 3, 2, 1}) {
		t.Errorf("walking with next_before: %v", walked)
	}
}

func TestGetRevision(t *testing.T) {
	c := newTestServer(t)
	c.seed()
	c.must(http.StatusOK, http.MethodPost, "api/v1/revisions/1/publish", nil)
	r := c.get("api/v1/revisions/1")
	if num(r.JSON, "id") != 1 || dig(r.JSON, "live") != true || str(r.JSON, "message") != "import profile-list" {
		t.Errorf("revision 1 = %s", r.Body)
	}
	if num(r.JSON, "catalog", "schema_version") != 1 || len(list(r.JSON, "catalog", "profiles")) != 2 {
		t.Errorf("catalog missing or wrong: %v", dig(r.JSON, "catalog"))
	}
	got := orderedJSON(t, mustMarshalOrdered(t, orderedJSON(t, r.Body), "profile_list"))
	if want := orderedJSON(t, c.get("profile_list").Body); !sameOrderedJSON(got, want) {
		t.Errorf("revision 1 profile_list differs from what profile_list serves")
	}
}

func TestDiffRevision(t *testing.T) {
	c := newTestServer(t)
	c.seed()
	c.describe(scipy, "second")                                                                                               // 2
	c.must(http.StatusOK, http.MethodPost, "api/v1/profiles/gpu/move", map[string]any{"position": 0})                         // 3
	c.must(http.StatusOK, http.MethodPatch, "api/v1/images/"+scipy, map[string]any{"ref": scipyNew})                          // 4
	c.must(http.StatusOK, http.MethodPut, "api/v1/profiles/small", map[string]any{"display_name": "Tiny"}, "If-Match", `"4"`) // 5

	changes := func(r *response, key string) []string {
		var out []string
		for _, ch := range list(r.JSON, key) {
			out = append(out, str(ch, "op")+" "+str(ch, "path"))
		}
		return out
	}
	for _, tc := range []struct {
		path          string
		from, to      int64
		catalog, list []string // want these changes among the reported ones
		noListChange  bool
	}{
		{"api/v1/revisions/2/diff", 1, 2, []string{"added /images/0/description"}, nil, true},
		// Profiles are paired by slug: a move is a move.
		{"api/v1/revisions/3/diff", 2, 3, []string{"moved /profiles"}, []string{"moved "}, false},
		{"api/v1/revisions/4/diff", 3, 4, []string{"changed /images/0/ref"}, []string{"changed /1/profile_options/image/choices/scipy/kubespawner_override/image"}, false},
		{"api/v1/revisions/5/diff?against=1", 1, 5, []string{"changed /images/0/ref", "added /images/0/description"}, []string{"changed /1/display_name", "moved "}, false},
		{"api/v1/revisions/1/diff", 0, 1, []string{"added /images/0"}, []string{"added /0", "added /1"}, false},
	} {
		t.Run(tc.path, func(t *testing.T) {
			r := c.get(tc.path)
			if num(r.JSON, "from") != tc.from || num(r.JSON, "to") != tc.to {
				t.Errorf("from %v to %v, want %d → %d", dig(r.JSON, "from"), dig(r.JSON, "to"), tc.from, tc.to)
			}
			cat, pl := changes(r, "catalog"), changes(r, "profile_list")
			for _, want := range tc.catalog {
				if !slices.Contains(cat, want) {
					t.Errorf("catalog changes %v lack %q", cat, want)
				}
			}
			for _, want := range tc.list {
				if !slices.Contains(pl, want) {
					t.Errorf("profile_list changes %v lack %q", pl, want)
				}
			}
			if list(r.JSON, "profile_list") == nil || list(r.JSON, "catalog") == nil && len(tc.catalog) == 0 {
				t.Errorf("changes must be arrays, never null: %s", r.Body)
			}
			if tc.noListChange && len(pl) != 0 {
				t.Errorf("profile_list changes %v, want none", pl)
			}
		})
	}
	// The from/to values of a change are there.
	r := c.get("api/v1/revisions/4/diff")
	for _, ch := range list(r.JSON, "catalog") {
		if str(ch, "path") == "/images/0/ref" && (str(ch, "from") != scipyRef || str(ch, "to") != scipyNew) {
			t.Errorf("ref change %v, want %s → %s", ch, scipyRef, scipyNew)
		}
	}
}

// TestPublish: publishing makes profile_list serve the revision at once,
// with a new ETag; rolling back is publishing an older one.
func TestPublish(t *testing.T) {
	c := newTestServer(t)
	c.seed()
	errorOf(t, c.do(http.MethodGet, "profile_list", nil), http.StatusServiceUnavailable, "nothing_published")

	r := c.must(http.StatusOK, http.MethodPost, "api/v1/revisions/1/publish", map[string]any{"message": "go live"})
	for _, tc := range []struct {
		path []any
		want any
	}{
		{[]any{"publication", "id"}, 1.0},
		{[]any{"publication", "revision_id"}, 1.0},
		{[]any{"publication", "author"}, "dev-admin"},
		{[]any{"publication", "message"}, "go live"},
	} {
		if got := dig(r.JSON, tc.path...); got != tc.want {
			t.Errorf("body%v = %v, want %v", tc.path, got, tc.want)
		}
	}
	if list(r.JSON, "warnings") == nil {
		t.Errorf("warnings missing: %s", r.Body)
	}
	c.wantRevisions(1) // publishing writes no revision

	pl1 := c.get("profile_list")
	e1 := etag(t, pl1)
	if pl1.Header.Get("X-Hubprofiles-Revision") != "1" || pl1.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("profile_list headers %v", pl1.Header)
	}
	rev1 := orderedJSON(t, mustMarshalOrdered(t, orderedJSON(t, c.get("api/v1/revisions/1").Body), "profile_list"))
	if !sameOrderedJSON(orderedJSON(t, pl1.Body), rev1) {
		t.Errorf("profile_list is not revision 1's list")
	}
	nm := c.do(http.MethodGet, "profile_list", nil, "If-None-Match", e1)
	if nm.Status != http.StatusNotModified || len(nm.Body) != 0 || nm.Header.Get("ETag") != e1 {
		t.Errorf("If-None-Match %s: status %d, body %q, ETag %q; want 304, empty, same ETag", e1, nm.Status, nm.Body, nm.Header.Get("ETag"))
	}

	// A draft is not live.
	c.must(http.StatusOK, http.MethodPatch, "api/v1/images/"+scipy, map[string]any{"ref": scipyNew})
	if got := c.get("profile_list").Header.Get("X-Hubprofiles-Revision"); got != "1" {
		t.Errorf("a draft went live: profile_list serves %s", got)
	}

	c.must(http.StatusOK, http.MethodPost, "api/v1/revisions/2/publish?message=bump", nil)
	pl2 := c.get("profile_list")
	e2 := etag(t, pl2)
	if e2 == e1 || pl2.Header.Get("X-Hubprofiles-Revision") != "2" || !strings.Contains(string(pl2.Body), scipyNew) {
		t.Errorf("after publishing 2: ETag %s (was %s), revision %s", e2, e1, pl2.Header.Get("X-Hubprofiles-Revision"))
	}
	if got := c.do(http.MethodGet, "profile_list", nil, "If-None-Match", e1); got.Status != http.StatusOK {
		t.Errorf("If-None-Match with the old ETag: %d, want 200", got.Status)
	}

	// Roll back.
	c.must(http.StatusOK, http.MethodPost, "api/v1/revisions/1/publish", nil)
	pl3 := c.get("profile_list")
	if etag(t, pl3) != e1 || pl3.Header.Get("X-Hubprofiles-Revision") != "1" {
		t.Errorf("after rolling back: ETag %s revision %s, want %s and 1", etag(t, pl3), pl3.Header.Get("X-Hubprofiles-Revision"), e1)
	}
	c.wantRevisions(2)

	pubs := c.get("api/v1/publications")
	var got []string
	for _, p := range list(pubs.JSON, "publications") {
		got = append(got, fmt.Sprintf("%d:%d:%s", num(p, "id"), num(p, "revision_id"), str(p, "message")))
	}
	want := []string{"3:1:publish revision 1", "2:2:bump", "1:1:go live"}
	if !slices.Equal(got, want) {
		t.Errorf("publications %v, want %v (newest first)", got, want)
	}
	if n := len(list(c.get("api/v1/publications?limit=1").JSON, "publications")); n != 1 {
		t.Errorf("?limit=1 gave %d", n)
	}
	revs := c.get("api/v1/revisions")
	if num(revs.JSON, "live") != 1 {
		t.Errorf("GET revisions live = %v, want 1", dig(revs.JSON, "live"))
	}
}

// TestPublishWarnsAboutRemovedSlugs: publishing a list without a slug users
// have now succeeds with a warning.
func TestPublishWarnsAboutRemovedSlugs(t *testing.T) {
	c := newTestServer(t)
	c.seed()
	c.must(http.StatusOK, http.MethodPost, "api/v1/revisions/1/publish", nil)
	c.must(http.StatusOK, http.MethodDelete, "api/v1/profiles/gpu", nil)
	r := c.must(http.StatusOK, http.MethodPost, "api/v1/revisions/2/publish", nil)
	ws := list(r.JSON, "warnings")
	found := false
	for _, w := range ws {
		if strings.Contains(str(w, "message"), "gpu") && str(w, "severity") == "warning" {
			found = true
		}
	}
	if !found {
		t.Errorf("publishing without the live profile gpu: warnings %v, want one naming gpu", ws)
	}
}

// TestPublishRevalidates: a revision that was valid when written but breaks
// the infrastructure policy in force now is refused, and nothing changes.
func TestPublishRevalidates(t *testing.T) {
	c := newTestServer(t)
	c.seed()
	cfg, err := infra.Parse([]byte("policy:\n  allowedRegistries: [docker.io]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.edit.SetConfig(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	e := errorOf(t, c.do(http.MethodPost, "api/v1/revisions/1/publish", nil), http.StatusUnprocessableEntity, "invalid")
	for _, want := range []string{"/profiles/0/options/0/choices/0/image", "/profiles/1/image"} {
		if !e.hasField(want, "quay.io") {
			t.Errorf("fields %v, want %s naming quay.io", e.fieldPaths(), want)
		}
	}
	if c.publications() != 0 {
		t.Errorf("a refused publication was recorded")
	}
	errorOf(t, c.do(http.MethodGet, "profile_list", nil), http.StatusServiceUnavailable, "nothing_published")

	// Restoring it onto itself writes nothing, and still lists the errors
	// that keep it from being published.
	r := c.must(http.StatusOK, http.MethodPost, "api/v1/revisions/1/restore", nil)
	if dig(r.JSON, "unchanged") != true || len(list(r.JSON, "errors")) == 0 {
		t.Errorf("restore onto itself: %s", r.Body)
	}
	c.wantRevisions(1)
}

func TestRestore(t *testing.T) {
	c := newTestServer(t)
	c.seed()
	c.must(http.StatusOK, http.MethodPatch, "api/v1/images/"+scipy, map[string]any{"ref": scipyNew}) // 2
	c.must(http.StatusOK, http.MethodDelete, "api/v1/profiles/gpu", nil)                             // 3

	errorOf(t, c.do(http.MethodPost, "api/v1/revisions/1/restore", nil, "If-Match", `"2"`), http.StatusPreconditionFailed, "stale")
	c.wantRevisions(3)

	r := c.must(http.StatusCreated, http.MethodPost, "api/v1/revisions/1/restore", nil, "If-Match", `"3"`)
	if num(r.JSON, "revision", "id") != 4 || etag(t, r) != `"4"` || str(r.JSON, "revision", "message") != "restore revision 1" ||
		dig(r.JSON, "revision", "live") != false || num(r.JSON, "revision", "parent_id") != 3 {
		t.Errorf("restore = %s (ETag %s)", r.Body, etag(t, r))
	}
	old, restored := c.get("api/v1/revisions/1"), c.get("api/v1/revisions/4")
	for _, key := range []string{"catalog", "profile_list"} {
		if a, b := mustMarshalOrdered(t, orderedJSON(t, old.Body), key), mustMarshalOrdered(t, orderedJSON(t, restored.Body), key); string(a) != string(b) {
			t.Errorf("restored %s differs:\n old %s\n new %s", key, a, b)
		}
	}
	if str(old.JSON, "content_sha256") != str(restored.JSON, "content_sha256") {
		t.Errorf("same content, different content hashes")
	}
	if got := c.profileSlugs(); !slices.Equal(got, []string{"small", "gpu"}) {
		t.Errorf("profiles after restore %v", got)
	}
	// Without If-Match, with a message.
	r = c.must(http.StatusCreated, http.MethodPost, "api/v1/revisions/3/restore?message=undo", nil)
	if str(r.JSON, "revision", "message") != "undo" {
		t.Errorf("message %q", str(r.JSON, "revision", "message"))
	}
	c.wantRevisions(5)
}

// mustMarshalOrdered returns the compact JSON of key in an ordered object.
func mustMarshalOrdered(t *testing.T, v any, key string) []byte {
	t.Helper()
	m, ok := v.(interface{ Get(string) (any, bool) })
	if !ok {
		t.Fatalf("not an object: %v", v)
	}
	x, ok := m.Get(key)
	if !ok {
		t.Fatalf("no %s", key)
	}
	b, err := ordered.Marshal(x)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
