package edit

import (
	"context"

	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/profilelist"
	"github.com/jupyterhub/hubprofiles/usage"
)

// SetUsage gives the editor who uses what (package usage): validation
// then warns when a change takes away something users run or used in the
// last 30 days, and the pages and the API read usage through Usage.
func (e *Editor) SetUsage(w *usage.Watcher) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.usage = w
}

// Usage is who uses what in catalog c, from the hub's servers as last
// read in the background: never a request to the hub. Without a watcher
// it is unknown, with the reason.
func (e *Editor) Usage(c *model.Catalog) *usage.Report {
	e.mu.RLock()
	w := e.usage
	e.mu.RUnlock()
	return w.Report(c)
}

// UsageRemoved is what replacing the live list with after's takes away
// that is in use, as warnings (see usage.Removed); nothing when usage is
// unknown or nothing is live.
func (e *Editor) UsageRemoved(ctx context.Context, after *model.Catalog) []model.Finding {
	_, live, err := e.Live(ctx)
	if err != nil {
		return nil
	}
	return e.usageRemoved(live.Catalog, after)
}

func (e *Editor) usageRemoved(live, after *model.Catalog) []model.Finding {
	e.mu.RLock()
	w := e.usage
	e.mu.RUnlock()
	if w == nil || live == nil {
		return nil
	}
	return usage.Removed(w.Report(live), live, after)
}

// usageRemovedList is usageRemoved for a profile list as written: it is
// read as import would read it, against the live images, and the findings
// name the whole list (their catalog paths mean nothing in it).
func (e *Editor) usageRemovedList(live *model.Catalog, list any) []model.Finding {
	if live == nil {
		return nil
	}
	after, err := profilelist.Import(list, profilelist.ImportOptions{Images: live.Images, NodeGroups: live.NodeGroups})
	if err != nil {
		return nil
	}
	fs := e.usageRemoved(live, after)
	for i := range fs {
		fs[i].Path = ""
	}
	return fs
}
