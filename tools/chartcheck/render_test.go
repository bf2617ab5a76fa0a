package chartcheck

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// scenario is what one chart/ci/*-values.yaml must render.
type scenario struct {
	fullname      string            // name of every object
	secretKeys    []string          // keys of the chart's Secret; nil: no Secret
	sessionKey    string            // the exact session key; "": generated (64 hex digits)
	pvc           bool              // a PersistentVolumeClaim is rendered
	servicePort   int32             // the Service's port (the target is always 10101)
	hubSelector   map[string]string // the hub pod's labels
	proxySelector map[string]string // the proxy pod's labels
	extra         func(t *testing.T, ms *manifests)
}

var z2jhHub = map[string]string{"app": "jupyterhub", "component": "hub", "release": release}
var z2jhProxy = map[string]string{"app": "jupyterhub", "component": "proxy", "release": release}

// scenarios has one entry per chart/ci file; TestScenariosCoverCI makes sure
// no file goes unchecked.
var scenarios = map[string]scenario{
	"default-values.yaml": {
		fullname: "hubprofiles", secretKeys: []string{"session-key"}, servicePort: 10101,
		hubSelector: z2jhHub, proxySelector: z2jhProxy,
	},
	"existing-secret-values.yaml": {
		fullname: "hubprofiles", secretKeys: nil, servicePort: 10101,
		hubSelector: z2jhHub, proxySelector: z2jhProxy,
	},
	"postgres-values.yaml": {
		fullname: "hubprofiles", secretKeys: []string{"database-url", "session-key"}, servicePort: 10101,
		sessionKey:  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		hubSelector: z2jhHub, proxySelector: z2jhProxy,
		extra: func(t *testing.T, ms *manifests) {
			got := string(ms.Secrets["hubprofiles"].Data["database-url"])
			want := "postgres://hubprofiles:s3cret@postgres.db.svc.cluster.local:5432/hubprofiles?sslmode=require"
			if got != want {
				t.Errorf("database-url = %q, want %q", got, want)
			}
		},
	},
	"pvc-values.yaml": {
		fullname: "profiles", secretKeys: []string{"session-key"}, pvc: true, servicePort: 80,
		hubSelector: z2jhHub, proxySelector: z2jhProxy,
		extra: func(t *testing.T, ms *manifests) {
			pvc := ms.PVCs["profiles"]
			if got := pvc.Spec.AccessModes; !slices.Equal(got, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}) {
				t.Errorf("PVC accessModes = %v", got)
			}
			if pvc.Spec.StorageClassName == nil || *pvc.Spec.StorageClassName != "standard-rwo" {
				t.Errorf("PVC storageClassName = %v, want standard-rwo", pvc.Spec.StorageClassName)
			}
			if got := pvc.Spec.Resources.Requests[corev1.ResourceStorage]; got.Cmp(resource.MustParse("2Gi")) != 0 {
				t.Errorf("PVC storage request = %s, want 2Gi", got.String())
			}
			wantAnn := map[string]string{"helm.sh/resource-policy": "keep", "example.org/backup": "daily"}
			if !reflect.DeepEqual(pvc.Annotations, wantAnn) {
				t.Errorf("PVC annotations = %v, want %v", pvc.Annotations, wantAnn)
			}
		},
	},
	"nodegroups-values.yaml": {
		fullname: "hubprofiles", secretKeys: []string{"session-key"}, servicePort: 10101,
		hubSelector:   map[string]string{"app.kubernetes.io/name": "jupyterhub", "app.kubernetes.io/component": "hub"},
		proxySelector: map[string]string{"app.kubernetes.io/name": "jupyterhub", "app.kubernetes.io/component": "proxy"},
		extra: func(t *testing.T, ms *manifests) {
			from := ms.NetworkPolicies["hubprofiles"].Spec.Ingress[0].From
			var found bool
			for _, p := range from {
				if p.NamespaceSelector != nil && p.PodSelector != nil &&
					p.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] == "monitoring" &&
					p.PodSelector.MatchLabels["app.kubernetes.io/name"] == "prometheus" {
					found = true
				}
			}
			if !found {
				t.Errorf("NetworkPolicy lacks the extraFrom peer (monitoring/prometheus): %+v", from)
			}
			eachObject(ms, func(kind string, m *metav1.ObjectMeta) {
				if m.Labels["team"] != "research-computing" {
					t.Errorf("%s %s lacks commonLabels team=research-computing: %v", kind, m.Name, m.Labels)
				}
			})
		},
	},
}

func TestScenariosCoverCI(t *testing.T) {
	files := ciValues(t)
	for _, f := range files {
		if _, ok := scenarios[f]; !ok {
			t.Errorf("ci/%s has no entry in scenarios: say what it must render", f)
		}
	}
	for name := range scenarios {
		if !slices.Contains(files, name) {
			t.Errorf("scenario %s has no file ci/%s", name, name)
		}
	}
}

func TestLint(t *testing.T) {
	runs := [][]string{{"lint", "--strict", chartDir}}
	for _, f := range ciValues(t) {
		runs = append(runs, []string{"lint", "--strict", chartDir, "-f", filepath.Join(chartDir, "ci", f)})
	}
	for _, args := range runs {
		out, err := helm(t, args...)
		if err != nil || !strings.Contains(out, "1 chart(s) linted, 0 chart(s) failed") {
			t.Errorf("helm %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

func TestTemplate(t *testing.T) {
	for _, f := range ciValues(t) {
		sc, ok := scenarios[f]
		if !ok {
			continue // TestScenariosCoverCI fails for it
		}
		t.Run(strings.TrimSuffix(f, "-values.yaml"), func(t *testing.T) {
			valuesFile := filepath.Join(chartDir, "ci", f)
			ms := decodeManifests(t, render(t, "-f", valuesFile))
			checkScenario(t, ms, sc, valuesFile)
		})
	}
}

// checkScenario asserts what every render must hold, then the scenario's own.
func checkScenario(t *testing.T, ms *manifests, sc scenario, valuesFile string) {
	t.Helper()
	name, hubName := sc.fullname, sc.fullname+"-hub"

	// Exactly the objects expected, and no others.
	want := map[string][]string{"ConfigMap": {name, hubName}, "Service": {name}, "NetworkPolicy": {name}}
	if sc.secretKeys != nil {
		want["Secret"] = []string{name}
	}
	if sc.pvc {
		want["PersistentVolumeClaim"] = []string{name}
	}
	got := map[string][]string{
		"ConfigMap": keys(ms.ConfigMaps), "Service": keys(ms.Services), "NetworkPolicy": keys(ms.NetworkPolicies),
		"Secret": keys(ms.Secrets), "PersistentVolumeClaim": keys(ms.PVCs),
	}
	for kind := range got {
		if len(got[kind]) == 0 {
			delete(got, kind)
		}
		sort.Strings(want[kind])
		if len(want[kind]) == 0 {
			delete(want, kind)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rendered objects = %v, want %v", got, want)
	}

	eachObject(ms, func(kind string, m *metav1.ObjectMeta) {
		if m.Namespace != namespace {
			t.Errorf("%s %s: namespace %q, want %q", kind, m.Name, m.Namespace, namespace)
		}
		for k, v := range map[string]string{"app.kubernetes.io/name": "hubprofiles", "app.kubernetes.io/instance": release, "app.kubernetes.io/managed-by": "Helm"} {
			if m.Labels[k] != v {
				t.Errorf("%s %s: label %s = %q, want %q", kind, m.Name, k, m.Labels[k], v)
			}
		}
	})

	// The Service sends its port to the sidecar's port on z2jh's hub pod.
	svc := ms.Services[name]
	if svc.Spec.Type != corev1.ServiceTypeClusterIP {
		t.Errorf("Service type %q, want ClusterIP", svc.Spec.Type)
	}
	if !reflect.DeepEqual(svc.Spec.Selector, sc.hubSelector) {
		t.Errorf("Service selector = %v, want the hub pod's %v", svc.Spec.Selector, sc.hubSelector)
	}
	if len(svc.Spec.Ports) != 1 {
		t.Fatalf("Service ports = %+v, want one", svc.Spec.Ports)
	}
	p := svc.Spec.Ports[0]
	if p.Protocol != corev1.ProtocolTCP || p.Port != sc.servicePort || p.TargetPort.IntValue() != 10101 {
		t.Errorf("Service port = %+v, want TCP %d -> 10101", p, sc.servicePort)
	}

	// The NetworkPolicy opens port 10101 of the hub pod to the proxy (and
	// the hub itself), and restricts nothing else.
	np := ms.NetworkPolicies[name]
	if !reflect.DeepEqual(np.Spec.PodSelector.MatchLabels, sc.hubSelector) || len(np.Spec.PodSelector.MatchExpressions) != 0 {
		t.Errorf("NetworkPolicy podSelector = %+v, want the hub pod's %v", np.Spec.PodSelector, sc.hubSelector)
	}
	if len(np.Spec.PolicyTypes) != 1 || np.Spec.PolicyTypes[0] != "Ingress" {
		t.Errorf("NetworkPolicy policyTypes = %v, want [Ingress] (egress stays as z2jh has it)", np.Spec.PolicyTypes)
	}
	if len(np.Spec.Ingress) != 1 {
		t.Fatalf("NetworkPolicy ingress = %+v, want one rule", np.Spec.Ingress)
	}
	rule := np.Spec.Ingress[0]
	if len(rule.Ports) != 1 || rule.Ports[0].Port == nil || rule.Ports[0].Port.IntValue() != 10101 ||
		rule.Ports[0].Protocol == nil || *rule.Ports[0].Protocol != corev1.ProtocolTCP {
		t.Errorf("NetworkPolicy ports = %s, want TCP 10101 only", jsonString(rule.Ports))
	}
	var proxyOK, hubOK bool
	for _, peer := range rule.From {
		if peer.PodSelector == nil || peer.NamespaceSelector != nil || peer.IPBlock != nil {
			continue
		}
		proxyOK = proxyOK || reflect.DeepEqual(peer.PodSelector.MatchLabels, sc.proxySelector)
		hubOK = hubOK || reflect.DeepEqual(peer.PodSelector.MatchLabels, sc.hubSelector)
	}
	if !proxyOK || !hubOK {
		t.Errorf("NetworkPolicy from = %+v, want the proxy pod %v and the hub pod %v", rule.From, sc.proxySelector, sc.hubSelector)
	}

	// The infrastructure config is the values' config, and hubprofiles
	// accepts it.
	cm := ms.ConfigMaps[name]
	if len(cm.Data) != 2 || cm.Data["config.yaml"] == "" || cm.Data["config-path"] != "/etc/hubprofiles/config.yaml" {
		t.Fatalf("ConfigMap %s data = %v, want config.yaml and config-path (where the parent values mount config.yaml)", name, keys(cm.Data))
	}
	var values struct {
		Config any `json:"config"`
	}
	valuesJSON := yamlFileJSON(t, valuesFile)
	if err := json.Unmarshal(valuesJSON, &values); err != nil {
		t.Fatal(err)
	}
	if values.Config == nil {
		values.Config = map[string]any{}
	}
	gotConfig := yamlJSONValue(t, cm.Data["config.yaml"])
	if !reflect.DeepEqual(gotConfig, jsonRoundTrip(t, values.Config)) {
		t.Errorf("config.yaml = %v, want the values' config %v", gotConfig, values.Config)
	}
	checkConfigAccepted(t, cm.Data["config.yaml"])

	// The hub module is the chart's file, unchanged.
	module, err := os.ReadFile(filepath.Join(chartDir, "files", "hubprofiles_hub.py"))
	if err != nil {
		t.Fatalf("the hub-side module: %v", err)
	}
	hubCM := ms.ConfigMaps[hubName]
	if got := hubCM.Data["hubprofiles_hub.py"]; strings.TrimRight(got, "\n") != strings.TrimRight(string(module), "\n") || len(hubCM.Data) != 1 {
		t.Errorf("ConfigMap %s does not hold files/hubprofiles_hub.py exactly (keys %v)", hubName, keys(hubCM.Data))
	}

	// The Secret has the keys expected, and a usable session key.
	if sc.secretKeys != nil {
		sec := ms.Secrets[name]
		if got := keys(sec.Data); !slices.Equal(got, sc.secretKeys) || len(sec.StringData) != 0 {
			t.Errorf("Secret keys = %v (stringData %v), want %v", got, keys(sec.StringData), sc.secretKeys)
		}
		if sec.Type != corev1.SecretTypeOpaque {
			t.Errorf("Secret type %q, want Opaque", sec.Type)
		}
		key := string(sec.Data["session-key"])
		switch {
		case sc.sessionKey != "" && key != sc.sessionKey:
			t.Errorf("session-key = %q, want the value given %q", key, sc.sessionKey)
		case sc.sessionKey == "" && !hex64.MatchString(key):
			t.Errorf("generated session-key = %q, want 64 hex digits (32 bytes, as hubprofiles reads it)", key)
		}
	}
	if sc.extra != nil {
		sc.extra(t, ms)
	}
}

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// checkConfigAccepted runs the real hubprofiles with the rendered config: it
// reads and checks the config strictly before it opens the database.
func checkConfigAccepted(t *testing.T, config string) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(file, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(hubBin, "export", "--config", file, "--data-dir", dir, "--revision", "head")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("hubprofiles refuses the rendered config: %v\n%s\n--- config.yaml:\n%s", err, out, config)
	}
}

func TestSessionKey(t *testing.T) {
	secret := func(args ...string) string {
		ms := decodeManifests(t, render(t, args...))
		s, ok := ms.Secrets["hubprofiles"]
		if !ok {
			t.Fatal("no Secret hubprofiles")
		}
		return string(s.Data["session-key"])
	}
	// Without a cluster (helm template), lookup finds nothing: each render
	// generates another key. The README and NOTES say so.
	a, b := secret(), secret()
	if !hex64.MatchString(a) || !hex64.MatchString(b) || a == b {
		t.Errorf("two renders without sessionKey gave %q and %q, want two different 64-hex-digit keys", a, b)
	}
	given := strings.Repeat("k", 40)
	if got := secret("--set", "sessionKey="+given); got != given {
		t.Errorf("sessionKey given: Secret has %q, want %q", got, given)
	}
	// The key is read back from the cluster when there is one: the template
	// must use lookup on the Secret's own name.
	tpl, err := os.ReadFile(filepath.Join(chartDir, "templates", "_helpers.tpl"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(tpl), `lookup "v1" "Secret" .Release.Namespace (include "hubprofiles.fullname" .)`) {
		t.Error(`_helpers.tpl does not look the existing Secret up: generated keys would change on every helm upgrade`)
	}
}

func TestOptionalObjects(t *testing.T) {
	cases := []struct {
		args []string
		has  func(*manifests) bool
		what string
	}{
		{[]string{"--set", "networkPolicy.enabled=false"}, func(ms *manifests) bool { return len(ms.NetworkPolicies) == 0 }, "no NetworkPolicy"},
		{[]string{"--set", "hubModule.enabled=false"}, func(ms *manifests) bool { _, ok := ms.ConfigMaps["hubprofiles-hub"]; return !ok }, "no hub module ConfigMap"},
		{[]string{"--set", "persistence.enabled=true", "--set", "persistence.storageClass=-"}, func(ms *manifests) bool {
			p, ok := ms.PVCs["hubprofiles"]
			return ok && p.Spec.StorageClassName != nil && *p.Spec.StorageClassName == ""
		}, `a PVC with storageClassName ""`},
		{[]string{"--set", "persistence.enabled=true", "--set", "persistence.keep=false"}, func(ms *manifests) bool {
			p, ok := ms.PVCs["hubprofiles"]
			return ok && p.Spec.StorageClassName == nil && len(p.Annotations) == 0
		}, "a PVC of the default class, not kept"},
		{[]string{"--set", "apiToken=tok-0123456789"}, func(ms *manifests) bool {
			return string(ms.Secrets["hubprofiles"].Data["api-token"]) == "tok-0123456789"
		}, "api-token in the Secret"},
		{[]string{"--set", "networkPolicy.allowFromHub=false"}, func(ms *manifests) bool {
			return len(ms.NetworkPolicies["hubprofiles"].Spec.Ingress[0].From) == 1
		}, "the proxy as the only peer"},
		{[]string{"--set", "global.storageClass=x"}, func(ms *manifests) bool { return ms.Count > 0 }, "a render (a parent's globals are allowed)"},
	}
	for _, c := range cases {
		ms := decodeManifests(t, render(t, c.args...))
		if !c.has(ms) {
			t.Errorf("%v: want %s", c.args, c.what)
		}
	}
}

// TestSchemaRefuses: values.schema.json catches typos and bad values, in
// both helm lint and helm template.
func TestSchemaRefuses(t *testing.T) {
	cases := []struct {
		args []string
		want string // in helm's message
	}{
		{[]string{"--set", "servce.port=1"}, "servce"},
		{[]string{"--set", "service.prot=1"}, "prot"},
		{[]string{"--set", "networkPolicy.enable=true"}, "enable"},
		{[]string{"--set", "persistence.enabled=yes"}, "persistence"},
		{[]string{"--set", "persistence.size=lots"}, "size"},
		{[]string{"--set", "persistence.accessModes[0]=ReadWriteSometimes"}, "accessModes"},
		{[]string{"--set", "service.port=0"}, "port"},
		{[]string{"--set", "service.type=LoadBalancer"}, "type"},
		{[]string{"--set", "sessionKey=short"}, "sessionKey"},
		{[]string{"--set", "database.url=mysql://db/x"}, "url"},
		{[]string{"--set-json", `hubPodSelector={"app":1}`}, "hubPodSelector"},
		{[]string{"--set-json", `config={"nodeGroup":[]}`}, "nodeGroup"},
		{[]string{"--set-json", `config={"nodeGroups":[{"slug":"Bad_Slug","nodeSelector":{"a":"b"}}]}`}, "slug"},
		{[]string{"--set-json", `config={"nodeGroups":[{"slug":"a"}]}`}, "nodeSelector"},
		{[]string{"--set-json", `config={"nodeGroups":[{"slug":"a","nodeSelector":{"a":"b"},"allocatable":{"gpus":1}}]}`}, "gpus"},
		{[]string{"--set-json", `config={"policy":{"allowedRegistry":["quay.io"]}}`}, "allowedRegistry"},
		{[]string{"--set-json", `config={"policy":{"allowedRegistries":["quay.io/jupyter"]}}`}, "allowedRegistries"},
		{[]string{"--set-json", `config={"registries":[{"host":"r.example.org","insecure":"yes"}]}`}, "insecure"},
		{[]string{"--set-json", `config={"policy":{"editorOverrides":"image"}}`}, "editorOverrides"},
		{[]string{"--set-json", `config={"access":{"editors":["x"]}}`}, "editors"},
		{[]string{"--set-json", `config={"peers":[{"name":"staging","url":"https://s.example.org/"}]}`}, "tokenFile"},
		{[]string{"--set-json", `config={"peers":[{"name":"staging","url":"staging.example.org","tokenFile":"/t"}]}`}, "url"},
		{[]string{"--set-json", `config={"usage":{"interval":"often"}}`}, "interval"},
		{[]string{"--set-json", `config={"usage":{"every":"1h"}}`}, "every"},
		{[]string{"--set-json", `networkPolicy.extraFrom=[{"podSelecter":{}}]`}, "podSelecter"},
	}
	for _, c := range cases {
		for _, cmd := range [][]string{
			append([]string{"template", release, chartDir}, c.args...),
			append([]string{"lint", "--strict", chartDir}, c.args...),
		} {
			out, err := helm(t, cmd...)
			if err == nil {
				t.Errorf("helm %s succeeded, want the schema to refuse it:\n%s", strings.Join(cmd[:1], " "), firstLines(out, 5))
				continue
			}
			if !strings.Contains(out, "schema") || !strings.Contains(out, c.want) {
				t.Errorf("helm %s %v: the error does not name the schema and %q:\n%s", cmd[0], c.args, c.want, firstLines(out, 10))
			}
		}
	}
}

// TestExistingSecretConflict: values that would go into the chart's Secret
// cannot be combined with a Secret of one's own.
func TestExistingSecretConflict(t *testing.T) {
	for _, set := range []string{"sessionKey=" + strings.Repeat("x", 32), "apiToken=t", "database.url=postgres://h/db"} {
		out, err := helm(t, "template", release, chartDir, "--set", "existingSecret=mine", "--set", set)
		if err == nil || !strings.Contains(out, "existingSecret is set") {
			t.Errorf("existingSecret with %s: err %v, want a clear failure\n%s", set, err, firstLines(out, 5))
		}
	}
}

// TestNotes renders NOTES.txt (helm template does not print it) through a
// test-only template in a copy of the chart.
func TestNotes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "hubprofiles")
	if err := os.CopyFS(dir, os.DirFS(chartDir)); err != nil {
		t.Fatal(err)
	}
	// .Files cannot read templates/, so the probe gets a copy of NOTES.txt.
	raw, err := os.ReadFile(filepath.Join(dir, "templates", "NOTES.txt"))
	if err != nil {
		t.Fatal(err)
	}
	probe := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: {{ tpl (.Files.Get \"notes-probe.txt\") . | quote }}\n"
	for name, content := range map[string][]byte{"notes-probe.txt": raw, "templates/zz-notes.yaml": []byte(probe)} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	notes := func(args ...string) string {
		full := append([]string{"template", release, dir, "--namespace", namespace, "--show-only", "templates/zz-notes.yaml"}, args...)
		out, err := helm(t, full...)
		if err != nil {
			t.Fatalf("helm %v: %v\n%s", full, err, out)
		}
		ms := decodeManifests(t, out)
		n := ms.ConfigMaps["notes"].Data["notes"]
		if n == "" {
			t.Fatal("NOTES.txt rendered empty")
		}
		return n
	}
	n := notes()
	for _, want := range []string{"Secret    hubprofiles", "Service   hubprofiles", "hub.extraContainers", "helm template", "subPath of the hub's volume", "/services/hubprofiles/"} {
		if !strings.Contains(n, want) {
			t.Errorf("NOTES lack %q:\n%s", want, n)
		}
	}
	n = notes("-f", filepath.Join(chartDir, "ci", "pvc-values.yaml"), "--set", "sessionKey="+strings.Repeat("k", 32))
	for _, want := range []string{"PVC       profiles", "port 80 -> port 10101"} {
		if !strings.Contains(n, want) {
			t.Errorf("NOTES (pvc) lack %q:\n%s", want, n)
		}
	}
	if strings.Contains(n, "helm template") {
		t.Errorf("NOTES warn about generated keys although sessionKey is set:\n%s", n)
	}
}

func eachObject(ms *manifests, f func(kind string, m *metav1.ObjectMeta)) {
	for _, o := range ms.ConfigMaps {
		f("ConfigMap", &o.ObjectMeta)
	}
	for _, o := range ms.Secrets {
		f("Secret", &o.ObjectMeta)
	}
	for _, o := range ms.Services {
		f("Service", &o.ObjectMeta)
	}
	for _, o := range ms.PVCs {
		f("PersistentVolumeClaim", &o.ObjectMeta)
	}
	for _, o := range ms.NetworkPolicies {
		f("NetworkPolicy", &o.ObjectMeta)
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func yamlFileJSON(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return js
}

// yamlJSONValue reads YAML into plain JSON values (maps, slices, float64).
func yamlJSONValue(t *testing.T, s string) any {
	t.Helper()
	js, err := yaml.YAMLToJSON([]byte(s))
	if err != nil {
		t.Fatalf("not YAML: %v\n%s", err, s)
	}
	var v any
	if err := json.Unmarshal(js, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func jsonRoundTrip(t *testing.T, v any) any {
	t.Helper()
	js, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(js, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}
