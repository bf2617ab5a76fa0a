package edit

import (
	"context"
	"fmt"
	"strings"

	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/registry"
)

// Promotion: the selected parts of a peer hub's catalog become one draft
// revision here. It is an editor's change like any other (never an
// operator's): a setting outside policy.editorOverrides that the peer
// has and this hub lacks is refused, image references meet this hub's
// allowed registries and limits, and nothing is published.

// PeerCatalog is a peer's catalog at one of its revisions.
type PeerCatalog struct {
	Peer     string
	Revision int64
	Catalog  *model.Catalog
}

// RefChecker asks a registry about an image reference now (package
// registry's Checker).
type RefChecker interface {
	Recheck(ctx context.Context, ref string) registry.Result
}

// Promotion is what Promote wrote.
type Promotion struct {
	*Result
	Took []string // what was taken, in words
}

// Compare lists what differs between the head and a peer's catalog, and
// the head it compared with.
func (e *Editor) Compare(ctx context.Context, from *model.Catalog) (*State, []model.Difference, error) {
	head, err := e.Head(ctx)
	if err != nil {
		return nil, nil, err
	}
	return head, model.Compare(head.Catalog, from), nil
}

// Promote takes sel from the peer's catalog into the head as one revision
// (a draft: ch.Publish is ignored), its message naming the peer and its
// revision. Image references it adds or changes are checked with images
// (nil: no registry checks): one the registry says does not exist, or
// that is not a reference, refuses the whole promotion.
func (e *Editor) Promote(ctx context.Context, from PeerCatalog, sel model.Selection, ch Change, images RefChecker) (*Promotion, error) {
	if sel.Empty() {
		return nil, model.Invalid([]model.Finding{{Severity: model.Error, Path: "",
			Message: "nothing is selected: name the images, profiles or defaults to take from " + from.Peer}})
	}
	// The registry is asked before the write, outside Commit's lock: a
	// slow registry must not hold up every other writer.
	head, err := e.Head(ctx)
	if err != nil {
		return nil, err
	}
	try := cloneCatalog(head.Catalog)
	if _, err := try.Take(from.Catalog, sel); err != nil {
		return nil, err
	}
	if err := checkRefs(ctx, images, head.Catalog, try); err != nil {
		return nil, err
	}
	var took []string
	ch.Publish, ch.Operator, ch.KeepErrors = false, false, false
	ch.Apply = func(c *model.Catalog) (err error) {
		took, err = c.Take(from.Catalog, sel)
		return err
	}
	msg := fmt.Sprintf("promote from %s revision %d", from.Peer, from.Revision)
	if ch.Message == "" {
		ch.Message = msg
	} else {
		ch.Message = msg + ": " + ch.Message
	}
	res, err := e.Commit(ctx, ch)
	if err != nil {
		return nil, err
	}
	return &Promotion{Result: res, Took: took}, nil
}

// checkRefs asks the registry about every image reference of after that
// before does not have under the same slug.
func checkRefs(ctx context.Context, images RefChecker, before, after *model.Catalog) error {
	if images == nil {
		return nil
	}
	var fs []model.Finding
	for i, im := range after.Images {
		if old, ok := before.Image(im.Slug); ok && old.Ref == im.Ref {
			continue
		}
		switch r := images.Recheck(ctx, im.Ref); r.Status {
		case registry.NotFound, registry.Invalid, registry.NotAllowed:
			fs = append(fs, model.Finding{Severity: model.Error, Path: model.Pointer("images", i, "ref"),
				Message: fmt.Sprintf("image %s: %s", im.Ref, strings.TrimSuffix(r.Message, "."))})
		}
	}
	if len(fs) > 0 {
		return model.Invalid(fs)
	}
	return nil
}
