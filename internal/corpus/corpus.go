// Package corpus locates, for tests, the 65 real profile lists that sit in
// ../shared/corpus/profile-lists beside the checkout. A test that needs them
// fails when they are missing; it never skips.
package corpus

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// Lists is how many hubs the corpus holds; each list is there as JSON and YAML.
const Lists = 65

// RepoRoot is the directory holding go.mod, found by walking up from the
// test's working directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's directory")
		}
		dir = parent
	}
}

// Dir is the corpus folder.
func Dir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(RepoRoot(t), "..", "shared", "corpus", "profile-lists")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("the corpus of real profile lists is missing (%v): it must sit at ../shared/corpus/profile-lists beside the checkout", err)
	}
	return dir
}

// Files lists the corpus files with the given extension ("json" or "yaml"),
// sorted, and fails unless there is one per hub.
func Files(t testing.TB, ext string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(Dir(t), "*."+ext))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != Lists {
		t.Fatalf("want %d .%s lists in the corpus, found %d", Lists, ext, len(files))
	}
	sort.Strings(files)
	return files
}

// HistoryLists is how many lists the history corpus holds: every distinct
// list of 48 of the hubs at 18 quarterly snapshots, as JSON and YAML.
const HistoryLists = 248

// HistoryFiles lists the files of the history corpus
// (../shared/corpus/history/<cluster>__<hub>/<date>.<ext>), sorted, and
// fails unless all of them are there.
func HistoryFiles(t testing.TB, ext string) []string {
	t.Helper()
	dir := filepath.Join(RepoRoot(t), "..", "shared", "corpus", "history")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("the history corpus is missing (%v): it must sit at ../shared/corpus/history beside the checkout", err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*", "*."+ext))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != HistoryLists {
		t.Fatalf("want %d .%s lists in the history corpus, found %d", HistoryLists, ext, len(files))
	}
	sort.Strings(files)
	return files
}

// HistoryHubs is how many hubs ../shared/corpus/history holds.
const HistoryHubs = 48

// History is, per hub (cluster__hub), the JSON files of its list's history
// in ../shared/corpus/history, oldest first: one per quarter in which the
// list changed. It fails unless every hub is there.
func History(t testing.TB) map[string][]string {
	t.Helper()
	dir := filepath.Join(RepoRoot(t), "..", "shared", "corpus", "history")
	hubs, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("the history of real profile lists is missing (%v): it must sit at ../shared/corpus/history beside the checkout", err)
	}
	out := map[string][]string{}
	for _, h := range hubs {
		if !h.IsDir() {
			continue
		}
		files, err := filepath.Glob(filepath.Join(dir, h.Name(), "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(files) // the names are dates
		out[h.Name()] = files
	}
	if len(out) != HistoryHubs {
		t.Fatalf("want %d hubs in the history, found %d", HistoryHubs, len(out))
	}
	return out
}
