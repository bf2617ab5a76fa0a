package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/profilelist"
	"github.com/jupyterhub/hubprofiles/store"
)

// runImport writes a file into the database as one revision.
func runImport(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var db dbFlags
	db.register(fs)
	publish := fs.Bool("publish", false, "publish the new revision too")
	var msg string
	fs.StringVar(&msg, "m", "", "the revision message")
	fs.StringVar(&msg, "message", "", "the revision message")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: hubprofiles import FILE [--publish] [-m MESSAGE] [database flags]")
		fmt.Fprintln(e.stderr, "\nFILE is a profile list, z2jh values file or hubprofiles document; it replaces the profiles.")
		fs.PrintDefaults()
	}
	files, err := parseFlags(fs, args, e.getenv)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		fs.Usage()
		return &exitError{code: 2, msg: "import takes exactly one file"}
	}
	src, err := readSource(files[0])
	if err != nil {
		return &exitError{code: 2, msg: fmt.Sprintf("%s: %v", files[0], err)}
	}
	log := newLogger(env{stderr: e.stderr}, "text")
	s, ed, err := db.open(ctx, log)
	if err != nil {
		return err
	}
	defer s.Close()
	if msg == "" {
		msg = "import " + files[0]
	}
	// The operator, with access to the database, may write any
	// kubespawner_override setting: policy.editorOverrides binds the pages
	// and the API only.
	res, err := ed.Import(ctx, src, edit.Change{Base: edit.NoBase, Author: "system:cli", Message: msg, Publish: *publish, Operator: true})
	if findings, ok := model.FindingsOf(err); ok {
		for _, f := range findings {
			fmt.Fprintf(e.stdout, "%s: %s\n", files[0], f)
		}
		return &exitError{code: 1, msg: "nothing was imported: " + err.Error()}
	}
	if err != nil {
		return err
	}
	for _, f := range append(append([]model.Finding{}, res.Errors...), res.Warnings...) {
		fmt.Fprintf(e.stdout, "%s\n", f)
	}
	state := "draft"
	switch {
	case res.Unchanged:
		state = "unchanged: the head already holds this catalog, nothing was written"
	case *publish:
		state = "published"
	case len(res.Errors) > 0:
		state = fmt.Sprintf("draft with %d error(s): it cannot be published until they are fixed", len(res.Errors))
	}
	fmt.Fprintf(e.stderr, "revision %d (%s): %d profile(s), %d image(s), %d warning(s)\n",
		res.Revision.ID, state, len(res.Catalog.Profiles), len(res.Catalog.Images), len(res.Warnings))
	return nil
}

// runExport prints a revision in one of the export formats.
func runExport(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var db dbFlags
	db.register(fs)
	format := &choiceFlag{value: "json", allowed: []string{"json", "yaml", "values", "document"}}
	fs.Var(format, "format", "json or yaml (the profile list), values (a z2jh values fragment), document (hubprofiles' own)")
	revision := fs.String("revision", "live", "N, head or live")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: hubprofiles export [--format json|yaml|values|document] [--revision N|head|live] [database flags]")
		fs.PrintDefaults()
	}
	if _, err := parseFlags(fs, args, e.getenv); err != nil {
		return err
	}
	log := newLogger(env{stderr: e.stderr}, "text")
	s, ed, err := db.open(ctx, log)
	if err != nil {
		return err
	}
	defer s.Close()
	st, err := stateAt(ctx, ed, *revision, "export")
	if err != nil {
		return err
	}
	out, err := profilelist.Exporters[format.value].Write(st.Catalog)
	if err != nil {
		return err
	}
	_, err = e.stdout.Write(out)
	return err
}

// stateAt reads the revision a command names with --revision: N, head or
// live. What cannot be read exits 1; an older revision is never shown in
// place of the one asked for.
func stateAt(ctx context.Context, ed *edit.Editor, revision, command string) (*edit.State, error) {
	var st *edit.State
	var err error
	switch revision {
	case "head":
		st, err = ed.Head(ctx)
	case "live":
		_, st, err = ed.Live(ctx)
	default:
		id, perr := strconv.ParseInt(revision, 10, 64)
		if perr != nil || id <= 0 {
			return nil, &exitError{code: 2, msg: fmt.Sprintf("--revision must be a number, head or live, not %q", revision)}
		}
		st, err = ed.At(ctx, id)
	}
	var bad *edit.UnreadableError
	if errors.Is(err, model.ErrNotFound) || errors.As(err, &bad) {
		return nil, &exitError{code: 1, msg: err.Error()}
	}
	if err != nil {
		return nil, err
	}
	if st.Skipped != nil && st.Revision == nil {
		return nil, &exitError{code: 1, msg: fmt.Sprintf("%v; no earlier revision is readable either", st.Skipped)}
	}
	if st.Skipped != nil {
		return nil, &exitError{code: 1, msg: fmt.Sprintf("%v; the newest readable one is revision %d: use --revision %d with %s",
			st.Skipped, st.Revision.ID, st.Revision.ID, command)}
	}
	return st, nil
}

// runVerify checks the hash chain and the database.
func runVerify(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var db dbFlags
	db.register(fs)
	var expect chainHeads
	fs.Var(&expect, "expect", "a chain head SEQ:HASH the history must still hold, as the server logged it (chain_head=...); repeat or separate with commas for several")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: hubprofiles verify [--expect SEQ:HASH] [database flags]")
		fmt.Fprintln(e.stderr, "\nRecomputes the hash chain over every revision and publication and checks the database.")
		fmt.Fprintln(e.stderr, "Exit 1 names the first bad revision or publication, or the witnessed chain head the history no longer holds.")
		fs.PrintDefaults()
	}
	if _, err := parseFlags(fs, args, e.getenv); err != nil {
		return err
	}
	s, err := openStoreOnly(ctx, db)
	if err != nil {
		return err
	}
	defer s.Close()
	rep, err := s.Verify(ctx, []store.ChainHead(expect)...)
	if err != nil {
		return err
	}
	if !rep.OK() {
		switch {
		case rep.FirstBad != 0:
			fmt.Fprintf(e.stdout, "FAILED at revision %d: %s\n", rep.FirstBad, rep.Problem)
		case rep.FirstBadPublication != 0:
			fmt.Fprintf(e.stdout, "FAILED at publication %d: %s\n", rep.FirstBadPublication, rep.Problem)
		default:
			fmt.Fprintf(e.stdout, "FAILED: %s\n", rep.Problem)
		}
		return &exitError{code: 1}
	}
	witnessed := ""
	if len(expect) > 0 {
		witnessed = fmt.Sprintf(", holds the %d witnessed head(s)", len(expect))
	}
	fmt.Fprintf(e.stdout, "ok: %d revision(s) and %d publication(s); hash chain and database intact%s; chain head %s\n", rep.Revisions, rep.Publications, witnessed, rep.Head)
	return nil
}

// chainHeads is the repeatable --expect flag.
type chainHeads []store.ChainHead

func (c *chainHeads) String() string {
	parts := make([]string, len(*c))
	for i, h := range *c {
		parts[i] = h.String()
	}
	return strings.Join(parts, ",")
}

func (c *chainHeads) Set(v string) error {
	for part := range strings.SplitSeq(v, ",") {
		h, err := store.ParseChainHead(part)
		if err != nil {
			return err
		}
		*c = append(*c, h)
	}
	return nil
}
