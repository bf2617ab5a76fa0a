package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/examples"
	"github.com/jupyterhub/hubprofiles/internal/testregistry"
	"github.com/jupyterhub/hubprofiles/store"
)

// TestPromoteCommand: a staging hub runs as the real binary (serve --dev)
// on loopback; production is a database the command line writes to, with
// staging as its peer and Debian's docker-registry as the registry both
// use. Comparing writes nothing; a profile whose image the registry does
// not have is refused whole; a good one becomes one draft revision.
func TestPromoteCommand(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Options{})
	testregistry.Push(t, reg.Host, "demo/notebook", "2025.07")
	registries := fmt.Sprintf("registries:\n  - {host: %q, insecure: true}\n", reg.Host)

	bin := e2eBuild(t)
	staging := e2eStart(t, bin, t.TempDir(), "--config", writeFile(t, "staging.yaml", registries))
	post := func(path string, body any) map[string]any {
		t.Helper()
		b, _ := json.Marshal(body)
		if s, ok := body.(string); ok {
			b = []byte(s)
		}
		resp, err := staging.client.Post(staging.base+path, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if resp.StatusCode/100 != 2 {
			t.Fatalf("POST %s: %s\n%s", path, resp.Status, data)
		}
		var out map[string]any
		json.Unmarshal(data, &out)
		return out
	}
	post("api/v1/import?publish=true", string(examples.ProfileList))
	post("api/v1/images", map[string]any{"slug": "demo", "display_name": "Demo", "ref": reg.Host + "/demo/notebook:2025.07"})
	post("api/v1/images?force=true", map[string]any{"slug": "unbuilt", "display_name": "Not built", "ref": reg.Host + "/demo/notebook:2099.01"})
	post("api/v1/profiles", map[string]any{"slug": "demo", "display_name": "Demo", "image": "demo"})
	last := post("api/v1/profiles", map[string]any{"slug": "unbuilt", "display_name": "Not built yet", "image": "unbuilt"})
	stagingRev := int64(last["revision"].(map[string]any)["id"].(float64))
	post(fmt.Sprintf("api/v1/revisions/%d/publish", stagingRev), nil)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String() + "/"
	ln.Close()
	token := writeFile(t, "staging-token", "any token: staging runs --dev\n")
	cfg := writeFile(t, "production.yaml", registries+fmt.Sprintf("peers:\n  - {name: staging, url: %q, tokenFile: %q}\n  - {name: down, url: %q, tokenFile: %q}\n",
		staging.base, token, down, token))
	data := t.TempDir()
	dbf := []string{"--config", cfg, "--data-dir", data}
	list := writeFile(t, "list.yaml", string(examples.ProfileList))
	if code, _, stderr := runCmd(t, nil, append([]string{"import", list, "--publish"}, dbf...)...); code != 0 {
		t.Fatalf("import: exit %d: %s", code, stderr)
	}
	head := func() string {
		t.Helper()
		code, out, stderr := runCmd(t, nil, append([]string{"export", "--revision", "head", "--format", "document"}, dbf...)...)
		if code != 0 {
			t.Fatalf("export: exit %d: %s", code, stderr)
		}
		return out
	}
	before := head()

	// Without a selection: what differs, and nothing written.
	code, out, stderr := runCmd(t, nil, append([]string{"promote", "--from", "staging"}, dbf...)...)
	if code != 0 {
		t.Fatalf("promote (compare): exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		fmt.Sprintf("staging live revision %d compared with this hub's head: 4 difference(s)", stagingRev),
		`profile "Demo": added (--profile demo)`, `added image "demo" (` + reg.Host + "/demo/notebook:2025.07)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("compare output lacks %q:\n%s", want, out)
		}
	}
	if head() != before {
		t.Error("comparing wrote to the database")
	}

	// An image the registry does not have, or a peer that is down: refused
	// whole, exit 1, nothing written.
	code, out, stderr = runCmd(t, nil, append([]string{"promote", "--from", "staging", "--profile", "demo,unbuilt"}, dbf...)...)
	if code != 1 || !strings.Contains(out, "2099.01") || !strings.Contains(stderr, "nothing was written") {
		t.Errorf("promoting an image the registry lacks: exit %d, stdout %q, stderr %q; want 1, the image named, nothing written", code, out, stderr)
	}
	code, _, stderr = runCmd(t, nil, append([]string{"promote", "--from", "down", "--profile", "demo"}, dbf...)...)
	if code != 1 || !strings.Contains(stderr, "peer down") || !strings.Contains(stderr, "unreachable") || !strings.Contains(stderr, "nothing was written") {
		t.Errorf("a peer that is down: exit %d, %q", code, stderr)
	}
	if head() != before {
		t.Error("a refused promotion wrote to the database")
	}

	// The good profile: one draft, with its image, named after the peer.
	code, _, stderr = runCmd(t, nil, append([]string{"promote", "--from", "staging", "--profile", "demo", "-m", "for the course"}, dbf...)...)
	if code != 0 || !strings.Contains(stderr, fmt.Sprintf(`(draft): profile "demo", image "demo" (used by what was taken) from staging revision %d`, stagingRev)) {
		t.Fatalf("promote --profile demo: exit %d, %q", code, stderr)
	}
	after := head()
	if !strings.Contains(after, reg.Host+"/demo/notebook:2025.07") || strings.Contains(after, "2099.01") {
		t.Errorf("the head should hold the demo image and not the unbuilt one:\n%s", after)
	}
	code, out, _ = runCmd(t, nil, append([]string{"export", "--revision", "live"}, dbf...)...)
	if code != 0 || strings.Contains(out, "demo/notebook") {
		t.Errorf("the promotion must not be published (exit %d):\n%s", code, out)
	}
	st, err := store.Open(context.Background(), filepath.Join(data, "hubprofiles.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r, err := st.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("promote from staging revision %d: for the course", stagingRev); r.Message != want || r.Author != "system:cli" {
		t.Errorf("head revision %q by %s, want %q by system:cli", r.Message, r.Author, want)
	}
}
