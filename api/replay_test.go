package api_test

// The replay: what a hub admin would do through the REST API instead of a
// pull request, measured on the real history of 48 hubs
// (../shared/corpus/history). For every consecutive pair of lists of a hub
// the earlier one is imported into a fresh server, the later one is reached
// with the API's edit operations only, and what profile_list then serves
// must be the later list up to the normalisations DESIGN.md section 3
// allows (KubeSpawner treats the two exactly alike).
//
// Each changed pair is classified by what the edits had to carry:
//   - typed: every change was expressed in the model's typed fields;
//   - raw: some edit changed a raw JSON map (a kubespawner_override, or the
//     verbatim "extra" keys), i.e. the admin had to write JSON by hand.
//     Removing such a setting (or named items of a list) and copying one
//     the hub already has at another place are done with the settings
//     operations instead (replayOps), which write no JSON;
//   - not reached: no sequence of edits got there.
//
// "Raw" is decided on the model as it is at run time: every object of a
// profile, as the API sends it, is walked and its kubespawner_override and
// extra maps are compared with those of the same object (found by slug or
// key) before the edit. Whatever the model types is lifted out of those maps
// on import, so typing more raises the typed share without changing this
// test.

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/internal/corpus"
	"github.com/jupyterhub/hubprofiles/internal/roundtrip"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
	"github.com/jupyterhub/hubprofiles/profilelist"
)

var updateReplay = flag.Bool("update-replay", false, "rewrite docs/replay.md from the replay of the corpus history")

// The classes of a changed pair.
const (
	replayTyped      = "typed"
	replayRaw        = "raw"
	replayNotReached = "not reached"
	replaySame       = "no change"
	// replayBroken: the later list has errors (a real bug KubeSpawner would
	// hit), so the edits that would reach it are rightly refused.
	replayBroken = "later list has errors"
)

// rawKeys are the model's untyped maps: what an editor writes as JSON.
var rawKeys = []string{"kubespawner_override", "extra"}

type replayResult struct {
	hub, from, to string
	class         string
	why           string   // for not reached: what failed
	raw           []string // the raw keys that had to change, e.g. kubespawner_override.mem_limit
	requests      int      // the writes sent
	ops           int      // of which settings copied or removed without writing them
}

// TestReplayHistory replays every consecutive pair of every hub's history,
// reports the shares in the test log and in docs/replay.md, and requires
// every pair to be reached.
func TestReplayHistory(t *testing.T) {
	history := corpus.History(t)
	hubs := make([]string, 0, len(history))
	for h := range history {
		hubs = append(hubs, h)
	}
	sort.Strings(hubs)
	type pair struct{ hub, from, to string }
	var pairs []pair
	for _, hub := range hubs {
		files := history[hub]
		for i := 1; i < len(files); i++ {
			pairs = append(pairs, pair{hub, files[i-1], files[i]})
		}
	}
	results := make([]replayResult, len(pairs))
	t.Run("pairs", func(t *testing.T) {
		for i, p := range pairs {
			t.Run(fmt.Sprintf("%s/%s..%s", p.hub, date(p.from), date(p.to)), func(t *testing.T) {
				t.Parallel()
				res := replayPair(t, p.from, p.to)
				res.hub, res.from, res.to = p.hub, date(p.from), date(p.to)
				if res.class == replayNotReached {
					t.Errorf("not reached: %s", res.why)
				}
				results[i] = res
			})
		}
	})
	report := replayReport(results)
	summary, _, _ := strings.Cut(report, "\n## Every pair")
	t.Log("\n" + summary)
	file := filepath.Join(corpus.RepoRoot(t), "docs", "replay.md")
	if *updateReplay {
		if err := os.WriteFile(file, []byte(report), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./api -run TestReplayHistory -update-replay to create it)", err)
	}
	if string(want) != report {
		t.Errorf("docs/replay.md is out of date; run go test ./api -run TestReplayHistory -update-replay")
	}
}

func date(path string) string { return strings.TrimSuffix(filepath.Base(path), ".json") }

// replayPair imports from, then edits towards to through the API.
func replayPair(t *testing.T, from, to string) replayResult {
	t.Helper()
	fromData, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	toData, err := os.ReadFile(to)
	if err != nil {
		t.Fatal(err)
	}
	target, err := profilelist.Parse(toData, profilelist.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	want := roundtrip.Normalized(target.List)

	// Editors may write every setting here (policy.editorOverrides: ["*"]):
	// what is measured is whether the API can express a change at all;
	// TestDefaultBoundaryOnRealHistory (edit) measures which real changes
	// need an operator under the default policy.
	c := newTestServer(t, withInfra(allSettingsForEditors))
	broken := num(c.must(http.StatusOK, http.MethodPost, "api/v1/validate", toData).JSON, "errors") > 0
	if r := c.do(http.MethodPost, "api/v1/import", fromData); r.Status != http.StatusCreated {
		return replayResult{class: replayNotReached, why: fmt.Sprintf("importing the earlier list: %d %s", r.Status, r.Body)}
	}
	if ordered.Equal(orderedJSON(t, c.get("api/v1/export?format=json&revision=head").Body), want) {
		return replayResult{class: replaySame}
	}

	cat := c.get("api/v1/catalog")
	tag := etag(t, cat)
	src, err := profilelist.Parse(cat.Body, profilelist.DefaultLimits)
	if err != nil || src.Document == nil {
		t.Fatalf("GET catalog is not a document: %v", err)
	}
	head := src.Document
	// What the admin aims at, in the model's terms: the later list with the
	// images the hub already has reused by reference.
	goal, err := profilelist.Import(target.List, profilelist.ImportOptions{Images: head.Images, NodeGroups: head.NodeGroups})
	if err != nil {
		return replayResult{class: replayNotReached, why: "the later list does not import: " + err.Error()}
	}

	res := replayResult{class: replayTyped}
	var failed string
	send := func(method, path string, body any) {
		if failed != "" {
			return
		}
		res.requests++
		r := c.do(method, path, body, "If-Match", tag)
		if r.Status >= 300 {
			failed = fmt.Sprintf("%s %s: %d %s", method, path, r.Status, r.Body)
			return
		}
		tag = etag(t, r)
	}

	// Images first, so that profiles can name them.
	for _, im := range goal.Images {
		old, ok := head.Image(im.Slug)
		switch {
		case !ok:
			send(http.MethodPost, "api/v1/images", im)
		case !sameJSONValue(t, *old, im):
			send(http.MethodPatch, "api/v1/images/"+url.PathEscape(im.Slug), map[string]string{
				"display_name": im.DisplayName, "description": im.Description, "ref": im.Ref})
		}
	}
	// Profiles: add or replace, the settings the model does not type copied
	// or removed with the settings operations (replayOps), then the removed
	// profiles go and each is put in its place.
	var order []string
	var gone []string
	for _, p := range head.Profiles {
		if goal.ProfileIndex(p.Slug) < 0 {
			gone = append(gone, p.Slug)
			continue
		}
		order = append(order, p.Slug)
	}
	var ops, cleanup []replayOp
	for _, p := range goal.Profiles {
		i := head.ProfileIndex(p.Slug)
		var before *model.Profile
		if i >= 0 {
			before = &head.Profiles[i]
		}
		if i >= 0 && sameJSONValue(t, *before, p) {
			continue
		}
		write, pops, pclean := replayOps(t, head, goal, before, p)
		ops, cleanup = append(ops, pops...), append(cleanup, pclean...)
		res.raw = append(res.raw, rawChanges(t, before, &write)...)
		if i < 0 {
			send(http.MethodPost, "api/v1/profiles", write)
			order = append(order, p.Slug)
		} else {
			send(http.MethodPut, "api/v1/profiles/"+url.PathEscape(p.Slug), write)
		}
	}
	for _, op := range ops {
		send(op.method, op.path, op.body)
	}
	res.ops = len(ops)
	for _, op := range cleanup {
		send(op.method, op.path, op.body)
	}
	for _, slug := range gone {
		send(http.MethodDelete, "api/v1/profiles/"+url.PathEscape(slug), nil)
	}
	for i, p := range goal.Profiles {
		if order[i] == p.Slug {
			continue
		}
		send(http.MethodPost, "api/v1/profiles/"+url.PathEscape(p.Slug)+"/move", map[string]int{"position": i})
		j := slices.Index(order, p.Slug)
		order = slices.Insert(slices.Delete(order, j, j+1), i, p.Slug)
	}
	if !sameJSONValue(t, goal.Defaults, head.Defaults) {
		send(http.MethodPut, "api/v1/defaults", goal.Defaults)
	}
	// Images nothing uses any more go, as an admin tidying up would.
	for _, im := range head.Images {
		if len(goal.ImageUsers(im.Slug)) == 0 {
			send(http.MethodDelete, "api/v1/images/"+url.PathEscape(im.Slug), nil)
		}
	}
	if failed != "" && broken && strings.Contains(failed, ": 422 ") {
		return replayResult{class: replayBroken, why: failed, requests: res.requests}
	}
	if failed != "" {
		return replayResult{class: replayNotReached, why: failed, requests: res.requests}
	}

	if broken {
		t.Errorf("the later list has errors, yet the edits that reach it were accepted")
	}
	got := orderedJSON(t, c.get("api/v1/export?format=json&revision=head").Body)
	if !ordered.Equal(got, want) {
		g, _ := ordered.MarshalIndent(got, " ")
		w, _ := ordered.MarshalIndent(want, " ")
		return replayResult{class: replayNotReached, why: fmt.Sprintf("the edited list differs:\n got %s\nwant %s", g, w), requests: res.requests}
	}
	if msg := sameOrder("", want, got); msg != "" {
		return replayResult{class: replayNotReached, why: msg, requests: res.requests}
	}
	if len(res.raw) > 0 {
		res.class = replayRaw
		slices.Sort(res.raw)
		res.raw = slices.Compact(res.raw)
	}
	return res
}

func sameJSONValue(t *testing.T, a, b any) bool {
	t.Helper()
	x, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return ordered.Equal(orderedJSON(t, x), orderedJSON(t, y))
}

// rawChanges names the raw keys (kubespawner_override.mem_limit,
// extra.allowed_teams, ...) an edit from before (nil: a new profile) to
// after changes, on objects that exist after the edit. Removing a whole
// choice or option is a typed edit; changing what is left of it in a raw
// map is not.
func rawChanges(t *testing.T, before, after *model.Profile) []string {
	t.Helper()
	old := map[string]*ordered.Map{}
	if before != nil {
		rawMaps(t, *before, old)
	}
	now := map[string]*ordered.Map{}
	rawMaps(t, *after, now)
	var out []string
	for path, m := range now {
		o := old[path]
		name := path[strings.LastIndex(path, "/")+1:]
		for _, k := range unionKeys(o, m) {
			ov, inOld := get(o, k)
			nv, inNew := get(m, k)
			if inOld != inNew || !ordered.Equal(ov, nv) {
				out = append(out, name+"."+k)
			}
		}
	}
	return out
}

func get(m *ordered.Map, k string) (any, bool) {
	if m == nil {
		return nil, false
	}
	return m.Get(k)
}

func unionKeys(a, b *ordered.Map) []string {
	var keys []string
	for _, m := range []*ordered.Map{a, b} {
		if m != nil {
			for _, k := range m.Keys() {
				if !slices.Contains(keys, k) {
					keys = append(keys, k)
				}
			}
		}
	}
	return keys
}

// rawMaps records, for every object of a profile as the API sends it, its
// raw maps by a path that names entries by slug or key (so that inserting
// a choice does not shift the others); an absent map is recorded as nil.
func rawMaps(t *testing.T, p model.Profile, out map[string]*ordered.Map) {
	t.Helper()
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case *ordered.Map:
			for _, k := range rawKeys {
				m, _ := x.Get(k)
				mm, _ := m.(*ordered.Map)
				out[path+"/"+k] = mm
			}
			for _, k := range x.Keys() {
				if !slices.Contains(rawKeys, k) {
					v, _ := x.Get(k)
					walk(path+"/"+k, v)
				}
			}
		case []any:
			for i, e := range x {
				seg := fmt.Sprint(i)
				if m, ok := e.(*ordered.Map); ok {
					if k, ok := m.Get("key"); ok {
						seg = fmt.Sprintf("key=%v", k)
					} else if s, ok := m.Get("slug"); ok {
						seg = fmt.Sprintf("slug=%v", s)
					}
				}
				walk(path+"/"+seg, e)
			}
		}
	}
	walk("", orderedJSON(t, data))
}

// replayReport is docs/replay.md: the shares, the raw keys that forced raw
// JSON, and every pair.
func replayReport(results []replayResult) string {
	count := map[string]int{}
	keyPairs := map[string]int{}
	changed, extraOnly, withOps, ops := 0, 0, 0, 0
	for _, r := range results {
		count[r.class]++
		if r.class == replayTyped && r.ops > 0 {
			withOps++
			ops += r.ops
		}
		if r.class == replayRaw && !slices.ContainsFunc(r.raw, func(k string) bool { return strings.HasPrefix(k, "kubespawner_override.") }) {
			extraOnly++
		}
		if r.class != replaySame && r.class != replayBroken {
			changed++
		}
		for _, k := range r.raw {
			keyPairs[k]++
		}
	}
	pct := func(n int) string {
		if changed == 0 {
			return "-"
		}
		return fmt.Sprintf("%.0f%%", 100*float64(n)/float64(changed))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Replaying real history through the API\n\n")
	fmt.Fprintf(&b, "Generated by `go test ./api -run TestReplayHistory -update-replay` from the history of %d hubs\n", corpus.HistoryHubs)
	fmt.Fprintf(&b, "in `../shared/corpus/history/` (2i2c-org/infrastructure, BSD-3-Clause): for every consecutive\n")
	fmt.Fprintf(&b, "pair of a hub's lists, the earlier one is imported into a fresh server and the later one is\n")
	fmt.Fprintf(&b, "reached with the REST API's edit operations (add/change/remove/move images and profiles, hub\n")
	fmt.Fprintf(&b, "defaults); the result must be the later list as KubeSpawner reads it. A pair is **typed** when\n")
	fmt.Fprintf(&b, "every edit changed only typed fields, **raw** when some edit had to change a\n")
	fmt.Fprintf(&b, "`kubespawner_override` (or the verbatim `extra` keys) by hand. The test fails when a pair is not\n")
	fmt.Fprintf(&b, "reached or this file no longer matches.\n\n")
	fmt.Fprintf(&b, "A setting the model does not type counts as typed only when no JSON is written for it: removed\n")
	fmt.Fprintf(&b, "(whole, or named items of a list), or copied from a place of the earlier list that holds the\n")
	fmt.Fprintf(&b, "same value (whole, or named items of its list) with the settings operations\n")
	fmt.Fprintf(&b, "(`PUT`/`DELETE .../kubespawner_override/{setting}`, `DELETE .../extra/{name}`, docs/api.md) —\n")
	fmt.Fprintf(&b, "what a duplicate of a profile or choice carries is such a copy. Any other change of such a\n")
	fmt.Fprintf(&b, "setting is sent inside the profile's write and makes the pair raw.\n\n")
	fmt.Fprintf(&b, "| pairs | changed | typed | raw | not reached |\n|---:|---:|---:|---:|---:|\n")
	fmt.Fprintf(&b, "| %d | %d | %d (%s) | %d (%s) | %d (%s) |\n\n", len(results), changed,
		count[replayTyped], pct(count[replayTyped]), count[replayRaw], pct(count[replayRaw]),
		count[replayNotReached], pct(count[replayNotReached]))
	fmt.Fprintf(&b, "%d typed pair(s) used the settings operations (%d operations). Of the raw pairs, %d changed only\n", withOps, ops, extraOnly)
	fmt.Fprintf(&b, "verbatim `extra` keys (no `kubespawner_override`).\n\n")
	if count[replayBroken] > 0 {
		fmt.Fprintf(&b, "%d pair(s) lead to a list with errors (a real bug KubeSpawner would hit): the API rightly refuses\n", count[replayBroken])
		fmt.Fprintf(&b, "the edits that would reach it; they are not counted as changed.\n\n")
	}
	if count[replaySame] > 0 {
		fmt.Fprintf(&b, "%d pair(s) differ only in ways KubeSpawner does not see (they are not counted as changed).\n\n", count[replaySame])
	}
	keys := make([]string, 0, len(keyPairs))
	for k := range keyPairs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keyPairs[keys[i]] != keyPairs[keys[j]] {
			return keyPairs[keys[i]] > keyPairs[keys[j]]
		}
		return keys[i] < keys[j]
	})
	fmt.Fprintf(&b, "## Raw keys that had to be written\n\nPairs in which an edit changed the key in a raw map (a pair can need several).\n\n")
	fmt.Fprintf(&b, "| raw key | pairs |\n|---|---:|\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "| `%s` | %d |\n", k, keyPairs[k])
	}
	fmt.Fprintf(&b, "\n## Every pair\n\n| hub | from | to | result | writes | raw keys |\n|---|---|---|---|---:|---|\n")
	for _, r := range results {
		raw := ""
		for i, k := range r.raw {
			if i > 0 {
				raw += ", "
			}
			raw += "`" + k + "`"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %s |\n", r.hub, r.from, r.to, r.class, r.requests, raw)
	}
	return b.String()
}

// TestHistoryImportsThroughAPI: every list of the corpus history imports,
// one after the other into one server per hub as an operator re-importing
// would; the broken ones (a real bug each) as drafts that are not
// publishable; and the head is then the list KubeSpawner would read.
func TestHistoryImportsThroughAPI(t *testing.T) {
	for hub, files := range corpus.History(t) {
		t.Run(hub, func(t *testing.T) {
			t.Parallel()
			// Editors may write every setting here (policy.editorOverrides: ["*"]):
			// what is measured is whether the API can express a change at all;
			// TestDefaultBoundaryOnRealHistory (edit) measures which real changes
			// need an operator under the default policy.
			c := newTestServer(t, withInfra(allSettingsForEditors))
			for _, f := range files {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				src, err := profilelist.Parse(data, profilelist.DefaultLimits)
				if err != nil {
					t.Fatal(err)
				}
				r := c.do(http.MethodPost, "api/v1/import", data)
				if r.Status != http.StatusCreated && r.Status != http.StatusOK {
					t.Fatalf("%s: import answered %d: %s", date(f), r.Status, r.Body)
				}
				broken := num(c.must(http.StatusOK, http.MethodPost, "api/v1/validate", data).JSON, "errors") > 0
				if dig(r.JSON, "publishable") != !broken {
					t.Errorf("%s: publishable %v, but the list has errors: %v", date(f), dig(r.JSON, "publishable"), broken)
				}
				got := orderedJSON(t, c.get("api/v1/export?format=json&revision=head").Body)
				if !ordered.Equal(got, roundtrip.Normalized(src.List)) {
					t.Errorf("%s: the head is not the imported list", date(f))
				}
			}
		})
	}
}

// allSettingsForEditors is an infrastructure config that lets editors write
// every kubespawner_override setting.
const allSettingsForEditors = "policy:\n  editorOverrides: [\"*\"]\n"
