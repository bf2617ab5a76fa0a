package chartcheck

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// The umbrella tests install the chart the way chart/README.md says: a
// parent chart that depends on the real zero-to-jupyterhub chart (4.4.0, from
// ../shared/upstream, with its values.schema.json) and on this chart, with
// parent-values.yaml under jupyterhub:. They check what a real install would
// deploy: z2jh's hub Deployment and hub Secret, with and without
// hubprofiles.enabled.

// saTokenPath is where Kubernetes mounts the ServiceAccount token into every
// container that has no mount of its own there.
const saTokenPath = "/var/run/secrets/kubernetes.io/serviceaccount"

// z2jhChart finds the z2jh 4.4.0 chart: CHARTCHECK_Z2JH, else
// ../shared/upstream beside the repository. Absent, the test fails: it is the
// real component this test is about.
func z2jhChart(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("CHARTCHECK_Z2JH")
	if dir == "" {
		dir = filepath.Join(repoRoot, "..", "shared", "upstream", "zero-to-jupyterhub-4.4.0", "jupyterhub")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"Chart.yaml", "values.schema.json", "templates/hub/deployment.yaml"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("the z2jh 4.4.0 chart is not at %s (set CHARTCHECK_Z2JH): %v", dir, err)
		}
	}
	return dir
}

// umbrella writes the parent chart into a temporary directory, builds its
// dependencies and returns the directory.
func umbrella(t *testing.T) string {
	t.Helper()
	z2jh := z2jhChart(t)
	var chart struct {
		Version string `json:"version"`
	}
	readYAMLLoose(t, filepath.Join(chartDir, "Chart.yaml"), &chart)
	dir := filepath.Join(t.TempDir(), "my-hub")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	chartYAML := fmt.Sprintf(`apiVersion: v2
name: my-hub
description: the parent chart of chart/README.md
version: 1.0.0
dependencies:
  - name: jupyterhub
    version: "4.4.0"
    repository: file://%s
  - name: hubprofiles
    version: %q
    repository: file://%s
    condition: hubprofiles.enabled
`, z2jh, chart.Version, chartDir)

	// values.yaml: the documented parent values under jupyterhub:, and the
	// chart's values (here only enabled) under hubprofiles:.
	var parent map[string]any
	readYAMLLoose(t, filepath.Join(chartDir, "parent-values.yaml"), &parent)
	values, err := yaml.Marshal(map[string]any{
		"jupyterhub":  parent,
		"hubprofiles": map[string]any{"enabled": true},
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string][]byte{"Chart.yaml": []byte(chartYAML), "values.yaml": values} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := helm(t, "dependency", "build", dir); err != nil {
		t.Fatalf("helm dependency build: %v\n%s", err, out)
	}
	return dir
}

// readYAMLLoose reads a YAML file into v through JSON (unknown fields
// ignored: parent-values.yaml is checked strictly by TestParentValues).
func readYAMLLoose(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// rendered is an umbrella render: the hub Deployment and Secret decoded, and
// every object's kind/name with its data keys (for ConfigMaps and Secrets).
type rendered struct {
	Hub       *appsv1.Deployment
	HubSecret *corev1.Secret
	Objects   map[string]map[string]bool // "Kind/name" -> data keys
}

func renderUmbrella(t *testing.T, dir string, args ...string) *rendered {
	t.Helper()
	full := append([]string{"template", release, dir, "--namespace", namespace}, args...)
	out, err := helm(t, full...)
	if err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(full, " "), err, firstLines(out, 40))
	}
	r := &rendered{Objects: map[string]map[string]bool{}}
	for i, doc := range docSep.Split(out, -1) {
		if strings.TrimSpace(stripComments(doc)) == "" {
			continue
		}
		js, err := yaml.YAMLToJSON([]byte(doc))
		if err != nil {
			t.Fatalf("document %d is not YAML: %v", i, err)
		}
		var head struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
			Data       map[string]any `json:"data"`
			StringData map[string]any `json:"stringData"`
		}
		if err := json.Unmarshal(js, &head); err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		id := head.Kind + "/" + head.Metadata.Name
		if _, dup := r.Objects[id]; dup {
			t.Fatalf("%s is rendered twice", id)
		}
		dataKeys := map[string]bool{}
		for k := range head.Data {
			dataKeys[k] = true
		}
		for k := range head.StringData {
			dataKeys[k] = true
		}
		r.Objects[id] = dataKeys
		switch id {
		case "Deployment/hub":
			r.Hub = new(appsv1.Deployment)
			strictJSON(t, id, js, r.Hub)
			checkSchema(t, id, js)
		case "Secret/hub":
			r.HubSecret = new(corev1.Secret)
			strictJSON(t, id, js, r.HubSecret)
		}
	}
	if r.Hub == nil || r.HubSecret == nil {
		t.Fatalf("the render has no Deployment hub or Secret hub (objects: %v)", keys(r.Objects))
	}
	return r
}

// container returns the hub pod's container of that name.
func (r *rendered) container(t *testing.T, name string) corev1.Container {
	t.Helper()
	for _, c := range r.Hub.Spec.Template.Spec.Containers {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("the hub pod has no container %q", name)
	return corev1.Container{}
}

// hubValues is what the hub reads: z2jh's values.yaml in the Secret hub.
func (r *rendered) hubValues(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := yaml.Unmarshal(r.HubSecret.Data["values.yaml"], &v); err != nil {
		t.Fatalf("Secret hub, values.yaml: %v", err)
	}
	return v
}

// TestUmbrellaLint: helm lint --strict on the parent chart, with z2jh's
// values.schema.json checking the documented parent values.
func TestUmbrellaLint(t *testing.T) {
	dir := umbrella(t)
	for _, args := range [][]string{nil, {"--set", "hubprofiles.enabled=false"}} {
		full := append([]string{"lint", "--strict", dir, "--namespace", namespace}, args...)
		if out, err := helm(t, full...); err != nil {
			t.Errorf("helm %s: %v\n%s", strings.Join(full, " "), err, out)
		}
	}
	// The schema is enforced: a value z2jh does not know fails the render.
	if out, err := helm(t, "template", release, dir, "--set", "jupyterhub.hub.noSuchValue=1"); err == nil || !strings.Contains(out, "noSuchValue") {
		t.Errorf("z2jh's values.schema.json is not enforced on the umbrella (err %v):\n%s", err, firstLines(out, 10))
	}
}

// TestUmbrellaSidecarCannotTakeTheHubDown: in the hub pod z2jh deploys, the
// sidecar has a liveness probe on the public port's healthz and neither a
// readiness nor a startup probe. A pod is Ready only when all its containers
// are, and a container without a readiness probe is Ready once it runs, so
// nothing the sidecar answers (database down included) takes the hub out of
// its Service.
func TestUmbrellaSidecarCannotTakeTheHubDown(t *testing.T) {
	r := renderUmbrella(t, umbrella(t))
	c := r.container(t, "hubprofiles")
	checkProbes(t, c, "/services/hubprofiles/")
	if len(r.Hub.Spec.Template.Spec.InitContainers) != 0 {
		t.Errorf("the hub pod has init containers %v: one of them failing would keep the hub from starting", r.Hub.Spec.Template.Spec.InitContainers)
	}
}

// checkProbes: only a liveness probe, on healthz of the public port.
func checkProbes(t *testing.T, c corev1.Container, prefix string) {
	t.Helper()
	if c.ReadinessProbe != nil {
		t.Errorf("container %s has a readinessProbe %+v: a NotReady sidecar makes the hub pod NotReady, and z2jh's hub Service loses its only endpoint", c.Name, c.ReadinessProbe)
	}
	if c.StartupProbe != nil {
		t.Errorf("container %s has a startupProbe %+v: until it passes the sidecar is not Ready, and neither is the hub pod", c.Name, c.StartupProbe)
	}
	p := c.LivenessProbe
	if p == nil || p.HTTPGet == nil {
		t.Fatalf("container %s: want an httpGet livenessProbe, got %+v", c.Name, p)
	}
	var public *corev1.ContainerPort
	for i := range c.Ports {
		if c.Ports[i].ContainerPort == 10101 {
			public = &c.Ports[i]
		}
	}
	port := p.HTTPGet.Port
	if public == nil || p.HTTPGet.Path != prefix+"healthz" || (port.String() != public.Name && port.IntValue() != 10101) {
		t.Errorf("livenessProbe: %s on port %s, want %shealthz on the public port 10101 (ports %+v)", p.HTTPGet.Path, port.String(), prefix, c.Ports)
	}
	// Restarting is for a process that no longer answers: give it time.
	if wait := p.InitialDelaySeconds + p.PeriodSeconds*max(p.FailureThreshold, 3); wait < 60 {
		t.Errorf("livenessProbe restarts the sidecar after %ds of silence: want at least 60s", wait)
	}
}

// TestUmbrellaNoServiceAccountToken: the hub's ServiceAccount may read
// Secrets and create pods; the sidecar, reachable through the proxy, gets no
// token: its own mount at the token's path keeps the ServiceAccount admission
// from adding one, and nothing else it mounts carries a token.
func TestUmbrellaNoServiceAccountToken(t *testing.T) {
	r := renderUmbrella(t, umbrella(t))
	spec := r.Hub.Spec.Template.Spec
	volumes := map[string]corev1.Volume{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = v
	}
	c := r.container(t, "hubprofiles")
	var masked bool
	for _, m := range c.VolumeMounts {
		v, ok := volumes[m.Name]
		if !ok {
			t.Errorf("sidecar mounts %q, which the hub pod does not have", m.Name)
			continue
		}
		if m.MountPath == saTokenPath || strings.HasPrefix(saTokenPath, strings.TrimSuffix(m.MountPath, "/")+"/") {
			masked = m.MountPath == saTokenPath && v.EmptyDir != nil && m.SubPath == ""
		}
		if v.Projected != nil {
			for _, src := range v.Projected.Sources {
				if src.ServiceAccountToken != nil {
					t.Errorf("sidecar mounts volume %q with a ServiceAccount token", m.Name)
				}
			}
		}
	}
	if !masked {
		t.Errorf("sidecar mounts %+v: want an emptyDir at %s, so that Kubernetes mounts no ServiceAccount token into it", c.VolumeMounts, saTokenPath)
	}
	if spec.AutomountServiceAccountToken != nil && !*spec.AutomountServiceAccountToken {
		t.Log("the hub pod mounts no token at all (automountServiceAccountToken false)")
	}
	// The hub container keeps its token: it creates the users' pods.
	for _, m := range r.container(t, "hub").VolumeMounts {
		if m.MountPath == saTokenPath {
			t.Errorf("the hub container has a mount %+v at the token's path: KubeSpawner needs the token", m)
		}
	}
}

// TestUmbrellaHubConfig: the hub config z2jh renders (values.yaml in the
// Secret hub) registers the service, with its token where the sidecar reads
// it, and hub.extraConfig installs the module guarded: it works with the
// module, and without it the hub starts with its static list.
func TestUmbrellaHubConfig(t *testing.T) {
	r := renderUmbrella(t, umbrella(t))
	v := r.hubValues(t)
	hub, _ := v["hub"].(map[string]any)
	services, _ := hub["services"].(map[string]any)
	svc, ok := services["hubprofiles"].(map[string]any)
	if !ok {
		t.Fatalf("the hub config registers no service hubprofiles: hub.services = %v", services)
	}
	if _, ok := r.Objects["Service/hubprofiles"]; !ok || svc["url"] != "http://hubprofiles:10101" {
		t.Errorf("service url %v: want http://hubprofiles:10101, the chart's Service (rendered: %v)", svc["url"], ok)
	}
	tokenKey := "hub.services.hubprofiles.apiToken"
	if len(r.HubSecret.Data[tokenKey]) < 32 {
		t.Errorf("Secret hub has no %s for the sidecar's JUPYTERHUB_API_TOKEN", tokenKey)
	}
	extra, _ := hub["extraConfig"].(map[string]any)
	snippet, _ := extra["hubprofiles"].(string)
	if snippet == "" {
		t.Fatalf("the hub config has no hub.extraConfig.hubprofiles (extraConfig: %v)", keys(extra))
	}
	if !strings.Contains(snippet, moduleDir) {
		t.Errorf("hub.extraConfig does not put %s, where the module is mounted, on sys.path", moduleDir)
	}
	checkSnippet(t, snippet, filepath.Join(chartDir, "files", "hubprofiles_hub.py"),
		"http://"+feedListen+"/services/hubprofiles/profile_list")
}

// TestUmbrellaDisabled: with hubprofiles.enabled false nothing of the chart
// is rendered, but the parent values still name its objects. The hub pod must
// start: everything its Deployment references is rendered or optional, the
// hub config runs without the module (TestUmbrellaHubConfig), and the
// sidecar, started with exactly the environment this pod gives it, runs and
// answers its liveness probe.
func TestUmbrellaDisabled(t *testing.T) {
	dir := umbrella(t)
	on := renderUmbrella(t, dir)
	off := renderUmbrella(t, dir, "--set", "hubprofiles.enabled=false")
	for _, id := range []string{"ConfigMap/hubprofiles", "ConfigMap/hubprofiles-hub", "Secret/hubprofiles", "Service/hubprofiles"} {
		if _, ok := on.Objects[id]; !ok {
			t.Errorf("enabled: %s is not rendered", id)
		}
		if _, ok := off.Objects[id]; ok {
			t.Errorf("disabled: %s is still rendered", id)
		}
	}
	// Enabled, every object referenced is rendered (an optional key may be
	// absent: database-url without a database URL); disabled, rendered or
	// optional.
	for _, ref := range podRefs(on.Hub.Spec.Template.Spec) {
		whole := ref
		whole.key = ""
		if !whole.resolves(on.Objects) || (!ref.optional && !ref.resolves(on.Objects)) {
			t.Errorf("enabled: the hub pod references %s, which is not rendered", ref)
		}
	}
	for _, ref := range podRefs(off.Hub.Spec.Template.Spec) {
		if !ref.optional && !ref.resolves(off.Objects) {
			t.Errorf("disabled: the hub pod references %s, which is not rendered and not optional: the pod cannot start", ref)
		}
	}
	checkDisabledSidecarRuns(t, off)
}

// objectRef is one reference of a pod to a ConfigMap, Secret or claim.
type objectRef struct {
	kind, name, key string // key "": the whole object
	optional        bool
	where           string
}

func (r objectRef) String() string {
	s := fmt.Sprintf("%s/%s", r.kind, r.name)
	if r.key != "" {
		s += " key " + r.key
	}
	return s + " (" + r.where + ")"
}

func (r objectRef) resolves(objects map[string]map[string]bool) bool {
	data, ok := objects[r.kind+"/"+r.name]
	return ok && (r.key == "" || data[r.key])
}

func isTrue(b *bool) bool { return b != nil && *b }

// podRefs collects every ConfigMap, Secret and PersistentVolumeClaim a pod
// spec names: volumes (projected sources too), env and envFrom of every
// container, and image pull secrets.
func podRefs(spec corev1.PodSpec) []objectRef {
	var refs []objectRef
	for _, v := range spec.Volumes {
		w := "volume " + v.Name
		switch {
		case v.ConfigMap != nil:
			refs = append(refs, objectRef{"ConfigMap", v.ConfigMap.Name, "", isTrue(v.ConfigMap.Optional), w})
		case v.Secret != nil:
			refs = append(refs, objectRef{"Secret", v.Secret.SecretName, "", isTrue(v.Secret.Optional), w})
		case v.PersistentVolumeClaim != nil:
			refs = append(refs, objectRef{"PersistentVolumeClaim", v.PersistentVolumeClaim.ClaimName, "", false, w})
		case v.Projected != nil:
			for _, s := range v.Projected.Sources {
				if s.ConfigMap != nil {
					refs = append(refs, objectRef{"ConfigMap", s.ConfigMap.Name, "", isTrue(s.ConfigMap.Optional), w})
				}
				if s.Secret != nil {
					refs = append(refs, objectRef{"Secret", s.Secret.Name, "", isTrue(s.Secret.Optional), w})
				}
			}
		}
	}
	for _, s := range spec.ImagePullSecrets {
		// A missing pull secret only matters for private images; still a
		// reference to something that must exist.
		refs = append(refs, objectRef{"Secret", s.Name, "", false, "imagePullSecrets"})
	}
	containers := append(slices.Clone(spec.InitContainers), spec.Containers...)
	for _, c := range containers {
		for _, e := range c.Env {
			if e.ValueFrom == nil {
				continue
			}
			w := "container " + c.Name + " env " + e.Name
			if r := e.ValueFrom.SecretKeyRef; r != nil {
				refs = append(refs, objectRef{"Secret", r.Name, r.Key, isTrue(r.Optional), w})
			}
			if r := e.ValueFrom.ConfigMapKeyRef; r != nil {
				refs = append(refs, objectRef{"ConfigMap", r.Name, r.Key, isTrue(r.Optional), w})
			}
		}
		for _, e := range c.EnvFrom {
			w := "container " + c.Name + " envFrom"
			if e.SecretRef != nil {
				refs = append(refs, objectRef{"Secret", e.SecretRef.Name, "", isTrue(e.SecretRef.Optional), w})
			}
			if e.ConfigMapRef != nil {
				refs = append(refs, objectRef{"ConfigMap", e.ConfigMapRef.Name, "", isTrue(e.ConfigMapRef.Optional), w})
			}
		}
	}
	return refs
}

// checkDisabledSidecarRuns starts the real hubprofiles with the sidecar's
// args and the environment the disabled render gives it (optional references
// to absent objects unset, as Kubernetes leaves them), its data directory in
// a temporary one, and checks that it keeps running and that its liveness
// probe's path answers 200 on the public listener.
func checkDisabledSidecarRuns(t *testing.T, off *rendered) {
	t.Helper()
	c := off.container(t, "hubprofiles")
	dataDir := t.TempDir()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dataDir}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env = append(env, e.Name+"="+e.Value)
		case e.ValueFrom.SecretKeyRef != nil:
			r := e.ValueFrom.SecretKeyRef
			if r.Name == "hub" {
				if val, ok := off.HubSecret.Data[r.Key]; ok {
					env = append(env, e.Name+"="+string(val))
					continue
				}
			}
			if _, ok := off.Objects["Secret/"+r.Name]; ok {
				t.Fatalf("env %s: the test reads only the Secret hub, not %s", e.Name, r.Name)
			}
		case e.ValueFrom.ConfigMapKeyRef != nil:
			if _, ok := off.Objects["ConfigMap/"+e.ValueFrom.ConfigMapKeyRef.Name]; ok {
				t.Fatalf("env %s: the test does not read ConfigMap %s", e.Name, e.ValueFrom.ConfigMapKeyRef.Name)
			}
		}
	}
	args := slices.Clone(c.Args)
	for i := range args {
		if i > 0 && args[i-1] == "--data-dir" {
			args[i] = dataDir
		}
	}
	// Free ports instead of the pod's (other tests run beside this one); the
	// feed listener's too, where this hubprofiles has one.
	args = append(args, "--listen", "127.0.0.1:0")
	env = append(env, "HUBPROFILES_FEED_LISTEN=127.0.0.1:0")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, hubBin, args...)
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		close(lines)
		exited <- cmd.Wait()
	}()
	defer func() {
		_ = cmd.Process.Kill()
		<-exited
	}()

	var log []string
	var listen string
	for listen == "" {
		line, ok := <-lines
		if !ok {
			t.Fatalf("the disabled render's sidecar exited before it was ready, so the hub pod would not be Ready:\n%s", strings.Join(log, "\n"))
		}
		log = append(log, line)
		var rec struct {
			Msg    string `json:"msg"`
			Listen string `json:"listen"`
		}
		// The line that says where the public listener is ("hubprofiles
		// is ready", with listen=host:port).
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Listen != "" && strings.Contains(rec.Msg, "ready") {
			listen = rec.Listen
		}
	}
	url := "http://" + listen + c.LivenessProbe.HTTPGet.Path
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("liveness probe %s: %v\n%s", url, err, strings.Join(log, "\n"))
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("liveness probe %s: %d %s, want 200: the kubelet would restart the sidecar", url, resp.StatusCode, body)
	}
}
