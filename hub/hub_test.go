// Package hub holds the tests of the hub-side Python module
// (chart/files/hubprofiles_hub.py). They are written in Python (unittest)
// and run with Debian's /usr/bin/python3, which has tornado and JupyterHub
// 3.0 (test_hub_kubespawner.py loads the real KubeSpawner 7.1.0 and
// JupyterHub 5.5.0 from ../shared/upstream); this Go test builds the
// hubprofiles binary and runs them, so that `go test ./...` covers the
// module too. See hub/README.md.
package hub

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jupyterhub/hubprofiles/internal/corpus"
	"github.com/jupyterhub/hubprofiles/internal/proc"
)

const (
	python     = "/usr/bin/python3"
	jupyterhub = "/usr/bin/jupyterhub"
	aptHint    = "install Debian's JupyterHub (it brings python3 and python3-tornado): " +
		"apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends jupyterhub"
)

// TestHubModule runs every Python test in hub/ (the module against the real
// binary, and the end-to-end test with a real JupyterHub) and fails with
// their output if any fails. A missing prerequisite is a failure, never a
// skip: these tests are the only check of the hub side.
func TestHubModule(t *testing.T) {
	root := corpus.RepoRoot(t)
	requirePython(t)
	trackInputs(t, root)

	bin := filepath.Join(t.TempDir(), "hubprofiles")
	build := exec.Command("go", "build", "-o", bin, "./cmd/hubprofiles")
	build.Dir = root
	if out, err := proc.Run(build, 10*time.Minute); err != nil {
		t.Fatalf("go build ./cmd/hubprofiles: %v\n%s", err, out)
	}

	cmd := exec.Command(python, "-m", "unittest", "discover", "-s", "hub", "-v")
	cmd.Dir = root
	cmd.Env = append(os.Environ(),
		"HUBPROFILES_BIN="+bin,
		"PYTHONDONTWRITEBYTECODE=1", // no __pycache__ in the repository
		"PYTHONUNBUFFERED=1",
	)
	logPath := filepath.Join(t.TempDir(), "unittest.log")
	start := time.Now()
	p, err := proc.Start(cmd, logPath)
	if err != nil {
		t.Fatal(err)
	}
	var timedOut bool
	select {
	case <-p.Done():
	case <-time.After(budget(t)):
		// Interrupt the whole process group: Python then stops the
		// servers it started (atexit) before it exits; SIGKILL after 20 s.
		timedOut = true
		if err := p.StopGroup(syscall.SIGINT, 20*time.Second); err != nil {
			t.Log(err)
		}
	}
	_, err = p.Exited()
	elapsed := time.Since(start).Round(time.Millisecond)
	outBytes, _ := os.ReadFile(logPath)
	out := bytes.NewBuffer(outBytes)
	if timedOut {
		t.Fatalf("the Python tests did not finish within %s:\n%s", budget(t), out.String())
	}
	if err != nil {
		t.Fatalf("the Python tests failed (%v, after %s):\n%s", err, elapsed, out.String())
	}
	if testing.Verbose() {
		t.Logf("Python output:\n%s", out.String())
	}
	if m := regexp.MustCompile(`Ran (\d+) tests? in (\S+)`).FindStringSubmatch(out.String()); m != nil {
		t.Logf("%s Python tests passed in %s (%s with startup)", m[1], m[2], elapsed)
	} else {
		t.Fatalf("no unittest summary in the output:\n%s", out.String())
	}
}

// trackInputs reads the Python files and stats the Go sources that this
// test runs through subprocesses, so that go test's cache sees them: without
// it, `go test ./hub/` reports a cached pass after the module, a Python test
// or the server changed. (The walk opens every directory, so a change to any
// file in the tree reruns it too: too often rather than never.)
func trackInputs(t *testing.T, root string) {
	t.Helper()
	for _, pattern := range []string{"hub/*.py", "chart/files/*.py"} {
		files, err := filepath.Glob(filepath.Join(root, pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if _, err := os.ReadFile(f); err != nil {
				t.Fatal(err)
			}
		}
	}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if name := d.Name(); strings.HasSuffix(name, ".go") || name == "go.mod" || name == "go.sum" {
			_, err = os.Stat(path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// requirePython fails (not skips) with an apt hint if Debian's Python,
// tornado or JupyterHub is missing.
func requirePython(t *testing.T) {
	t.Helper()
	for _, p := range []string{python, jupyterhub} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s is missing (%v); %s", p, err, aptHint)
		}
	}
	check := exec.Command(python, "-c", "import tornado, jupyterhub")
	if out, err := proc.Run(check, proc.StartTimeout); err != nil {
		t.Fatalf("%s cannot import tornado and jupyterhub (%v):\n%s\n%s", python, err, out, aptHint)
	}
}

// budget is how long the Python tests may run: 10 minutes (they take 2 on a
// quiet machine, 4-5 at load 15), or less if the go test deadline is nearer
// (minus time to report).
func budget(t *testing.T) time.Duration {
	d := 10 * time.Minute
	if deadline, ok := t.Deadline(); ok {
		if left := time.Until(deadline) - 30*time.Second; left < d {
			d = max(left, 10*time.Second)
		}
	}
	return d
}
