package imagecheck

import (
	"bufio"
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper case: FROM, RUN, ...
	args string
	line int
}

// stage is one FROM and what follows it.
type stage struct {
	image, name string
	body        []instruction
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// parseDockerfile reads the instructions and groups them into stages; ARGs
// before the first FROM are returned apart.
func parseDockerfile(t *testing.T, path string) (globalArgs map[string]string, stages []stage) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("the Dockerfile: %v", err)
	}
	defer f.Close()
	var ins []instruction
	var cur strings.Builder
	start := 0
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && cur.Len() == 0) {
			continue
		}
		if cur.Len() == 0 {
			start = n
		}
		if body, ok := strings.CutSuffix(trimmed, `\`); ok {
			cur.WriteString(body + " ")
			continue
		}
		cur.WriteString(trimmed)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		ins = append(ins, instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args), line: start})
		cur.Reset()
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	globalArgs = map[string]string{}
	for _, in := range ins {
		switch {
		case in.cmd == "FROM":
			fields := strings.Fields(in.args)
			s := stage{image: fields[0]}
			if len(fields) == 3 && strings.EqualFold(fields[1], "AS") {
				s.name = fields[2]
			}
			stages = append(stages, s)
		case len(stages) == 0 && in.cmd == "ARG":
			k, v, _ := strings.Cut(in.args, "=")
			globalArgs[k] = v
		case len(stages) == 0:
			t.Fatalf("Dockerfile line %d: %s before the first FROM", in.line, in.cmd)
		default:
			stages[len(stages)-1].body = append(stages[len(stages)-1].body, in)
		}
	}
	if len(stages) < 2 {
		t.Fatalf("the Dockerfile has %d stage(s), want a build stage and a final one", len(stages))
	}
	return globalArgs, stages
}

// shellWords splits a simple shell command: words, single and double quotes
// (no expansions, which the build command does not need).
func shellWords(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case c == '\'' || c == '"':
			end := strings.IndexByte(s[i+1:], c)
			if end < 0 {
				return nil, fmt.Errorf("unterminated %c", c)
			}
			w.WriteString(s[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case strings.ContainsRune("$`\\;&|<>(){}*?", rune(c)):
			return nil, fmt.Errorf("%q needs a real shell; keep the build command plain", c)
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}

var envAssign = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*=`)

// TestDockerfile checks the image's shape and runs its build command.
func TestDockerfile(t *testing.T) {
	root := repoRoot(t)
	args, stages := parseDockerfile(t, filepath.Join(root, "Dockerfile"))
	build, final := stages[0], stages[len(stages)-1]
	if build.name == "" || !strings.HasPrefix(build.image, "golang:") {
		t.Errorf("first stage FROM %s AS %q: want a named golang stage", build.image, build.name)
	}

	// The Go of the build image is at least the one go.mod asks for.
	goMod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+)\.(\d+)`).FindStringSubmatch(string(goMod))
	imageGo := strings.NewReplacer("${GO_VERSION}", args["GO_VERSION"], "$GO_VERSION", args["GO_VERSION"]).Replace(build.image)
	im := regexp.MustCompile(`^golang:(\d+)\.(\d+)`).FindStringSubmatch(imageGo)
	if m == nil || im == nil || version(im[1], im[2]) < version(m[1], m[2]) {
		t.Errorf("build image %s (GO_VERSION=%q) against go.mod's go %v: want at least go.mod's version", build.image, args["GO_VERSION"], m)
	}

	// The build command: find it, check it, run it.
	var run []string
	for _, in := range build.body {
		if in.cmd == "RUN" && strings.Contains(in.args, "go build") {
			if run != nil {
				t.Fatalf("Dockerfile line %d: a second go build", in.line)
			}
			if run, err = shellWords(in.args); err != nil {
				t.Fatalf("Dockerfile line %d: %v", in.line, err)
			}
		}
	}
	if run == nil {
		t.Fatal("the build stage has no RUN ... go build")
	}
	var env []string
	for len(run) > 0 && envAssign.MatchString(run[0]) {
		env, run = append(env, run[0]), run[1:]
	}
	if len(run) < 2 || run[0] != "go" || run[1] != "build" {
		t.Fatalf("build command %q: want [VAR=value...] go build ...", run)
	}
	for _, want := range []string{"CGO_ENABLED=0", "GOOS=linux"} {
		if !slices.Contains(env, want) {
			t.Errorf("build command sets %v, want %s", env, want)
		}
	}
	if !slices.Contains(run, "-trimpath") || run[len(run)-1] != "./cmd/hubprofiles" {
		t.Errorf("build command %q: want -trimpath and the package ./cmd/hubprofiles last", run)
	}
	outIdx := slices.Index(run, "-o")
	if outIdx < 0 || outIdx+1 >= len(run) {
		t.Fatalf("build command %q has no -o", run)
	}
	binInImage := run[outIdx+1]

	// The final stage: static, non-root, the binary as entry point.
	if !strings.HasPrefix(final.image, "gcr.io/distroless/static") && final.image != "scratch" {
		t.Errorf("final stage FROM %s: want gcr.io/distroless/static…:nonroot or scratch", final.image)
	}
	var copied, user, exposed, entry bool
	for _, in := range final.body {
		switch in.cmd {
		case "COPY":
			f := strings.Fields(in.args)
			copied = copied || (slices.Contains(f, "--from="+build.name) && slices.Contains(f, binInImage) && f[len(f)-1] == "/hubprofiles")
		case "USER":
			user = in.args == "65532" || in.args == "65532:65532"
		case "EXPOSE":
			exposed = slices.Contains(strings.Fields(in.args), "10101")
		case "ENTRYPOINT":
			var ep []string
			entry = json.Unmarshal([]byte(in.args), &ep) == nil && slices.Equal(ep, []string{"/hubprofiles"})
		case "RUN":
			t.Errorf("final stage line %d: RUN needs a shell, which a static image has not", in.line)
		}
	}
	for what, ok := range map[string]bool{
		fmt.Sprintf("COPY --from=%s %s /hubprofiles", build.name, binInImage): copied,
		"USER 65532 (distroless nonroot)":                                     user,
		"EXPOSE 10101":                                                        exposed,
		`ENTRYPOINT ["/hubprofiles"]`:                                         entry,
	} {
		if !ok {
			t.Errorf("final stage lacks %s", what)
		}
	}

	// Run the build as the Dockerfile says, in a copy of the build context
	// (the repository less .dockerignore), with only -o moved.
	ctxDir := buildContext(t, root)
	out := filepath.Join(t.TempDir(), "hubprofiles")
	cmdArgs := slices.Clone(run[1:])
	cmdArgs[outIdx] = out
	start := time.Now()
	t.Logf("running %s go %s in the build context", strings.Join(env, " "), strings.Join(run[1:], " "))
	cmd := exec.Command("go", cmdArgs...)
	cmd.Dir = ctxDir
	cmd.Env = append(os.Environ(), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the Dockerfile's build command fails: %v\n%s", err, b)
	}
	t.Logf("built in %s", time.Since(start).Round(time.Millisecond))
	checkStatic(t, out)

	// And it runs (a static binary needs nothing from the image).
	help, err := exec.Command(out, "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(help), "Usage: hubprofiles") {
		t.Errorf("%s --help: %v\n%s", out, err, help)
	}
}

func version(major, minor string) int {
	a, _ := strconv.Atoi(major)
	b, _ := strconv.Atoi(minor)
	return a*1000 + b
}

// checkStatic: no program interpreter, no shared libraries, and Go says it
// was built without cgo and with -trimpath.
func checkStatic(t *testing.T, path string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("%s is not an ELF binary: %v", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("%s has a %v program header: dynamically linked", path, p.Type)
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) != 0 {
		t.Errorf("%s needs shared libraries %v (%v)", path, libs, err)
	}
	needed, _ := f.DynString(elf.DT_NEEDED)
	if len(needed) != 0 {
		t.Errorf("%s has DT_NEEDED %v", path, needed)
	}
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: no Go build info: %v", path, err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if settings["CGO_ENABLED"] != "0" || settings["-trimpath"] != "true" || settings["GOOS"] != "linux" {
		t.Errorf("%s build settings CGO_ENABLED=%q -trimpath=%q GOOS=%q, want 0, true, linux", path, settings["CGO_ENABLED"], settings["-trimpath"], settings["GOOS"])
	}
}

// buildContext copies what `docker build` would send: the source tree less
// the paths .dockerignore excludes. IMAGECHECK_SRC names another source tree
// (e.g. an export of a commit); the default is the repository.
func buildContext(t *testing.T, root string) string {
	t.Helper()
	ignore := readDockerignore(t, filepath.Join(root, ".dockerignore"))
	src := root
	if s := os.Getenv("IMAGECHECK_SRC"); s != "" {
		src = s
	}
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if ignore.excluded(rel) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(target, data, 0o644)
		}
		return nil // sockets, symlinks: docker would send them; the build needs none
	})
	if err != nil {
		t.Fatalf("copying the build context: %v", err)
	}
	for _, must := range []string{"go.mod", "go.sum", "cmd/hubprofiles"} {
		if _, err := os.Stat(filepath.Join(dst, must)); err != nil {
			t.Fatalf(".dockerignore leaves %s out of the build context", must)
		}
	}
	for _, mustNot := range []string{".git", "tools", "chart"} {
		if _, err := os.Stat(filepath.Join(dst, mustNot)); err == nil {
			t.Errorf(".dockerignore sends %s to the build context", mustNot)
		}
	}
	return dst
}

// dockerignore is a parsed .dockerignore: patterns in order, the last one
// that matches decides; "!" re-includes. A pattern that matches a directory
// excludes everything under it.
type dockerignore []struct {
	rx     *regexp.Regexp
	negate bool
}

func readDockerignore(t *testing.T, path string) dockerignore {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the .dockerignore: %v", err)
	}
	var d dockerignore
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		neg := strings.HasPrefix(line, "!")
		line = strings.TrimPrefix(filepath.ToSlash(filepath.Clean(strings.TrimPrefix(line, "!"))), "/")
		d = append(d, struct {
			rx     *regexp.Regexp
			negate bool
		}{globRegexp(line), neg})
	}
	return d
}

// globRegexp turns a .dockerignore pattern into a regexp over slash paths:
// ** any number of directories, * and ? within one name.
func globRegexp(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case strings.HasPrefix(p[i:], "**/"):
			b.WriteString("(.*/)?")
			i += 2
		case strings.HasPrefix(p[i:], "**"):
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("(/.*)?$")
	return regexp.MustCompile(b.String())
}

func (d dockerignore) excluded(rel string) bool {
	out := false
	for _, p := range d {
		if p.rx.MatchString(rel) {
			out = !p.negate
		}
	}
	return out
}

func TestDockerignoreMatching(t *testing.T) {
	d := dockerignore{}
	for _, p := range []struct {
		pat string
		neg bool
	}{{".git", false}, {"**/*_test.go", false}, {"*.db", false}, {"docs", false}, {"docs/keep.md", true}} {
		d = append(d, struct {
			rx     *regexp.Regexp
			negate bool
		}{globRegexp(p.pat), p.neg})
	}
	for rel, want := range map[string]bool{
		".git": true, ".git/config": true, ".github": false,
		"api/api_test.go": true, "main_test.go": true, "api/api.go": false,
		"hubprofiles.db": true, "store/x.db": false,
		"docs/a.md": true, "docs/keep.md": false,
	} {
		if got := d.excluded(rel); got != want {
			t.Errorf("excluded(%q) = %v, want %v", rel, got, want)
		}
	}
}

// TestImageLabels: the final image carries the OCI labels registries and
// scanners read, version and revision from build arguments of that stage.
func TestImageLabels(t *testing.T) {
	_, stages := parseDockerfile(t, filepath.Join(repoRoot(t), "Dockerfile"))
	final := stages[len(stages)-1]
	labels := map[string]string{}
	stageArgs := map[string]bool{}
	pair := regexp.MustCompile(`([A-Za-z0-9._-]+)=("[^"]*"|\S+)`)
	for _, in := range final.body {
		switch in.cmd {
		case "ARG":
			k, _, _ := strings.Cut(in.args, "=")
			stageArgs[k] = true
		case "LABEL":
			for _, m := range pair.FindAllStringSubmatch(in.args, -1) {
				labels[m[1]] = strings.Trim(m[2], `"`)
			}
		}
	}
	const oci = "org.opencontainers.image."
	for _, k := range []string{"source", "licenses", "title", "description"} {
		if labels[oci+k] == "" || strings.Contains(labels[oci+k], "$") {
			t.Errorf("final stage: label %s%s = %q, want a fixed value", oci, k, labels[oci+k])
		}
	}
	if !strings.HasPrefix(labels[oci+"source"], "https://") {
		t.Errorf("label %ssource = %q, want the repository's URL", oci, labels[oci+"source"])
	}
	for k, arg := range map[string]string{"version": "VERSION", "revision": "REVISION"} {
		if labels[oci+k] != "${"+arg+"}" || !stageArgs[arg] {
			t.Errorf("final stage: label %s%s = %q (ARG %s declared in the stage: %v), want ${%s} from a build argument", oci, k, labels[oci+k], arg, stageArgs[arg], arg)
		}
	}
}
