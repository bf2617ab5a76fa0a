package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/profilelist"
)

// fileReport is what validate found in one file.
type fileReport struct {
	File     string          `json:"file"`
	Format   string          `json:"format,omitempty"`
	Error    string          `json:"error,omitempty"` // the file could not be read or parsed
	Findings []model.Finding `json:"findings"`
}

func runValidate(_ context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	format := &choiceFlag{value: "text", allowed: []string{"text", "json"}}
	fs.Var(format, "format", "output: text (file: /path: severity: message) or json")
	previous := fs.String("previous", "", "the list users have now (e.g. from the main branch): report profiles, options and choices it has that FILE lacks")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: hubprofiles validate FILE... [--format text|json] [--previous FILE]")
		fmt.Fprintln(e.stderr, "\nFILE is a profile list (JSON or YAML), a z2jh values file, or a hubprofiles document; - reads standard input.")
		fmt.Fprintln(e.stderr, "Exit status: 0 no errors (warnings allowed), 1 errors found, 2 a file could not be read or parsed.")
		fs.PrintDefaults()
	}
	files, err := parseFlags(fs, args, e.getenv)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		fs.Usage()
		return &exitError{code: 2, msg: "validate needs at least one file"}
	}
	var opts profilelist.Options
	if *previous != "" {
		list, _, err := loadList(*previous)
		if err != nil {
			return &exitError{code: 2, msg: fmt.Sprintf("%s: %v", *previous, err)}
		}
		opts.Live = list
	}
	reports := make([]fileReport, 0, len(files))
	for _, f := range files {
		reports = append(reports, validateFile(f, opts))
	}
	unreadable, errs, warns := 0, 0, 0
	for _, r := range reports {
		if r.Error != "" {
			unreadable++
		}
		for _, f := range r.Findings {
			if f.Severity == model.Error {
				errs++
			} else {
				warns++
			}
		}
	}
	if format.value == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(map[string]any{"files": reports, "errors": errs, "warnings": warns, "unreadable": unreadable}); err != nil {
			return err
		}
	} else {
		writeText(e.stdout, reports)
		fmt.Fprintf(e.stderr, "%d file(s): %d error(s), %d warning(s)", len(reports), errs, warns)
		if unreadable > 0 {
			fmt.Fprintf(e.stderr, ", %d unreadable", unreadable)
		}
		fmt.Fprintln(e.stderr)
	}
	switch {
	case unreadable > 0:
		return &exitError{code: 2}
	case errs > 0:
		return &exitError{code: 1}
	}
	return nil
}

func writeText(w io.Writer, reports []fileReport) {
	for _, r := range reports {
		if r.Error != "" {
			fmt.Fprintf(w, "%s: %s\n", r.File, r.Error)
		}
		for _, f := range r.Findings {
			p := f.Path
			if p == "" {
				p = "/"
			}
			fmt.Fprintf(w, "%s: %s: %s: %s\n", r.File, p, f.Severity, f.Message)
		}
	}
}

func validateFile(name string, opts profilelist.Options) fileReport {
	r := fileReport{File: name, Findings: []model.Finding{}}
	src, err := readSource(name)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.Format = string(src.Format)
	if src.Format == profilelist.FormatDocument {
		r.Findings = append(r.Findings, src.Document.Check()...)
		if model.HasErrors(r.Findings) {
			return r
		}
		list, err := profilelist.Render(src.Document)
		if err != nil {
			r.Error = err.Error()
			return r
		}
		r.Findings = append(r.Findings, profilelist.Validate(list, opts)...)
		return r
	}
	for _, f := range profilelist.Validate(src.List, opts) {
		f.Path = src.ListPath + f.Path
		r.Findings = append(r.Findings, f)
	}
	return r
}

// readSource reads and parses a file; "-" is standard input. At most the
// parser's limit (and one byte more, to tell) is read: a file over it is
// refused without reading it whole.
func readSource(name string) (*profilelist.Source, error) {
	in := os.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, fmt.Errorf("cannot read: %w", err)
		}
		defer f.Close()
		in = f
	}
	limit := profilelist.DefaultLimits.MaxBytes
	data, err := io.ReadAll(io.LimitReader(in, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read: %w", err)
	}
	if len(data) > limit {
		return nil, &profilelist.ParseError{Msg: fmt.Sprintf("the file is more than %d bytes, the limit", limit)}
	}
	return profilelist.Parse(data, profilelist.DefaultLimits)
}

// loadList reads a file as a profile list, rendering a document.
func loadList(name string) (any, *profilelist.Source, error) {
	src, err := readSource(name)
	if err != nil {
		return nil, nil, err
	}
	if src.Format == profilelist.FormatDocument {
		list, err := profilelist.Render(src.Document)
		return list, src, err
	}
	return src.List, src, nil
}
