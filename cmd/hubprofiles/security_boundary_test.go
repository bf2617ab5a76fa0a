package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSecurityCLIImportIsNotLimited: `hubprofiles import` is run by an
// operator with access to the database, so policy.editorOverrides (here the
// built-in default, which leaves out privileged, volumes and
// service_account) does not bind it; the pages and the API refuse the same
// list (api/security_test.go).
func TestSecurityCLIImportIsNotLimited(t *testing.T) {
	list := writeFile(t, "privileged.json", `[{"display_name": "Debug", "slug": "debug", "kubespawner_override": {
	  "image": "quay.io/jupyter/base-notebook:2025-06-02", "privileged": true, "service_account": "hub",
	  "volumes": [{"name": "root", "hostPath": {"path": "/"}}]}}]`)
	config := writeFile(t, "config.yaml", "access:\n  editorGroups: [editors]\n")
	db := filepath.Join(t.TempDir(), "hubprofiles.db")
	code, out, errOut := runCmd(t, nil, "import", list, "--publish", "--database-url", db, "--config", config)
	if code != 0 {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCmd(t, nil, "export", "--revision", "live", "--format", "json", "--database-url", db, "--config", config)
	if code != 0 {
		t.Fatalf("export: exit %d\n%s", code, errOut)
	}
	for _, want := range []string{`"privileged": true`, `"service_account": "hub"`, `"hostPath"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the live list lacks %s:\n%s", want, out)
		}
	}
}
