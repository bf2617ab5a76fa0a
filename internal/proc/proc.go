// Package proc starts and stops the real programs that tests run against
// (PostgreSQL, JupyterHub, docker-registry, the hubprofiles binary) so that
// a test never hangs on one and never leaves one behind, even on a loaded
// machine.
//
// Every process is the leader of its own process group, so that stopping it
// reaches what it started too (JupyterHub's proxy, PostgreSQL's backends).
// Every wait is bounded: a process that does not stop on its signal within
// its grace period gets SIGKILL, group-wide, and one that survives even that
// (stuck in the kernel) is reported, not waited for. Output goes to a file,
// not a pipe: a pipe held open by a grandchild makes exec.Cmd.Wait block
// until the grandchild exits, which is how a test once hung for 10 minutes.
//
// Start-up waits use StartTimeout, sized for a 2-core machine at load 15,
// and fail with the end of the process's log.
package proc

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// StartTimeout is how long a test waits for a program to become ready. On
// an idle machine they take a second or two; under heavy load JupyterHub
// was seen taking over 30 s.
const StartTimeout = 120 * time.Second

// killWait is how long to wait for a process group to go after SIGKILL.
const killWait = 10 * time.Second

// Process is a started program.
type Process struct {
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed when the process has exited
	err     error         // its exit status, set before done closes
}

// Start starts cmd in a process group of its own, its stdout and stderr
// (unless the caller set them) appended to logPath ("" for none).
// SysProcAttr settings the caller made (Credential, Pdeathsig) are kept.
func Start(cmd *exec.Cmd, logPath string) (*Process, error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	if cmd.WaitDelay == 0 {
		// If the caller did hand it a pipe, a grandchild holding it open
		// cannot keep Wait from returning.
		cmd.WaitDelay = 5 * time.Second
	}
	if logPath != "" && cmd.Stdout == nil && cmd.Stderr == nil {
		f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return nil, err
		}
		defer f.Close() // the child has its own descriptor
		cmd.Stdout, cmd.Stderr = f, f
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	p := &Process{cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Pid is the process id, which is also its process group id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited says whether the process has exited, and if so how (nil: status 0).
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// ExitCode is the exit status once the process has exited (-1 if a signal
// ended it or it has not exited).
func (p *Process) ExitCode() int {
	if exited, _ := p.Exited(); !exited {
		return -1
	}
	return p.cmd.ProcessState.ExitCode()
}

// Signal sends sig to the process alone (not its group).
func (p *Process) Signal(sig syscall.Signal) error {
	return p.cmd.Process.Signal(sig)
}

// Stop sends sig to the process (the group leader only: PostgreSQL's and
// JupyterHub's own shutdown then stops their children in order) and waits up
// to grace for it to exit. Then, or at once if it did not exit, it sends
// SIGKILL to the whole group, which also sweeps up children the leader left
// behind. It returns an error when the process needed SIGKILL or did not
// exit even then; it never waits longer than grace plus 10 s. Stop is safe
// to call on a process that has already exited, and more than once.
func (p *Process) Stop(sig syscall.Signal, grace time.Duration) error {
	return p.stop(sig, grace, false)
}

// StopGroup is Stop with sig sent to the whole process group.
func (p *Process) StopGroup(sig syscall.Signal, grace time.Duration) error {
	return p.stop(sig, grace, true)
}

// Kill sends SIGKILL to the whole group and waits (bounded) for the process.
func (p *Process) Kill() error {
	_ = syscall.Kill(-p.Pid(), syscall.SIGKILL)
	return p.waitKilled()
}

func (p *Process) stop(sig syscall.Signal, grace time.Duration, group bool) error {
	if exited, _ := p.Exited(); !exited {
		target := p.Pid()
		if group {
			target = -target
		}
		_ = syscall.Kill(target, sig)
		select {
		case <-p.done:
		case <-time.After(grace):
			_ = syscall.Kill(-p.Pid(), syscall.SIGKILL)
			if err := p.waitKilled(); err != nil {
				return err
			}
			return fmt.Errorf("%s did not exit within %s of %s; killed its process group\n%s", p.name(), grace, sig, p.LogTail())
		}
	}
	// Children the leader did not stop (or orphaned by dying) go too.
	_ = syscall.Kill(-p.Pid(), syscall.SIGKILL)
	return nil
}

func (p *Process) waitKilled() error {
	select {
	case <-p.done:
		return nil
	case <-time.After(killWait):
		return fmt.Errorf("%s (pid %d) still running %s after SIGKILL to its group; not waiting any longer", p.name(), p.Pid(), killWait)
	}
}

func (p *Process) name() string { return p.cmd.Path }

// WaitReady polls ready every interval until it returns nil. It fails when
// the process exits first, or when StartTimeout passes, with ready's last
// error and the end of the log; the caller then stops the process.
func (p *Process) WaitReady(interval time.Duration, ready func() error) error {
	deadline := time.Now().Add(StartTimeout)
	start := time.Now()
	for {
		err := ready()
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before it was ready (%v; last check: %v)\n%s", p.name(), p.err, err, p.LogTail())
		case <-time.After(interval):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready within %s (last check: %v)\n%s", p.name(), time.Since(start).Round(time.Second), err, p.LogTail())
		}
	}
}

// LogTail is the last 4 kB of the process's log, for failure messages.
func (p *Process) LogTail() string {
	if p.logPath == "" {
		return "(no log)"
	}
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return "log " + p.logPath + " (tail):\n" + Tail(b, 4000)
}

// Tail is the last n bytes of b, from a line start when one is near.
func Tail(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	b = b[len(b)-n:]
	if i := bytes.IndexByte(b, '\n'); i >= 0 && i < 200 {
		b = b[i+1:]
	}
	return "…" + string(b)
}

// Run runs cmd to completion in a process group of its own and returns its
// combined output. If it runs longer than timeout, its group gets SIGTERM
// and, 10 s later, SIGKILL; the error then says so.
func Run(cmd *exec.Cmd, timeout time.Duration) ([]byte, error) {
	var out Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	p, err := Start(cmd, "")
	if err != nil {
		return nil, err
	}
	select {
	case <-p.done:
		return out.Bytes(), p.err
	case <-time.After(timeout):
	}
	stopErr := p.StopGroup(syscall.SIGTERM, killWait)
	return out.Bytes(), errors.Join(fmt.Errorf("%s did not finish within %s", p.name(), timeout), stopErr)
}

// Buffer is a bytes.Buffer that many goroutines may write at once while
// another reads it: exec's copying goroutines, a server's log.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Bytes is a copy of what was written so far.
func (b *Buffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// String is what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
