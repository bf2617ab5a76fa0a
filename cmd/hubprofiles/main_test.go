package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/ordered"
	"github.com/jupyterhub/hubprofiles/profilelist"
)

// runCmd runs the CLI in-process and returns its exit code and output.
func runCmd(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string { return env[k] }
	err := run(context.Background(), args, getenv, &out, &errOut)
	code := exitCode(err, &errOut)
	return code, out.String(), errOut.String()
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestValidateExitCodes(t *testing.T) {
	good := writeFile(t, "good.yaml", "- display_name: Small\n  slug: small\n")
	warn := writeFile(t, "warn.yaml", "- display_name: Small\n  kubespawner_override: {image: 'jupyter/base-notebook:latest'}\n")
	bad := writeFile(t, "bad.json", `[{"display_name":"A","kubespawner_override":{"mem_limit":"4Gi"}}]`)
	broken := writeFile(t, "broken.yaml", "- display_name: A\n  slug: a\n   bad: x\n")
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
	}{
		{"clean", []string{"validate", good}, 0, ""},
		{"warnings only", []string{"validate", warn}, 0, warn + ": /0/kubespawner_override/image: warning: image \"jupyter/base-notebook:latest\" uses :latest"},
		{"errors", []string{"validate", good, bad}, 1, bad + ": /0/kubespawner_override/mem_limit: error: "},
		{"unparsable", []string{"validate", bad, broken}, 2, broken + ": line 3: mapping values are not allowed in this context"},
		{"missing file", []string{"validate", filepath.Join(t.TempDir(), "nope.yaml")}, 2, "nope.yaml: cannot read: no such file or directory"},
		{"no file", []string{"validate"}, 2, ""},
		{"bad flag value", []string{"validate", good, "--format", "xml"}, 2, ""},
		{"example", []string{"validate", "../../examples/profile-list.yaml"}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, nil, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			if tt.stdout == "" && out != "" {
				t.Errorf("stdout = %q, want nothing", out)
			}
			if !strings.Contains(out, tt.stdout) {
				t.Errorf("stdout = %q, want it to contain %q", out, tt.stdout)
			}
		})
	}
}

func TestValidateJSONFromEnvironment(t *testing.T) {
	bad := writeFile(t, "bad.json", `[{"display_name":"A","slug":"a b"}]`)
	code, out, _ := runCmd(t, map[string]string{"HUBPROFILES_FORMAT": "json"}, "validate", bad)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	var got struct {
		Files []struct {
			File     string
			Format   string
			Findings []struct{ Severity, Path, Message string }
		}
		Errors, Warnings int
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if got.Errors != 1 || len(got.Files) != 1 || got.Files[0].Format != "profile-list" ||
		len(got.Files[0].Findings) != 1 || got.Files[0].Findings[0].Path != "/0/slug" {
		t.Errorf("unexpected report: %+v", got)
	}
}

func TestValidateValuesFilePaths(t *testing.T) {
	values := writeFile(t, "values.yaml", "jupyterhub:\n  singleuser:\n    profileList:\n      - display_name: A\n        slug: 'a b'\n")
	code, out, _ := runCmd(t, nil, "validate", values)
	if code != 1 || !strings.Contains(out, values+": /jupyterhub/singleuser/profileList/0/slug: error:") {
		t.Errorf("exit %d, output %q: want the path inside the values file", code, out)
	}
}

func TestValidatePrevious(t *testing.T) {
	old := writeFile(t, "old.yaml", "- display_name: Small\n- display_name: GPU\n")
	now := writeFile(t, "new.yaml", "- display_name: Small\n")
	code, out, _ := runCmd(t, nil, "validate", now, "--previous", old)
	if code != 0 || !strings.Contains(out, `profile "gpu" is live but not in this list`) {
		t.Errorf("exit %d, output %q", code, out)
	}
}

// TestNormalize: each output format reads back to the same list.
func TestNormalize(t *testing.T) {
	src := "../../examples/profile-list.yaml"
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	orig, err := profilelist.Parse(data, profilelist.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{"json", "yaml", "values", "document"} {
		t.Run(to, func(t *testing.T) {
			code, out, errOut := runCmd(t, nil, "normalize", src, "--to", to)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			back, err := profilelist.Parse([]byte(out), profilelist.DefaultLimits)
			if err != nil {
				t.Fatalf("output does not parse: %v\n%s", err, out)
			}
			list := back.List
			if back.Document != nil {
				list, _ = profilelist.Render(back.Document)
			}
			if !ordered.Equal(list, orig.List) {
				t.Errorf("normalize --to %s changed the list:\n%s", to, out)
			}
			if to == "values" && !strings.Contains(out, "extraImages:") {
				t.Errorf("values output has no prePuller.extraImages:\n%s", out)
			}
		})
	}
}

func TestNormalizeRefusesErrors(t *testing.T) {
	bad := writeFile(t, "bad.json", `[{"display_name":"A","kubespawner_override":{"cpu_limit":"2"}}]`)
	code, out, errOut := runCmd(t, nil, "normalize", bad)
	if code != 1 || out != "" || !strings.Contains(errOut, "/0/kubespawner_override/cpu_limit: error:") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestUnknownCommand(t *testing.T) {
	code, _, errOut := runCmd(t, nil, "frobnicate")
	if code != 2 || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

// TestHelpExitsZero: asking a command for its flags is not an error.
func TestHelpExitsZero(t *testing.T) {
	for _, cmd := range []string{"serve", "validate", "normalize", "import", "export", "promote", "usage", "verify"} {
		code, stdout, stderr := runCmd(t, nil, cmd, "-h")
		if code != 0 {
			t.Errorf("%s -h: exit %d, want 0; %s", cmd, code, stderr)
		}
		if !strings.Contains(stdout+stderr, "-") {
			t.Errorf("%s -h printed no flags: %q %q", cmd, stdout, stderr)
		}
	}
	if code, _, _ := runCmd(t, nil, "validate", "--no-such-flag"); code != 2 {
		t.Errorf("an unknown flag: exit %d, want 2", code)
	}
}
