package edit

import (
	"context"

	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/profilelist"
)

// ImportCheck is what CheckImport found in a source, with paths into it:
// Findings say whether KubeSpawner can read it (errors and warnings;
// Errors counts the errors), Refused what an import from the pages or the
// API would refuse although KubeSpawner could (settings outside
// policy.editorOverrides: the command line may import them).
type ImportCheck struct {
	Findings []model.Finding
	Errors   int
	Refused  []model.Finding
}

// CheckImport checks a parsed source the way Import will, without writing
// anything: the API's validate and the import page's Check both answer
// with it. It asks the registries about the source's images first (when
// the editor has a checker), so that missing images are reported now; it
// checks a hubprofiles document with the infrastructure config's node
// groups, as Import keeps them, and a profile list or values file as
// written; and it says apart what an import from the pages or the API
// would refuse.
func (e *Editor) CheckImport(ctx context.Context, src *profilelist.Source) ImportCheck {
	e.mu.RLock()
	images := e.images
	e.mu.RUnlock()
	if images != nil {
		list := src.List
		if src.Document != nil {
			list, _ = profilelist.Render(src.Document)
		}
		if l, ok := list.([]any); ok {
			images.CheckAll(ctx, profilelist.ImageRefs(l))
		}
	}
	var ic ImportCheck
	if src.Format == profilelist.FormatDocument {
		doc := *src.Document
		doc.NodeGroups = e.Config().NodeGroups
		ic.Findings = e.Validate(ctx, &doc)
	} else {
		for _, f := range e.ValidateList(ctx, src.List) {
			f.Path = src.ListPath + f.Path
			ic.Findings = append(ic.Findings, f)
		}
	}
	for _, f := range ic.Findings {
		if f.Severity == model.Error {
			ic.Errors++
		}
	}
	ic.Refused = e.ImportRefusals(ctx, src)
	return ic
}
