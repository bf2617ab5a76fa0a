package main

// Security tests of the command line (issue 11, items 5 and 8): the same
// limits as the pages and the API, files read only up to the limit, and a
// database holding a revision this version cannot read still served.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/examples"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/profilelist"
	"github.com/jupyterhub/hubprofiles/store"
)

func hugeListFile(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("[")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"display_name":"p%d","kubespawner_override":{"cpu_limit":1}}`, i)
	}
	b.WriteString("]")
	return writeFile(t, "huge.json", b.String())
}

func TestSecurityHugeListIsRefusedByCLIImport(t *testing.T) {
	dir := t.TempDir()
	file := hugeListFile(t, 60_000)
	want := fmt.Sprintf("the list is 60000 profiles; the limit is %d", model.DefaultLimits.Profiles)

	code, out, errOut := runCmd(t, nil, "import", file, "--publish", "--data-dir", dir)
	if code != 1 || !strings.Contains(out+errOut, want) || !strings.Contains(errOut, "nothing was imported") {
		t.Errorf("import of 60,000 profiles: exit %d, want 1 saying %q\nstdout: %.500s\nstderr: %.500s", code, want, out, errOut)
	}
	s, err := store.Open(context.Background(), filepath.Join(dir, "hubprofiles.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, err := s.Count(context.Background()); err != nil || n != 0 {
		t.Errorf("%d revisions after a refused import (err %v), want 0", n, err)
	}

	for _, cmd := range []string{"validate", "normalize"} {
		code, out, errOut = runCmd(t, nil, cmd, file)
		if code == 0 || !strings.Contains(out+errOut, want) {
			t.Errorf("%s of 60,000 profiles: exit %d, want an error saying %q\nstdout: %.500s\nstderr: %.500s", cmd, code, want, out, errOut)
		}
	}
}

// A file over the limit is refused after reading at most the limit: a
// 1 GB (sparse) file must not be read whole.
func TestSecurityHugeFileIsNotReadWhole(t *testing.T) {
	name := filepath.Join(t.TempDir(), "huge.yaml")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	code, out, errOut := runCmd(t, nil, "validate", name)
	runtime.ReadMemStats(&after)
	want := fmt.Sprintf("more than %d bytes", profilelist.DefaultLimits.MaxBytes)
	if code != 2 || !strings.Contains(out+errOut, want) {
		t.Errorf("validate of a 1 GB file: exit %d, want 2 saying %q\nstdout: %s\nstderr: %s", code, want, out, errOut)
	}
	read := after.TotalAlloc - before.TotalAlloc
	t.Logf("validate of a 1 GB file allocated %.1f MB", float64(read)/(1<<20))
	if read > 64<<20 {
		t.Errorf("validate of a 1 GB file allocated %d bytes: it read past the limit", read)
	}
}

// A database that holds an unreadable live revision (here 5 MB of catalog
// written straight into the store, as an older version without limits
// could) must not stop serve: it starts, serves the newest readable live
// list, and the dashboard says what is wrong; export names the problem.
func TestSecurityUnreadableRevisionDoesNotStopServe(t *testing.T) {
	dir := t.TempDir()
	list := writeFile(t, "list.yaml", string(examples.ProfileList))
	if code, out, errOut := runCmd(t, nil, "import", list, "--publish", "--data-dir", dir); code != 0 {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, errOut)
	}
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(dir, "hubprofiles.db"))
	if err != nil {
		t.Fatal(err)
	}
	good, err := s.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	doc := `{"schema_version":1,"images":[],"node_groups":[],"profiles":[{"slug":"big","display_name":"Big","description":"` +
		strings.Repeat("x", 5_000_000) + `"}],"defaults":{}}`
	bad, err := s.Append(ctx, store.NewRevision{Base: good.ID, Catalog: []byte(doc), ProfileList: []byte(`[]`),
		Author: "old-version", Message: "written without limits", Publish: true})
	s.Close()
	if err != nil {
		t.Fatalf("writing the unreadable revision: %v", err)
	}

	bin := e2eBuild(t)
	srv := e2eStart(t, bin, dir) // fails the test if serve does not start
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := srv.client.Get(srv.base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("profile_list"); code != http.StatusOK || body != string(good.ProfileList) {
		t.Errorf("profile_list: %d %.200s; want 200 with the list of revision %d", code, body, good.ID)
	}
	code, body := get("")
	if code != http.StatusOK || !strings.Contains(body, "Unreadable revision") || !strings.Contains(body, fmt.Sprintf("revision %d", bad.ID)) {
		t.Errorf("dashboard: %d; want 200 naming unreadable revision %d\n%.3000s", code, bad.ID, body)
	}
	for _, p := range []string{"profiles", "images", "history", "defaults-settings", "node-groups", "preview", "import", "export"} {
		if code, _ := get(p); code != http.StatusOK {
			t.Errorf("%s: status %d, want 200", p, code)
		}
	}
	srv.terminate(t)

	for _, rev := range []string{fmt.Sprint(bad.ID), "live", "head"} {
		code, out, errOut := runCmd(t, nil, "export", "--revision", rev, "--data-dir", dir)
		if code != 1 || !strings.Contains(errOut, fmt.Sprintf("revision %d", bad.ID)) || !strings.Contains(errOut, "4194304") || out != "" {
			t.Errorf("export --revision %s: exit %d, want 1 naming revision %d and the limit, and no output\nstdout: %.200s\nstderr: %s", rev, code, bad.ID, out, errOut)
		}
	}

	// A database whose only publication cannot be read: serve still
	// starts, profile_list answers 503 (the hub keeps its fallback list),
	// and the dashboard says why.
	dir2 := t.TempDir()
	s2, err := store.Open(ctx, filepath.Join(dir2, "hubprofiles.db"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s2.Append(ctx, store.NewRevision{Base: 0, Catalog: []byte(doc), ProfileList: []byte(`[]`),
		Author: "old-version", Message: "written without limits", Publish: true})
	s2.Close()
	if err != nil {
		t.Fatal(err)
	}
	srv = e2eStart(t, bin, dir2)
	if code, body := get("profile_list"); code != http.StatusServiceUnavailable {
		t.Errorf("profile_list with no readable publication: %d %.200s, want 503", code, body)
	}
	if code, body := get(""); code != http.StatusOK || !strings.Contains(body, "Unreadable revision") || !strings.Contains(body, "fallback list") {
		t.Errorf("dashboard with no readable publication: %d; want 200 saying so\n%.3000s", code, body)
	}
	srv.terminate(t)
}
