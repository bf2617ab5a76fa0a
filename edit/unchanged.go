package edit

import (
	"bytes"

	"github.com/jupyterhub/hubprofiles/ordered"
)

// unchanged reports whether a change leaves the head's catalog as it was
// (images, profiles, defaults and node groups), so that writing it would
// only add an empty entry to the history: a re-import of the same file, a
// GET-then-PUT with nothing edited. The catalogs are compared as JSON with
// the order of object keys ignored: every order a user sees (profiles,
// options, choices, images) is an array's, and a client that decodes the
// kubespawner_override of a GET into an unordered map and sends it back
// has changed nothing. A change that also publishes is never a no-op:
// publishing is itself what the writer asked for.
func unchanged(head *State, doc []byte, ch Change) bool {
	if head.Revision == nil || ch.Publish {
		return false
	}
	if bytes.Equal(head.Revision.Catalog, doc) {
		return true
	}
	a, err := ordered.DecodeJSON(head.Revision.Catalog, 128)
	if err != nil {
		return false
	}
	b, err := ordered.DecodeJSON(doc, 128)
	return err == nil && ordered.Equal(a, b)
}
