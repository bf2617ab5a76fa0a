package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/profilelist"
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
	res, err := ed.Import(ctx, src, edit.Change{Base: edit.NoBase, Author: "system:cli", Message: msg, Publish: *publish})
	var ve *edit.ValidationError
	if errors.As(err, &ve) {
		for _, f := range ve.Findings {
			fmt.Fprintf(e.stdout, "%s: %s\n", files[0], f)
		}
		return &exitError{code: 1, msg: "nothing was imported: " + ve.Error()}
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
	var st *edit.State
	switch *revision {
	case "head":
		st, err = ed.Head(ctx)
	case "live":
		_, st, err = ed.Live(ctx)
	default:
		id, perr := strconv.ParseInt(*revision, 10, 64)
		if perr != nil || id <= 0 {
			return &exitError{code: 2, msg: fmt.Sprintf("--revision must be a number, head or live, not %q", *revision)}
		}
		st, err = ed.At(ctx, id)
	}
	if errors.Is(err, model.ErrNotFound) {
		return &exitError{code: 1, msg: err.Error()}
	}
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

// runVerify checks the hash chain and the database.
func runVerify(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var db dbFlags
	db.register(fs)
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: hubprofiles verify [database flags]")
		fmt.Fprintln(e.stderr, "\nRecomputes every revision's hashes and checks the database. Exit 1 names the first bad revision.")
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
	rep, err := s.Verify(ctx)
	if err != nil {
		return err
	}
	if !rep.OK() {
		fmt.Fprintf(e.stdout, "FAILED at revision %d: %s\n", rep.FirstBad, rep.Problem)
		return &exitError{code: 1}
	}
	fmt.Fprintf(e.stdout, "ok: %d revision(s) and %d publication(s); hash chain and database intact\n", rep.Revisions, rep.Publications)
	return nil
}
