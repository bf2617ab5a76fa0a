package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/profilelist"
)

// settingsList has what an operator set and editors may not write: init
// containers on an open choice and on a choice only staff can pick, a
// command on a free-text field, and a key kept verbatim.
const settingsList = `[{"display_name": "Default", "slug": "default", "profile_options": {"image": {"display_name": "Image", "choices": {
  "pangeo": {"display_name": "Pangeo", "kubespawner_override": {"image": "quay.io/pangeo/pangeo-notebook:2025.01.01", "init_containers": [
    {"name": "fix", "image": "busybox:1.36.1", "securityContext": {"runAsUser": 0}},
    {"name": "puller", "image": "quay.io/x/puller:1", "securityContext": {"runAsUser": 1000}}]}},
  "rocker": {"display_name": "Rocker", "tool_hint": "kept", "kubespawner_override": {"image": "rocker/binder:4.4"}},
  "priv": {"display_name": "Privileged", "allowed_groups": ["staff"], "kubespawner_override": {"image": "rocker/binder:4.4",
    "init_containers": [{"name": "root", "image": "busybox:1.36.1", "securityContext": {"privileged": true}}]}}},
  "unlisted_choice": {"enabled": true, "display_name": "Other", "kubespawner_override": {"image": "{value}", "cmd": ["start-notebook.sh"]}}}}}]`

// An admin reuses and drops an operator's settings without writing them,
// under the default policy: copy one init container to another choice,
// drop one, remove a command and a verbatim key; copying a staff-only
// privileged init container to an open choice is refused.
func TestSettingsCopiedAndRemovedWithoutWritingThem(t *testing.T) {
	c := newTestServer(t)
	src, err := profilelist.Parse([]byte(settingsList), profilelist.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.edit.Import(context.Background(), src, edit.Change{Base: edit.NoBase, Author: "system:cli", Message: "operator", Operator: true}); err != nil {
		t.Fatal(err)
	}
	const choices = "api/v1/profiles/default/options/image/choices/"
	fromPangeo := map[string]any{"profile": "default", "option": "image", "choice": "pangeo"}
	r := c.must(http.StatusOK, http.MethodPut, choices+"rocker/kubespawner_override/init_containers", map[string]any{"from": fromPangeo, "items": []string{"puller"}})
	if got := list(r.JSON, "result", "kubespawner_override", "init_containers"); len(got) != 1 || str(got[0], "name") != "puller" {
		t.Errorf("rocker's init containers after the copy: %v", got)
	}
	e := errorOf(t, c.do(http.MethodPut, choices+"rocker/kubespawner_override/init_containers",
		map[string]any{"from": map[string]any{"profile": "default", "option": "image", "choice": "priv"}}), http.StatusUnprocessableEntity, "invalid")
	if !e.hasField("/profiles/0/options/0/choices/1/kubespawner_override/init_containers/0/name", "kubespawner_override.init_containers") {
		t.Errorf("copying the staff-only init container to an open choice: %+v", e.Error.Fields)
	}
	c.must(http.StatusOK, http.MethodDelete, choices+"pangeo/kubespawner_override/init_containers?item=fix", nil)
	c.must(http.StatusNotFound, http.MethodDelete, choices+"pangeo/kubespawner_override/init_containers?item=fix", nil)
	c.must(http.StatusUnprocessableEntity, http.MethodPut, choices+"rocker/kubespawner_override/mem_limit", map[string]any{"from": fromPangeo})
	c.must(http.StatusBadRequest, http.MethodPut, choices+"rocker/kubespawner_override/init_containers", map[string]any{"from": fromPangeo, "what": 1})
	r = c.must(http.StatusOK, http.MethodDelete, "api/v1/profiles/default/options/image/unlisted_choice/kubespawner_override/cmd", nil)
	if dig(r.JSON, "result", "unlisted_choice", "kubespawner_override", "cmd") != nil {
		t.Errorf("the free-text field still has its cmd: %v", dig(r.JSON, "result", "unlisted_choice"))
	}
	r = c.must(http.StatusOK, http.MethodDelete, choices+"rocker/extra/tool_hint", nil)
	if dig(r.JSON, "result", "extra") != nil {
		t.Errorf("rocker still has extra keys: %v", dig(r.JSON, "result", "extra"))
	}
	ov := c.renderedHeadChoice(t, "pangeo")
	if !strings.Contains(ov, `"puller"`) || strings.Contains(ov, `"fix"`) {
		t.Errorf("pangeo as KubeSpawner reads it: %s", ov)
	}
}

// renderedHeadChoice is a choice of the head's first profile's image
// option as KubeSpawner reads it, as JSON.
func (c *client) renderedHeadChoice(t *testing.T, choice string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(c.get("api/v1/export?format=json&revision=head").Body, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(dig(v, 0, "profile_options", "image", "choices", choice, "kubespawner_override"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
