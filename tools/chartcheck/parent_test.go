package chartcheck

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// parentValues is chart/parent-values.yaml: what the parent chart puts under
// its z2jh dependency. Decoded strictly, so a misspelt key fails.
type parentValues struct {
	Hub struct {
		ExtraContainers   []json.RawMessage         `json:"extraContainers"`
		ExtraVolumes      []corev1.Volume           `json:"extraVolumes"`
		ExtraVolumeMounts []corev1.VolumeMount      `json:"extraVolumeMounts"`
		Services          map[string]map[string]any `json:"services"`
		LoadRoles         map[string]map[string]any `json:"loadRoles"`
		ExtraConfig       map[string]string         `json:"extraConfig"`
	} `json:"hub"`
	Proxy struct {
		Chp struct {
			NetworkPolicy struct {
				Egress []networkingv1.NetworkPolicyEgressRule `json:"egress"`
			} `json:"networkPolicy"`
		} `json:"chp"`
	} `json:"proxy"`
}

// hubVolume is the volume z2jh's hub pod has for its own PVC (hub.db.type
// sqlite-pvc); parent-values.yaml mounts a subPath of it.
const hubVolume = "pvc"

// moduleDir is where the hub container gets the ConfigMap hubprofiles-hub;
// hub.extraConfig puts it on sys.path.
const moduleDir = "/usr/local/etc/jupyterhub/hubprofiles-hub"

// feedListen is the sidecar's feed listener (serve --feed-listen's default):
// loopback in the hub pod, where the hub-side module reads profile_list.
const feedListen = "127.0.0.1:10102"

// Keys JupyterHub (and z2jh's hub.services) accept for a service and a role.
var (
	serviceKeys = []string{"name", "url", "admin", "oauth_no_confirm", "display", "info", "command", "environment",
		"user", "cwd", "oauth_client_id", "oauth_redirect_uri", "oauth_roles", "oauth_client_allowed_scopes", "api_token", "apiToken"}
	roleKeys = []string{"name", "description", "scopes", "users", "groups", "services"}
)

// TestParentValues checks parent-values.yaml against the rendered chart, the
// hubprofiles command line and JupyterHub's conventions, so that copying it
// gives a working sidecar.
func TestParentValues(t *testing.T) {
	var pv parentValues
	readYAML(t, filepath.Join(chartDir, "parent-values.yaml"), &pv)
	ms := decodeManifests(t, render(t))
	h := pv.Hub

	// The JupyterHub service, and the names everything else derives from.
	if len(h.Services) != 1 {
		t.Fatalf("hub.services = %v, want the one service", keys(h.Services))
	}
	svcName := keys(h.Services)[0]
	service := h.Services[svcName]
	for k := range service {
		if !slices.Contains(serviceKeys, k) {
			t.Errorf("hub.services.%s.%s is not a JupyterHub service key", svcName, k)
		}
	}
	if _, ok := service["apiToken"]; ok {
		t.Errorf("hub.services.%s.apiToken is set: z2jh generates it and the sidecar reads it from the hub Secret", svcName)
	}
	if service["oauth_no_confirm"] != true {
		t.Errorf("hub.services.%s.oauth_no_confirm = %v, want true", svcName, service["oauth_no_confirm"])
	}
	k8sSvc, ok := ms.Services["hubprofiles"]
	if !ok {
		t.Fatal("the chart renders no Service hubprofiles")
	}
	wantURL := fmt.Sprintf("http://%s:%d", k8sSvc.Name, k8sSvc.Spec.Ports[0].Port)
	if service["url"] != wantURL {
		t.Errorf("hub.services.%s.url = %v, want the chart's Service %s", svcName, service["url"], wantURL)
	}
	prefix := "/services/" + svcName + "/"
	sidecarPort := int32(k8sSvc.Spec.Ports[0].TargetPort.IntValue())

	// The sidecar container.
	if len(h.ExtraContainers) != 1 {
		t.Fatalf("hub.extraContainers has %d entries, want 1", len(h.ExtraContainers))
	}
	var c corev1.Container
	strictJSON(t, "hub.extraContainers[0]", h.ExtraContainers[0], &c)
	checkSchema(t, "a Pod with hub.extraContainers[0] and hub.extraVolumes", podJSON(t, c, h.ExtraVolumes))
	if c.Name == "" || !regexp.MustCompile(`^[^:@]+[:@].+`).MatchString(c.Image) {
		t.Errorf("container name %q, image %q: want a name and an image with a tag or digest", c.Name, c.Image)
	}
	if len(c.Command) != 0 {
		t.Errorf("container command = %v: the image's ENTRYPOINT is /hubprofiles; give args only", c.Command)
	}
	// The config comes from HUBPROFILES_CONFIG (below), not an argument: an
	// optional variable, so that the sidecar starts without the chart.
	wantArgs := []string{"serve", "--data-dir", "/srv/hubprofiles"}
	const configFile = "/etc/hubprofiles/config.yaml"
	if !slices.Equal(c.Args, wantArgs) {
		t.Errorf("container args = %q, want %q", c.Args, wantArgs)
	}
	flags := serveFlags(t)
	for _, a := range c.Args[1:] {
		if strings.HasPrefix(a, "--") && !flags[strings.TrimPrefix(a, "--")] {
			t.Errorf("arg %s is not a flag of hubprofiles serve (flags: %v)", a, keys(flags))
		}
	}

	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		if _, dup := env[e.Name]; dup {
			t.Errorf("env %s is given twice", e.Name)
		}
		env[e.Name] = e
		if name, ok := strings.CutPrefix(e.Name, "HUBPROFILES_"); ok && e.Name != "HUBPROFILES_SESSION_KEY" {
			flag := strings.ToLower(strings.ReplaceAll(name, "_", "-"))
			if !flags[flag] {
				t.Errorf("env %s matches no flag of hubprofiles serve (--%s)", e.Name, flag)
			}
		}
	}
	plain := map[string]string{
		"JUPYTERHUB_CLIENT_ID":          "service-" + svcName,
		"JUPYTERHUB_SERVICE_NAME":       svcName,
		"JUPYTERHUB_SERVICE_PREFIX":     prefix,
		"JUPYTERHUB_OAUTH_CALLBACK_URL": prefix + "oauth_callback",
	}
	for name, want := range plain {
		if e := env[name]; e.Value != want || e.ValueFrom != nil {
			t.Errorf("env %s = %+v, want %q", name, e, want)
		}
	}
	if u, err := url.Parse(env["JUPYTERHUB_API_URL"].Value); err != nil || u.Port() != "8081" || !strings.HasSuffix(u.Path, "/hub/api") {
		t.Errorf("env JUPYTERHUB_API_URL = %q, want the hub's API on port 8081 (…/hub/api)", env["JUPYTERHUB_API_URL"].Value)
	}
	if _, ok := env["JUPYTERHUB_SERVICE_URL"]; ok {
		t.Error("env JUPYTERHUB_SERVICE_URL is set: hubprofiles would listen where it says instead of :10101")
	}
	secretRef := func(name string) *corev1.SecretKeySelector {
		e, ok := env[name]
		if !ok || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil || e.Value != "" {
			t.Errorf("env %s = %+v, want a secretKeyRef", name, e)
			return &corev1.SecretKeySelector{}
		}
		return e.ValueFrom.SecretKeyRef
	}
	if r := secretRef("JUPYTERHUB_API_TOKEN"); r.Name != "hub" || r.Key != "hub.services."+svcName+".apiToken" || r.Optional != nil {
		t.Errorf("JUPYTERHUB_API_TOKEN from %+v, want z2jh's Secret hub, key hub.services.%s.apiToken", r, svcName)
	}
	chartSecret, ok := ms.Secrets["hubprofiles"]
	if !ok {
		t.Fatal("the chart renders no Secret hubprofiles")
	}
	if r := secretRef("HUBPROFILES_SESSION_KEY"); r.Name != chartSecret.Name || r.Key != "session-key" || r.Optional == nil || !*r.Optional || chartSecret.Data[r.Key] == nil {
		t.Errorf("HUBPROFILES_SESSION_KEY from %+v, want the chart's Secret %s, key session-key (which it has), optional (absent: a key file)", r, chartSecret.Name)
	}
	if e := env["HUBPROFILES_CONFIG"]; e.ValueFrom == nil || e.ValueFrom.ConfigMapKeyRef == nil || e.Value != "" {
		t.Errorf("env HUBPROFILES_CONFIG = %+v, want a configMapKeyRef", e)
	} else if r := e.ValueFrom.ConfigMapKeyRef; r.Optional == nil || !*r.Optional || ms.ConfigMaps[r.Name] == nil || ms.ConfigMaps[r.Name].Data[r.Key] != configFile {
		t.Errorf("HUBPROFILES_CONFIG from %+v, want an optional key of the chart's ConfigMap that says %s", r, configFile)
	}
	if r := secretRef("HUBPROFILES_DATABASE_URL"); r.Name != chartSecret.Name || r.Key != "database-url" || r.Optional == nil || !*r.Optional {
		t.Errorf("HUBPROFILES_DATABASE_URL from %+v, want the chart's Secret, key database-url, optional (absent: SQLite)", r)
	}

	// Port and probes: liveness on the public port's healthz only (the
	// umbrella test checks the same in the rendered hub Deployment).
	if len(c.Ports) != 1 || c.Ports[0].ContainerPort != sidecarPort || c.Ports[0].Name == "" {
		t.Fatalf("container ports = %+v, want one named port %d (the Service's targetPort)", c.Ports, sidecarPort)
	}
	checkProbes(t, c, prefix)

	// Non-root, read-only root file system, nothing more than it needs.
	sc := c.SecurityContext
	switch {
	case sc == nil:
		t.Error("container has no securityContext")
	case sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0:
		t.Errorf("securityContext %+v: want runAsNonRoot and a non-zero runAsUser", sc)
	case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
		t.Error("securityContext: want readOnlyRootFilesystem")
	case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
		t.Error("securityContext: want allowPrivilegeEscalation false")
	case sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) != 0:
		t.Error("securityContext: want capabilities drop [ALL]")
	}

	// Volumes: each mount has its volume, the config comes from the chart's
	// ConfigMap at the path --config names, the data directory and /tmp are
	// writable.
	volumes := map[string]corev1.Volume{}
	for _, v := range h.ExtraVolumes {
		volumes[v.Name] = v
		if v.ConfigMap != nil {
			if _, ok := ms.ConfigMaps[v.ConfigMap.Name]; !ok {
				t.Errorf("hub.extraVolumes %s: ConfigMap %q is not one the chart renders (%v)", v.Name, v.ConfigMap.Name, keys(ms.ConfigMaps))
			}
		}
	}
	mounts := map[string]corev1.VolumeMount{}
	for _, m := range c.VolumeMounts {
		mounts[m.MountPath] = m
		if _, ok := volumes[m.Name]; !ok && m.Name != hubVolume {
			t.Errorf("container mounts volume %q, which neither hub.extraVolumes nor z2jh's hub pod (%q) has", m.Name, hubVolume)
		}
	}
	cfgMount, ok := mounts[filepath.Dir(configFile)]
	if v := volumes[cfgMount.Name]; !ok || v.ConfigMap == nil || v.ConfigMap.Name != "hubprofiles" || cfgMount.SubPath != "" {
		t.Errorf("%s: want the chart's ConfigMap hubprofiles mounted whole (so updates reach the sidecar), got mount %+v volume %+v", filepath.Dir(configFile), cfgMount, v)
	} else if _, ok := ms.ConfigMaps["hubprofiles"].Data[filepath.Base(configFile)]; !ok {
		t.Errorf("the ConfigMap has no key %s, which HUBPROFILES_CONFIG names", filepath.Base(configFile))
	}
	if m, ok := mounts[wantArgs[2]]; !ok || m.ReadOnly || m.Name != hubVolume || m.SubPath == "" {
		t.Errorf("data directory %s: want a writable subPath of the hub's volume %q, got %+v", wantArgs[2], hubVolume, m)
	}
	if m, ok := mounts["/tmp"]; !ok || volumes[m.Name].EmptyDir == nil {
		t.Errorf("/tmp: want an emptyDir (the root file system is read-only), got %+v", m)
	}

	// The hub container gets the module next to jupyterhub_config.py.
	var moduleOK bool
	for _, m := range h.ExtraVolumeMounts {
		if _, ok := volumes[m.Name]; !ok {
			t.Errorf("hub.extraVolumeMounts: volume %q is not in hub.extraVolumes", m.Name)
			continue
		}
		v := volumes[m.Name]
		if m.MountPath == moduleDir && m.SubPath == "" && v.ConfigMap != nil && v.ConfigMap.Name == "hubprofiles-hub" && m.ReadOnly {
			moduleOK = ms.ConfigMaps["hubprofiles-hub"].Data["hubprofiles_hub.py"] != ""
		}
	}
	if !moduleOK {
		t.Errorf("hub.extraVolumeMounts %+v: want the ConfigMap hubprofiles-hub (with hubprofiles_hub.py), whole and read-only, at %s", h.ExtraVolumeMounts, moduleDir)
	}

	// Everyone may log in to the service (the "user" role replaces the
	// default one, so it keeps "self").
	for name, role := range h.LoadRoles {
		for k := range role {
			if !slices.Contains(roleKeys, k) {
				t.Errorf("hub.loadRoles.%s.%s is not a JupyterHub role key", name, k)
			}
		}
	}
	var scopes []string
	if raw, ok := h.LoadRoles["user"]["scopes"].([]any); ok {
		for _, s := range raw {
			str, _ := s.(string)
			scopes = append(scopes, str)
		}
	}
	if !slices.Contains(scopes, "self") || !slices.Contains(scopes, "access:services!service="+svcName) {
		t.Errorf("hub.loadRoles.user.scopes = %v, want self and access:services!service=%s", scopes, svcName)
	}

	// The service may read who uses what: every user's servers with their
	// user_options (the scopes of usage.Scopes, checked on a real hub by
	// the usage package's tests).
	usageRole := h.LoadRoles["hubprofiles-usage"]
	if fmt.Sprint(usageRole["scopes"]) != "[list:users read:servers]" || fmt.Sprint(usageRole["services"]) != "["+svcName+"]" {
		t.Errorf("hub.loadRoles.hubprofiles-usage = %v, want scopes [list:users read:servers] for the service %s", usageRole, svcName)
	}

	// The proxy may send traffic to the sidecar's port.
	var egressOK bool
	for _, r := range pv.Proxy.Chp.NetworkPolicy.Egress {
		for _, p := range r.Ports {
			for _, to := range r.To {
				if p.Port != nil && p.Port.IntValue() == int(sidecarPort) && to.PodSelector != nil && to.PodSelector.MatchLabels["component"] == "hub" {
					egressOK = true
				}
			}
		}
	}
	if !egressOK {
		t.Errorf("proxy.chp.networkPolicy.egress = %+v, want a rule to the hub pod on port %d", pv.Proxy.Chp.NetworkPolicy.Egress, sidecarPort)
	}

	// hub.extraConfig: the callable reads the sidecar on loopback, and the
	// call matches the module's entry point.
	if len(h.ExtraConfig) != 1 {
		t.Fatalf("hub.extraConfig = %v, want one snippet", keys(h.ExtraConfig))
	}
	snippet := h.ExtraConfig[keys(h.ExtraConfig)[0]]
	feed := fmt.Sprintf(`"http://%s%sprofile_list"`, feedListen, prefix)
	if !strings.Contains(snippet, feed) {
		t.Errorf("hub.extraConfig does not read %s:\n%s", feed, snippet)
	}
	checkSnippet(t, snippet, filepath.Join(chartDir, "files", "hubprofiles_hub.py"), strings.Trim(feed, `"`))
}

// TestReadmeShowsParentValues: chart/README.md shows parent-values.yaml as it
// is, so that what people copy is what the tests check.
func TestReadmeShowsParentValues(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(chartDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	pv, err := os.ReadFile(filepath.Join(chartDir, "parent-values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```yaml\n"+string(pv)+"```\n") {
		t.Error("chart/README.md does not show chart/parent-values.yaml verbatim in a ```yaml block")
	}
}

// serveFlags lists the flags of `hubprofiles serve` from its usage text.
func serveFlags(t *testing.T) map[string]bool {
	t.Helper()
	out, _ := exec.Command(hubBin, "serve", "-h").CombinedOutput()
	flags := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s+-{1,2}([a-z][a-z0-9-]*)`).FindAllStringSubmatch(string(out), -1) {
		flags[m[1]] = true
	}
	for _, want := range []string{"config", "data-dir", "database-url", "listen"} {
		if !flags[want] {
			t.Fatalf("hubprofiles serve -h does not list --%s; got %v from:\n%s", want, keys(flags), out)
		}
	}
	return flags
}

// podJSON wraps the sidecar in a Pod, so that the schema check sees the
// container and its volumes where Kubernetes would.
func podJSON(t *testing.T, c corev1.Container, vols []corev1.Volume) []byte {
	t.Helper()
	vols = append(slices.Clone(vols), corev1.Volume{Name: hubVolume, VolumeSource: corev1.VolumeSource{
		PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "hub-db-dir"}}})
	pod := corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{c}, Volumes: vols}}
	pod.APIVersion, pod.Kind, pod.Name = "v1", "Pod", "hub"
	js, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// runSnippetPy runs the hub.extraConfig snippet the way z2jh does (exec in
// the config's namespace after z2jh has set KubeSpawner.profile_list from
// singleuser.profileList, with z2jh's config directory, here argv[2], on
// sys.path) against a traitlets Config and a stand-in z2jh module whose
// singleuser.profileList is argv[3] (JSON), then reports what the snippet set
// and the error lines it logged.
const runSnippetPy = `
import json, logging, sys, types
snippet_file, module_dir, profile_list = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
sys.path.insert(0, module_dir)
z2jh = types.ModuleType("z2jh")
z2jh.get_config = lambda key, default=None: profile_list if key == "singleuser.profileList" else default
sys.modules["z2jh"] = z2jh
errors = []
class Errors(logging.Handler):
    def emit(self, record):
        if record.levelno >= logging.ERROR:
            errors.append(record.getMessage())
logging.getLogger().addHandler(Errors())
from traitlets.config import Config
c = Config()
if profile_list is not None:
    c.KubeSpawner.profile_list = profile_list
exec(compile(open(snippet_file).read(), "hub.extraConfig", "exec"), {"c": c, "__name__": "__main__"})
pl = c.KubeSpawner.profile_list
print(json.dumps({
    "type": type(pl).__module__ + "." + type(pl).__name__,
    "callable": callable(pl),
    "static": pl == profile_list,
    "url": getattr(pl, "url", None),
    "cache_path": getattr(pl, "cache_path", None),
    "errors": errors,
}))
`

// jupyterhubPython finds a Python that has JupyterHub's own dependencies
// (traitlets and tornado): Debian's, which the jupyterhub package (make deps)
// brings, before whatever python3 is first on PATH.
func jupyterhubPython(t *testing.T) string {
	t.Helper()
	var tried []string
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		path, err := exec.LookPath(py)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import traitlets, tornado").Run() == nil {
			return path
		}
		tried = append(tried, path)
	}
	t.Fatalf("no python3 with traitlets and tornado (tried %v): apt-get install --no-install-recommends jupyterhub", tried)
	return ""
}

// checkSnippet runs hub.extraConfig against files/hubprofiles_hub.py: it must
// install an async callable of the feed URL as KubeSpawner's profile_list,
// accept the old singleuser.profileList as its fallback, and pass that
// fallback on (an unusable one is refused when the hub starts). Without the
// module (the chart disabled, a volume mistake) it must log one error and
// leave the static singleuser.profileList in place.
func checkSnippet(t *testing.T, snippet, module, feedURL string) {
	t.Helper()
	if _, err := os.Stat(module); err != nil {
		t.Fatalf("the hub-side module: %v", err)
	}
	py := jupyterhubPython(t)
	dir := t.TempDir()
	for name, content := range map[string]string{"run.py": runSnippetPy, "snippet.py": snippet} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	noModule := t.TempDir() // what an empty (optional, absent) ConfigMap volume looks like
	type result struct {
		Type      string   `json:"type"`
		Callable  bool     `json:"callable"`
		Static    bool     `json:"static"`
		URL       string   `json:"url"`
		CachePath string   `json:"cache_path"`
		Errors    []string `json:"errors"`
	}
	run := func(moduleDir, profileList string) (result, string, error) {
		cmd := exec.Command(py, filepath.Join(dir, "run.py"), filepath.Join(dir, "snippet.py"), moduleDir, profileList)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		var got result
		if err == nil {
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if jerr := json.Unmarshal([]byte(lines[len(lines)-1]), &got); jerr != nil {
				err = fmt.Errorf("reading what the snippet set: %w", jerr)
			}
		}
		return got, string(out), err
	}
	const small = `[{"display_name": "Small", "kubespawner_override": {"mem_limit": "2G"}}]`
	for _, fallback := range []string{"null", small} {
		got, out, err := run(filepath.Dir(module), fallback)
		if err != nil {
			t.Errorf("hub.extraConfig fails against files/hubprofiles_hub.py (singleuser.profileList %s): %v\n%s", fallback, err, out)
			continue
		}
		if !got.Callable || !strings.HasPrefix(got.Type, "hubprofiles_hub.") || got.URL != feedURL {
			t.Errorf("after hub.extraConfig, c.KubeSpawner.profile_list is %+v: want a callable from hubprofiles_hub reading %s", got, feedURL)
		}
		if !strings.HasPrefix(got.CachePath, "/srv/jupyterhub/") {
			t.Errorf("cache_path %q: want a file on the hub's volume (/srv/jupyterhub)", got.CachePath)
		}
		if len(got.Errors) != 0 {
			t.Errorf("with the module, hub.extraConfig logs errors: %q", got.Errors)
		}
	}
	// The fallback really reaches the client: one it cannot use stops the
	// hub at start, with a message, instead of failing at spawn time.
	if _, out, err := run(filepath.Dir(module), `[{"description": "no display_name"}]`); err == nil || !strings.Contains(out, "fallback") {
		t.Errorf("an unusable singleuser.profileList as fallback: err %v, want the hub config to fail naming the fallback\n%s", err, out)
	}
	// Without the module the hub still starts, with its static list, and
	// says why in one error.
	got, out, err := run(noModule, small)
	switch {
	case err != nil:
		t.Errorf("hub.extraConfig without hubprofiles_hub.py fails, so the hub would not start: %v\n%s", err, out)
	case !got.Static:
		t.Errorf("without the module, c.KubeSpawner.profile_list is %+v: want the static singleuser.profileList left as it was", got)
	case len(got.Errors) != 1 || !strings.Contains(got.Errors[0], "hubprofiles") || !strings.Contains(got.Errors[0], "singleuser.profileList"):
		t.Errorf("without the module, hub.extraConfig logs errors %q: want one that names hubprofiles and says singleuser.profileList is used", got.Errors)
	}
}
