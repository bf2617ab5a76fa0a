package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jupyterhub/hubprofiles/auth"
	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/infra"
	"github.com/jupyterhub/hubprofiles/internal/testregistry"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/registry"
	"github.com/jupyterhub/hubprofiles/server"
	"github.com/jupyterhub/hubprofiles/store"
)

// TestImageChecksAgainstARealRegistry: adding, changing, checking and
// bumping images with Debian's docker-registry on loopback.
func TestImageChecksAgainstARealRegistry(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.Start(t, testregistry.Options{})
	host := reg.Host
	testregistry.Push(t, host, "demo/notebook", "2024.01.02")
	testregistry.Push(t, host, "demo/notebook", "2024.06.01")
	testregistry.Push(t, host, "demo/notebook", "2023.12.01")
	testregistry.Push(t, host, "demo/notebook", "latest")

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := store.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ed := edit.New(s, &infra.Config{}, log)
	// A registry that is down, listed like an on-premise one (an unlisted
	// loopback address would be refused before any connection).
	stopped := testregistry.Stopped(t)
	checker, err := registry.New(registry.Options{Hosts: []registry.Host{{Name: host, Insecure: true}, {Name: stopped, Insecure: true}}, Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ed.SetImageChecker(checker)
	srv, err := server.New(ctx, server.Options{Prefix: "/", Editor: ed, Identify: auth.Dev{}, Images: checker, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	web := httptest.NewServer(srv.Handler())
	t.Cleanup(web.Close)
	call := func(method, path, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, web.URL+"/api/v1"+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		b, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s %s: %d, not JSON: %s", method, path, resp.StatusCode, b)
		}
		return resp.StatusCode, m
	}
	errorOf := func(m map[string]any) (code, msg string) {
		e, _ := m["error"].(map[string]any)
		code, _ = e["code"].(string)
		msg, _ = e["message"].(string)
		return
	}
	ref := host + "/demo/notebook:2024.01.02"

	// A missing tag is refused, naming the tags that exist; ?force=true saves it.
	code, m := call("POST", "/images", `{"slug":"nb","display_name":"Notebook","ref":"`+host+`/demo/notebook:2099.01.01"}`)
	if c, msg := errorOf(m); code != 422 || c != "invalid" || !strings.Contains(msg, "tag 2099.01.01 not found") || !strings.Contains(msg, "2024.06.01") {
		t.Fatalf("missing tag: %d %v", code, m)
	}
	code, m = call("POST", "/images", `{"slug":"nb","display_name":"Notebook","ref":"`+host+`/demo/nope:1"}`)
	if _, msg := errorOf(m); code != 422 || !strings.Contains(msg, "repository") {
		t.Fatalf("missing repository: %d %v", code, m)
	}
	if code, m = call("POST", "/images?force=true", `{"slug":"future","display_name":"F","ref":"`+host+`/demo/notebook:2099.01.01"}`); code != 201 {
		t.Fatalf("forced: %d %v", code, m)
	}
	if check := m["check"].(map[string]any); check["status"] != "not_found" || check["missing"] != "tag" {
		t.Errorf("forced write's check = %v", check)
	}
	// An existing one is saved with its digest.
	code, m = call("POST", "/images", `{"slug":"nb","display_name":"Notebook","ref":"`+ref+`"}`)
	if code != 201 || m["check"].(map[string]any)["status"] != "exists" || m["check"].(map[string]any)["digest"] == "" {
		t.Fatalf("existing image: %d %v", code, m)
	}
	// An unreachable registry: saved, with the answer in the response.
	code, m = call("POST", "/images", `{"slug":"far","display_name":"Far","ref":"`+stopped+`/x/y:1"}`)
	if code != 201 || m["check"].(map[string]any)["status"] != "unreachable" {
		t.Fatalf("unreachable registry: %d %v", code, m)
	}

	// A profile offering the image, so the bump reaches it.
	if _, err := ed.Commit(ctx, edit.Change{Base: edit.NoBase, Author: "t", Apply: func(c *model.Catalog) error {
		if err := c.AddProfile(model.Profile{Slug: "q", DisplayName: "Q", Image: "future"}); err != nil {
			return err
		}
		return c.AddProfile(model.Profile{Slug: "p", DisplayName: "P", Image: "nb"})
	}}); err != nil {
		t.Fatal(err)
	}

	if code, m = call("POST", "/images/nb/check", ""); code != 200 || m["status"] != "exists" || m["ref"] != ref {
		t.Errorf("check: %d %v", code, m)
	}
	code, m = call("GET", "/images/nb/tags", "")
	if code != 200 || m["current"] != "2024.01.02" || toStrings(m["newer"]) != "2024.06.01" || !strings.Contains(toStrings(m["tags"]), "2023.12.01") {
		t.Errorf("tags: %d %v", code, m)
	}
	code, m = call("POST", "/images/nb/bump", "")
	if code != 200 {
		t.Fatalf("bump: %d %v", code, m)
	}
	rev := m["revision"].(map[string]any)
	if rev["message"] != "image nb: tag 2024.01.02 → 2024.06.01" {
		t.Errorf("bump message = %v", rev["message"])
	}
	r, err := s.Get(ctx, int64(rev["id"].(float64)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(r.ProfileList), host+"/demo/notebook:2024.06.01") {
		t.Errorf("the bumped tag is not rendered: %s", r.ProfileList)
	}
	if code, m = call("POST", "/images/nb/bump", ""); code != 409 {
		t.Errorf("bump when up to date: %d %v", code, m)
	}
	if code, m = call("POST", "/images/nb/bump", `{"tag":"2000.01.01"}`); code != 422 {
		t.Errorf("bump to a missing tag: %d %v", code, m)
	}

	// The background check feeds validation warnings and the metrics.
	results := srv.CheckImages(ctx)
	if results[host+"/demo/notebook:2099.01.01"].Status != registry.NotFound {
		t.Errorf("background check: %v", results)
	}
	fs := ed.Validate(ctx, mustHead(t, ed))
	found := false
	for _, f := range fs {
		found = found || (f.Severity == model.Warning && f.Path == "/profiles/0/image" && strings.Contains(f.Message, "tag 2099.01.01 not found"))
	}
	if !found {
		t.Errorf("validation does not warn about the missing image: %v", fs)
	}
	resp, err := http.Get(web.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `hubprofiles_images{status="not_found"} 1`) || !strings.Contains(string(b), `hubprofiles_images{status="unreachable"} 1`) {
		t.Errorf("metrics lack the image counts:\n%s", grep(string(b), "hubprofiles_images"))
	}

	// validate asks the registries first, as the import page's Check does:
	// an image nobody asked about before is reported missing now.
	list := `[{"display_name": "Later", "kubespawner_override": {"image": "` + host + `/demo/notebook:2098.01.01"}}]`
	code, m = call("POST", "/validate", list)
	if code != 200 || !strings.Contains(fmt.Sprint(m["findings"]), "tag 2098.01.01 not found") {
		t.Errorf("validate does not report the missing image: %d %v", code, m)
	}
}

func mustHead(t *testing.T, ed *edit.Editor) *model.Catalog {
	t.Helper()
	st, err := ed.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st.Catalog
}

func toStrings(v any) string {
	a, _ := v.([]any)
	var out []string
	for _, x := range a {
		s, _ := x.(string)
		out = append(out, s)
	}
	return strings.Join(out, ",")
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
