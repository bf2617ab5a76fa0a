package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/peer"
)

// listFlag is a flag that may be given several times.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}

// runPromote compares this hub's head with a peer of the infrastructure
// config and, when something is selected, takes it as one draft revision.
// Like import it works on the database (with the same flags), but unlike
// import it is an editor's change, not an operator's: what comes from
// another hub stays inside policy.editorOverrides, as on the pages and the
// API, so promoting cannot smuggle in a setting this hub's operators never
// allowed.
func runPromote(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("promote", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var db dbFlags
	db.register(fs)
	from := fs.String("from", "", "the peer to take from, by its name in the infrastructure config's peers")
	revision := fs.String("revision", "live", "the peer's revision: live, head or a number")
	var images, profiles listFlag
	fs.Var(&images, "image", "an image slug to take (repeat, or separate with commas)")
	fs.Var(&profiles, "profile", "a profile slug to take (repeat, or separate with commas)")
	defaults := fs.Bool("defaults", false, "take the hub-wide defaults")
	var msg string
	fs.StringVar(&msg, "m", "", "added to the revision message")
	fs.StringVar(&msg, "message", "", "added to the revision message")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: hubprofiles promote --from PEER [--revision live|head|N] [--image SLUG ...] [--profile SLUG ...] [--defaults] [-m MESSAGE] [database flags]")
		fmt.Fprintln(e.stderr, "\nWithout --image, --profile or --defaults it prints what differs and writes nothing.")
		fs.PrintDefaults()
	}
	if rest, err := parseFlags(fs, args, e.getenv); err != nil {
		return err
	} else if len(rest) > 0 {
		fs.Usage()
		return &exitError{code: 2, msg: fmt.Sprintf("promote takes no arguments (got %q); name what to take with --image and --profile", rest[0])}
	}
	if *from == "" {
		fs.Usage()
		return &exitError{code: 2, msg: "--from: name the peer to promote from"}
	}
	log := newLogger(env{stderr: e.stderr}, "text")
	s, ed, err := db.open(ctx, log)
	if err != nil {
		return err
	}
	defer s.Close()
	snap, err := peer.New().FetchNamed(ctx, ed.Config(), *from, *revision)
	if err != nil {
		return &exitError{code: 1, msg: err.Error() + "; nothing was written"}
	}
	sel := model.Selection{Images: images, Profiles: profiles, Defaults: *defaults}
	if sel.Empty() {
		_, diffs, err := ed.Compare(ctx, snap.Catalog)
		if err != nil {
			return err
		}
		printDifferences(e, snap, diffs)
		return nil
	}
	checker, err := newChecker(ed.Config())
	if err != nil {
		return err
	}
	res, err := ed.Promote(ctx, edit.PeerCatalog{Peer: snap.Peer, Revision: snap.Revision, Catalog: snap.Catalog}, sel,
		edit.Change{Base: edit.NoBase, Author: "system:cli", Message: msg}, checker)
	if fs, ok := model.FindingsOf(err); ok {
		for _, f := range fs {
			fmt.Fprintln(e.stdout, f)
		}
		return &exitError{code: 1, msg: "nothing was written: " + err.Error()}
	}
	if err != nil {
		return err
	}
	for _, f := range res.Warnings {
		fmt.Fprintln(e.stdout, f)
	}
	if res.Unchanged {
		fmt.Fprintf(e.stderr, "unchanged: the head (revision %d) already holds what was selected, nothing was written\n", res.Revision.ID)
		return nil
	}
	fmt.Fprintf(e.stderr, "revision %d (draft): %s from %s revision %d; publish it to make it live\n",
		res.Revision.ID, strings.Join(res.Took, ", "), snap.Peer, snap.Revision)
	return nil
}

// printDifferences lists what differs, one block per image, profile or
// the defaults, with the flag that takes it.
func printDifferences(e env, snap *peer.Snapshot, diffs []model.Difference) {
	which := "head"
	if snap.Live {
		which = "live"
	}
	fmt.Fprintf(e.stdout, "%s %s revision %d compared with this hub's head: %d difference(s)\n", snap.Peer, which, snap.Revision, len(diffs))
	for _, d := range diffs {
		take := "--defaults"
		if d.Slug != "" {
			take = "--" + d.Kind + " " + d.Slug
		}
		fmt.Fprintf(e.stdout, "\n%s %q: %s (%s)\n", d.Kind, d.Name, d.Status, take)
		for _, l := range d.Lines {
			fmt.Fprintf(e.stdout, "  %s\n", l)
		}
	}
}
