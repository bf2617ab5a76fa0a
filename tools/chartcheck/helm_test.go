package chartcheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/applyconfigurations"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

// The environment the tests run in, set up once by TestMain.
var (
	repoRoot string // the hubprofiles repository
	chartDir string // the chart under test (a copy; see TestMain)
	helmBin  string // helm, built from the tools module
	hubBin   string // hubprofiles, built from the repository
	helmEnv  []string
)

// release and namespace of every render.
const (
	release   = "jhub"
	namespace = "jhub"
)

func TestMain(m *testing.M) {
	code, err := setup(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chartcheck:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func setup(m *testing.M) (int, error) {
	var err error
	repoRoot, err = filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return 0, err
	}
	tmp, err := os.MkdirTemp("", "chartcheck-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)

	// CHARTCHECK_CHART checks another copy of the chart (e.g. one with a
	// work-in-progress hub module); the default is the repository's.
	src := os.Getenv("CHARTCHECK_CHART")
	if src == "" {
		src = filepath.Join(repoRoot, "chart")
	}
	if _, err := os.Stat(filepath.Join(src, "Chart.yaml")); err != nil {
		return 0, fmt.Errorf("no chart at %s: %w", src, err)
	}
	// helm reads the chart only, but lint and template run on a copy anyway
	// so that nothing a test does can leave a file in the repository.
	chartDir = filepath.Join(tmp, "hubprofiles")
	if err := os.CopyFS(chartDir, os.DirFS(src)); err != nil {
		return 0, fmt.Errorf("copying the chart: %w", err)
	}

	// Throwaway Helm homes: no repositories, no plugins, no cache from the
	// machine, and nothing written outside tmp.
	helmEnv = append(os.Environ(),
		"HELM_CONFIG_HOME="+filepath.Join(tmp, "helm-config"),
		"HELM_CACHE_HOME="+filepath.Join(tmp, "helm-cache"),
		"HELM_DATA_HOME="+filepath.Join(tmp, "helm-data"),
		"KUBECONFIG="+filepath.Join(tmp, "no-kubeconfig"),
	)

	start := time.Now()
	fmt.Fprintln(os.Stderr, "chartcheck: building helm from its Go module (go tool -n helm; minutes the first time, cached later)...")
	out, err := goCmd(filepath.Join(repoRoot, "tools"), nil, "tool", "-n", "helm")
	if err != nil {
		return 0, fmt.Errorf("building helm: %w", err)
	}
	helmBin = strings.TrimSpace(out)
	fmt.Fprintf(os.Stderr, "chartcheck: helm ready in %s: %s\n", time.Since(start).Round(time.Millisecond), helmBin)

	// CHARTCHECK_HUBPROFILES uses a hubprofiles binary built elsewhere;
	// the default builds the repository's.
	if hubBin = os.Getenv("CHARTCHECK_HUBPROFILES"); hubBin == "" {
		start = time.Now()
		// The flags of the Dockerfile's build, so that imagecheck's build
		// reuses the compiled packages.
		fmt.Fprintln(os.Stderr, "chartcheck: building hubprofiles (CGO_ENABLED=0 -trimpath)...")
		hubBin = filepath.Join(tmp, "hubprofiles-bin")
		if _, err := goCmd(repoRoot, []string{"CGO_ENABLED=0"}, "build", "-trimpath", "-o", hubBin, "./cmd/hubprofiles"); err != nil {
			return 0, fmt.Errorf("building hubprofiles: %w", err)
		}
		fmt.Fprintf(os.Stderr, "chartcheck: hubprofiles ready in %s\n", time.Since(start).Round(time.Millisecond))
	}
	return m.Run(), nil
}

// goCmd runs the go command in dir and returns its standard output.
func goCmd(dir string, env []string, args ...string) (string, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

// helm runs helm and returns its combined output and error.
func helm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(helmBin, args...)
	cmd.Env = helmEnv
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// render runs helm template with the given extra arguments and fails the
// test if it fails.
func render(t *testing.T, args ...string) string {
	t.Helper()
	full := append([]string{"template", release, chartDir, "--namespace", namespace}, args...)
	out, err := helm(t, full...)
	if err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(full, " "), err, out)
	}
	return out
}

// ciValues lists chart/ci/*-values.yaml (names without directory).
func ciValues(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(chartDir, "ci", "*-values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no ci/*-values.yaml in %s", chartDir)
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = filepath.Base(f)
	}
	return names
}

// manifests is a rendered chart, decoded: every object by kind and name.
type manifests struct {
	ConfigMaps      map[string]*corev1.ConfigMap
	Secrets         map[string]*corev1.Secret
	Services        map[string]*corev1.Service
	PVCs            map[string]*corev1.PersistentVolumeClaim
	NetworkPolicies map[string]*networkingv1.NetworkPolicy
	Count           int
}

var docSep = regexp.MustCompile(`(?m)^---\s*$`)

// decodeManifests splits helm template's output into documents and decodes
// each strictly (unknown fields are errors) into its Kubernetes API type,
// then checks it against the schema of the built-in types compiled into
// client-go. A kind the chart is not expected to render is an error.
func decodeManifests(t *testing.T, rendered string) *manifests {
	t.Helper()
	ms := &manifests{
		ConfigMaps:      map[string]*corev1.ConfigMap{},
		Secrets:         map[string]*corev1.Secret{},
		Services:        map[string]*corev1.Service{},
		PVCs:            map[string]*corev1.PersistentVolumeClaim{},
		NetworkPolicies: map[string]*networkingv1.NetworkPolicy{},
	}
	for i, doc := range docSep.Split(rendered, -1) {
		if strings.TrimSpace(stripComments(doc)) == "" {
			continue
		}
		js, err := yaml.YAMLToJSON([]byte(doc))
		if err != nil {
			t.Fatalf("document %d is not YAML: %v\n%s", i, err, doc)
		}
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(js, &head); err != nil {
			t.Fatalf("document %d: %v\n%s", i, err, doc)
		}
		where := fmt.Sprintf("%s %s/%s", head.APIVersion, head.Kind, head.Metadata.Name)
		if head.Metadata.Name == "" {
			t.Fatalf("document %d (%s) has no metadata.name\n%s", i, where, doc)
		}
		var dup bool
		switch head.APIVersion + " " + head.Kind {
		case "v1 ConfigMap":
			dup = put(t, where, js, ms.ConfigMaps, head.Metadata.Name)
		case "v1 Secret":
			dup = put(t, where, js, ms.Secrets, head.Metadata.Name)
		case "v1 Service":
			dup = put(t, where, js, ms.Services, head.Metadata.Name)
		case "v1 PersistentVolumeClaim":
			dup = put(t, where, js, ms.PVCs, head.Metadata.Name)
		case "networking.k8s.io/v1 NetworkPolicy":
			dup = put(t, where, js, ms.NetworkPolicies, head.Metadata.Name)
		default:
			t.Fatalf("document %d: unexpected kind %s (add it to decodeManifests with its API type)\n%s", i, where, doc)
		}
		if dup {
			t.Fatalf("%s is rendered twice", where)
		}
		checkSchema(t, where, js)
		ms.Count++
	}
	return ms
}

// put decodes js strictly into a new T and stores it under name; it reports
// whether the name was taken already.
func put[T any](t *testing.T, where string, js []byte, into map[string]*T, name string) bool {
	t.Helper()
	v := new(T)
	strictJSON(t, where, js, v)
	_, dup := into[name]
	into[name] = v
	return dup
}

// strictJSON decodes js into v, refusing unknown fields and trailing data.
func strictJSON(t *testing.T, where string, js []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s does not decode strictly into %T: %v\n%s", where, v, err, js)
	}
	if dec.More() {
		t.Fatalf("%s: trailing data after the object", where)
	}
}

var typeConverter = applyconfigurations.NewTypeConverter(scheme.Scheme)

// checkSchema checks an object against the structured-merge-diff schema of
// the built-in types in client-go: unknown fields, wrong types, bad list
// keys (it does not check required fields; the assertions do).
func checkSchema(t *testing.T, where string, js []byte) {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(js); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	if _, err := typeConverter.ObjectToTyped(u); err != nil {
		t.Fatalf("%s does not match the Kubernetes schema: %v", where, err)
	}
}

// stripComments drops YAML comment lines (helm's "# Source:" headers).
func stripComments(doc string) string {
	var b strings.Builder
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// readYAML reads a YAML file into v through JSON, strictly.
func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	strictJSON(t, path, js, v)
}
