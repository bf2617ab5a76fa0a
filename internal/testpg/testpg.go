// Package testpg runs a real PostgreSQL server for tests, from Debian's
// postgresql package (apt-get install -y --no-install-recommends postgresql).
// There is no mock and no skip: when the server binaries are missing the test
// fails and says what to install.
//
// Start gives a test its own server. Shared gives it a fresh database on one
// server per test binary, which is much faster; a package that uses Shared runs
// its tests through Run from TestMain, so that the server stops when they end:
//
//	func TestMain(m *testing.M) { os.Exit(testpg.Run(m)) }
//
// The server listens on a free 127.0.0.1 port with trust authentication and its
// unix socket in its own temporary directory (in /dev/shm when that has room:
// creating databases there is much faster), with fsync off: tests need not
// survive power loss. PostgreSQL refuses to run as root, so as root the server
// runs as the postgres user that the Debian package creates. If the test
// binary is killed, the server dies with it and the next run removes its files.
package testpg

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/jupyterhub/hubprofiles/internal/proc"
)

// installHint is what a developer without PostgreSQL should run.
const installHint = "apt-get install -y --no-install-recommends postgresql (or scripts/install-deps)"

// Server is one running PostgreSQL server.
type Server struct {
	dir  string // owns data/, the socket and server.log
	port int
	proc *proc.Process // the running (or last) postgres process

	bin, data string // for Resume
	cred      *syscall.Credential
}

// URL is a postgres:// URL for database name on the server, as the superuser.
func (s *Server) URL(name string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User("postgres"),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)),
		Path:     "/" + name,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Start starts a server of the test's own, creates a database on it and
// returns its URL. The server stops and its files are removed in t.Cleanup.
func Start(t testing.TB) string {
	t.Helper()
	srv, err := startServer()
	if err != nil {
		t.Fatalf("testpg: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("testpg: %v", err)
		}
	})
	name, err := srv.CreateDatabase(context.Background())
	if err != nil {
		t.Fatalf("testpg: %v", err)
	}
	return srv.URL(name)
}

// StartServer is Start for tests that stop the server and start it again
// (Halt, Resume): it returns the server too. It stops for good in t.Cleanup.
func StartServer(t testing.TB) (*Server, string) {
	t.Helper()
	srv, err := startServer()
	if err != nil {
		t.Fatalf("testpg: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("testpg: %v", err)
		}
	})
	name, err := srv.CreateDatabase(context.Background())
	if err != nil {
		t.Fatalf("testpg: %v", err)
	}
	return srv, srv.URL(name)
}

// Halt stops the server process ("fast" shutdown: clients are disconnected)
// and keeps its files and port, so that Resume can start it again.
func (s *Server) Halt() error {
	return s.proc.Stop(syscall.SIGINT, 30*time.Second)
}

// Resume starts a halted server again, on the same port, and waits until
// it accepts connections.
func (s *Server) Resume() error {
	if exited, _ := s.proc.Exited(); !exited {
		return errors.New("testpg: Resume: the server is running")
	}
	return s.launch()
}

// shared is the one server that Shared hands databases out of. It is package
// state because a test binary has one TestMain; Run owns its lifetime.
var shared struct {
	running atomic.Bool // Run is wrapping the tests
	once    sync.Once
	srv     *Server
	err     error
}

// Run runs the tests, then stops the server that Shared started, if any.
// Call it from TestMain and pass its result to os.Exit.
func Run(m *testing.M) int {
	shared.running.Store(true)
	code := m.Run()
	if shared.srv != nil {
		if err := shared.srv.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "testpg: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

// Shared creates a fresh database on the test binary's shared server, which
// it starts on first use, and returns its URL. The database is dropped in
// t.Cleanup. The test package's TestMain must call Run.
func Shared(t testing.TB) string {
	t.Helper()
	if !shared.running.Load() {
		t.Fatal("testpg: Shared needs TestMain to call testpg.Run, which stops the server")
	}
	shared.once.Do(func() {
		shared.srv, shared.err = startServer()
	})
	if shared.err != nil {
		t.Fatalf("testpg: %v", shared.err)
	}
	srv := shared.srv
	ctx := context.Background()
	name, err := srv.CreateDatabase(ctx)
	if err != nil {
		t.Fatalf("testpg: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.DropDatabase(ctx, name); err != nil {
			t.Errorf("testpg: %v", err)
		}
	})
	return srv.URL(name)
}

// databases numbers the databases created in this process.
var databases atomic.Int64

// templateDB is the database that CreateDatabase copies, by FILE_COPY: a
// file copy and two (fsync-less) checkpoints, ~10 ms, where the default
// WAL_LOG copy of template1, which writes every page through the WAL, takes
// ~25 ms.
const templateDB = "testpg_template"

// CreateDatabase creates a new, empty database and returns its name.
func (s *Server) CreateDatabase(ctx context.Context) (string, error) {
	name := fmt.Sprintf("test_%d", databases.Add(1))
	err := s.admin(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+templateDB+" STRATEGY FILE_COPY")
	if err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return name, nil
}

// DropDatabase drops a database, closing whatever connections remain to it.
func (s *Server) DropDatabase(ctx context.Context, name string) error {
	err := s.admin(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	if err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// admin runs one statement in the postgres database.
func (s *Server) admin(ctx context.Context, sql string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// Stop shuts the server down ("fast" shutdown: SIGINT to the postmaster,
// SIGKILL to its process group after 30 s) and removes its files.
func (s *Server) Stop() error {
	var errs []error
	if s.proc != nil {
		if err := s.proc.Stop(syscall.SIGINT, 30*time.Second); err != nil {
			errs = append(errs, err)
		}
	}
	if err := os.RemoveAll(s.dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// binDir finds the directory holding initdb and postgres: the newest
// /usr/lib/postgresql/<version>/bin, else the directory of initdb on PATH.
func binDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		d := filepath.Dir(p)
		if isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("PostgreSQL server binaries (initdb, postgres) not found under /usr/lib/postgresql/*/bin or on PATH: %s", installHint)
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// credential is who the server runs as: the postgres user when we are root
// (PostgreSQL refuses root), else nil (ourselves).
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, PostgreSQL needs the postgres user to run as: %w; %s", err, installHint)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}

// freePort asks the kernel for a free loopback port. Another process may
// take it before the server binds it; startServer then tries again.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// dirPrefix starts the name of every server directory.
const dirPrefix = "testpg-"

// sweepStale removes the directories of servers whose test binary was
// killed: the server died with it (Pdeathsig) but its files stayed, and in
// /dev/shm they hold memory. A directory is stale when its postmaster.pid
// names a dead process, or is gone (removed at shutdown) while server.log,
// written from the start, was last touched more than a minute ago; or when,
// with neither, it is over an hour old (an initdb that never got further).
func sweepStale() {
	for _, parent := range []string{"/dev/shm", "/tmp"} {
		dirs, _ := filepath.Glob(filepath.Join(parent, dirPrefix+"*"))
		for _, dir := range dirs {
			if b, err := os.ReadFile(filepath.Join(dir, "data", "postmaster.pid")); err == nil {
				first, _, _ := strings.Cut(string(b), "\n")
				pid, err := strconv.Atoi(strings.TrimSpace(first))
				if err == nil && pid > 0 && errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
					os.RemoveAll(dir)
				}
				continue
			}
			if fi, err := os.Stat(filepath.Join(dir, "server.log")); err == nil {
				if time.Since(fi.ModTime()) > time.Minute {
					os.RemoveAll(dir)
				}
				continue
			}
			if fi, err := os.Stat(dir); err == nil && time.Since(fi.ModTime()) > time.Hour {
				os.RemoveAll(dir)
			}
		}
	}
}

// makeDir makes the server's directory: in /dev/shm when it is a roomy
// memory file system (on this project's machines, creating the ~300 files of
// a new database takes ~280 ms on ext4 and ~10 ms there; a container's
// default 64 MB /dev/shm is too small for a cluster), else in /tmp. Not
// t.TempDir(): its parents are private to root, and the server runs as
// postgres; and the socket path must stay under ~107 bytes.
func makeDir() (string, error) {
	var errs []error
	for _, parent := range []string{"/dev/shm", "/tmp", os.TempDir()} {
		if parent == "/dev/shm" && freeBytes(parent) < 1<<30 {
			continue
		}
		dir, err := os.MkdirTemp(parent, dirPrefix)
		if err == nil {
			return dir, nil
		}
		errs = append(errs, err)
	}
	return "", errors.Join(errs...)
}

func freeBytes(dir string) uint64 {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0
	}
	return st.Bavail * uint64(st.Bsize)
}

// startServer runs initdb and starts a server, trying a few ports.
func startServer() (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	cred, err := credential()
	if err != nil {
		return nil, err
	}
	sweepStale()
	dir, err := makeDir()
	if err != nil {
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"),
		"--pgdata", data, "--username", "postgres", "--auth", "trust",
		"--encoding", "UTF8", "--locale", "C", "--no-sync", "--no-instructions")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	initdb.Dir = dir
	if out, err := proc.Run(initdb, proc.StartTimeout); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	var lastErr error
	for range 3 {
		srv, err := runServer(bin, dir, data, cred)
		if err == nil {
			return srv, nil
		}
		lastErr = err
	}
	os.RemoveAll(dir)
	return nil, lastErr
}

// runServer starts postgres on a free port and waits until it accepts
// connections.
func runServer(bin, dir, data string, cred *syscall.Credential) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	srv := &Server{dir: dir, port: port, bin: bin, data: data, cred: cred}
	if err := srv.launch(); err != nil {
		return nil, err
	}
	if err := srv.admin(context.Background(), "CREATE DATABASE "+templateDB+" STRATEGY FILE_COPY"); err != nil {
		srv.Stop()
		return nil, fmt.Errorf("create %s: %w", templateDB, err)
	}
	return srv, nil
}

// launch starts the postgres process on s.port and waits until it accepts
// connections.
func (s *Server) launch() error {
	cmd := exec.Command(filepath.Join(s.bin, "postgres"),
		"-D", s.data,
		"-p", strconv.Itoa(s.port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories="+s.dir,
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "max_connections=200",
		"-c", "shared_buffers=32MB",
		"-c", "autovacuum=off",
	)
	cmd.Dir = s.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: s.cred,
		// If the test binary dies (a panic, a -timeout), take the server with
		// it: SIGQUIT is PostgreSQL's immediate shutdown.
		Pdeathsig: syscall.SIGQUIT,
	}
	p, err := proc.Start(cmd, filepath.Join(s.dir, "server.log"))
	if err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	s.proc = p
	err = p.WaitReady(20*time.Millisecond, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, s.URL("postgres"))
		if err != nil {
			return err
		}
		return conn.Close(context.Background())
	})
	if err != nil {
		_ = p.Kill()
		return fmt.Errorf("postgres: %w", err)
	}
	return nil
}
