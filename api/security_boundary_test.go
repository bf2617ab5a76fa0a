package api_test

// Issue 11, item 2 ("root on the node"): through the API, an editor — the
// dev identity here is a hub admin, and the boundary binds hub admins too —
// can add or change only the kubespawner_override settings
// policy.editorOverrides lists. Each test is one attack.

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/profilelist"
)

const boundaryConfigKey = "policy.editorOverrides"

// profileWith is a profile whose kubespawner_override is the JSON object ov.
func profileWith(slug, ov string) string {
	return fmt.Sprintf(`{"slug": %q, "display_name": "Profile %s", "kubespawner_override": {"image": "quay.io/jupyter/base-notebook:2025-06-02", %s}}`, slug, slug, ov)
}

// refusedOverride posts a new profile carrying ov and checks that it is
// refused at path with a message naming the setting and the config key,
// and that nothing was written.
func refusedOverride(t *testing.T, c *client, ov, path, setting string) {
	t.Helper()
	before := c.revisions()
	e := errorOf(t, c.do(http.MethodPost, "api/v1/profiles", profileWith("attack", ov)), http.StatusUnprocessableEntity, "invalid")
	if !e.hasField(path, setting) || !e.hasField(path, boundaryConfigKey) {
		t.Errorf("fields %v, want one at %s naming %s and %s: %+v", e.fieldPaths(), path, setting, boundaryConfigKey, e.Error.Fields)
	}
	if n := c.revisions(); n != before {
		t.Errorf("the refused write made %d revision(s)", n-before)
	}
	if strings.Contains(string(c.do(http.MethodGet, "api/v1/profiles/attack", nil).Body), `"attack"`) {
		t.Error("the refused profile exists")
	}
}

func TestSecurityPrivilegedSecurityContextIsRefused(t *testing.T) {
	c := newTestServer(t)
	refusedOverride(t, c, `"extra_container_config": {"securityContext": {"privileged": true}}`,
		"/profiles/0/kubespawner_override/extra_container_config", "kubespawner_override.extra_container_config")
	refusedOverride(t, c, `"privileged": true`, "/profiles/0/kubespawner_override/privileged", "kubespawner_override.privileged")
	// The deprecated alias sets the same trait.
	refusedOverride(t, c, `"singleuser_privileged": true`, "/profiles/0/kubespawner_override/singleuser_privileged", "kubespawner_override.singleuser_privileged")
}

func TestSecurityRunAsUserZeroIsRefused(t *testing.T) {
	c := newTestServer(t)
	refusedOverride(t, c, `"uid": 0`, "/profiles/0/kubespawner_override/uid", "kubespawner_override.uid")
	refusedOverride(t, c, `"container_security_context": {"runAsUser": 0}`,
		"/profiles/0/kubespawner_override/container_security_context", "kubespawner_override.container_security_context")
	refusedOverride(t, c, `"extra_container_config": {"securityContext": {"runAsUser": 0}}`,
		"/profiles/0/kubespawner_override/extra_container_config", "kubespawner_override.extra_container_config")
}

func TestSecurityHostPathVolumeIsRefused(t *testing.T) {
	c := newTestServer(t)
	refusedOverride(t, c, `"volumes": [{"name": "root", "hostPath": {"path": "/"}}], "volume_mounts": [{"name": "root", "mountPath": "/host"}]`,
		"/profiles/0/kubespawner_override/volumes", "kubespawner_override.volumes")
	refusedOverride(t, c, `"volume_mounts": [{"name": "home", "mountPath": "/home/jovyan", "subPath": "someone-else"}]`,
		"/profiles/0/kubespawner_override/volume_mounts", "kubespawner_override.volume_mounts")
}

func TestSecurityHostNamespacesInExtraPodConfigAreRefused(t *testing.T) {
	c := newTestServer(t)
	refusedOverride(t, c, `"extra_pod_config": {"hostPID": true}`,
		"/profiles/0/kubespawner_override/extra_pod_config", "kubespawner_override.extra_pod_config")
	refusedOverride(t, c, `"extra_pod_config": {"hostNetwork": true}`,
		"/profiles/0/kubespawner_override/extra_pod_config", "kubespawner_override.extra_pod_config")
}

func TestSecurityHubServiceAccountIsRefused(t *testing.T) {
	c := newTestServer(t)
	refusedOverride(t, c, `"service_account": "hub"`, "/profiles/0/kubespawner_override/service_account", "kubespawner_override.service_account")
	refusedOverride(t, c, `"automount_service_account_token": true`,
		"/profiles/0/kubespawner_override/automount_service_account_token", "kubespawner_override.automount_service_account_token")
}

func TestSecuritySecretInEnvironmentIsRefused(t *testing.T) {
	c := newTestServer(t)
	refusedOverride(t, c, `"environment": {"PROXY_TOKEN": {"valueFrom": {"secretKeyRef": {"name": "hub", "key": "hub.config.ConfigurableHTTPProxy.auth_token"}}}}`,
		"/profiles/0/kubespawner_override/environment/PROXY_TOKEN", "environment.valueFrom")
	// Plain values are what real lists write, and stay allowed.
	c.must(http.StatusCreated, http.MethodPost, "api/v1/profiles", profileWith("plain", `"environment": {"JUPYTERHUB_SINGLEUSER_APP": "jupyter_server.serverapp.ServerApp"}`))
}

func TestSecurityForbiddenKeyInUnlistedChoiceIsRefused(t *testing.T) {
	c := newTestServer(t)
	before := c.revisions()
	body := `{"slug": "free", "display_name": "Any image", "options": [{"key": "image", "display_name": "Image", "choices": [],
	  "unlisted_choice": {"enabled": true, "display_name": "Image", "validation_regex": "^[a-z./:-]+$",
	    "kubespawner_override": {"image": "{value}", "extra_container_config": {"securityContext": {"privileged": true}}}}}]}`
	e := errorOf(t, c.do(http.MethodPost, "api/v1/profiles", body), http.StatusUnprocessableEntity, "invalid")
	const path = "/profiles/0/options/0/unlisted_choice/kubespawner_override/extra_container_config"
	if !e.hasField(path, "kubespawner_override.extra_container_config") || !e.hasField(path, boundaryConfigKey) {
		t.Errorf("fields %+v, want one at %s", e.Error.Fields, path)
	}
	if c.revisions() != before {
		t.Error("the refused write made a revision")
	}
}

// A key that KubeSpawner reads is refused wherever the catalog could hold
// it: here as an extra key of a profile without override, which renders as
// its kubespawner_override.
func TestSecurityForbiddenKeyThroughExtraIsRefused(t *testing.T) {
	c := newTestServer(t)
	body := `{"slug": "sneaky", "display_name": "Sneaky", "extra": {"kubespawner_override": {"privileged": true}}}`
	e := errorOf(t, c.do(http.MethodPost, "api/v1/profiles", body), http.StatusUnprocessableEntity, "invalid")
	if !strings.Contains(fmt.Sprint(e.Error.Fields), "kubespawner_override.privileged") {
		t.Errorf("fields %+v do not name kubespawner_override.privileged", e.Error.Fields)
	}
}

// hostileList is a profile list with a privileged init container, as an
// attacker would import it.
const hostileList = `[{"display_name": "Small", "slug": "small", "kubespawner_override": {"image": "quay.io/jupyter/base-notebook:2025-06-02",
  "init_containers": [{"name": "x", "image": "busybox:1.36", "securityContext": {"privileged": true}}]}}]`

func TestSecurityImportAddingForbiddenSettingIsRefused(t *testing.T) {
	c := newTestServer(t)
	before := c.revisions()
	e := errorOf(t, c.do(http.MethodPost, "api/v1/import?publish=true", hostileList), http.StatusUnprocessableEntity, "invalid")
	if !e.hasField("/0/kubespawner_override/init_containers", "kubespawner_override.init_containers") {
		t.Errorf("fields %+v, want one at /0/kubespawner_override/init_containers (a path into the imported list)", e.Error.Fields)
	}
	if c.revisions() != before || c.publications() != 0 {
		t.Error("the refused import wrote something")
	}
}

// operatorImport writes a list as `hubprofiles import` does.
func operatorImport(t *testing.T, c *client, list string) {
	t.Helper()
	src, err := profilelist.Parse([]byte(list), profilelist.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.edit.Import(context.Background(), src, edit.Change{Base: edit.NoBase, Author: "system:cli", Message: "operator", Operator: true}); err != nil {
		t.Fatalf("operator import: %v", err)
	}
}

// What an operator imported stays through editors' unrelated edits, can be
// removed, and cannot be changed or moved.
func TestSecurityOperatorSettingsStayOnUnrelatedEdit(t *testing.T) {
	c := newTestServer(t)
	operatorImport(t, c, hostileList)

	// An unrelated edit of the profile that carries the setting: GET, change
	// the name, PUT back.
	p := c.get("api/v1/profiles/small")
	renamed := strings.Replace(string(p.Body), `"display_name":"Small"`, `"display_name":"Small (renamed)"`, 1)
	if renamed == string(p.Body) {
		t.Fatalf("unexpected profile body %s", p.Body)
	}
	c.must(http.StatusOK, http.MethodPut, "api/v1/profiles/small", renamed, "If-Match", p.Header.Get("ETag"))
	// A new tag for its image (the catalog image the import made).
	img := str(c.get("api/v1/images").JSON, "images", 0, "slug")
	c.must(http.StatusOK, http.MethodPatch, "api/v1/images/"+img, `{"ref": "quay.io/jupyter/base-notebook:2025-07-01"}`)
	// The same list again through the API: identical settings at the same
	// place are kept.
	c.must(http.StatusCreated, http.MethodPost, "api/v1/import", hostileList)
	if pl := string(c.get("api/v1/export?format=json&revision=head").Body); !strings.Contains(pl, `"init_containers"`) || !strings.Contains(pl, `"privileged"`) {
		t.Errorf("the operator's setting is gone after editors' edits: %s", pl)
	}

	// Changing a value inside it is refused, naming where.
	changed := strings.Replace(hostileList, "busybox:1.36", "busybox:1.37", 1)
	e := errorOf(t, c.do(http.MethodPost, "api/v1/import", changed), http.StatusUnprocessableEntity, "invalid")
	if !e.hasField("/0/kubespawner_override/init_containers/0/image", "kubespawner_override.init_containers") {
		t.Errorf("fields %+v, want the changed value's path", e.Error.Fields)
	}
	// Copying it into another profile with a value changed is adding it
	// there (an exact copy, where no more people can pick it, is not: see
	// edit/copies_test.go).
	other := `[` + strings.TrimSuffix(strings.TrimPrefix(hostileList, "["), "]") + `,` +
		strings.NewReplacer(`"Small"`, `"Other"`, `"small"`, `"other"`, `"busybox:1.36"`, `"busybox:1.37"`).Replace(strings.TrimSuffix(strings.TrimPrefix(hostileList, "["), "]")) + `]`
	e = errorOf(t, c.do(http.MethodPost, "api/v1/import", other), http.StatusUnprocessableEntity, "invalid")
	if !e.hasField("/1/kubespawner_override/init_containers", "kubespawner_override.init_containers") || e.hasField("/0/kubespawner_override/init_containers", "") {
		t.Errorf("fields %+v, want the changed copy at /1 refused and the original at /0 kept", e.Error.Fields)
	}
	// Removing it narrows what the pod may do: allowed.
	c.must(http.StatusCreated, http.MethodPost, "api/v1/import", `[{"display_name": "Small", "slug": "small", "kubespawner_override": {"image": "quay.io/jupyter/base-notebook:2025-07-01"}}]`)
	if pl := string(c.get("api/v1/export?format=json&revision=head").Body); strings.Contains(pl, "init_containers") {
		t.Errorf("the removal did not happen: %s", pl)
	}
}

// Publishing an older revision is adding back what the head no longer has.
func TestSecurityRollBackToForbiddenSettingIsRefused(t *testing.T) {
	c := newTestServer(t)
	operatorImport(t, c, hostileList)
	old := num(c.get("api/v1/revisions").JSON, "revisions", 0, "id")
	c.must(http.StatusCreated, http.MethodPost, "api/v1/import?publish=true", `[{"display_name": "Small", "slug": "small", "kubespawner_override": {"image": "quay.io/jupyter/base-notebook:2025-06-02"}}]`)
	e := errorOf(t, c.do(http.MethodPost, fmt.Sprintf("api/v1/revisions/%d/publish", old), `{"message": "roll back"}`), http.StatusUnprocessableEntity, "invalid")
	if !e.hasField("/profiles/0/kubespawner_override/init_containers", boundaryConfigKey) {
		t.Errorf("fields %+v", e.Error.Fields)
	}
	e = errorOf(t, c.do(http.MethodPost, fmt.Sprintf("api/v1/revisions/%d/restore", old), nil), http.StatusUnprocessableEntity, "invalid")
	if !e.hasField("/profiles/0/kubespawner_override/init_containers", boundaryConfigKey) {
		t.Errorf("restore: fields %+v", e.Error.Fields)
	}
}

func TestSecurityWildcardPolicyAllowsEverything(t *testing.T) {
	c := newTestServer(t, withInfra("policy:\n  editorOverrides: [\"*\"]\n"))
	c.must(http.StatusCreated, http.MethodPost, "api/v1/profiles", profileWith("root", `"privileged": true, "service_account": "hub", "extra_pod_config": {"hostPID": true}`))
	c.must(http.StatusCreated, http.MethodPost, "api/v1/import", hostileList)
}

// A configured list replaces the default: here editors may set sizes only.
func TestSecurityConfiguredPolicyReplacesTheDefault(t *testing.T) {
	c := newTestServer(t, withInfra("policy:\n  editorOverrides: [image, mem_limit, mem_guarantee, init_containers]\n"))
	c.must(http.StatusCreated, http.MethodPost, "api/v1/import", hostileList) // init_containers is allowed here
	e := errorOf(t, c.do(http.MethodPost, "api/v1/profiles", `{"slug": "x", "display_name": "X", "kubespawner_override": {"cpu_limit": 2}}`), http.StatusUnprocessableEntity, "invalid")
	if !e.hasField("/profiles/1/kubespawner_override/cpu_limit", boundaryConfigKey) {
		t.Errorf("fields %+v", e.Error.Fields)
	}
}

// An operator's privileged profile for one group stays for that group:
// editors may not open it to more people, and may narrow it.
func TestSecurityOperatorSettingsAreNotOpenedToMoreGroups(t *testing.T) {
	c := newTestServer(t)
	list := func(groups string) string {
		return `[{"display_name": "Debug", "slug": "debug", "allowed_groups": ` + groups + `, "kubespawner_override": {"image": "quay.io/jupyter/base-notebook:2025-06-02", "privileged": true}}]`
	}
	operatorImport(t, c, list(`["sre"]`))
	for _, groups := range []string{`["sre", "students"]`, `null`} {
		body := list(groups)
		if groups == "null" {
			body = strings.Replace(body, `"allowed_groups": null, `, "", 1)
		}
		e := errorOf(t, c.do(http.MethodPost, "api/v1/import", body), http.StatusUnprocessableEntity, "invalid")
		if !e.hasField("/0/allowed_groups", "kubespawner_override.privileged") {
			t.Errorf("allowed_groups %s: fields %+v", groups, e.Error.Fields)
		}
	}
	// The operator's own list again: nothing changes, nothing is written.
	if r := c.must(http.StatusOK, http.MethodPost, "api/v1/import", list(`["sre"]`)); dig(r.JSON, "unchanged") != true {
		t.Errorf("re-importing the operator's list: %s, want unchanged", r.Body)
	}
	c.must(http.StatusCreated, http.MethodPost, "api/v1/import", list(`[]`)) // nobody: narrower
}

// With image left out of the policy, the hub-wide image is the operators'
// too (the hub-side module applies it to every server).
func TestSecurityHubDefaultImageFollowsThePolicy(t *testing.T) {
	c := newTestServer(t, withInfra("policy:\n  editorOverrides: [mem_limit]\n"))
	operatorImport(t, c, `[{"display_name": "Small", "slug": "small", "kubespawner_override": {"image": "quay.io/jupyter/base-notebook:2025-06-02"}}]`)
	img := str(c.get("api/v1/images").JSON, "images", 0, "slug")
	e := errorOf(t, c.do(http.MethodPut, "api/v1/defaults", `{"image": "`+img+`"}`), http.StatusUnprocessableEntity, "invalid")
	if !e.hasField("/defaults/image", boundaryConfigKey) {
		t.Errorf("fields %+v", e.Error.Fields)
	}
	c.must(http.StatusOK, http.MethodPut, "api/v1/defaults", `{"default_url": ""}`) // unchanged: allowed
}
