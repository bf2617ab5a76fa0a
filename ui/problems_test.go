package ui

import (
	"fmt"
	"slices"
	"testing"

	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/profilelist"
)

// TestGroupProblems: findings of a values file are grouped by profile →
// option → choice under the names the admin sees, errors first, and an
// unreachable registry is one line, with the images it affects, however
// many places use them (issue 14).
func TestGroupProblems(t *testing.T) {
	src, err := profilelist.Parse([]byte(`jupyterhub:
  singleuser:
    profileList:
      - display_name: Small
        kubespawner_override: {image: "reg.example:5000/a:1"}
      - display_name: Big
        profile_options:
          size:
            display_name: Size
            choices:
              xl: {display_name: Extra large, kubespawner_override: {mem_limit: 4Gi, image: "reg.example:5000/b:1", extra_resource_limits: {nvidia.com/gpu: "9"}}}
`), profilelist.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	pre := src.ListPath
	dns := "cannot find reg.example: DNS lookup failed (no such host); check the host name"
	fs := []model.Finding{
		{Severity: model.Warning, Path: pre + "/0/kubespawner_override/image", Message: `image "reg.example:5000/a:1": ` + dns},
		{Severity: model.Warning, Path: pre + "/1/profile_options/size/choices/xl/kubespawner_override/image", Message: `image "reg.example:5000/b:1": ` + dns},
		{Severity: model.Warning, Path: pre + "/1/profile_options/size/choices/xl/kubespawner_override/extra_resource_limits/nvidia.com~1gpu", Message: "many GPUs"},
		{Severity: model.Error, Path: pre + "/1/profile_options/size/choices/xl/kubespawner_override/mem_limit", Message: "4Gi is not KubeSpawner's"},
	}
	var got []string
	for _, g := range groupProblems(fs, listNamer(src.List, pre)) {
		for _, p := range g.Items {
			got = append(got, fmt.Sprintf("%s | %s %s: %s %v", g.Title, p.Severity, p.Field, p.Message, p.Where))
		}
	}
	want := []string{
		"Profile “Big” → option “Size” → choice “Extra large” | error mem_limit: 4Gi is not KubeSpawner's []",
		"Profile “Big” → option “Size” → choice “Extra large” | warning extra_resource_limits → nvidia.com/gpu: many GPUs []",
		"Registry reg.example:5000 | warning : " + dns + " [reg.example:5000/a:1 (Profile “Small”) reg.example:5000/b:1 (Profile “Big” → option “Size” → choice “Extra large”)]",
	}
	if !slices.Equal(got, want) {
		t.Errorf("grouped:\n got %q\nwant %q", got, want)
	}
}
