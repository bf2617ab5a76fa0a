package profilelist

import "testing"

func TestCatalogPath(t *testing.T) {
	src := parseFile(t, "testdata/render/nodegroups.yaml")
	c, err := Import(src.List, ImportOptions{NodeGroups: testNodeGroups})
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]string{
		"":                              "/profiles",
		"/0":                            "/profiles/0",
		"/0/slug":                       "/profiles/0/slug",
		"/0/kubespawner_override/image": "/profiles/0/image",
		"/0/kubespawner_override/node_selector/x":                             "/profiles/0/node_group",
		"/0/kubespawner_override/mem_limit":                                   "/profiles/0/mem_limit",     // a typed size
		"/1/kubespawner_override/node_selector":                               "/profiles/1/node_selector", // matches no node group: a typed selector
		"/1/profile_options/image":                                            "/profiles/1/options/0",
		"/1/profile_options/image/choices/scipy/kubespawner_override/image":   "/profiles/1/options/0/choices/1/image",
		"/1/profile_options/image/choices/scipy/display_name":                 "/profiles/1/options/0/choices/1/display_name",
		"/1/profile_options/image/unlisted_choice/kubespawner_override/image": "/profiles/1/options/0/unlisted_choice/image", // the typed template
		"/1/profile_options/size/choices":                                     "/profiles/1/options/1/choices",
		"/1/profile_options/nope/choices":                                     "/profiles/1/options",
		"/9":                                                                  "/profiles",
	}
	for in, want := range tests {
		if got := CatalogPath(c, in); got != want {
			t.Errorf("CatalogPath(%q) = %q, want %q", in, got, want)
		}
	}
}
